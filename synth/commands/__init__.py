"""The ``synth`` commands, one module each, listed in :mod:`synth.commands.registry` (imported when run)."""
