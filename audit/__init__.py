"""audit: score synthetic data against real data for fidelity, utility and privacy.

>>> import audit
>>> result = audit.run(real_df, synthetic_df, holdout=holdout_df, target="price")   # doctest: +SKIP
>>> result.passed, result.summary                                                   # doctest: +SKIP
>>> open("report.html", "w").write(result.to_html())                                # doctest: +SKIP

Each metric is a registered unit (:mod:`audit.registry`: one class plus ``@register``) whose result is a
:class:`audit.metric.Metric`: a 0-1 score (higher is better), the raw value, a 95% interval where one
applies, and one sentence on what it means. Fidelity and utility section scores are the means of their
metrics' scores; the privacy section score is its worst test's. The verdict applies a
:class:`audit.policy.Policy`: each privacy test is a statistical test against a holdout (see
:mod:`audit.privacy`), each fidelity gate a minimum; nothing that fails is averaged away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from synth.errors import SynthError

from . import fidelity, privacy, rules, utility  # noqa: F401  (importing them registers the built-in metrics)
from .data import Encoding, Tables, align_real, check_columns, kinds_from_schema, with_synthetic
from .evidence import row_hashes
from .reduction import REAL_STREAM, SAMPLE_ROWS, Plan, finish, sample_positions, sampled, sampled_both
from .metric import Metric
from .policy import Policy
from .registry import INPUTS, SECTIONS, Context, MetricUnit, Section, register, units

if TYPE_CHECKING:
    from synth.schema import Schema

VERSION = "2.1"


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
        for section in self.sections:
            scores = [m.score for m in self.metrics if m.section == section.name and m.score is not None]
            if not scores:
                out[section.name] = None
            else:  # a privacy leak in one test is not diluted by the tests that saw none
                out[section.name] = float(min(scores) if section.worst else np.mean(scores))
        return out

    @property
    def sections(self) -> list[Section]:
        """The report's sections: every one, but an optional one (schema rules) only when one of its metrics ran."""
        return [s for s in SECTIONS.values() if not s.optional or any(m.section == s.name for m in self.metrics)]

    @property
    def failures(self) -> list[str]:
        return self.policy.failures(self.summary, {m.name: m for m in self.metrics}, holdout=self.tables.holdout is not None,
                                    underpowered=self.underpowered, detectable=self.detectable_share,
                                    rows_needed=self.synthetic_rows_needed)

    def _privacy_tests(self) -> list[Metric] | None:
        """The privacy tests, when the audit ran them with a holdout and its policy lets exact copies decide (else
        None: e.g. an audit of the fidelity section alone)."""
        if self.tables.holdout is None or self.policy.tolerances().get("exact_copies") is None:
            return None
        return [m for m in self.metrics if m.section == "privacy"] or None

    @property
    def detectable_share(self) -> float | None:
        """The smallest share of copied rows, exact or with noise on the numbers, these tables let the privacy tests
        catch (:func:`audit.privacy.verification`; None: no holdout, or exact copies do not decide)."""
        tests = self._privacy_tests()
        return None if tests is None else privacy.verification(tests, bool(self.tables.numeric))[0]

    @property
    def underpowered(self) -> bool:
        """True when no test could catch a leak :data:`audit.privacy.DETECTABLE_ABOVE_TOLERANCE` above its tolerance,
        for exact copies or for copies with noise on the numbers."""
        tests = self._privacy_tests()
        return tests is not None and not privacy.verification(tests, bool(self.tables.numeric))[1]

    @property
    def synthetic_rows_needed(self) -> int | None:
        """How many synthetic rows would let this audit verify privacy (None: none would, or it already can)."""
        tests = self._privacy_tests()
        return None if tests is None else privacy.synthetic_rows_needed(tests, bool(self.tables.numeric))

    @property
    def privacy_verdict(self) -> str:
        """"failed", "passed", or "not verified" (no holdout, so no test had a control; or a holdout too small to
        catch a leak :data:`audit.privacy.DETECTABLE_ABOVE_TOLERANCE` above the tolerance)."""
        tests = [m for m in self.metrics if m.section == "privacy"]
        if any(m.details.get("verdict") == "fail" for m in tests):
            return "failed"
        if self.tables.holdout is None or all(m.skipped for m in tests):
            return "not verified"
        if self.underpowered:
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
            "detectable_share": self.detectable_share,
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


def run(real: pd.DataFrame | None, synthetic: pd.DataFrame | None, holdout: pd.DataFrame | None = None, target: str | None = None,
        sensitive: Sequence[str] = (), time_column: str | None = None, kinds: dict[str, str] | None = None,
        policy: Policy | None = None, seed: int = 0, progress: Callable[[str], None] | None = None,
        schema: Schema | None = None, sections: Sequence[str] | None = None, link: Any = None,
        engine: Any = None, sample_rows: int = SAMPLE_ROWS) -> AuditResult:
    """Audit ``synthetic`` against ``real`` (the generator's training rows) and, if given, ``holdout``.

    Every registered metric runs, in order (see :mod:`audit.registry`); one that needs an input not given here
    (``target``, ``time_column``, ``schema``) is left out. With ``schema`` (a :class:`synth.Schema`), the column
    kinds it declares are used (``kinds`` wins over it), and its rules are checked on both tables (section "rules").
    ``sections`` runs only those sections; ``link`` (an :class:`audit.related.Link`) says the tables are a foreign
    key's joined rows, which runs the "relations" metrics (see :func:`audit.related.run_related`).

    What merges exactly over partitions of the synthetic rows (the fidelity counts, sums, extremes, histograms,
    joint tables and the privacy evidence) covers every row; the rest (Spearman correlations, detection, time
    series, utility, attribute inference, a number column's median and distinct count) reads a seeded sample of
    ``sample_rows`` synthetic rows, or all of them when there are no more (see :mod:`audit.reduction`). ``engine``
    (e.g. :class:`audit.cluster.DaskEngine` over the synthetic rows' address) does both elsewhere, partition by
    partition, with the same answers; ``synthetic`` may then be None: this process then holds only the sample.
    ``real`` may be None too when the engine reads a partitioned real table (``DaskEngine(..., real=ADDRESS)``):
    without a holdout, the real rows are then profiled and summarised by the engine, exactly (the fidelity metrics
    and column statistics), and this process holds a seeded sample of ``sample_rows`` of them, on which the column
    kinds are inferred (``kinds`` or ``schema`` fix them) and the sampled metrics run; with a holdout the privacy
    tests' reference needs every real row here, so the engine reads them whole into this process.

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
    partitioned = False  # the real rows are a partitioned table the engine summarises; ``real`` becomes their sample
    if real is None:
        if not getattr(engine, "real_parts", None):
            raise SynthError("the real rows, or an engine that reads them")
        # the privacy tests' real reference (and taking the holdout's rows out of the real table) read every real
        # row: with a holdout the real table is read whole into this process, as on one machine
        at = None if holdout is not None else sample_positions(engine.real_rows, seed, sample_rows, REAL_STREAM)
        real, partitioned = engine.real_sample(at), at is not None
    if schema is not None:  # the audit treats the data as the schema that made it does
        declared = {c: k for c, k in kinds_from_schema(schema).items() if c in real.columns}
        kinds = {**declared, **(kinds or {})} or None
    if synthetic is not None:  # a synthetic table's own errors first, as align gives them
        check_columns(real, synthetic)
    # the real side next: what an engine's tasks need is fixed from it before any synthetic row is read
    t = align_real(real, holdout, kinds)
    if partitioned:
        t.real_rows = engine.real_rows
    named = [("target", target), ("time column", time_column), *(("sensitive column", c) for c in sensitive)]
    for what, col in named:  # the CLI's options are --target, --time-column, --sensitive
        if col is not None and col not in t.kinds:
            raise SynthError(f"{what} {col!r} is not a column of the tables; columns: {', '.join(t.kinds)}")
    if target is not None:
        _check_target(t, target)
    notes = []
    if t.holdout is not None:
        t, removed = _without_holdout_rows(t)
        if removed:
            notes.append(f"The real table contains every holdout row: those {removed:,} rows were taken out of it, so the "
                         f"audit compares the synthetic rows with {len(t.real):,} training rows and {len(t.holdout):,} unseen ones.")
    encoding = Encoding.fit(t)  # the real and holdout rows' alone
    policy = policy or Policy()
    scanned = None
    if engine is not None:  # the rows come from the engine's partitions: this process holds the sample only
        total = engine.rows
        if synthetic is not None and len(synthetic) != total:
            raise SynthError(f"the synthetic rows the engine reads ({total:,}) are not the synthetic table audited "
                             f"({len(synthetic):,} rows): give the engine the same table")
        at = sample_positions(total, seed, sample_rows)
        if partitioned:  # the plan from every real row, profiled on the workers (the same plan as from the whole table)
            plan = Plan.from_profile(t, engine.real_profile(list(t.real.columns), t.kinds, t.numeric, t.categorical), seed=seed)
        else:
            plan = Plan.of(t, seed=seed)
        if hasattr(engine, "scan"):  # each partition read once: the fidelity summary, the privacy scan and the sample
            wants_privacy = t.holdout is not None and (sections is None or "privacy" in sections)
            ref = privacy.reference_of(t, encoding, seed, sensitive, engine) if wants_privacy else None
            parts, evidence, read = engine.scan(plan, ref, sample=synthetic is None, positions=at)
        else:
            parts, evidence = engine.reduce(plan), None
            read = engine.sample(at) if synthetic is None else None
        if synthetic is None:
            synthetic = read
        elif at is not None:
            synthetic = synthetic.iloc[at].reset_index(drop=True)
        scanned = plan, parts, evidence
        t.synthetic_rows = None if at is None else total
    # schema rules read every synthetic row here (a uniqueness or range break can be one row); a Dask client
    # holds only the sample, so on a cluster they read that and the report says so
    assert synthetic is not None, "the synthetic rows, or an engine that reads them"
    t = with_synthetic(t, synthetic)
    t.cache["seed"] = seed  # the pairs the fidelity metrics compare, and the sample, are the audit seed's
    sample = sampled(t, seed, sample_rows)
    ctx = Context(t, encoding, seed, holdout=holdout, target=target, sensitive=list(sensitive), time_column=time_column,
                  schema=schema, real=real, synthetic=synthetic, tolerances=policy.tolerances(), link=link, engine=engine)
    if scanned is not None:
        plan, parts, evidence = scanned
        if evidence is not None:
            ctx.cache["evidence"] = privacy.checked(evidence, t)
        real_parts = None
        if partitioned:  # the real rows summarised on the workers, as the synthetic ones were, with the same plan
            wants_copies = sections is None or "privacy" in sections
            real_part, copied = engine.real_scan(plan, row_hashes(sample.synthetic) if wants_copies else None)
            real_parts = [real_part]
        t.cache[("reduction", None)] = finish(t, plan, parts, real_parts)
    if partitioned:
        notes.append(f"The real rows were read on Dask: {len(engine.real_parts):,} partitions of {engine.real} ({t.real_count:,} rows), "
                     "profiled (each number column's distinct values, each category's counts: the plan, medians and deciles) and "
                     "summarised for the fidelity metrics and column statistics there, exactly; this machine holds a seeded "
                     f"sample of {len(t.real):,} of them, on which the column kinds were inferred (--kind or --schema fix them).")
    elif getattr(engine, "real_parts", None):
        notes.append(f"The real rows ({engine.real}, {len(t.real):,} rows) were read whole into this machine: "
                     + ("the privacy tests' reference reads every real row." if holdout is not None else
                        f"there are no more than --sample-rows ({sample_rows:,})."))
    both = sampled_both(t)
    if both.real_rows is not None:
        notes.append(f"{both.real_rows:,} real rows: Spearman correlations, detection, time series and utility"
                     f"{' (and schema rules)' if partitioned else ''} read a seeded sample of {len(both.real):,} of them.")
    if sample.synthetic_rows is not None:
        notes.append(f"{sample.synthetic_rows:,} synthetic rows: counts, sums, extremes, histograms and joint tables cover every "
                     f"row; Spearman correlations, detection, time series, utility, attribute inference, "
                     f"{'schema rules and ' if engine is not None else ''}number columns' medians and distinct counts ran on a "
                     f"seeded sample of {len(sample.synthetic):,} of them.")
    metrics: list[Metric] = []
    left_out: dict[str, list[MetricUnit]] = {}  # input -> the metrics left out for want of it
    for section in SECTIONS.values():
        if sections is not None and section.name not in sections:
            continue
        runnable = []
        for unit in units(section.name):
            missing = next((name for name in unit.needs if not ctx.has(name)), None)
            if missing is None:
                runnable.append(unit)
            else:
                left_out.setdefault(missing, []).append(unit)
        if runnable or not section.optional:
            step(section.title.lower())
        for unit in runnable:
            result = unit.compute(ctx)
            metrics.extend(result if isinstance(result, list) else [result])
    if partitioned and wants_copies:  # the raw share of a skipped exact-copies test, over every real row (on the workers)
        _copies_over_every_real_row(metrics, copied)
    # the privacy tests decide together: Holm's step-down over the tests the policy names
    privacy.decide_family([m for m in metrics if m.section == "privacy"], ctx.tolerances, policy.alpha)
    if engine is not None and getattr(engine, "note", ""):
        notes.append(engine.note)
    for name, left in left_out.items():
        if INPUTS[name].announce:
            notes.append(f"No {INPUTS[name].option}: {' and '.join(u.title or u.name for u in left)} were not run.")
    if holdout is None:
        notes.append("No holdout: the privacy tests could not run, so privacy is NOT VERIFIED. They compare the synthetic rows' "
                      "closeness to training rows with their closeness to real rows the generator never saw; without those, "
                      "a memorised row and a realistic one look the same. Keep back a share of the real rows before fitting "
                      "(`synth fit real.csv --holdout-out holdout.csv --holdout-share 0.2`) and pass them with --holdout.")
    inputs = {"real_rows": t.real_count, "synthetic_rows": t.synthetic_count, "holdout_rows": None if holdout is None else len(holdout),
              "target": target, "sensitive": list(sensitive), "time_column": time_column, "seed": seed,
              "engine": "local" if engine is None else type(engine).__name__}
    return AuditResult(t, metrics, fidelity.column_statistics(t, seed), policy, notes, time.perf_counter() - started, inputs)


def _copies_over_every_real_row(metrics: list[Metric], copied: np.ndarray | None) -> None:
    """Without a holdout, the exact-copies test is skipped but reports how many synthetic (sample) rows equal a real
    row: with a partitioned real table this process holds a sample of the real rows only, so the count is the
    engine's (:meth:`audit.cluster.DaskEngine.real_scan`), over every real row: the local audit's number."""
    for m in metrics:
        if m.name == "exact_copies" and m.skipped is not None and copied is not None and m.raw is not None:
            m.raw = float(copied.mean())
            m.details["synthetic_rows_equal_to_a_training_row"] = int(copied.sum())


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
    return Tables(t.real[~drop].reset_index(drop=True), t.synthetic, t.holdout, t.kinds, synthetic_rows=t.synthetic_rows), int(drop.sum())


def _check_target(t: Tables, target: str) -> None:
    """A target a model cannot learn (one value, no values, an identifier) would give a utility score that means nothing."""
    kind = t.kinds[target]
    if kind not in ("numeric", "categorical", "boolean", "date", "datetime", "time"):
        what = "an identifier" if kind == "identifier" else f"a {kind}"
        raise SynthError(f"--target {target!r} is {what} column (each row its own value): choose a column a model can predict")
    values = t.real[target]
    present = values.notna() if target in t.numeric else values.ne("<missing>")
    if not present.any():
        raise SynthError(f"--target {target!r} has only empty values in the real table")
    if values[present].nunique() < 2:
        raise SynthError(f"--target {target!r} has a single value in the real table ({values[present].iloc[:1].tolist()[0]!r}): there is nothing to predict")


__all__ = ["AuditResult", "Metric", "MetricUnit", "Policy", "register", "run", "units", "VERSION"]
