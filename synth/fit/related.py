"""Learn a multi-table schema from related real tables: ``synth fit FOLDER --out twin.yaml``.

The steps, each on whole columns:

1. **relations**: :func:`synth.discover.discover` finds each table's primary key and the foreign keys between them,
   with the share of child values that resolve (real data has orphans).
2. **structure**: each child table gets one *structural parent* (the foreign key whose children-per-parent counts
   matter most: the most parent rows referenced, then the larger resolved share); its rows are made per parent row,
   ``count`` of them. Its other foreign keys become *lookup draws*, weighted by how often each parent row is
   referenced. The counts and reference frequencies join the parent table's fit as hidden columns (so a plane's
   number of flights follows its year and seats), with the privacy guards of any integer column.
3. **columns**: every table is fitted by :class:`~synth.fit.SchemaFitter` without its foreign-key columns; a child
   table is fitted with its parent's columns joined onto its rows, and the dependence the fitter finds on them
   (decision-tree cases, formulas) is written to read the parent's generated row (``planes.year``).
4. **aggregates**: a parent column equal to the sum (or count) of a child column on at least ``rule_share`` of its
   rows becomes an ``aggregate`` column, so it holds in the generated tables too.

>>> import pandas as pd
>>> customers = pd.DataFrame({"customer_id": range(1, 41), "segment": ["a", "b"] * 20})
>>> orders = pd.DataFrame({"order_id": range(1, 121), "customer_id": [1 + i % 40 for i in range(120)],
...                        "amount": [float(5 + i % 7) for i in range(120)]})
>>> fitter = DatabaseFitter(FitConfig(min_count=5)).fit({"customers": customers, "orders": orders})
>>> ref = fitter.database_.parent("orders")
>>> ref.target, ref.column.count
('customers', 'n_orders')
>>> import synth.multitable as mt
>>> made = mt.generate_tables(fitter.database_, rows={"customers": 30}, seed=1)
>>> set(made["orders"].customer_id) <= set(made["customers"].customer_id)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from ..discover import DiscoveryConfig, Relations, children_per_parent, discover, parent_positions
from ..errors import SynthError
from ..relations import ForeignKey
from ..yamlsafe import dump_yaml
from . import SchemaFitter, _table_name, _written
from .columns import learn_column
from .config import FitConfig

if TYPE_CHECKING:
    from .normalize import Embedded

__all__ = ["DatabaseFitter", "TablePlan", "plan_tables"]

#: The first line of every learned multi-table schema file.
HEADER = "# Learned by `synth fit` from related tables. Review it, edit it, then: synth generate <this file> --out DIR/\n"
#: Weight of a parent row never referenced: near zero (it is rarely drawn) but never all-zero weights.
_FLOOR_WEIGHT = 0.000001
#: Prefix of the parent's columns while a child table is fitted with them joined on (never in the written schema);
#: a looked-up table's columns are joined as ``__lookup0__column``, ... likewise.
_JOINED = "__parent__"
_MARK = re.compile(r"__(?:parent|lookup\d+)__(\w+)")


@dataclass
class TablePlan:
    """How one table is tied to the others: its structural parent, its lookup draws, and what was left as is."""

    table: str
    parent: ForeignKey | None = None
    lookups: list[ForeignKey] = field(default_factory=list)
    skipped: list[tuple[ForeignKey, str]] = field(default_factory=list)  # (foreign key, why it is fitted as a plain column)
    # (foreign key, how it holds): one-column keys whose values a composite lookup draws (through the drawn row's reference)
    covered: list[tuple[ForeignKey, str]] = field(default_factory=list)


def _single(fks: list[ForeignKey]) -> list[ForeignKey]:
    return [fk for fk in fks if len(fk.columns) == 1 and fk.child != fk.parent]


def plan_tables(tables: dict[str, pd.DataFrame], relations: Relations, min_count: int) -> dict[str, TablePlan]:
    """Choose each table's structural parent and lookups (see the module docstring for the rules).

    A parent is a candidate when at least ``min_count`` of its rows are referenced (fewer, and the children-per-parent
    distribution cannot be learned k-anonymously) and at least half the child's values resolve.
    """
    plans = {t: TablePlan(t) for t in tables}
    for fk in relations.foreign_keys:
        if fk.child == fk.parent:
            plans[fk.child].skipped.append((fk, "a table referencing itself is not generated yet"))
    referenced: dict[ForeignKey, int] = {}
    for fk in relations.foreign_keys:
        if fk.child != fk.parent:
            counts = children_per_parent(tables[fk.child], fk.columns, tables[fk.parent], fk.keys)
            referenced[fk] = int((counts > 0).sum())

    def root_of(t: str) -> str:
        while plans[t].parent is not None:
            t = plans[t].parent.parent  # type: ignore[union-attr]
        return t

    for t in tables:
        candidates = [fk for fk in _single(relations.foreign_keys) if fk.child == t
                      and referenced[fk] >= min_count and fk.resolved_share >= 0.5 and root_of(fk.parent) != t]
        if candidates:
            plans[t].parent = max(candidates, key=lambda fk: (referenced[fk], fk.resolved_share))
    for t in tables:
        for fk in _single(relations.foreign_keys):
            if fk.child != t or fk == plans[t].parent:
                continue
            if plans[fk.parent].parent is not None:
                plans[t].skipped.append((fk, f"{fk.parent!r} is itself a child table; only tables with their own rows are looked up"))
            elif root_of(t) == fk.parent:
                plans[t].skipped.append((fk, f"{fk.parent!r} is the table it descends from"))
            elif referenced[fk] == 0:
                plans[t].skipped.append((fk, "no value resolves"))
            else:
                plans[t].lookups.append(fk)
    for fk in relations.foreign_keys:
        if len(fk.columns) > 1 and fk.child != fk.parent:
            _plan_composite(fk, plans, referenced[fk], root_of)
    return plans


def _needs(family: str, other: str, plans: dict[str, TablePlan], root_of: Callable[[str], str]) -> bool:
    """Whether the family of root ``family`` looks up (directly or through others) a table of ``other``'s family."""
    seen, work = set(), [family]
    while work:
        root = work.pop()
        if root == other:
            return True
        if root in seen:
            continue
        seen.add(root)
        work += [root_of(f.parent) for t, p in plans.items() if root_of(t) == root for f in p.lookups]
    return False


def _plan_composite(fk: ForeignKey, plans: dict[str, TablePlan], referenced: int, root_of: Callable[[str], str]) -> None:
    """A composite foreign key (flights(origin, time_hour) -> weather(origin, time_hour)) as a lookup draw.

    Its columns come from the drawn row, so a one-column lookup over one of them (flights(origin) -> airports) is
    left to the referenced table: it holds when that table's column is itself a generated reference to the same
    table (weather(origin) -> airports); otherwise the composite key is fitted as plain columns.
    """
    plan = plans[fk.child]
    taken = [f for f in plan.lookups if len(f.columns) > 1 and set(f.columns) & set(fk.columns)]
    why = None
    if plans[fk.parent].parent is not None:
        why = f"{fk.parent!r} is itself a child table; only tables with their own rows are looked up"
    elif root_of(fk.child) == fk.parent:
        why = f"{fk.parent!r} is the table it descends from"
    elif referenced == 0:
        why = "no value resolves"
    elif plan.parent is not None and plan.parent.columns[0] in fk.columns:
        why = f"its column {plan.parent.columns[0]!r} is the parent reference"
    elif taken:
        why = f"its columns are drawn by {taken[0]}"
    elif _needs(root_of(fk.parent), root_of(fk.child), plans, root_of):
        why = f"the {root_of(fk.parent)} rows are made with the {root_of(fk.child)} rows' lookups (a cycle)"
    covered = []
    for other in plan.lookups:
        if why is None and len(other.columns) == 1 and other.columns[0] in fk.columns:
            key = fk.keys[fk.columns.index(other.columns[0])]
            through = [f for f in ([plans[fk.parent].parent] if plans[fk.parent].parent else []) + plans[fk.parent].lookups
                       if f.columns == (key,) and f.parent == other.parent and f.keys == other.keys]
            if not through:
                why = f"its column {other.columns[0]!r} is drawn by {other}, and {fk.parent}.{key} is not a reference to {other.parent!r}"
            else:
                covered.append((other, through[0]))
    if why is not None:
        plan.skipped.append((fk, f"composite key not generated: {why}"))
        return
    for other, through in covered:
        plan.lookups.remove(other)
        plan.covered.append((other, f"its values come from the {fk.parent} rows {fk} draws, which reference "
                                    f"{other.parent} themselves ({through})"))
    plan.lookups.append(fk)


class DatabaseFitter:
    """Learn a multi-table schema from related tables; ``fit`` sets ``spec_`` (the mapping), ``database_`` (the
    validated :class:`~synth.multitable.Database`), ``relations_`` and ``plans_``.

    ``parent_columns``: fit each child table with its parent's columns joined on (its cases read them).
    ``lookup_columns``: likewise with the columns of the rows its lookups draw (an order's amount by its product's
    price); off by default (see ``__init__``).

    See the module docstring for what is learned and an example.
    """

    spec_: dict[str, Any]

    def __init__(self, config: FitConfig | None = None, discovery: DiscoveryConfig | None = None,
                 parent_columns: bool = True, lookup_columns: bool = False) -> None:
        self.config = config or FitConfig()
        self.discovery = discovery or DiscoveryConfig()
        self.parent_columns = parent_columns
        # Off by default: on the whole of nycflights13 it cost 2-3x the fit time for no gain in the multi-table
        # quality score (intertable trends +0.018, column shapes -0.011: the twin's drawn rows are not the real
        # referenced rows, so cases keyed on their columns meet values the real children never had).
        self.lookup_columns = lookup_columns

    def fit(self, tables: dict[str, pd.DataFrame], name: str = "database",
            progress: Callable[[str], None] | None = None, primary_keys: dict[str, tuple[str, ...]] | None = None,
            foreign_keys: list[ForeignKey] | None = None) -> "DatabaseFitter":
        """Learn from ``tables``; ``primary_keys`` and ``foreign_keys`` declared by a database win over discovery
        (see :func:`synth.discover.discover`)."""
        step = progress or (lambda _msg: None)
        cfg = self.config
        if not tables:
            raise SynthError("no tables to learn from")
        step("relations")
        self.tables_ = tables
        self.relations_ = discover(tables, self.discovery, primary_keys, foreign_keys)
        self.plans_ = plan_tables(tables, self.relations_, cfg.min_count)
        plans = self.plans_
        frames = {t: df.reset_index(drop=True) for t, df in tables.items()}
        self.copies_ = drawn_copies(frames, plans, cfg.rule_share)
        # Hidden columns each parent table gains: children counts and reference frequencies, in its row order.
        hidden: dict[str, dict[str, np.ndarray]] = {t: {} for t in tables}
        count_name: dict[str, str] = {}
        weight_name: dict[ForeignKey, str] = {}
        self._hidden_fk: dict[tuple[str, str], ForeignKey] = {}  # (parent table, hidden column) -> its foreign key
        for t, plan in plans.items():
            for fk in ([plan.parent] if plan.parent else []) + plan.lookups:
                counts = children_per_parent(frames[fk.child], fk.columns, frames[fk.parent], fk.keys)
                base = f"n_{_table_name(t)}" if fk == plan.parent else f"refs_{_table_name(t)}_{'_'.join(fk.columns)}"
                col = _free_name(base, set(frames[fk.parent].columns) | set(hidden[fk.parent]))
                hidden[fk.parent][col] = counts
                self._hidden_fk[(fk.parent, col)] = fk
                (count_name.__setitem__(t, col) if fk == plan.parent else weight_name.__setitem__(fk, col))
        aggregates = self._aggregates(frames, plans, count_name, hidden)
        order = _parents_first(plans)
        fitted: dict[str, dict[str, Any]] = {}
        for t in order:
            step(f"table {t}")
            fitted[t] = self._fit_table(t, frames, plans, hidden, count_name, weight_name, aggregates, fitted)
        self.spec_ = {"name": _table_name(name),
                      "description": _db_description(self.relations_, plans, cfg),
                      "seed": cfg.seed, "tables": {t: fitted[t] for t in tables}}
        from ..multitable import Database

        # Validated as a mapping: it holds only YAML's plain types, so its YAML reads back into it (a test checks
        # that round trip); a dump and a parse of a learned schema's half a million values cost more than its fit.
        try:
            self.database_ = Database.from_dict(self.spec_)
        except SynthError as exc:
            raise SynthError(f"the learned schema does not validate ({exc.message}); this is a bug in synth fit, "
                             "please report it") from None
        return self

    def fit_flat(self, df: pd.DataFrame, embedded: "Embedded", name: str = "table",
                 progress: Callable[[str], None] | None = None) -> "DatabaseFitter":
        """Learn a flat table that embeds a parent (see :mod:`synth.fit.normalize`) as parent + child: the child
        table has the flat table's columns, in its order, the embedded ones reading the parent row
        (``orders.date``), so the generated rows of one parent share them.

        >>> from synth.fit.normalize import find_embedded
        >>> rng = np.random.default_rng(0)
        >>> ids = np.repeat(np.arange(1, 201), rng.integers(1, 5, 200))
        >>> day = pd.Series(rng.integers(1, 29, 201)).map(lambda d: f"2024-03-{d:02d}").to_numpy()
        >>> flat = pd.DataFrame({"order_id": ids, "date": day[ids], "qty": rng.integers(1, 4, len(ids))})
        >>> fitted = DatabaseFitter().fit_flat(flat, find_embedded(flat), name="lines")
        >>> import synth.multitable as mt
        >>> made = mt.generate_tables(fitted.database_, seed=0)["lines"]
        >>> bool((made.groupby("order_id").date.nunique() == 1).all())  # one order, one date
        True
        >>> [c.kind for c in fitted.database_.tables["lines"].columns]
        ['reference', 'expression', 'integer']
        """
        from .normalize import split_embedded

        parent, child = split_embedded(df, embedded)
        child_name = _table_name(name)
        parent_name = embedded.parent_name if embedded.parent_name != child_name else f"{child_name}_parents"
        self.fit({parent_name: parent, child_name: child}, name=child_name, progress=progress)
        spec = self.spec_["tables"][child_name]
        if self.plans_[child_name].parent is None or self.plans_[child_name].parent.parent != parent_name:  # type: ignore[union-attr]
            raise SynthError(f"{embedded.key}: the embedded table could not be learned as a parent (too few ids?)")
        share = embedded.constant_share
        spec["columns"] += [{"name": c, "kind": "expression", "expr": f"{parent_name}.{c}",
                             "description": f"the {parent_name} row's (constant within {embedded.key} on {share[c]:.1%} of them)"}
                            for c in embedded.columns]
        position = {str(c): i for i, c in enumerate(df.columns)}
        spec["columns"].sort(key=lambda e: min((position.get(n, len(position)) for n in _names(e)), default=len(position)))
        order = [str(c) for c in df.columns]
        spec.pop("column_order", None)
        if _written(spec["columns"]) != order:
            spec["column_order"] = order
        spec["description"] = (spec.get("description") or "") + (f" Normalized: {embedded}, so they are "
                                                                  f"learned as table {parent_name!r}, one row per {embedded.key}.")
        from ..multitable import Database

        self.database_ = Database.from_dict(self.spec_)
        return self

    def to_yaml(self) -> str:
        """The learned schema's YAML text, under a line saying where it came from."""
        return HEADER + dump_yaml(self.spec_)

    # --- aggregates ------------------------------------------------------------------------------------------
    def _aggregates(self, frames: dict[str, pd.DataFrame], plans: dict[str, TablePlan], count_name: dict[str, str],
                    hidden: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, str]]:
        """Parent columns equal to count(child) or sum(child.column) on ``rule_share`` of parent rows: table -> {column: expr}."""
        out: dict[str, dict[str, str]] = {t: {} for t in frames}
        for child, plan in plans.items():
            fk = plan.parent
            if fk is None:
                continue
            parent = frames[fk.parent]
            pos = parent_positions(frames[child], fk.columns, parent, fk.keys)
            keep = pos >= 0
            counts = hidden[fk.parent][count_name[child]]
            sums = {}
            for c in frames[child].columns:
                v = frames[child][c]
                if c in fk.columns or not pd.api.types.is_numeric_dtype(v.dtype) or pd.api.types.is_bool_dtype(v.dtype):
                    continue
                x = np.nan_to_num(v.to_numpy(float)[keep])
                sums[str(c)] = np.bincount(pos[keep], weights=x, minlength=len(parent))
            for pc in parent.columns:
                pv = parent[pc]
                if pc in fk.keys or pc in out[fk.parent] or not pd.api.types.is_numeric_dtype(pv.dtype) \
                        or pd.api.types.is_bool_dtype(pv.dtype):
                    continue
                y = pv.to_numpy(float)
                if np.isnan(y).mean() > 1 - self.config.rule_share:
                    continue
                if _holds(y, counts, self.config.rule_share) and counts.any():
                    out[fk.parent][str(pc)] = f"count({child})"
                    continue
                for c, s in sums.items():
                    if s.any() and _holds(y, s, self.config.rule_share):
                        out[fk.parent][str(pc)] = f"sum({child}.{c})"
                        break
        return out

    # --- one table -------------------------------------------------------------------------------------------
    def _fit_table(self, t: str, frames: dict[str, pd.DataFrame], plans: dict[str, TablePlan],
                   hidden: dict[str, dict[str, np.ndarray]], count_name: dict[str, str],
                   weight_name: dict[ForeignKey, str], aggregates: dict[str, dict[str, str]],
                   fitted: dict[str, dict[str, Any]]) -> dict[str, Any]:
        plan, cfg = plans[t], self.config
        real = frames[t]
        rows = real
        notes: list[str] = []
        if plan.parent is not None:
            pos = parent_positions(real, plan.parent.columns, frames[plan.parent.parent], plan.parent.keys)
            rows = real[pos >= 0].reset_index(drop=True)
            empty = float(real[plan.parent.columns[0]].isna().mean())
            if len(rows) < len(real):
                notes.append(f"{1 - len(rows) / len(real):.1%} of the real rows have no {plan.parent.parent} row: "
                             f"{1 - plan.parent.resolved_share:.1%} of the keys are orphans, generated as keys of no "
                             f"{plan.parent.parent} row (orphans), and {empty:.1%} are empty, "
                             + ("generated as empty keys (empty)" if plans[plan.parent.parent].parent is None
                                else "not generated (below a child table)"))
        fk_cols = [c for fk in ([plan.parent] if plan.parent else []) + plan.lookups for c in fk.columns]
        keys = self._keys(t)
        own = rows.drop(columns=fk_cols + list(aggregates[t]) + [k for k in keys if k not in fk_cols])
        # A reference frequency with fewer than k referenced rows (3 of 1,458 airports are origins) has no
        # k-anonymous shape: it is written as "referenced or not" (equal weights among the referenced), below.
        sparse = {c: v for c, v in hidden[t].items() if c not in count_name.values() and 0 < (v > 0).sum() < cfg.min_count}
        for col, values in hidden[t].items():
            if col not in sparse:
                own[col] = values
        joined: list[str] = []
        prefixes: dict[str, str] = {}  # joined column's mark -> the table name its columns are read under
        if plan.parent is not None and self.parent_columns:
            own, joined = _join_parent(own, rows, plan.parent, frames, fitted, hidden, cfg.min_count)
            prefixes[_JOINED] = plan.parent.parent
        # The rows the lookups draw, joined likewise: a flight's distance follows its destination's longitude.
        drawn: list[str] = []
        for i, fk in enumerate(self._joinable_lookups(t, fitted) if self.lookup_columns else []):
            # Not its reference frequencies: near unique per looked-up row, a tree would split on them as on an id
            # (an order's amount by how often its product is ordered), which the twin's regenerated counts do not keep.
            own, names = _join_parent(own, rows, fk, frames, fitted, hidden, cfg.min_count, mark=f"__lookup{i}__",
                                      hidden_too=False)
            # A drawn column equal to one of the child's (weather.day, flights.day) would be learned as a fixed
            # combination keyed by the drawn row, which a child table cannot write: left out.
            resolved = own[names[0]].notna().to_numpy() if names else None
            same = [n for n in names if any(_same_share(own[n][resolved], own[c][resolved], cfg.rule_share) >= cfg.rule_share
                                            for c in own.columns if not str(c).startswith("__"))]
            own = own.drop(columns=same)
            drawn += [n for n in names if n not in same]
            prefixes[f"__lookup{i}__"] = fk.parent
        entries, correlations, extra = self._fit_columns(own, t, joined + drawn, prefixes)
        for _ in range(2):  # without the drawn columns at fault
            if not (drawn and entries is None and set(drawn) - extra["unwritable"]):
                break
            drawn = [c for c in drawn if c not in extra["unwritable"]]
            own = own.drop(columns=list(extra["unwritable"] - set(joined)))
            entries, correlations, extra = self._fit_columns(own, t, joined + drawn, prefixes)
        if drawn and entries is None:  # the dependence on a drawn row could not be written: without them
            own = own.drop(columns=drawn)
            entries, correlations, extra = self._fit_columns(own, t, joined, prefixes)
            notes.append("its columns are fitted without the looked-up rows' columns")
        if joined and entries is None:  # the dependence on the parent could not be written: fit the child alone
            own = own.drop(columns=joined)
            entries, correlations, extra = self._fit_columns(own, t, [], prefixes)
            notes.append("its columns are fitted without its parent's")
        assert entries is not None
        entries += [_key_entry(k, rows[k], cfg) for k in keys if k not in fk_cols]
        # Columns this table gains for its children: hidden, and the lookup weights never all zero.
        for col in hidden[t]:
            if col in sparse:
                n_ref = int((sparse[col] > 0).sum())
                n_zero = len(sparse[col]) - n_ref
                entries.append({"name": col, "kind": "integer", "distribution": "weighted", "hidden": True,
                                "values": {0: n_zero, 1: n_ref} if n_zero >= cfg.min_count else {1: 1},
                                "description": f"fewer than {cfg.min_count} rows are referenced: referenced or not, "
                                               "with equal weights (how often each is referenced is left out)"})
            else:
                _hide(entries, col, own[col], cfg)
        for fk, col in weight_name.items():
            if fk.parent == t:
                entries.append({"name": f"{col}_weight", "kind": "expression", "expr": f"{col} + {_FLOOR_WEIGHT:.6f}",
                                "hidden": True, "description": f"how often {fk.child}.{fk.columns[0]} draws this row"})
        copies = self.copies_.get(t, {})
        for i, e in enumerate(entries):
            if e.get("name") in copies and e.get("kind") not in ("lookup", "catalog") and not e.get("hidden"):
                expr = copies[e["name"]]
                entries[i] = {"name": e["name"], "kind": "expression", "expr": expr,
                              "description": f"the drawn {expr.split('.')[0]} row's {expr.split('.', 1)[1]} (equal on at "
                                             f"least {cfg.rule_share:.1%} of the real rows)"}
                correlations = [c for c in correlations if e["name"] not in c["columns"]]
        if plan.parent is None:  # a root table's rows are its own, in order: kept keys take its first rows
            correlations = self._keep_keys(t, keys, real, entries, correlations, hidden[t], notes)
        for col, expr in aggregates[t].items():
            entries.append({"name": col, "kind": "aggregate", "expr": expr,
                            "description": f"equals {expr} on at least {cfg.rule_share:.1%} of the real rows"})
        position = {c: i for i, c in enumerate(real.columns)}
        taken_names = {n for e in entries for n in _names(e)} | {e.get("name") for e in entries}
        for fk in ([plan.parent] if plan.parent else []) + plan.lookups:
            col = fk.columns[0]
            entry: dict[str, Any] = {"name": col, "kind": "reference", "table": fk.parent}
            if len(fk.columns) > 1:  # a composite key: the entry's name labels its columns
                entry["name"] = _free_name(_table_name(fk.parent), taken_names | set(real.columns))
                entry["columns"] = list(fk.columns)
                if fk.keys != fk.columns:
                    entry["key"] = list(fk.keys)
            elif fk.keys[0] != col:
                entry["key"] = fk.keys[0]
            orphans = round(1 - fk.resolved_share, 4)
            if fk == plan.parent and plans[fk.parent].parent is not None:
                orphans = 0.0  # orphans are keys of phantom rows of a table with its own rows; not below a child table
            if fk == plan.parent:
                entry["count"] = count_name[t]
                entry["description"] = f"the parent: {fk.parent} rows have the real tables' children-per-parent counts"
                empty = round(float(real[col].isna().mean()), 4)
                if empty > 0 and plans[fk.parent].parent is None:  # rows without a parent, in their real share
                    entry["empty"] = empty
                    entry["description"] += f"; {empty:.2%} of the real rows have an empty key, generated so"
            else:
                entry["weight"] = f"{weight_name[fk]}_weight"
                empty = float(real[list(fk.columns)].isna().any(axis=1).mean())
                if empty > 0:
                    entry["nulls"] = round(empty, 4)
                entry["description"] = f"a lookup, weighted by how often each {fk.parent} row is referenced"
            if orphans > 0:
                entry["orphans"] = orphans
                entry["description"] += (f"; {fk.resolved_share:.1%} of the real keys resolve, the rest (orphans) are "
                                         f"generated as keys of no {fk.parent} row")
            entries.append(entry)
        for fk, why in plan.skipped:
            notes.append(f"{fk}: fitted as a plain column ({why})")
        for fk, how in plan.covered:
            notes.append(f"{fk}: {how}")
        written = [c for c in _written(entries)]
        order = [str(c) for c in real.columns]
        entries.sort(key=lambda e: min((position.get(n, len(position)) for n in _names(e)), default=len(position)))
        out: dict[str, Any] = {}
        desc = (extra.get("description") or "").strip()
        out["description"] = " ".join([desc] + [n[0].upper() + n[1:] + "." for n in notes]).strip()
        if plan.parent is None:
            out["rows"] = len(real)
        out["columns"] = entries
        if sorted(written) == sorted(order) and _written(entries) != order:
            out["column_order"] = order
        if correlations:
            out["correlations"] = correlations
        return out

    def _keep_keys(self, t: str, keys: list[str], real: pd.DataFrame, entries: list[dict[str, Any]],
                   correlations: list[dict[str, Any]], hidden: dict[str, np.ndarray], notes: list[str]) -> list[dict[str, Any]]:
        """Keep the values of a text key that child rows use as a category (:mod:`synth.fit.keys`): the key entry
        lists them for the table's first rows, and each reference count of those rows is listed with them (a kept
        value keeps its frequency); the other rows get fresh keys and counts fitted on the other rows. Returns the
        correlations left (a listed column takes no copula draws)."""
        from .keys import kept_rows

        cfg = self.config
        listed: set[str] = set()
        for key in keys:
            cols = [c for c in hidden if self._hidden_fk[(t, c)].keys == (key,)]
            rows = kept_rows(real[key], [hidden[c] for c in cols], cfg.min_count, real)
            if len(rows) == 0:
                continue
            at = next(i for i, e in enumerate(entries) if e.get("name") == key)
            rest = {k: v for k, v in entries[at].items() if k not in ("name", "description")}
            entries[at] = {"name": key, "kind": "listed", "values": [_plain(v) for v in real[key].iloc[rows]], "rest": rest,
                           "description": f"{len(rows)} values each referenced by at least {cfg.min_count} child rows "
                                          "kept (a category of the child tables, not an identity); the other rows: "
                                          f"{entries[at].get('description') or 'fresh keys'}"}
            other = np.ones(len(real), bool)
            other[rows] = False
            for col in cols:
                values = hidden[col]
                if self._phantom_children(self._hidden_fk[(t, col)]):
                    continue  # see _phantom_children
                at = next(i for i, e in enumerate(entries) if e.get("name") == col)
                rest = _count_entry(col, values[other] if other.any() else values, cfg)
                entries[at] = {"name": col, "kind": "listed", "hidden": True, "values": [int(v) for v in values[rows]],
                               "rest": {k: v for k, v in rest.items() if k not in ("name", "hidden")},
                               "description": "the kept keys' counts, then counts fitted on the other rows"}
                listed.add(col)
            listed.add(key)
            notes.append(f"{key}: {len(rows)} of {len(real):,} values kept, each referenced by at least {cfg.min_count} "
                         "child rows (a category, not an identity); the other values regenerated")
        return [c for c in correlations if not listed & set(c["columns"])]

    def _phantom_children(self, fk: ForeignKey) -> bool:
        """Whether ``fk`` is a parent reference with orphans or empty keys: their children are made under extra parent
        rows (phantoms, after the written ones) whose counts come from the count column's distribution, so that
        column must stay the one over every row (a listed column's other rows would give them the counts of the
        rarely referenced rows alone): the kept keys then get counts drawn, not their own."""
        plan = self.plans_[fk.child]
        if plan.parent != fk:
            return False
        return round(1 - fk.resolved_share, 4) > 0 or bool(self.tables_[fk.child][fk.columns[0]].isna().any())

    def _keys(self, t: str) -> list[str]:
        """The table's key columns written as keys (unique by construction): its one-column primary key and every
        column a generated reference points at."""
        pk = self.relations_.primary_keys.get(t, ())
        keys = list(pk) if len(pk) == 1 else []
        for plan in self.plans_.values():
            for fk in ([plan.parent] if plan.parent else []) + plan.lookups:
                if fk.parent == t and len(fk.keys) == 1 and fk.keys[0] not in keys:  # a composite key's parts may repeat
                    keys.append(fk.keys[0])
        return keys

    def _joinable_lookups(self, t: str, fitted: dict[str, dict[str, Any]]) -> list[ForeignKey]:
        """The lookups of ``t`` whose drawn row's columns its fit may read: the table is fitted already and no other
        reference of ``t`` reads under the same name (two lookups into airports would both be ``airports.``)."""
        plan = self.plans_[t]
        refs = ([plan.parent] if plan.parent else []) + plan.lookups
        return [fk for fk in plan.lookups if fk.parent in fitted and sum(r.parent == fk.parent for r in refs) == 1]

    def _fit_columns(self, own: pd.DataFrame, t: str, joined: list[str], prefixes: dict[str, str]):
        """The fitted entries and correlations of ``own`` (joined columns rewritten to read the parent row or the
        drawn rows, ``prefixes``), or ``(None, None, {})`` when an entry reads them in a way a child table cannot."""
        cfg = self.config
        if own.shape[1] < 2:  # the single-table fitter needs two columns; one column is learned alone
            entries = [learn_column(str(c), own[c], cfg).spec for c in own.columns]
            return entries, [], {"description": f"Fitted by synth fit from {len(own):,} rows."}
        # Not validated alone: the database is validated whole, once its parent columns are read as such.
        spec = SchemaFitter(cfg).fit(own, name=t, given=tuple(joined), validate=False).spec_
        entries = list(spec["columns"])
        correlations = [c for c in spec.get("correlations", []) if not any(n in joined for n in c["columns"])]
        if joined:
            kept = []
            for e in entries:
                names = set(_names(e)) | ({e["key"]} if e.get("kind") == "lookup" else set())
                if names <= set(joined):  # the parent's own structure (model -> manufacturer): the parent has it
                    continue
                if e.get("kind") in ("lookup", "catalog") and names & set(joined):
                    # child fields keyed by a joined column: not written as reads yet
                    return None, None, {"unwritable": names & set(joined)}
                kept.append(_rename(e, prefixes))
            entries = kept
        return entries, correlations, {"description": spec.get("description")}


def drawn_copies(frames: dict[str, pd.DataFrame], plans: dict[str, TablePlan], share: float) -> dict[str, dict[str, str]]:
    """Child columns that copy the row a lookup draws: ``{table: {column: "parent.column"}}``.

    Two one-column lookups into one table that point at the same row on at least ``share`` of the rows
    (order_items.product_id and order_items.product -> products) are one draw: the second is dropped from the plan
    (noted as covered) and its column reads the drawn row's key, so they agree in the twin as in the real tables (a
    text key is preferred as the draw: its values may be kept, :mod:`synth.fit.keys`). Likewise a plain column equal
    to a column of the drawn row (an item's price, its product's price) reads it.

    >>> products = pd.DataFrame({"product_id": [1, 2, 3], "name": ["Latte", "Mocha", "Tea"], "price": [4.5, 5.0, 3.0]})
    >>> items = pd.DataFrame({"product_id": [1, 2, 2, 3] * 5, "name": ["Latte", "Mocha", "Mocha", "Tea"] * 5,
    ...                       "price": [4.5, 5.0, 5.0, 3.0] * 5, "qty": [1, 2, 1, 1] * 5})
    >>> fks = [ForeignKey("items", ("product_id",), "products", ("product_id",)), ForeignKey("items", ("name",), "products", ("name",))]
    >>> plans = {"products": TablePlan("products"), "items": TablePlan("items", lookups=list(fks))}
    >>> drawn_copies({"products": products, "items": items}, plans, 0.999)
    {'items': {'product_id': 'products.product_id', 'price': 'products.price'}}
    >>> [str(fk) for fk in plans["items"].lookups]
    ['items(name) -> products(name)']
    """
    out: dict[str, dict[str, str]] = {}
    for t, plan in plans.items():
        child = frames[t]
        single = [fk for fk in plan.lookups if len(fk.columns) == 1]
        # A text key first: the draw whose values can be kept; then plan order.
        single.sort(key=lambda fk: pd.api.types.is_numeric_dtype(frames[fk.parent][fk.keys[0]].dtype))
        taken = {c for fk in ([plan.parent] if plan.parent else []) + plan.lookups for c in fk.columns}
        for fk in single:
            if fk not in plan.lookups:
                continue
            pos = parent_positions(child, fk.columns, frames[fk.parent], fk.keys)
            ok = pos >= 0
            if ok.mean() < share:  # orphans and empty keys: the row drawn is not the real one often enough
                continue
            parent = frames[fk.parent].iloc[pos[ok]].reset_index(drop=True)
            for other in [f for f in plan.lookups if f is not fk and f.parent == fk.parent and len(f.columns) == 1]:
                if _same_share(child[other.columns[0]][ok], parent[other.keys[0]], share) >= share:
                    plan.lookups.remove(other)
                    plan.covered.append((other, f"the same {fk.parent} row as {fk} on at least {share:.1%} of the rows: "
                                                f"it reads that row's {other.keys[0]}"))
                    out.setdefault(t, {})[other.columns[0]] = f"{fk.parent}.{other.keys[0]}"
            for col in child.columns:
                if col in taken or col in out.get(t, {}):
                    continue
                for pc in parent.columns:
                    if pc not in fk.keys and _same_share(child[col][ok], parent[pc], share) >= share:
                        out.setdefault(t, {})[str(col)] = f"{fk.parent}.{pc}"
                        break
    return out


def _same_share(a: pd.Series, b: pd.Series, share: float | None = None) -> float:
    """Share of rows where two columns hold the same value (empty on both counts; numbers within rounding).

    With ``share``: 0.0 as soon as the first rows already differ on more than ``1 - share`` of all rows (most
    pairs of a child column and a parent column differ at once, and comparing text columns whole takes seconds
    on a large table).

    >>> _same_share(pd.Series(["a", "b"] * 3000), pd.Series(["a", "b"] * 2999 + ["a", "c"]))
    0.9998333333333334
    >>> _same_share(pd.Series(["a", "b"] * 3000), pd.Series(["b", "a"] * 3000), share=0.999)
    0.0
    """
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if len(a) == 0 or a.nunique() < 2:
        return 0.0
    head = min(len(a), 2_000)
    if share is not None and head < len(a):
        misses = int(np.count_nonzero(~_same(a.iloc[:head], b.iloc[:head])))
        if misses > (1 - share) * len(a):  # the whole cannot reach ``share``
            return 0.0
    return float(_same(a, b).mean())


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    num = pd.api.types.is_numeric_dtype
    if num(a.dtype) and num(b.dtype) and not pd.api.types.is_bool_dtype(a.dtype):
        x, y = a.to_numpy(float), b.to_numpy(float)
        return np.isclose(x, y, rtol=1e-9, atol=1e-9) | (np.isnan(x) & np.isnan(y))
    return (a.astype(str) == b.astype(str)).to_numpy() | (a.isna() & b.isna()).to_numpy()


def _key_entry(name: str, values: pd.Series, cfg: FitConfig) -> dict[str, Any]:
    """A key column: the fitter's identifier (fresh codes in the real formats) when unique by construction, else
    running numbers (whole numbers) or UUIDs.

    >>> _key_entry("id", pd.Series([3, 4, 5, 9]), FitConfig())
    {'name': 'id', 'kind': 'sequence', 'start': 3, 'description': 'key: running numbers (never copied)'}
    """
    spec = learn_column(name, values, cfg).spec
    if spec.get("kind") == "pattern" and spec.get("increasing"):  # running codes never repeat: say so for the loader
        spec["unique"] = True
    if spec.get("kind") in ("sequence", "uuid") or (spec.get("unique") and spec.get("kind") in ("pattern", "faker")):
        return {**spec, "nulls": 0} if spec.get("nulls") else spec
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return {"name": name, "kind": "sequence", "start": int(np.nanmin(values.to_numpy(float))),
                "description": "key: running numbers (never copied)"}
    return {"name": name, "kind": "uuid", "description": "key: fresh UUIDs (never copied)"}


def _plain(value: Any) -> Any:
    """A numpy or pandas scalar as a plain Python one (the schema holds only YAML's types)."""
    return value.item() if hasattr(value, "item") else value


def _count_entry(name: str, values: np.ndarray, cfg: FitConfig) -> dict[str, Any]:
    """How often a row is referenced, learned as an integer column; with fewer than k rows referenced, referenced
    or not (equal weights among the referenced), as no k-anonymous shape of the counts exists."""
    n_ref = int((values > 0).sum())
    if 0 < n_ref < cfg.min_count:
        n_zero = len(values) - n_ref
        return {"name": name, "kind": "integer", "distribution": "weighted",
                "values": {0: n_zero, 1: n_ref} if n_zero >= cfg.min_count else {1: 1}}
    if n_ref == 0:
        return {"name": name, "kind": "integer", "distribution": "weighted", "values": {0: 1}}
    return learn_column(name, pd.Series(values), cfg).spec


def _join_parent(own: pd.DataFrame, rows: pd.DataFrame, fk: ForeignKey, frames: dict[str, pd.DataFrame],
                 fitted: dict[str, dict[str, Any]], hidden: dict[str, dict[str, np.ndarray]],
                 min_count: int, mark: str = _JOINED, hidden_too: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """The child rows with the generated-as-is columns of the rows ``fk`` references joined on (as
    ``__parent__column``, or ``mark + column``); empty for rows whose key resolves to none. ``hidden_too``: with
    the hidden columns (children counts, reference frequencies)."""
    parent = frames[fk.parent]
    pos = parent_positions(rows, fk.columns, parent, fk.keys)
    spec = fitted[fk.parent]
    # Only the parent's columns its schema writes as themselves (not keys, aggregates or lookup fields).
    readable = [e["name"] for e in spec["columns"] if "name" in e and e.get("kind") not in
                ("sequence", "uuid", "pattern", "phone", "faker", "aggregate", "reference", "lookup", "catalog")
                and (e["name"] in parent.columns or (hidden_too and e["name"] in hidden[fk.parent]))]
    out = own.copy()
    names = []
    for col in readable:
        values = pd.Series(hidden[fk.parent][col] if col in hidden[fk.parent] else parent[col].to_numpy())
        if not pd.api.types.is_numeric_dtype(values.dtype):
            # Privacy: a category of fewer than k parent rows (one plane's model) is common among its many child
            # rows; the child's fit must not learn, nor write, what k parent rows do not show.
            seen = values.map(values.value_counts())
            values = values.where(seen >= min_count)
        taken = values.iloc[np.maximum(pos, 0)].to_numpy()
        if (pos < 0).any():  # orphans and empty keys of a lookup (a parent's are not among the rows)
            taken = pd.Series(taken).where(pd.Series(pos >= 0)).to_numpy()
        out[mark + col] = taken
        names.append(mark + col)
    return out, names


def _rename(entry: Any, prefixes: dict[str, str]) -> Any:
    """An entry with every mention of a joined column made to read the row it came from (``prefix.column``).

    >>> _rename({"when": {"__parent__year": [1], "__lookup0__lat": {"min": 2}}}, {"__parent__": "planes", "__lookup0__": "airports"})
    {'when': {'planes.year': [1], 'airports.lat': {'min': 2}}}
    """
    if isinstance(entry, dict):
        return {_rename(k, prefixes): _rename(v, prefixes) for k, v in entry.items()}
    if isinstance(entry, list):
        return [_rename(v, prefixes) for v in entry]
    if isinstance(entry, str) and "__" in entry:
        return _MARK.sub(lambda m: f"{prefixes[m[0][:len(m[0]) - len(m[1])]]}.{m[1]}", entry)
    return entry


def _hide(entries: list[dict[str, Any]], col: str, values: pd.Series, cfg: FitConfig) -> None:
    """Make the added column ``col`` hidden; if the fitter folded it into a lookup, learn it alone instead."""
    for e in entries:
        if e.get("name") == col:
            e["hidden"] = True
            return
    for e in entries:
        if col in e.get("fields", []):
            i = e["fields"].index(col)
            e["fields"].pop(i)
            for r in e.get("records", []):
                r.pop(col, None)
    entries.append({**learn_column(col, values, cfg).spec, "hidden": True})


def _names(entry: dict[str, Any]) -> list[str]:
    return list(entry.get("fields", [])) or list(entry.get("columns", [])) or [entry.get("name", "")]


def _holds(y: np.ndarray, x: np.ndarray, share: float) -> bool:
    ok = np.isclose(y, x, rtol=1e-9, atol=1e-6) & ~np.isnan(y)
    return bool(ok.mean() >= share) and len(np.unique(y[~np.isnan(y)])) > 1


def _free_name(base: str, taken: set[str]) -> str:
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def _parents_first(plans: dict[str, TablePlan]) -> list[str]:
    """Tables in an order where each one's parent and, where they allow it, its looked-up tables come first."""
    from ..relations import parents_first

    parents = [p.parent for p in plans.values() if p.parent is not None]
    try:
        return parents_first(list(plans), parents + [fk for p in plans.values() for fk in p.lookups])
    except ValueError:  # families that look each other up: validation says so; their drawn columns are not read
        return parents_first(list(plans), parents)


def _db_description(relations: Relations, plans: dict[str, TablePlan], cfg: FitConfig) -> str:
    parts = [f"Fitted by synth fit from {len(plans)} related tables. Privacy guards as for one table (k = {cfg.min_count}): "
             "keys regenerated, never copied; children-per-parent counts and reference frequencies learned as integer columns."]
    for fk in relations.foreign_keys:
        plan = plans[fk.child]
        role = ("parent" if fk == plan.parent else "lookup" if fk in plan.lookups
                else "read from another lookup's row" if fk in [c for c, h in plan.covered if h.startswith("the same")]
                else "through a composite lookup" if fk in [c for c, _ in plan.covered] else "not generated")
        parts.append(f"{fk} ({role}): {fk.resolved_share:.1%} of values resolve.")
    return " ".join(parts)
