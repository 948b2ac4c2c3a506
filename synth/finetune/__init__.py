"""Fine-tuning data for LLMs: validate and prepare JSON Lines (completion or chat format), evaluate predictions.

>>> from synth.finetune import validate_file, prepare_file
>>> report = validate_file("train.jsonl")          # doctest: +SKIP
>>> prepare_file("train.jsonl", valid_share=0.2)   # doctest: +SKIP
"""

from .evaluate import evaluate, load_predictions
from .prepare import prepare_file
from .validate import Report, validate_file

__all__ = ["Report", "evaluate", "load_predictions", "prepare_file", "validate_file"]
