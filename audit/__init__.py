"""audit: score synthetic data against real data for fidelity, utility and privacy.

>>> import audit
>>> result = audit.run(real_df, synthetic_df, holdout=holdout_df, target="price")   # doctest: +SKIP
>>> result.passed, result.summary                                                   # doctest: +SKIP
>>> open("report.html", "w").write(result.to_html())                                # doctest: +SKIP

Every metric is a :class:`audit.metric.Metric`: a 0-1 score (higher is better), the raw value, a 95%
interval where one applies, and one sentence on what it means. Fidelity and utility section scores are the
means of their metrics' scores; the privacy section score is its worst test's. The verdict applies a
:class:`audit.policy.Policy`: each privacy test is a statistical test against a holdout (see
:mod:`audit.privacy`), each fidelity gate a minimum; nothing that fails is averaged away.
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

VERSION = "2.0"
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
            if not scores:
                out[section] = None
            else:  # a privacy leak in one test is not diluted by the tests that saw none
                out[section] = float(min(scores) if section == "privacy" else np.mean(scores))
        return out

    @property
    def failures(self) -> list[str]:
        return self.policy.failures(self.summary, {m.name: m for m in self.metrics}, holdout=self.tables.holdout is not None)

    @property
    def privacy_verdict(self) -> str:
        """"failed", "passed", or "not verified" (no holdout: no test had a control)."""
        tests = [m for m in self.metrics if m.section == "privacy"]
        if any(m.details.get("verdict") == "fail" for m in tests):
            return "failed"
        if self.tables.holdout is None or all(m.skipped for m in tests):
            return "not verified"
        return "passed"

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
            "privacy_verdict": self.privacy_verdict,
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

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> def table(n): return pd.DataFrame({"size": rng.choice(list("SML"), n), "price": rng.normal(3, 0.5, n).round(2)})
    >>> real, holdout = table(60), table(60)
    >>> copied = run(real, real, holdout=holdout)  # "synthetic" rows that are the real ones
    >>> copied.passed, copied.metric("exact_copies").details["verdict"]
    (False, 'fail')
    """
    step = progress or (lambda _m: None)
    started = time.perf_counter()
    t = align(real, synthetic, holdout, kinds)
    for col in [target, time_column, *sensitive]:
        if col is not None and col not in t.kinds:
            raise SynthError(f"unknown column {col!r}; columns: {', '.join(t.kinds)}")
    if target is not None:
        _check_target(t, target)
    notes = []
    if t.holdout is not None:
        t, removed = _without_holdout_rows(t)
        if removed:
            notes.append(f"The real table contains every holdout row: those {removed:,} rows were taken out of it, so the "
                         f"audit compares the synthetic rows with {len(t.real):,} training rows and {len(t.holdout):,} unseen ones.")
    policy = policy or Policy()
    encoding = Encoding.fit(t)
    metrics: list[Metric] = []
    step("fidelity")
    shapes = fidelity.column_shapes(t)
    metrics.append(shapes)
    metrics.append(fidelity.worst_column_shape(shapes))
    metrics.append(fidelity.column_variety(t))
    metrics.append(fidelity.histogram_similarity(t))
    pairs = fidelity.pair_trends(t, seed)
    metrics.extend(pairs)
    metrics.append(fidelity.dependence_kept(t, pairs[0], seed))
    metrics.append(fidelity.mutual_information(t, seed))
    metrics.append(fidelity.detection(t, encoding, seed))
    if time_column is not None:
        metrics.append(fidelity.time_series(t, time_column))
    step("utility")
    if target is not None:
        metrics.extend(utility.train_synthetic_test_real(t, target, seed)[0])
    else:
        notes.append("No --target: train-on-synthetic/test-on-real and feature importance were not run.")
    metrics.append(utility.qscore(t, seed=seed))
    step("privacy")
    metrics.extend(privacy.run_tests(t, encoding, policy.tolerances(), list(sensitive), seed, policy.alpha))
    if schema is not None:
        from .rules import check_rules

        step("schema rules")
        metrics.extend(check_rules(schema, real, synthetic))
    if holdout is None:
        notes.append("No holdout: the privacy tests could not run, so privacy is NOT VERIFIED. They compare the synthetic rows' "
                      "closeness to training rows with their closeness to real rows the generator never saw; without those, "
                      "a memorised row and a realistic one look the same. Keep back a share of the real rows before fitting "
                      "(`synth fit real.csv --holdout-out holdout.csv --holdout-share 0.2`) and pass them with --holdout.")
    inputs = {"real_rows": len(t.real), "synthetic_rows": len(synthetic), "holdout_rows": None if holdout is None else len(holdout),
              "target": target, "sensitive": list(sensitive), "time_column": time_column, "seed": seed}
    return AuditResult(t, metrics, fidelity.column_statistics(t), policy, notes, time.perf_counter() - started, inputs)


def _without_holdout_rows(t: Tables) -> tuple[Tables, int]:
    """If the real table is the whole table (the holdout's rows are all in it), keep only its training rows.

    Rows are matched as a multiset, so a row that legitimately occurs twice (once in training, once held
    back) keeps its training copy.
    """
    from .privacy import _row_hashes

    real, hold = pd.Series(_row_hashes(t.real)), pd.Series(_row_hashes(t.holdout))
    held = hold.value_counts()
    available = real.value_counts().reindex(held.index, fill_value=0)
    if (available < held).any() or len(real) <= len(hold):
        return t, 0
    drop = real.groupby(real).cumcount().to_numpy() < real.map(held).fillna(0).to_numpy()
    return Tables(t.real[~drop].reset_index(drop=True), t.synthetic, t.holdout, t.kinds), int(drop.sum())


def _check_target(t: Tables, target: str) -> None:
    """A target a model cannot learn (one value, no values, an identifier) would give a utility score that means nothing."""
    kind = t.kinds[target]
    if kind not in ("numeric", "categorical", "boolean", "date", "datetime", "time"):
        raise SynthError(f"--target {target!r} is an {kind} column (each row its own value): choose a column a model can predict")
    values = t.real[target]
    present = values.notna() if target in t.numeric else values.ne("<missing>")
    if not present.any():
        raise SynthError(f"--target {target!r} has only empty values in the real table")
    if values[present].nunique() < 2:
        raise SynthError(f"--target {target!r} has a single value in the real table ({values[present].iloc[0]!r}): there is nothing to predict")


__all__ = ["AuditResult", "Metric", "Policy", "run", "VERSION"]
