"""Fine-tuning data for LLMs: validate and prepare JSON Lines (completion or chat format), evaluate predictions.

>>> from synth.finetune import validate_file, prepare_file
>>> report = validate_file("train.jsonl")          # doctest: +SKIP
>>> prepare_file("train.jsonl", valid_share=0.2)   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Report", "evaluate", "load_predictions", "prepare_file", "validate_file"]

# Resolved on first use: `synth finetune validate` should not import scikit-learn, which only `eval` needs.
_HOMES = {"evaluate": ".evaluate", "load_predictions": ".evaluate", "prepare_file": ".prepare",
          "Report": ".validate", "validate_file": ".validate"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
