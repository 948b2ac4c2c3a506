"""Auditing related tables: every single-table audit, plus each foreign key's integrity, children-per-parent
shape, parent-child column pairs and privacy on the joined (denormalised) rows.

A parent with a rare combination of children can identify a person even when each table alone looks safe, so
the privacy tests also run on each foreign key's joined rows (the child's columns beside its parent's). The
relationships come from :func:`synth.discover.discover` on the real tables unless given (a multi-table schema
declares them).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> customers = pd.DataFrame({"id": range(40), "segment": rng.choice(["a", "b"], 40)})
>>> orders = pd.DataFrame({"customer_id": rng.integers(0, 40, 200), "amount": rng.gamma(2, 10, 200).round(1)})
>>> real = {"customers": customers, "orders": orders}
>>> result = run_related(real, real, policy=__import__("audit").Policy(require_holdout=False))
>>> [str(fk) for fk in result.relations.foreign_keys]
['orders(customer_id) -> customers(id)']
>>> m = result.links["orders(customer_id) -> customers(id)"]
>>> m.metric("referential_integrity").raw, m.metric("cardinality_shape").score
(1.0, 1.0)

Each foreign key's metrics are registered units of the section "relations" (one class plus ``@register``, as in
:mod:`audit.registry`); they read the foreign key and its tables from ``ctx.link`` (a :class:`Link`) and the
joined rows from ``ctx.tables``.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from synth.errors import SynthError
from synth.relations import ForeignKey

from .fidelity import MAX_PAIRS, dependence_kept, ks_complement, pair_trends
from .metric import Metric, wilson
from .registry import Context, MetricUnit, register, units

if TYPE_CHECKING:
    from synth.discover import AggregateRule, Relations
    from synth.schema import Schema

    from . import AuditResult
    from .policy import Policy

#: Joined rows per side that pair trends and joined-row privacy look at (a seeded sample beyond it).
JOINED_ROWS = 50_000
#: Referential integrity fails when the synthetic resolved share is this far below the real one.
INTEGRITY_SLACK = 0.01
#: An aggregate rule is part of the verdict when it holds on this share of the real parent rows (as ``synth fit``
#: learns one), and fails when it holds on fewer synthetic parent rows than that.
AGGREGATE_SHARE = 0.999
#: The summaries looked for when no schema declares the rules: totals and counts, which a data model builds and
#: ``synth fit`` learns. A parent column that happens to equal the min, max or mean of many children (a price that is
#: the smallest amount, because some item has quantity 1) follows from other structure; declared, it is checked.
DISCOVERED_FUNCTIONS = ("count", "sum")


@dataclass
class Link:
    """A foreign key with its real, synthetic and (optional) holdout child and parent tables."""

    fk: ForeignKey
    real: tuple[pd.DataFrame, pd.DataFrame]  # (child, parent)
    synthetic: tuple[pd.DataFrame, pd.DataFrame]
    holdout: tuple[pd.DataFrame, pd.DataFrame] | None = None
    #: Columns of each table left out of the joined rows (integer keys: labels, not values).
    drop: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Parent columns that summarise the children along this key (``orders.total = sum(order_items.amount)``).
    aggregates: list["AggregateRule"] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def positions(self, side: str) -> np.ndarray:
        """Each child row's parent row on one side ("real", "synthetic", "holdout"); -1 missing or unresolved."""
        if side not in self.cache:
            from synth.discover import parent_positions

            child, parent = getattr(self, side)
            self.cache[side] = parent_positions(child, self.fk.columns, parent, self.fk.keys)
        return self.cache[side]

    def resolved(self, side: str) -> tuple[int, int]:
        """(child rows whose key resolves, child rows with a key) on one side."""
        child, _ = getattr(self, side)
        has_key = child[list(self.fk.columns)].notna().all(axis=1).to_numpy()
        return int((self.positions(side) >= 0).sum()), int(has_key.sum())

    def joined(self, side: str) -> pd.DataFrame:
        """The child's rows with their parent's columns beside them (``parent.column``; missing for orphans);
        the parent's key columns are left out (they repeat the child's)."""
        child, parent = getattr(self, side)
        position = self.positions(side)
        others = [c for c in parent.columns if c not in self.fk.keys and c not in self.drop.get(self.fk.parent, ())]
        beside = parent[others].iloc[np.maximum(position, 0)].reset_index(drop=True)
        if (position < 0).any():  # orphans and missing keys: no parent, so its columns are missing
            beside = beside.mask(np.repeat((position < 0)[:, None], beside.shape[1], axis=1))
        beside.columns = [f"{self.fk.parent}.{c}" for c in others]
        child = child.drop(columns=[c for c in self.drop.get(self.fk.child, ()) if c in child.columns])
        return pd.concat([child.reset_index(drop=True), beside], axis=1)


def _sample(frame: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    if rate >= 1:
        return frame
    keep = np.random.default_rng(seed).random(len(frame)) < rate
    return frame[keep].reset_index(drop=True)


# ---- the relation metrics ---------------------------------------------------------------------------------------

@register
class ReferentialIntegrity(MetricUnit):
    name, section, needs = "referential_integrity", "relations", ("link",)
    raw = "share of synthetic child keys (not missing) that resolve to a synthetic parent row"
    scoring = ("1 - how far it is below the real tables' own share (real data has orphans: resolving as often as they do, "
               "or more, scores 1); fails when more than 1 point below it, beyond the chance variation of the real share "
               "(orphans come in groups: a missing plane has many flights)")

    def compute(self, ctx: Context) -> Metric:
        link: Link = ctx.link
        (r_ok, r_n), (s_ok, s_n) = link.resolved("real"), link.resolved("synthetic")
        if s_n == 0:
            return Metric(self.name, self.section, None, None, "referential integrity",
                          skipped=f"no synthetic {link.fk.child} row has a value in {', '.join(link.fk.columns)}")
        share, real = s_ok / s_n, (r_ok / r_n if r_n else 1.0)
        # the real tables' own chance variation (their orphans come in groups), scaled to the synthetic size: the
        # synthetic side's would let a generator that puts every orphan under one key look like chance
        noise = 1.96 * _clustered_error(link, "real") * np.sqrt(r_n / s_n)
        verdict = "fail" if share + noise < real - INTEGRITY_SLACK else "pass"
        return self.result(1.0 - max(0.0, real - share), share,
                           f"Share of synthetic {link.fk.child} keys found among the synthetic {link.fk.parent} keys; the real "
                           f"tables resolve {real:.1%} (orphans are real data's), so below {real - INTEGRITY_SLACK:.1%} "
                           "(beyond chance) fails.",
                           ci=wilson(s_ok, s_n), details={"verdict": verdict, "real_resolved_share": real, "synthetic_resolved": s_ok,
                                                          "synthetic_with_key": s_n, "synthetic_orphans": s_n - s_ok,
                                                          "chance_margin": noise})


def _clustered_error(link: Link, side: str) -> float:
    """Standard error of the resolved share when rows sharing a key resolve or not together (a missing plane's
    flights are all orphans): the ratio estimator's variance over key groups.

    >>> import pandas as pd
    >>> fk = ForeignKey("c", ("k",), "p", ("k",))
    >>> child = pd.DataFrame({"k": [1, 1, 1, 1, 9, 9, 9, 9]})
    >>> link = Link(fk, (child, pd.DataFrame({"k": [1]})), (child, pd.DataFrame({"k": [1]})))
    >>> _clustered_error(link, "synthetic")  # two keys, all or nothing: as uncertain as one coin
    0.5
    """
    child, _ = getattr(link, side)
    columns = list(link.fk.columns)
    has_key = child[columns].notna().all(axis=1).to_numpy()
    ok = (link.positions(side) >= 0)[has_key].astype(float)
    if len(ok) < 2:
        return 0.0
    group = child.loc[has_key, columns].groupby(columns, sort=False, dropna=True).ngroup().to_numpy()
    n_k = np.bincount(group).astype(float)
    o_k = np.bincount(group, weights=ok)
    p = ok.mean()
    k = len(n_k)
    if k < 2:
        return 0.0
    return float(np.sqrt(k / (k - 1) * ((o_k - p * n_k) ** 2).sum()) / len(ok))


@register
class CardinalityShape(MetricUnit):
    name, section, needs = "cardinality_shape", "relations", ("link",)
    raw = "KS complement of the children-per-parent counts (parents without children count 0), as SDMetrics' CardinalityShapeSimilarity"

    def compute(self, ctx: Context) -> Metric:
        link: Link = ctx.link
        counts = {}
        for side in ("real", "synthetic"):
            position = link.positions(side)
            counts[side] = np.bincount(position[position >= 0], minlength=len(getattr(link, side)[1])).astype(float)
        score = ks_complement(counts["real"], counts["synthetic"])
        summary = {side: {"mean": float(c.mean()) if len(c) else None, "max": float(c.max()) if len(c) else None,
                          "without_children": float((c == 0).mean()) if len(c) else None} for side, c in counts.items()}
        return self.result(score, score, f"How alike the number of {link.fk.child} rows per {link.fk.parent} row is, real vs "
                           "synthetic: 1 - the Kolmogorov-Smirnov statistic of the two count distributions.", details=summary)


@register
class AggregateRules(MetricUnit):
    name, section, needs = "aggregate_rules", "relations", ("link",)
    title = "aggregate rules"
    raw = ("one metric per aggregate rule (a parent column that is count, sum, mean, min or max of its children), named "
           "`aggregate: parent.column = fn(child.column)`: the share of synthetic parent rows on which it holds")
    scoring = (f"same; fails when the rule holds on at least {AGGREGATE_SHARE:.1%} of the real parent rows and on fewer "
               "synthetic ones (a rule the real rows break is only reported)")

    def compute(self, ctx: Context) -> list[Metric]:
        link: Link = ctx.link
        out = []
        for rule in link.aggregates:
            name = f"aggregate: {rule}"
            try:
                held = {side: rule.holds(*getattr(link, side)) for side in ("real", "synthetic")}
            except (KeyError, TypeError, ValueError) as exc:  # a column missing or of another type on one side
                out.append(Metric(name, self.section, None, None, "an aggregate rule", skipped=f"could not be checked: {exc}"))
                continue
            real = float(held["real"].mean()) if len(held["real"]) else 1.0
            ok, n = int(held["synthetic"].sum()), len(held["synthetic"])
            if n == 0:
                out.append(Metric(name, self.section, None, None, "an aggregate rule", skipped=f"no synthetic {rule.fk.parent} rows"))
                continue
            share = ok / n
            binding = real >= AGGREGATE_SHARE
            verdict = "fail" if binding and share < AGGREGATE_SHARE else "pass" if binding else "not held by the real rows"
            out.append(Metric(name, self.section, share, share, f"Share of synthetic {rule.fk.parent} rows whose {rule.column} equals "
                                   f"{rule.fn} of their {rule.fk.child} rows (the real rows: {real:.1%}).",
                                   ci=wilson(ok, n), details={"verdict": verdict, "real_share": real, "synthetic_broken": n - ok,
                                                              "rule": str(rule)}))
        return out


def _cross_pairs(ctx: Context) -> list[tuple[str, str]]:
    """Pairs of a child column and a parent column (modelled ones), at most MAX_PAIRS, seeded."""
    link: Link = ctx.link
    prefix = f"{link.fk.parent}."
    t = ctx.tables
    child = [c for c in t.modelled if not c.startswith(prefix)]
    parent = [c for c in t.modelled if c.startswith(prefix)]
    pairs = [(a, b) for a in child for b in parent]
    if len(pairs) > MAX_PAIRS:
        rng = np.random.default_rng(ctx.seed)
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), MAX_PAIRS, replace=False))]
    return pairs


def _cross_trends(ctx: Context) -> tuple[Metric, Metric, Metric]:
    return ctx.shared("cross_pair_trends", lambda: pair_trends(ctx.tables, ctx.seed, _cross_pairs(ctx)))


@register
class ParentChildPairTrends(MetricUnit):
    name, section, needs = "parent_child_pair_trends", "relations", ("link",)
    raw = "pair trends (correlation / contingency similarity) of child-column x parent-column pairs on the joined rows"

    def compute(self, ctx: Context) -> Metric:
        link: Link = ctx.link
        m = _cross_trends(ctx)[2]
        if m.score is None:
            return Metric(self.name, self.section, None, None, "parent-child pair trends",
                          skipped=f"no modelled column pairs across {link.fk.child} and {link.fk.parent}")
        pairs = {**_cross_trends(ctx)[0].details["per_pair"], **_cross_trends(ctx)[1].details["per_pair"]}
        return self.result(m.score, m.raw, f"How well each {link.fk.child} column's relation to each {link.fk.parent} column "
                           "is kept on the joined rows (1 - |r_real - r_syn| / 2 for numbers, 1 - TVD of joint frequencies otherwise).",
                           details={"per_pair": pairs, "pairs": len(pairs)})


@register
class ParentChildDependence(MetricUnit):
    name, section, needs = "parent_child_dependence_kept", "relations", ("link",)
    raw = "strength-weighted share of the strong child x parent column associations kept on the joined rows"

    def compute(self, ctx: Context) -> Metric:
        m = dependence_kept(ctx.tables, _cross_trends(ctx)[0], ctx.seed, _cross_pairs(ctx))
        m.name, m.section = self.name, self.section
        return m


# ---- the audit of related tables ---------------------------------------------------------------------------------

#: The relation metrics' names (a --fail-under on one applies to every foreign key).
def relation_metrics() -> list[str]:
    return [u.name for u in units("relations")]


def link_columns() -> list[str]:
    """The relation metrics with one score per foreign key (the report's columns; aggregate rules are listed apart)."""
    return [n for n in relation_metrics() if n != AggregateRules.name]


def aggregate_metrics(result: "AuditResult") -> list[Metric]:
    """A foreign key's aggregate-rule metrics."""
    return [m for m in result.metrics if m.section == "relations" and m.name.startswith("aggregate: ")]


@dataclass
class RelatedAuditResult:
    """Per table, the single-table audit; per foreign key, its relation metrics and privacy on the joined rows."""

    relations: "Relations"
    tables: dict[str, "AuditResult"]
    links: dict[str, "AuditResult"]
    policy: "Policy"
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[str]:
        out = [f"table {name}: {f}" for name, r in self.tables.items() for f in r.failures]
        for key, r in self.links.items():
            out += [f"{key}: joined rows: {f}" for f in r.failures]
            for m in r.metrics:
                if m.name == "referential_integrity" and m.details.get("verdict") == "fail":
                    out.append(f"{key}: referential integrity {m.raw:.1%} < the real tables' {m.details['real_resolved_share']:.1%} "
                               f"({m.details['synthetic_orphans']:,} synthetic orphans)")
                if m.name.startswith("aggregate: ") and m.details.get("verdict") == "fail":
                    out.append(f"{key}: {m.details['rule']} holds on {m.raw:.1%} of the synthetic rows "
                               f"({m.details['synthetic_broken']:,} broken), {m.details['real_share']:.1%} of the real ones")
                minimum = self.policy.minimums.get(m.name)
                if m.section == "relations" and minimum is not None and m.score is not None and m.score < minimum:
                    out.append(f"{key}: {m.name} {m.score:.3f} < {minimum}")
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        from . import VERSION

        return {"version": VERSION, "passed": self.passed, "failures": self.failures,
                "tables": {name: r.to_dict() for name, r in self.tables.items()},
                "relations": {**self.relations.to_dict(),
                              "links": {key: {"metrics": [m.to_dict() for m in r.metrics], "privacy_verdict": r.privacy_verdict,
                                              "joined_rows": r.inputs, "notes": r.notes} for key, r in self.links.items()}},
                "notes": self.notes, "seconds": round(self.seconds, 2)}

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def to_html(self) -> str:
        from .report import CSS, _badge, fmt, html_body

        verdict = "PASSED" if self.passed else "FAILED"
        reasons = "".join(f"<li>{html.escape(f)}</li>" for f in self.failures)
        sizes = ", ".join(f"{n} ({r.inputs['real_rows']:,} real, {r.inputs['synthetic_rows']:,} synthetic rows)" for n, r in self.tables.items())
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>synth audit report: related tables</title><style>{CSS}</style></head><body>",
                 f"<h1>Synthetic data audit: {len(self.tables)} related tables</h1>",
                 f"<small>{html.escape(sizes)} · {self.seconds:.1f} s · scores are 0 to 1, higher is better</small>",
                 f"<div class='verdict {'pass' if self.passed else 'fail'}'>{verdict}" + (f"<ul style='font-size:1rem'>{reasons}</ul>" if reasons else "") + "</div>"]
        parts += [f"<div class='note'>{html.escape(n)}</div>" for n in self.notes]
        parts.append("<h1>Relations</h1><table><tr><th>table</th><th>primary key</th><th>single-table verdict</th></tr>")
        for name, r in self.tables.items():
            key = self.relations.primary_keys.get(name) or ()
            parts.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(', '.join(key) or 'none found')}</td>"
                         f"<td>{'passed' if r.passed else 'failed'}</td></tr>")
        parts.append("</table><table><tr><th>foreign key</th><th>real resolved</th>" + "".join(f"<th>{n}</th>" for n in link_columns())
                     + "<th>joined-row privacy</th></tr>")
        for key, r in self.links.items():
            by_name = {m.name: m for m in r.metrics}
            integrity = by_name.get("referential_integrity")
            real = integrity.details.get("real_resolved_share") if integrity is not None else None
            parts.append(f"<tr><td>{html.escape(key)}</td><td>{fmt(real)}</td>"
                         + "".join(f"<td>{_badge(by_name[n].score) if n in by_name else '–'}</td>" for n in link_columns())
                         + f"<td>{html.escape(r.privacy_verdict)}</td></tr>")
        parts.append("</table><p><small>referential_integrity: share of synthetic child keys found among the synthetic parent keys "
                     f"(fails more than {INTEGRITY_SLACK:.0%} below the real share); cardinality_shape: KS complement of children "
                     "per parent; parent_child_pair_trends and parent_child_dependence_kept: child x parent column pairs on the joined "
                     "rows; joined-row privacy: the privacy tests on each child row with its parent's columns.</small></p>")
        rules = [(key, m) for key, r in self.links.items() for m in aggregate_metrics(r)]
        if rules:
            parts.append("<h3>Aggregate rules</h3><table><tr><th>rule</th><th>holds on real rows</th><th>holds on synthetic rows"
                         "</th><th>verdict</th></tr>")
            parts += [f"<tr><td>{html.escape(m.name[len('aggregate: '):])}</td><td>{fmt(m.details.get('real_share'))}</td>"
                      f"<td>{_badge(m.score) if m.skipped is None else html.escape(m.skipped)}</td>"
                      f"<td>{html.escape(str(m.details.get('verdict', 'not checked')))}</td></tr>" for key, m in rules]
            parts.append(f"</table><p><small>A rule that holds on at least {AGGREGATE_SHARE:.1%} of the real parent rows "
                         "fails the audit when fewer synthetic parent rows keep it.</small></p>")
        for key, r in self.links.items():
            tests = [m for m in r.metrics if m.section == "privacy" and m.skipped is None]
            if tests:
                parts.append(f"<h3>{html.escape(key)}: privacy on joined rows</h3><table><tr><th>test</th><th>verdict</th><th>memorised share</th><th>what was found</th></tr>")
                parts += [f"<tr><td>{m.name}</td><td>{m.details['verdict']}</td><td>{100 * m.details['memorised_share']:.2f}%</td>"
                          f"<td>{html.escape(m.details['sentence'])}</td></tr>" for m in tests]
                parts.append("</table>")
        for name, r in self.tables.items():
            parts.append(f"<h1>Table {html.escape(name)}</h1>")
            parts += html_body(r)
        parts.append("</body></html>")
        return "\n".join(parts)


def _split(option: dict[str, Any] | None, table: str) -> Any:
    return None if option is None else option.get(table)


def run_related(real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame],
                holdout: dict[str, pd.DataFrame] | None = None, relations: "Relations | Sequence[ForeignKey] | None" = None,
                policy: "Policy | None" = None, seed: int = 0, targets: dict[str, str] | None = None,
                sensitive: dict[str, list[str]] | None = None, time_columns: dict[str, str] | None = None,
                kinds: dict[str, dict[str, str]] | None = None, progress: Callable[[str], None] | None = None,
                schemas: "dict[str, Schema] | None" = None,
                aggregates: "Sequence[AggregateRule] | None" = None) -> RelatedAuditResult:
    """Audit a set of synthetic tables against the real ones they imitate (each a dict name -> DataFrame).

    ``relations``: the foreign keys (a :class:`synth.discover.Relations` or a list of
    :class:`synth.relations.ForeignKey`); by default discovered on the real tables. ``holdout``: real rows the
    generator never saw, per table (tables missing from it are not verified for privacy). ``targets``,
    ``sensitive``, ``time_columns`` and ``kinds`` are the single-table options, per table. ``schemas``: a
    one-table schema per table whose rules are checked on both sides (a multi-table schema's ``tables``).
    ``aggregates``: the aggregate rules to check (parent columns that summarise their children); by default the
    ``aggregate`` columns of ``schemas``, else those :func:`synth.discover.discover_aggregates` finds on the real
    tables.
    """
    from synth.discover import Relations, discover, discover_aggregates

    from . import run
    from .policy import Policy

    step = progress or (lambda _m: None)
    started = time.perf_counter()
    policy = policy or Policy()
    for label, tables in (("synthetic", synthetic), ("holdout", holdout or {})):
        unknown = [t for t in tables if t not in real]
        if unknown:
            raise SynthError(f"the {label} tables include {unknown[0]!r}, which is not a real table; real tables: {', '.join(real)}")
    missing = [t for t in real if t not in synthetic]
    if missing:
        raise SynthError(f"the synthetic tables lack {', '.join(map(repr, missing))} (a folder of tables needs one file per real table)")
    for option, given in (("--target", targets), ("--sensitive", sensitive), ("--time-column", time_columns), ("--kind", kinds)):
        unknown = [t for t in (given or {}) if t not in real]
        if unknown:
            raise SynthError(f"{option} names table {unknown[0]!r}, which is not one of {', '.join(real)} (write TABLE.COLUMN)")
    notes: list[str] = []
    if relations is None:
        step("relationships")
        relations = discover(real)
    elif not isinstance(relations, Relations):
        relations = Relations({t: () for t in real}, list(relations))
    for fk in relations.foreign_keys:
        for table, cols in ((fk.child, fk.columns), (fk.parent, fk.keys)):
            if table not in real or any(c not in real[table].columns for c in cols):
                raise SynthError(f"foreign key {fk}: {table}({', '.join(cols)}) is not a column of the real tables")
    # integer keys are labels: as numbers they would enter distances, correlations and shapes as if they meant something
    drop = _integer_keys(real, relations)
    if any(drop.values()):
        notes.append("Integer key columns are labels, so they are left out of the tables' and joined rows' metrics (their "
                     "references are checked by referential integrity): " + "; ".join(f"{t}: {', '.join(c)}" for t, c in drop.items() if c) + ".")
    if aggregates is None:
        step("aggregate rules")
        aggregates = (_schema_aggregates(schemas, relations.foreign_keys) if schemas is not None
                      else discover_aggregates(real, relations.foreign_keys, AGGREGATE_SHARE, functions=DISCOVERED_FUNCTIONS))
    relation_names = set(relation_metrics())
    table_policy = Policy({k: v for k, v in policy.minimums.items() if k not in relation_names}, policy.alpha, policy.require_holdout)
    results = {}
    for name in real:
        step(f"table {name}")
        def kept(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame.drop(columns=[c for c in drop[name] if c in frame.columns])
        try:
            results[name] = run(kept(real[name]), kept(synthetic[name]), kept(_split(holdout, name)), target=_split(targets, name),
                                sensitive=_split(sensitive, name) or (), time_column=_split(time_columns, name),
                                kinds=_split(kinds, name), policy=table_policy, seed=seed, schema=_split(schemas, name))
        except SynthError as exc:
            raise SynthError(f"table {name}: {exc}") from None
    # joined rows: privacy tests only (each table's fidelity and utility are audited above); their verdicts join
    # the tables' (a missing holdout is said once, per table)
    private = {k: v for k, v in table_policy.minimums.items() if k == "privacy" or k in _privacy_tests()}
    link_policy = Policy(private, policy.alpha, require_holdout=False)
    links = {}
    for fk in relations.foreign_keys:
        step(f"relation {fk}")
        hold = None
        if holdout and fk.child in holdout:  # an unseen child row's parent may be a training row (a held-out flight of a known plane)
            parents = [holdout[fk.parent]] if fk.parent in holdout else []
            hold = (holdout[fk.child], pd.concat([*parents, real[fk.parent]], ignore_index=True))
        link = Link(fk, (real[fk.child], real[fk.parent]), (synthetic[fk.child], synthetic[fk.parent]), hold, drop,
                    [a for a in aggregates if a.fk == fk])
        rate = min(1.0, JOINED_ROWS / max(len(real[fk.child]), 1))  # real and holdout at one rate: the split stays random
        joined_real = _sample(link.joined("real"), rate, seed)
        joined_syn = _sample(link.joined("synthetic"), min(1.0, JOINED_ROWS / max(len(synthetic[fk.child]), 1)), seed + 1)
        joined_hold = _sample(link.joined("holdout"), rate, seed + 2) if hold is not None else None
        column_kinds = {c: k for c, k in (_split(kinds, fk.child) or {}).items()}
        try:
            links[str(fk)] = run(joined_real, joined_syn, joined_hold, policy=link_policy, seed=seed, kinds=column_kinds or None,
                                 sections=("relations", "privacy"), link=link)
        except SynthError as exc:
            raise SynthError(f"foreign key {fk}: {exc}") from None
    if not relations.foreign_keys:
        notes.append("No foreign key was found between the tables: each table was audited on its own.")
    return RelatedAuditResult(relations, results, links, policy, notes, time.perf_counter() - started)


def _schema_aggregates(schemas: "dict[str, Schema]", foreign_keys: Sequence[ForeignKey]) -> list["AggregateRule"]:
    """The aggregate columns the schemas declare, as rules along their parent references."""
    from synth.columns.related import AggregateColumn
    from synth.discover import AggregateRule

    rules = []
    for table, schema in schemas.items():
        for col in schema.columns:
            if isinstance(col, AggregateColumn) and not col.hidden:
                fn, child, column = col.parts
                fk = next((fk for fk in foreign_keys if fk.parent == table and fk.child == child), None)
                if fk is not None:
                    rules.append(AggregateRule(fk, col.name, fn, column, col.round if fn in ("sum", "mean") else None))
    return rules


def _integer_keys(real: dict[str, pd.DataFrame], relations: "Relations") -> dict[str, tuple[str, ...]]:
    """Per table, its key columns (primary key, foreign key columns, referenced keys) holding whole numbers."""
    from synth.discover import DiscoveryConfig, key_family

    keys: dict[str, set[str]] = {t: set(relations.primary_keys.get(t, ())) for t in real}
    for fk in relations.foreign_keys:
        keys[fk.child].update(fk.columns)
        keys[fk.parent].update(fk.keys)
    config = DiscoveryConfig()
    return {t: tuple(c for c in real[t].columns if c in keys[t] and key_family(real[t][c], config) == "int") for t in real}


def _privacy_tests() -> tuple[str, ...]:
    from .privacy import TESTS

    return tuple(TESTS)
