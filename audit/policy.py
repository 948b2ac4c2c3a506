"""The verdict: what a release must meet, per privacy test, per fidelity gate, and optionally per section.

    Policy.parse(["exact_copies=0.98", "fidelity=0.7"])   # a metric or section name = minimum score
    Policy.parse(["privacy=0.95"])                         # every privacy test tolerates 5% memorised rows
    Policy.from_file("policy.yaml")                       # {fail_under: {privacy: 0.99}, alpha: 0.05, require_holdout: true}

Defaults, and why:

- ``privacy`` 0.99: the minimum score of every privacy test that decides (exact_copies,
  relative_near_copies, closest_record, attribute_inference, identifier_replay; near_copies and
  membership_inference are reported, and decide when named; a test's own name sets its own). A test's score is 1 - the estimated memorised share, so the tolerance is 1% of synthetic rows. A test fails when the share is *significantly* above the tolerance
  (one-sided, Holm-corrected over the tests at ``alpha`` = 5%), so unseen real rows fail by chance at
  most 5% of the time while a generator that memorised a few percent of its rows is caught.
- ``require_holdout``: without unseen real rows no privacy test has a control, so the audit cannot say
  the data is safe; it fails with a note on how to keep a holdout (``synth fit --holdout-out``).
  ``--allow-no-holdout`` (or ``require_holdout: false``) checks fidelity and utility only.
- Fidelity gates that catch clearly unusable data, naming the columns at fault: ``worst_column_shape``
  0.5 (a column whose distribution is half gone, e.g. shifted by standard deviations), ``column_variety``
  0.5 (a column collapsed onto few values), ``dependence_kept`` 0.5 (the strong pairs of the real table
  have lost most of their association, e.g. columns shuffled independently). Clean twins score far above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.errors import SynthError

from .privacy import ALPHA, DETECTABLE_ABOVE_TOLERANCE, REPORTED_ONLY, TESTS, TOLERANCE
from .registry import units

#: Each metric's default minimum, declared on the metric (``gate``).
GATES = {u.name: u.gate for u in units() if u.gate is not None}
DEFAULTS = {**GATES, "privacy": 1 - TOLERANCE}  # "privacy" sets every deciding test's minimum; a test's own name overrides it


@dataclass
class Policy:
    minimums: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    alpha: float = ALPHA
    require_holdout: bool = True

    @classmethod
    def parse(cls, items: list[str], base: "Policy | None" = None) -> "Policy":
        base = base or cls()
        minimums = dict(base.minimums)
        for item in items:
            name, sep, value = item.partition("=")
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not sep or not name.strip() or not 0 <= number <= 1:
                raise SynthError(f"--fail-under {item!r}: write NAME=SCORE with a score between 0 and 1, e.g. exact_copies=0.98")
            minimums[name.strip()] = number
        return cls(minimums, base.alpha, base.require_holdout)

    @classmethod
    def from_file(cls, path: str | Path) -> "Policy":
        from synth.yamlsafe import load_yaml_file

        data, _ = load_yaml_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("fail_under", {}), dict):
            raise SynthError(f"{path}: a policy file is a mapping with 'fail_under: {{name: minimum score}}'")
        unknown = set(data) - {"fail_under", "alpha", "require_holdout"}
        if unknown:
            raise SynthError(f"{path}: unknown policy key {sorted(unknown)[0]!r}; use fail_under, alpha, require_holdout")
        alpha = data.get("alpha", ALPHA)
        if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise SynthError(f"{path}: alpha must be a number between 0 and 1, e.g. 0.05")
        require = data.get("require_holdout", True)
        if not isinstance(require, bool):
            raise SynthError(f"{path}: require_holdout must be true or false")
        return cls.parse([f"{k}={v}" for k, v in data.get("fail_under", {}).items()], base=cls(dict(DEFAULTS), float(alpha), require))

    def tolerances(self) -> dict[str, float]:
        """The memorised share each deciding privacy test tolerates: 1 - its minimum score (its own, else privacy's)."""
        out = {}
        for name in TESTS:
            minimum = self.minimums.get(name, None if name in REPORTED_ONLY else self.minimums.get("privacy"))
            if minimum is not None:
                out[name] = 1 - minimum
        return out

    def failures(self, sections: dict[str, float | None], metrics: dict[str, Any], holdout: bool,
                 underpowered: bool = False, detectable: float | None = None, rows_needed: int | None = None) -> list[str]:
        """One line per reason the release fails; empty when it passes.

        ``underpowered``: the holdout is too small to catch a leak :data:`audit.privacy.DETECTABLE_ABOVE_TOLERANCE`
        above the tolerance; ``detectable`` is the smallest copied share it could catch
        (:func:`audit.privacy.detectable_share`), ``rows_needed`` how many synthetic rows would do.
        """
        out = []
        for name, minimum in self.minimums.items():
            if name == "privacy":  # decided by the tests themselves, each against its tolerance
                for test in TESTS:
                    metric = metrics.get(test)
                    if test not in self.minimums and metric is not None and metric.details.get("verdict") == "fail":
                        out.append(_test_failure(test, metric))
                continue
            if name in TESTS:
                metric = metrics.get(name)
                if metric is not None and metric.details.get("verdict") == "fail":
                    out.append(_test_failure(name, metric))
                continue
            if name not in sections and name not in metrics:
                out.append(f"{name}: no such section or metric")
                continue
            score = sections[name] if name in sections else metrics[name].score
            if score is not None and score < minimum:
                where = _at_fault(metrics[name].details, minimum) if name in metrics else []
                out.append(f"{name} {score:.3f} < {minimum}" + (f" ({', '.join(where)})" if where else ""))
        leaked = any(m is not None and m.details.get("verdict") == "fail" for m in (metrics.get(t) for t in TESTS))
        if self.require_holdout and holdout and not leaked and underpowered:
            more = f"audit at least {rows_needed:,} synthetic rows, " if rows_needed else ""
            must = (self.tolerances().get("exact_copies", TOLERANCE) + DETECTABLE_ABOVE_TOLERANCE)
            out.append(f"privacy not verified: with these tables a leak of fewer than {detectable or 1:.1%} of the "
                       f"synthetic rows cannot be told from chance ({must:.0%} must be; a small holdout, or unseen rows that often equal a training row): {more}keep back more real rows "
                       "(`synth fit --holdout-share 0.5`), or accept it with --allow-no-holdout")
        if self.require_holdout and not holdout:
            out.append("privacy not verified: no holdout, so no test can tell memorised rows from realistic ones "
                       "(keep one with `synth fit --holdout-out holdout.csv`, pass it with --holdout; or --allow-no-holdout)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"fail_under": dict(self.minimums), "alpha": self.alpha, "require_holdout": self.require_holdout}


def _test_failure(name: str, metric: Any) -> str:
    d = metric.details
    lo, hi = metric.ci
    return (f"{name}: {100 * d['memorised_share']:.1f}% memorised (95% interval {100 * lo:.1f}-{100 * hi:.1f}%), "
            f"significantly above the {100 * d['tolerance']:.1f}% tolerance (p = {d['p_value']:.2g})")


def _at_fault(details: dict[str, Any], minimum: float, most: int = 5) -> list[str]:
    """The columns (or pairs) below the minimum, worst first, with their scores."""
    scores = details.get("per_column") or details.get("per_pair") or {}
    low = sorted((v, k) for k, v in scores.items() if v is not None and v < minimum)
    return [f"{k} {v:.2f}" for v, k in low[:most]] + ([f"{len(low) - most} more"] if len(low) > most else [])
