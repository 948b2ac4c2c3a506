"""audit: score synthetic data against real data for fidelity, utility and privacy.

>>> import audit
>>> result = audit.run(real_df, synthetic_df, holdout=holdout_df, target="price")   # doctest: +SKIP
>>> result.passed, result.summary                                                   # doctest: +SKIP
>>> open("report.html", "w").write(result.to_html())                                # doctest: +SKIP

Every metric is a :class:`audit.metric.Metric`: a 0-1 score (higher is better), the raw value, a 95%
interval where one applies, and one sentence on what it means. Section scores are the means of their
metrics' scores; the verdict applies a :class:`audit.policy.Policy`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from synth.errors import SynthError

from . import fidelity, privacy, utility
from .data import Encoding, Tables, align
from .metric import Metric
from .policy import Policy

VERSION = "1.0"
SECTIONS = ("fidelity", "utility", "privacy", "rules")


@dataclass
class AuditResult:
    tables: Tables
    metrics: list[Metric]
    statistics: dict[str, Any]
    policy: Policy
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for section in SECTIONS:
            if section == "rules" and not any(m.section == "rules" for m in self.metrics):
                continue  # only with --schema
            scores = [m.score for m in self.metrics if m.section == section and m.score is not None]
            out[section] = float(np.mean(scores)) if scores else None
        return out

    @property
    def failures(self) -> list[str]:
        return self.policy.failures(self.summary, {m.name: m.score for m in self.metrics})

    @property
    def passed(self) -> bool:
        return not self.failures

    def metric(self, name: str) -> Metric:
        return next(m for m in self.metrics if m.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "passed": self.passed,
            "failures": self.failures,
            "summary": self.summary,
            "thresholds": self.policy.to_dict(),
            "inputs": self.inputs,
            "columns": {c: k for c, k in self.tables.kinds.items()},
            "metrics": [m.to_dict() for m in self.metrics],
            "column_statistics": self.statistics,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def to_html(self) -> str:
        from .report import render_html

        return render_html(self)


def run(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None = None, target: str | None = None,
        sensitive: Sequence[str] = (), time_column: str | None = None, kinds: dict[str, str] | None = None,
        policy: Policy | None = None, seed: int = 0, progress: Callable[[str], None] | None = None,
        schema: Any = None) -> AuditResult:
    """Audit ``synthetic`` against ``real`` (the generator's training rows) and, if given, ``holdout``.

    With ``schema`` (a :class:`synth.Schema`), its rules are also checked on both tables (section "rules").
    """
    step = progress or (lambda _m: None)
    started = time.perf_counter()
    t = align(real, synthetic, holdout, kinds)
    for col in [target, time_column, *sensitive]:
        if col is not None and col not in t.kinds:
            raise SynthError(f"unknown column {col!r}; columns: {', '.join(t.kinds)}")
    encoding = Encoding.fit(t)
    metrics: list[Metric] = []
    step("fidelity")
    metrics.append(fidelity.column_shapes(t))
    metrics.append(fidelity.histogram_similarity(t))
    metrics.extend(fidelity.pair_trends(t, seed))
    metrics.append(fidelity.mutual_information(t, seed))
    metrics.append(fidelity.detection(t, encoding, seed))
    if time_column is not None:
        metrics.append(fidelity.time_series(t, time_column))
    notes = []
    step("utility")
    if target is not None:
        metrics.extend(utility.train_synthetic_test_real(t, target, seed)[0])
    else:
        notes.append("No --target: train-on-synthetic/test-on-real and feature importance were not run.")
    metrics.append(utility.qscore(t, seed=seed))
    step("privacy")
    metrics.append(privacy.exact_matches(t))
    distances = privacy.Distances(t, encoding, seed)
    metrics.append(privacy.dcr(distances))
    metrics.append(privacy.nndr(distances))
    metrics.append(privacy.neighbours_privacy(distances))
    metrics.append(privacy.membership_inference(t, distances, seed))
    metrics.append(privacy.attribute_inference(t, encoding, list(sensitive), seed))
    metrics.append(privacy.identifier_replay(t, t.identifiers))
    if schema is not None:
        from .rules import check_rules

        step("schema rules")
        metrics.extend(check_rules(schema, real, synthetic))
    if holdout is None:
        notes.append("No --holdout: membership and attribute inference could not run, and distances were compared with "
                     "distances between real rows instead of with unseen real rows. Keep back 20% of the real rows before "
                     "training the generator and pass them with --holdout: only then can the audit tell memorised rows from "
                     "realistic ones.")
    inputs = {"real_rows": len(real), "synthetic_rows": len(synthetic), "holdout_rows": None if holdout is None else len(holdout),
              "target": target, "sensitive": list(sensitive), "time_column": time_column, "seed": seed}
    return AuditResult(t, metrics, fidelity.column_statistics(t), policy or Policy(), notes, time.perf_counter() - started, inputs)


__all__ = ["AuditResult", "Metric", "Policy", "run", "VERSION"]
