"""Relationship discovery: the primary and foreign keys of a set of related real tables.

A **primary key** is a column (or the fewest columns together) whose values are unique and never missing. A
**foreign key** is a child column (or column tuple) whose non-missing values are mostly found in a parent's key;
real data has orphans (flights whose plane is not in the planes table), so each one states the share that
resolves. Containment alone is weak evidence for small codes (a month column 1..12 is "contained" in every
integer id 1..1000), so a foreign key needs either names that agree (``customer_id`` -> ``customers.id``,
``tailnum`` -> ``planes.tailnum``) or a strong content signal (text codes almost all found in the key, like
``flights.dest`` in ``airports.faa``); the rules and their thresholds are :class:`DiscoveryConfig`.

>>> import pandas as pd
>>> customers = pd.DataFrame({"id": [1, 2, 3], "segment": ["a", "b", "a"]})
>>> orders = pd.DataFrame({"order_id": [10, 11, 12, 13], "customer_id": [1, 1, 3, 9], "quantity": [1, 2, 3, 1]})
>>> relations = discover({"customers": customers, "orders": orders})
>>> relations.primary_keys
{'customers': ('id',), 'orders': ('order_id',)}
>>> [(str(fk), fk.resolved_share) for fk in relations.foreign_keys]
[('orders(customer_id) -> customers(id)', 0.75)]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .relations import ForeignKey


@dataclass(frozen=True)
class DiscoveryConfig:
    """The rules of discovery, with their thresholds.

    Keys: at most ``max_key_columns`` columns together, chosen among ``max_key_candidates`` columns, at most
    ``max_key_checks`` column sets tested per table (each first on a ``sample_rows`` sample: a repeat there
    settles it cheaply). Text longer than ``max_text_length`` (free text, descriptions) is never a key.

    Foreign keys: with agreeing names, at least ``named_min_resolved`` of the child's non-missing values must
    resolve; on content alone, at least ``content_min_resolved`` of its values and of its distinct values, with
    at least ``content_min_distinct`` distinct values. Integers on content alone also need an id-like child
    name, ``integer_min_distinct`` distinct values and ``integer_min_coverage`` of the parent keys referenced
    (a code 1..12 is contained in any id 1..1000, but covers 1% of it).
    """

    max_key_columns: int = 4
    max_key_candidates: int = 12
    max_key_checks: int = 2000
    sample_rows: int = 5000
    max_text_length: int = 64
    named_min_resolved: float = 0.5
    content_min_resolved: float = 0.9
    content_min_distinct: int = 3
    integer_min_distinct: int = 20
    integer_min_coverage: float = 0.5
    #: Candidate child columns per parent key column when matching a composite key.
    composite_candidates: int = 3


@dataclass
class Relations:
    """What discovery found: each table's primary key (``()`` when none), the foreign keys (parent key, child
    columns, resolved share) and, per foreign key, the children-per-parent counts in brief."""

    primary_keys: dict[str, tuple[str, ...]]
    foreign_keys: list[ForeignKey]
    children: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"primary_keys": {t: list(k) for t, k in self.primary_keys.items()},
                "foreign_keys": [{**asdict(fk), "columns": list(fk.columns), "keys": list(fk.keys), "text": str(fk)}
                                 for fk in self.foreign_keys],
                "children_per_parent": self.children}

    def __str__(self) -> str:
        lines = [f"{t}: primary key ({', '.join(k)})" if k else f"{t}: no primary key" for t, k in self.primary_keys.items()]
        lines += [f"{fk}  resolved {fk.resolved_share:.1%}" for fk in self.foreign_keys]
        return "\n".join(lines)


# ---- column facts -----------------------------------------------------------------------------------------------

_GENERIC = {"id", "key", "pk", "uuid", "code", "name", "no", "number", "num"}
_ID_SUFFIXES = ("_id", "_key", "_code", "_no", "_number", "_num", "_uuid")


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")


def _singulars(table: str) -> set[str]:
    """A table name and its plausible singulars: ``airlines`` -> airline, ``categories`` -> category, ``boxes`` -> box."""
    t = _norm(table)
    out = {t}
    if t.endswith("ies"):
        out.add(t[:-3] + "y")
    if t.endswith("es"):
        out.add(t[:-2])
    if t.endswith("s"):
        out.add(t[:-1])
    return out


def id_like(name: str, table: str = "") -> bool:
    """An identifier's name: ``id``, ``customer_id``, ``order_no``, ``customerid`` in table customers.

    >>> id_like("customer_id"), id_like("month"), id_like("valid"), id_like("planeid", "planes")
    (True, False, False, True)
    """
    n = _norm(name)
    if n in _GENERIC - {"name"} or n.endswith(_ID_SUFFIXES):
        return True
    return any(n == f"{s}id" or n == f"{s}key" for s in _singulars(table))


def names_agree(column: str, child: str, parent: str, key: str) -> bool:
    """Whether a child column's name says it refers to ``parent.key``.

    >>> names_agree("customer_id", "orders", "customers", "id"), names_agree("tailnum", "flights", "planes", "tailnum")
    (True, True)
    >>> names_agree("id", "orders", "customers", "id")      # a generic name on both sides says nothing
    False
    """
    c, k = _norm(column), _norm(key)
    if c == k and k not in _GENERIC:
        return True
    for s in _singulars(parent):
        own = {f"{s}_{k}", f"{s}{k}"} | ({s, f"{s}_id", f"{s}id", f"{s}_key", f"{s}_code"} if k in _GENERIC or k in (f"{s}_id", f"{s}id") else set())
        if c in own or any(c.endswith("_" + o) for o in own if "_" in o or o == s):
            return True
    return child == parent and k in ("id", "key") and c.endswith(("_id", "_key")) and c != k  # employees.manager_id


def key_family(values: pd.Series, config: DiscoveryConfig) -> str | None:
    """What kind of key a column could be: "int" (whole numbers, also as floats), "text" (short), "time", or None."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        v = values.to_numpy(float)
        v = v[~np.isnan(v)]
        return "int" if len(v) and np.all(v == np.round(v)) and np.all(np.abs(v) < 2**53) else None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        present = values.dropna()
        if len(present) == 0 or not all(isinstance(x, str) for x in present.iloc[:50]):
            return None
        lengths = present.astype(str).str.len()
        return "text" if lengths.max() <= config.max_text_length else None
    return None


def _comparable(values: pd.Series, family: str) -> pd.Series:
    """Non-missing values in one representation per family, so ``12`` (int) and ``12.0`` (float with gaps) match."""
    present = values.dropna()
    if family == "int":
        return present.astype(np.int64)
    if family == "time":
        return present.astype("datetime64[ns]").astype(np.int64) if getattr(present.dtype, "tz", None) is None \
            else present.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").astype(np.int64)
    return present.astype(str).astype(object)  # object: pandas' hash tables (Arrow strings' isin loops in Python)


@dataclass
class _Column:
    table: str
    name: str
    position: int
    family: str
    counts: pd.Series  # distinct comparable values -> rows
    non_null: bool
    mean_length: float

    @property
    def unique(self) -> bool:
        return self.non_null and bool((self.counts == 1).all())


def _columns(name: str, frame: pd.DataFrame, config: DiscoveryConfig) -> dict[str, _Column]:
    out = {}
    for i, col in enumerate(frame.columns):
        family = key_family(frame[col], config)
        if family is None:
            continue
        values = _comparable(frame[col], family)
        if len(values) == 0:
            continue
        length = float(values.str.len().mean()) if family == "text" else 0.0
        out[str(col)] = _Column(name, str(col), i, family, values.value_counts(sort=False), len(values) == len(frame), length)
    return out


# ---- primary keys -----------------------------------------------------------------------------------------------

def _key_rank(c: _Column) -> tuple:
    """Preference among unique columns: id-like names, then whole numbers or short codes, then the leftmost."""
    short = c.family == "int" or (c.family == "text" and c.mean_length <= 16)
    return (not id_like(c.name, c.table), not short, c.mean_length, c.position)


def _hashes(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.util.hash_pandas_object(frame[col], index=False).to_numpy()


def _combine(parts: list[np.ndarray]) -> np.ndarray:
    """One 64-bit hash per row of several columns' hashes (order matters); a collision can only hide uniqueness."""
    h = parts[0].copy()
    with np.errstate(over="ignore"):
        for p in parts[1:]:
            h = h * np.uint64(0x9E3779B97F4A7C15) + p
    return h


def _all_distinct(h: np.ndarray) -> bool:
    return bool(pd.Index(h).is_unique)  # a hash table, not a sort


def primary_key(name: str, frame: pd.DataFrame, config: DiscoveryConfig = DiscoveryConfig(),
                columns: dict[str, _Column] | None = None) -> tuple[str, ...]:
    """The table's primary key: its best unique non-missing column, else the fewest columns unique together
    (searched within :class:`DiscoveryConfig`'s bounds), else ``()``.

    >>> weather = pd.DataFrame({"origin": ["EWR", "JFK"] * 3, "hour": [1, 1, 2, 2, 3, 3], "temp": [1.5, 2.5, 3.5, 4.5, 5.5, 5.5]})
    >>> primary_key("weather", weather)
    ('origin', 'hour')
    """
    columns = columns if columns is not None else _columns(name, frame, config)
    unique = [c for c in columns.values() if c.unique]
    if unique:
        return (min(unique, key=_key_rank).name,)
    n = len(frame)
    candidates = sorted((c for c in columns.values() if c.non_null and len(c.counts) > 1),
                        key=lambda c: (not id_like(c.name, name), c.family == "int", -len(c.counts), c.position))
    candidates = sorted(candidates[: config.max_key_candidates], key=lambda c: c.position)
    if len(candidates) < 2:
        return ()
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(n, min(n, config.sample_rows), replace=False))
    full = {c.name: _hashes(frame, c.name) for c in candidates}
    part = {k: v[sample] for k, v in full.items()}
    checks = 0
    for width in range(2, config.max_key_columns + 1):
        found = []
        for combo in itertools.combinations(candidates, width):
            if np.prod([float(len(c.counts)) for c in combo]) < n:
                continue  # fewer value combinations than rows: cannot be unique
            checks += 1
            if checks > config.max_key_checks:
                break
            names = [c.name for c in combo]
            if _all_distinct(_combine([part[k] for k in names])) and _all_distinct(_combine([full[k] for k in names])) \
                    and not frame.duplicated(names).any():
                found.append(combo)
        if found:
            best = min(found, key=lambda combo: (-sum(id_like(c.name, name) for c in combo), sum(c.family == "int" for c in combo),
                                                 [c.position for c in combo]))
            return tuple(c.name for c in best)
        if checks > config.max_key_checks:
            break
    return ()


# ---- foreign keys -----------------------------------------------------------------------------------------------

@dataclass
class _Match:
    fk: ForeignKey
    named: bool
    contained: float  # share of the child's distinct values found in the key

    def rank(self) -> tuple:
        # Among named matches, one naming another table (items.order_id -> orders.id) beats the self-reference
        # rule (employees.manager_id -> employees.id), whose name says less.
        return (self.named, self.named and self.fk.child != self.fk.parent, round(self.fk.resolved_share, 6), self.contained)


def _single_match(child: _Column, parent: _Column, child_pk: tuple[str, ...], config: DiscoveryConfig) -> _Match | None:
    if child.family != parent.family or (child.table == parent.table and child.name == parent.name):
        return None
    found = child.counts.index.isin(parent.counts.index)
    if not found.any():
        return None
    resolved = float(child.counts.to_numpy()[found].sum() / child.counts.sum())
    contained = float(found.mean())
    named = names_agree(child.name, child.table, parent.table, parent.name)
    if named:
        ok = resolved >= config.named_min_resolved
    else:
        ok = (resolved >= config.content_min_resolved and contained >= config.content_min_resolved
              and len(child.counts) >= config.content_min_distinct and child_pk != (child.name,))
        if ok and child.family == "int":
            ok = (id_like(child.name, child.table) and len(child.counts) >= config.integer_min_distinct
                  and found.sum() >= config.integer_min_coverage * len(parent.counts))
    if not ok:
        return None
    return _Match(ForeignKey(child.table, (child.name,), parent.table, (parent.name,), round(resolved, 6)), named, contained)


def _composite_match(child_name: str, child_frame: pd.DataFrame, child_cols: dict[str, _Column], parent_name: str,
                     parent_frame: pd.DataFrame, key: tuple[str, ...], parent_cols: dict[str, _Column],
                     config: DiscoveryConfig) -> _Match | None:
    """A child column tuple whose rows are found among the parent's composite key rows."""
    options = []
    for k in key:
        pk = parent_cols.get(k)
        if pk is None:
            return None
        scored = []
        for c in child_cols.values():
            if c.family != pk.family:
                continue
            same = _norm(c.name) == _norm(k)
            contained = float(c.counts.index.isin(pk.counts.index).mean())
            if same or contained >= config.content_min_resolved:
                scored.append((not same, -contained, c.position, c.name, same))
        options.append(sorted(scored)[: config.composite_candidates])
    best: _Match | None = None
    for combo in itertools.product(*options):
        names = [o[3] for o in combo]
        if len(set(names)) < len(names):
            continue
        rows = child_frame[names].dropna()
        if len(rows) == 0:
            continue
        parts_child = [_comparable(rows[n], child_cols[n].family).to_numpy() for n in names]
        parents = parent_frame[list(key)].dropna()
        parts_parent = [_comparable(parents[k], parent_cols[k].family).to_numpy() for k in key]
        h_child = _combine([pd.util.hash_array(p) for p in parts_child])
        h_parent = _combine([pd.util.hash_array(p) for p in parts_parent])
        found = pd.Index(h_parent).get_indexer(h_child) >= 0 if pd.Index(h_parent).is_unique else np.isin(h_child, h_parent)
        resolved = float(found.mean())
        named = all(o[4] for o in combo)
        if resolved < (config.named_min_resolved if named else config.content_min_resolved):
            continue
        match = _Match(ForeignKey(child_name, tuple(names), parent_name, key, round(resolved, 6)), named, resolved)
        if best is None or match.rank() > best.rank():
            best = match
    return best


def parent_positions(child: pd.DataFrame, columns: tuple[str, ...], parent: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray:
    """For each child row, the position of the parent row its key refers to; -1 when the key is missing or refers
    to no parent row (an orphan). A parent key that repeats (a faulty synthetic table) resolves to its first row.

    >>> parent_positions(pd.DataFrame({"cid": [3, None, 9, 1]}), ("cid",), pd.DataFrame({"id": [1, 2, 3]}), ("id",)).tolist()
    [2, -1, -1, 0]
    """
    def index(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Index:
        return pd.MultiIndex.from_frame(frame[list(cols)]) if len(cols) > 1 else pd.Index(frame[cols[0]])

    parent_keys, child_keys = index(parent, keys), index(child, columns)
    if len(keys) == 1:  # whole numbers read as floats (a column with gaps) match integers; text matches text
        parent_keys, child_keys = _same_type(parent_keys, child_keys)
    first = ~parent_keys.duplicated()
    unique_keys = parent_keys[first]
    where = np.flatnonzero(first)
    found = unique_keys.get_indexer(child_keys)
    missing = child[list(columns)].isna().any(axis=1).to_numpy()
    return np.where((found >= 0) & ~missing, where[np.maximum(found, 0)], -1)


def children_per_parent(child: pd.DataFrame, columns: tuple[str, ...], parent: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray:
    """How many child rows refer to each parent row (zeros included), in the parent's row order.

    >>> children_per_parent(pd.DataFrame({"cid": [1, 1, 3, 9]}), ("cid",), pd.DataFrame({"id": [1, 2, 3]}), ("id",)).tolist()
    [2, 0, 1]
    """
    position = parent_positions(child, columns, parent, keys)
    return np.bincount(position[position >= 0], minlength=len(parent)).astype(np.int64)


def _same_type(a: pd.Index, b: pd.Index) -> tuple[pd.Index, pd.Index]:
    if pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype):
        return a.astype(float), b.astype(float)
    if pd.api.types.is_numeric_dtype(a.dtype) != pd.api.types.is_numeric_dtype(b.dtype):  # 12 beside "12"
        return _as_text(a), _as_text(b)
    return a, b


def _as_text(index: pd.Index) -> pd.Index:
    if pd.api.types.is_float_dtype(index.dtype):
        v = index.to_numpy(float)
        if np.all(np.isnan(v) | (v == np.round(v))):
            return pd.Index(pd.array(v, dtype="Int64").astype(str), dtype=object)
    return pd.Index(index.astype(str), dtype=object)


def _children_summary(counts: np.ndarray) -> dict[str, float]:
    if len(counts) == 0:
        return {"parents": 0}
    q = np.quantile(counts, [0.5, 0.9, 0.99])
    return {"parents": int(len(counts)), "with_children": float((counts > 0).mean()), "mean": float(counts.mean()),
            "median": float(q[0]), "p90": float(q[1]), "p99": float(q[2]), "max": int(counts.max())}


def discover(tables: dict[str, pd.DataFrame], config: DiscoveryConfig = DiscoveryConfig(),
             primary_keys: dict[str, tuple[str, ...]] | None = None,
             foreign_keys: list[ForeignKey] | None = None) -> Relations:
    """Primary keys and foreign keys of related tables (a dict name -> DataFrame, e.g. :func:`read_folder`).

    Each child column (or column tuple) refers to at most one parent key: the best match, names agreeing first,
    then the larger resolved share. Of two tables that seem to refer to each other one-to-one on content alone,
    only the direction from the larger table is kept.

    ``primary_keys`` and ``foreign_keys``: keys a database declares (:func:`synth.io.read_catalog`). They win:
    a declared primary key replaces the one discovery would choose, and a column of a declared foreign key is
    matched to nothing else; discovery fills in the rest. A declared key gets the resolved share of the rows.

    >>> customers = pd.DataFrame({"id": range(1, 31), "code": range(101, 131)})
    >>> orders = pd.DataFrame({"oid": range(90), "buyer": [1 + i % 30 for i in range(90)], "customer_id": [1 + i % 30 for i in range(90)]})
    >>> [str(fk) for fk in discover({"customers": customers, "orders": orders}).foreign_keys]
    ['orders(customer_id) -> customers(id)']
    >>> declared = [ForeignKey("orders", ("buyer",), "customers", ("id",))]
    >>> [str(fk) for fk in discover({"customers": customers, "orders": orders}, foreign_keys=declared).foreign_keys]
    ['orders(buyer) -> customers(id)', 'orders(customer_id) -> customers(id)']
    """
    columns = {name: _columns(name, frame, config) for name, frame in tables.items()}
    declared_pk = {t: tuple(k) for t, k in (primary_keys or {}).items() if t in tables and k}
    keys = {name: declared_pk.get(name) or primary_key(name, frame, config, columns[name]) for name, frame in tables.items()}
    declared = [_declared(fk, tables) for fk in foreign_keys or [] if fk.child in tables and fk.parent in tables]
    taken = {(fk.child, c) for fk in declared for c in fk.columns}
    matches: list[_Match] = [_Match(fk, True, 1.0) for fk in declared]
    for child, child_cols in columns.items():
        best: dict[tuple[str, ...], _Match] = {}
        for parent, parent_cols in columns.items():
            # single-column keys: the primary key and every other unique column (an alternate key)
            for key_col in (c for c in parent_cols.values() if c.unique):
                for col in child_cols.values():
                    m = _single_match(col, key_col, keys[child], config)
                    if m is not None and (m.fk.columns not in best or m.rank() > best[m.fk.columns].rank()):
                        best[m.fk.columns] = m
            if len(keys[parent]) > 1 and parent != child:
                m = _composite_match(child, tables[child], child_cols, parent, tables[parent], keys[parent], parent_cols, config)
                if m is not None and (m.fk.columns not in best or m.rank() > best[m.fk.columns].rank()):
                    best[m.fk.columns] = m
        matches += [m for m in best.values() if not any((child, c) in taken for c in m.fk.columns)]
    kept = []
    for m in matches:  # one-to-one on content both ways: keep the named one, else the one from the larger table
        if (m.fk.child, m.fk.columns[0]) in taken:
            kept.append(m)  # declared
            continue
        back = next((o for o in matches if o.fk.child == m.fk.parent and o.fk.parent == m.fk.child
                     and o.fk.columns == m.fk.keys and o.fk.keys == m.fk.columns), None)
        if back is not None and (back.named, len(tables[back.fk.child]), back.fk.child) > (m.named, len(tables[m.fk.child]), m.fk.child):
            continue
        kept.append(m)
    order = {name: i for i, name in enumerate(tables)}
    fks = sorted((m.fk for m in kept), key=lambda fk: (order[fk.child], fk.columns, order[fk.parent]))
    children = {str(fk): _children_summary(children_per_parent(tables[fk.child], fk.columns, tables[fk.parent], fk.keys))
                for fk in fks}
    return Relations(keys, fks, children)


def _declared(fk: ForeignKey, tables: dict[str, pd.DataFrame]) -> ForeignKey:
    """A declared foreign key with the share of its child's non-missing values that resolve (an SQLite database
    does not check its keys unless asked: declared is not always true)."""
    child = tables[fk.child]
    present = ~child[list(fk.columns)].isna().any(axis=1).to_numpy()
    found = parent_positions(child, fk.columns, tables[fk.parent], fk.keys) >= 0
    share = float(found.sum() / present.sum()) if present.any() else 1.0
    return ForeignKey(fk.child, fk.columns, fk.parent, fk.keys, round(share, 6))


def read_folder(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a folder (CSV, Parquet, ... files and Parquet dataset sub-folders), name = file stem.

    See :func:`synth.io.read_tables`; ``discover(read_folder("nycflights13/"))`` is the usual pairing.
    """
    from .io import read_tables

    return read_tables(path)


# ---- aggregate rules: a parent column that summarises its children ----------------------------------------------

#: The summaries an aggregate rule can state (as ``kind: aggregate`` writes them).
AGGREGATE_FUNCTIONS = ("count", "sum", "mean", "min", "max")


@dataclass(frozen=True)
class AggregateRule:
    """``parent.column = fn(child.child_column)`` over each parent row's children along ``fk`` (``count`` has
    no child column); ``round``: the decimals the parent column is rounded to, if stated.

    >>> orders = pd.DataFrame({"id": [1, 2, 3], "total": [5.0, 0.0, 2.5]})
    >>> items = pd.DataFrame({"order_id": [1, 1, 3], "amount": [2.0, 3.0, 2.5]})
    >>> rule = AggregateRule(ForeignKey("items", ("order_id",), "orders", ("id",)), "total", "sum", "amount")
    >>> str(rule), rule.holds(items, orders).tolist()
    ('orders.total = sum(items.amount)', [True, True, True])
    """

    fk: ForeignKey
    column: str
    fn: str
    child_column: str | None = None
    round: int | None = None

    def __str__(self) -> str:
        inner = self.fk.child if self.child_column is None else f"{self.fk.child}.{self.child_column}"
        return f"{self.fk.parent}.{self.column} = {self.fn}({inner})"

    def expected(self, child: pd.DataFrame, parent: pd.DataFrame) -> pd.Series:
        """The summary of each parent row's children (missing for mean, min and max of no children)."""
        return aggregate_values(child, parent, self.fk, self.fn, self.child_column)

    def holds(self, child: pd.DataFrame, parent: pd.DataFrame) -> np.ndarray:
        """Per parent row, whether its column equals the summary of its children (both missing counts as equal)."""
        return _equal(parent[self.column].reset_index(drop=True), self.expected(child, parent), self.round)


def aggregate_values(child: pd.DataFrame, parent: pd.DataFrame, fk: ForeignKey, fn: str,
                     child_column: str | None = None) -> pd.Series:
    """``fn`` of ``child_column`` over each parent row's children (grouped by the C-level pandas groupby).

    >>> fk = ForeignKey("items", ("order_id",), "orders", ("id",))
    >>> aggregate_values(pd.DataFrame({"order_id": [1, 1, 3], "x": [2, 3, 4]}), pd.DataFrame({"id": [1, 2, 3]}), fk, "max", "x").tolist()
    [3.0, nan, 4.0]
    """
    position = parent_positions(child, fk.columns, parent, fk.keys)
    ok = position >= 0
    if fn == "count":
        return pd.Series(np.bincount(position[ok], minlength=len(parent)))
    values = child[child_column].reset_index(drop=True)[ok]
    summary = values.groupby(position[ok]).agg(fn)
    out = summary.reindex(np.arange(len(parent)))
    if fn == "sum":
        out = out.fillna(0)
    return out.reset_index(drop=True)


def _equal(actual: pd.Series, expected: pd.Series, decimals: int | None) -> np.ndarray:
    both_missing = (actual.isna() & expected.isna()).to_numpy()
    a, e = pd.to_numeric(actual, errors="coerce"), pd.to_numeric(expected, errors="coerce")
    numeric = a.notna().sum() == actual.notna().sum() and e.notna().sum() == expected.notna().sum()
    if numeric:
        atol = 1e-6 if decimals is None else 0.5 * 10.0 ** -decimals + 1e-9
        close = np.isclose(a.to_numpy(float), e.to_numpy(float), rtol=1e-9, atol=atol)
    else:  # dates and text as read from a file: equal as written
        close = (actual.astype(str) == expected.astype(str)).to_numpy() & actual.notna().to_numpy() & expected.notna().to_numpy()
    return close | both_missing


def discover_aggregates(tables: dict[str, pd.DataFrame], foreign_keys: list[ForeignKey],
                        share: float = 0.999, min_parents: int = 10,
                        functions: tuple[str, ...] = ("count", "sum", "mean", "min", "max")) -> list[AggregateRule]:
    """Parent columns that equal a summary of their children on at least ``share`` of the parent rows.

    ``count`` and ``sum`` are checked on every parent row, ``mean``, ``min`` and ``max`` on those with children;
    at least ``min_parents`` of them, and the parent column must vary; ``functions``: the summaries looked for. A child column constant within each parent
    that equals a parent column is a copy, not a summary (``weather.hour`` and its flights' ``hour``), and is not
    reported.

    >>> orders = pd.DataFrame({"id": range(1, 21), "n": [i % 3 for i in range(20)]})
    >>> items = pd.DataFrame({"order_id": np.repeat(np.arange(1, 21), [i % 3 for i in range(20)]), "q": 1})
    >>> [str(r) for r in discover_aggregates({"orders": orders, "items": items}, [ForeignKey("items", ("order_id",), "orders", ("id",))])]
    ['orders.n = count(items)', 'orders.n = sum(items.q)']
    """
    def numeric(frame: pd.DataFrame, skip: tuple[str, ...]) -> list[str]:
        return [str(c) for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c].dtype)
                and not pd.api.types.is_bool_dtype(frame[c].dtype)]

    rules: list[AggregateRule] = []
    for fk in foreign_keys:
        child, parent = tables[fk.child], tables[fk.parent]
        targets = [c for c in numeric(parent, fk.keys) if parent[c].nunique() > 1]
        if not targets:
            continue
        position = parent_positions(child, fk.columns, parent, fk.keys)
        ok = position >= 0
        counts = np.bincount(position[ok], minlength=len(parent))
        has = counts > 0
        if has.sum() < min_parents:
            continue
        sources = numeric(child, fk.columns)
        grouped = child.loc[ok, sources].reset_index(drop=True).groupby(position[ok]) if sources else None
        summaries: dict[tuple[str, str | None], pd.Series] = {("count", None): pd.Series(counts.astype(float))}
        if grouped is not None:
            for fn in ("sum", "mean", "min", "max"):
                frame = grouped.agg(fn).reindex(np.arange(len(parent)))
                for c in sources:
                    summaries[(fn, c)] = frame[c].fillna(0) if fn == "sum" else frame[c]
            spread = (grouped.max() - grouped.min()).reindex(np.arange(len(parent)))
            copied = {c for c in sources if bool((spread[c].fillna(0) == 0).all())}
        else:
            copied = set()
        for target in targets:
            y = parent[target].reset_index(drop=True)
            for (fn, c), values in summaries.items():
                if fn not in functions or (fn in ("mean", "min", "max") and c in copied):
                    continue
                rows = has if fn in ("mean", "min", "max") else np.ones(len(parent), dtype=bool)
                if rows.sum() < min_parents or y[rows].nunique() < 2:
                    continue
                if _equal(y[rows].reset_index(drop=True), values[rows].reset_index(drop=True), None).mean() >= share:
                    rules.append(AggregateRule(fk, target, fn, c))
    return rules
