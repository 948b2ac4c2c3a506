"""One metric result: a 0-1 score where higher is better, the raw value behind it, and what it means."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Metric:
    """A scored measurement, in the SDMetrics manner.

    ``score`` is 0-1 and higher is always better; ``raw`` is the quantity measured (a KS statistic, an AUC,
    a share); ``ci`` is a 95% interval for ``raw`` where one applies; ``details`` holds the breakdown.
    """

    name: str
    section: str  # fidelity | utility | privacy | rules
    score: float | None
    raw: float | None
    meaning: str
    goal: str = "higher score is better"
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why it could not run

    def to_dict(self) -> dict[str, Any]:
        def clean(x: Any) -> Any:
            if isinstance(x, float):
                return None if math.isnan(x) else round(x, 6)
            if isinstance(x, dict):
                return {str(k): clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            if hasattr(x, "item"):
                return clean(x.item())
            return x
        return clean({"name": self.name, "section": self.section, "score": self.score, "raw": self.raw,
                      "ci95": list(self.ci) if self.ci else None, "meaning": self.meaning, "goal": self.goal,
                      "skipped": self.skipped, "details": self.details})


def clamp01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial share."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
