"""CLI commands that live in their own modules; synth.cli registers them."""
