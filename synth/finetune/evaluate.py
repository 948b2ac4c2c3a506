"""``synth finetune eval``: classification metrics for a validation set's predictions (scikit-learn does the sums).

Each line: ``{"label": ..., "prediction": ..., "score": 0.83}`` (key names configurable; ``score`` optional,
the model's probability of the positive class). With scores, metrics are given at 0.5 and at ``threshold``
(the prediction then comes from the score), plus AUROC and AUPRC.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SynthError
from ..lazy import LazyModule
from .dataset import read_lines

if TYPE_CHECKING:
    from sklearn import metrics
else:  # scikit-learn takes a second to import; `synth finetune validate` and `prepare` import this package too
    metrics = LazyModule("sklearn.metrics")


def load_predictions(path: str | Path, label_key: str, prediction_key: str, score_key: str) -> tuple[list[str], list[str], np.ndarray | None]:
    labels, predictions, scores = [], [], []
    has_scores = True
    for line in read_lines(path):
        if line.error is not None or not isinstance(line.data, dict):
            raise SynthError(f"{path}:{line.number}: {line.error or 'a line must be a JSON object'}")
        data = line.data
        if label_key not in data:
            raise SynthError(f"{path}:{line.number}: missing key {label_key!r}")
        if prediction_key not in data and score_key not in data:
            raise SynthError(f"{path}:{line.number}: needs {prediction_key!r} or {score_key!r}")
        labels.append(str(data[label_key]).strip())
        predictions.append(str(data.get(prediction_key, "")).strip())
        score = data.get(score_key)
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            scores.append(float(score))
        else:
            has_scores = False
    if not labels:
        raise SynthError(f"{path}: no predictions in the file")
    return labels, predictions, (np.asarray(scores) if has_scores else None)


def evaluate(labels: list[str], predictions: list[str], scores: np.ndarray | None = None, positive: str | None = None,
             threshold: float = 0.5) -> dict[str, Any]:
    """Accuracy, F1 (binary and macro), precision, recall, AUROC, AUPRC and a confusion matrix."""
    from sklearn import metrics  # here, not at the top: every `synth` command would pay for importing it

    classes = sorted(set(labels) | {p for p in predictions if p})
    binary = len(set(labels)) <= 2 and len(classes) <= 2
    if binary and positive is None:
        positive = _guess_positive(classes)
    out: dict[str, Any] = {"examples": len(labels), "classes": classes, "positive": positive if binary else None}

    def scored(preds: list[str]) -> dict[str, Any]:
        row: dict[str, Any] = {"accuracy": metrics.accuracy_score(labels, preds),
                               "f1_macro": metrics.f1_score(labels, preds, average="macro", labels=classes, zero_division=0)}
        if binary:
            row["f1"] = metrics.f1_score(labels, preds, pos_label=positive, average="binary", zero_division=0)
            row["precision"] = metrics.precision_score(labels, preds, pos_label=positive, average="binary", zero_division=0)
            row["recall"] = metrics.recall_score(labels, preds, pos_label=positive, average="binary", zero_division=0)
        else:
            row["precision"] = metrics.precision_score(labels, preds, average="macro", labels=classes, zero_division=0)
            row["recall"] = metrics.recall_score(labels, preds, average="macro", labels=classes, zero_division=0)
        row["confusion_matrix"] = {"labels": classes, "matrix": metrics.confusion_matrix(labels, preds, labels=classes).tolist()}
        return {k: (round(float(v), 6) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()}

    if scores is not None and binary:
        truth = np.array([label == positive for label in labels])
        negative = next((c for c in classes if c != positive), "")
        at = lambda t: [positive if s >= t else negative for s in scores]  # noqa: E731
        out["at_0.5"] = scored(at(0.5))
        out[f"at_{threshold:g}"] = scored(at(threshold))
        if truth.any() and (~truth).any():
            out["auroc"] = round(float(metrics.roc_auc_score(truth, scores)), 6)
            out["auprc"] = round(float(metrics.average_precision_score(truth, scores)), 6)
    else:
        out["predicted"] = scored(predictions)
    return out


def _guess_positive(classes: list[str]) -> str:
    for candidate in ("1", "true", "yes", "positive", "pos"):
        for c in classes:
            if c.lower() == candidate:
                return c
    return classes[-1]
