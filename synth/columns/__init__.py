"""Column kinds: :data:`KINDS` maps each kind's name to its class; a kind's module is imported on first use.

Looking a kind up (``KINDS["date"]``) imports the module that defines it (see :class:`~synth.columns.base.KindRegistry`),
so loading a schema imports only the kinds it uses. :func:`load_builtin_kinds` imports them all.

>>> from synth.columns import KINDS
>>> KINDS["sequence"].kind_name
'sequence'
"""

import importlib

from .base import KINDS, ChunkContext, Column, PlanContext, register

__all__ = ["BUILTIN_MODULES", "KINDS", "ChunkContext", "Column", "PlanContext", "load_builtin_kinds", "register"]

#: The modules that define the built-in kinds (a new kind module goes here; then run
#: ``python -m synth.commands.kinds`` to regenerate the kind -> module table).
BUILTIN_MODULES = ("categorical", "derived", "identifiers", "listed", "llm_text", "numeric", "pattern", "phone",
                   "records", "related", "temporal")


def load_builtin_kinds() -> None:
    """Import every built-in kind's module (registering each kind), e.g. to list them all from their classes."""
    for module in BUILTIN_MODULES:
        importlib.import_module(f"{__name__}.{module}")
