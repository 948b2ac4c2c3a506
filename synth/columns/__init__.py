"""Column kinds. Importing this package registers every built-in kind in :data:`KINDS`."""

from . import categorical, derived, identifiers, llm_text, numeric, pattern, records, related, temporal  # noqa: F401  (registration)
from .base import KINDS, ChunkContext, Column, PlanContext, register

__all__ = ["KINDS", "ChunkContext", "Column", "PlanContext", "register"]
