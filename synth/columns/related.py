"""Columns that tie related tables together: ``reference`` (a key of another table's row) and ``aggregate``
(a parent's summary of its child rows). They only mean something in a multi-table schema (``tables:``, see
:mod:`synth.multitable`), whose engine hands them their parent rows, lookup tables and child rows.

.. code-block:: yaml

    tables:
      customers:
        rows: 1000
        columns:
          - {name: customer_id, kind: sequence}
          - {name: n_orders, kind: integer, distribution: poisson, lam: 3, hidden: true}
          - {name: total_spent, kind: aggregate, expr: sum(orders.amount), round: 2}
      products:
        rows: 20
        columns:
          - {name: product_id, kind: sequence}
          - {name: price, kind: float, min: 1, max: 9, round: 2}
      orders:
        columns:
          - {name: customer_id, kind: reference, table: customers, count: n_orders}    # the parent
          - {name: product_id, kind: reference, table: products}                        # a lookup
          - {name: amount, kind: expression, expr: products.price}

A reference over several columns (a composite key, ``flights(origin, time_hour) -> weather(origin, time_hour)``)
lists them in ``columns`` (its ``name`` is then a label) and, if the referenced table names them otherwise, its
key columns in ``key``; it is a lookup (the rows it draws need not be unique by construction: a key seen twice
is drawn as its first row). ``orphans: 0.15`` makes that share of keys point at no row (real data has them).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..errors import SynthError
from ..lazy import np, pa
from .base import InverseCDF, ChunkContext, Column, PlanContext, register, stratified

#: Summaries an aggregate column can take of its child rows.
AGGREGATES = ("count", "sum", "mean", "min", "max")
_AGGREGATE = re.compile(r"^\s*(?P<fn>[a-z]+)\s*\(\s*(?P<table>[A-Za-z0-9_.-]+?)(?:\.(?P<column>[A-Za-z0-9_]+))?\s*\)\s*$")
#: How often a ``distinct`` reference redraws keys a parent already has before giving up.
MAX_DISTINCT_REDRAWS = 100


@register
class ReferenceColumn(Column):
    """A key of a row of another table: the parent row (with ``count``) or a row drawn from a lookup table."""

    kind_name: ClassVar[str] = "reference"
    accepts_uniforms: ClassVar[bool] = True  # a lookup's draw is an inverse CDF over the rows: it can be correlated
    in_cases: ClassVar[bool] = False
    kind: Literal["reference"] = "reference"
    table: str = Field(description="The table whose key this column holds")
    key: str | list[str] | None = Field(
        default=None, description="That table's key column (default: the column of the same name); with `columns`, its key "
        "columns in the same order (default: the same names)")
    columns: list[str] | None = Field(
        default=None, min_length=1, description="A composite key: the columns that together hold the key (the entry's name "
        "is then a label); a lookup")
    orphans: float = Field(default=0.0, ge=0.0, lt=1.0, description="Share of (non-empty) keys that point at no row of "
                           "the table, as real data has: fresh keys that never collide with its keys")
    empty: float = Field(default=0.0, ge=0.0, lt=1.0, description="Parent reference: share of rows whose key is empty (a "
                         "flight without a plane), made under extra parent rows never written, so the written parents keep "
                         "their counts")
    count: str | dict[str, Any] | None = Field(
        default=None, description="Makes it the parent: the rows each parent row has, as a parent column or an integer "
        "distribution ({distribution: poisson, lam: 3}); 0 leaves a parent without any")
    weight: str | None = Field(default=None, description="Lookup: a column of the table giving each row's chance of being drawn")
    distinct: bool = Field(default=False, description="Lookup: never the same row twice for one parent (a link table)")
    alias: str | None = Field(default=None, description="The name its table's columns are read under (default: the table's)")

    # Set by the multi-table engine: the lookup table's columns (key, weight, the columns read) and who reads what.
    _lookup: dict[str, Any] | None = PrivateAttr(default=None)
    _draw: Any = PrivateAttr(default=None)
    _brings: list[str] = PrivateAttr(default_factory=list)
    _group: str | None = PrivateAttr(default=None)  # a distinct draw: the input holding the parent key
    _attached: bool = PrivateAttr(default=False)
    _keys: tuple[str, ...] = PrivateAttr(default=())
    _real_rows: int = PrivateAttr(default=0)  # lookup rows before the phantom rows that orphans point at
    _orphan_rows: Any = PrivateAttr(default=None)  # phantom rows whose key no written row has

    @model_validator(mode="after")
    def _check_columns(self) -> "ReferenceColumn":
        if self.columns is None:
            if isinstance(self.key, list):
                raise ValueError("key: a list of key columns goes with 'columns' (a composite key); one key column is a name")
            if self.empty and self.count is None:
                raise ValueError("empty: is for a parent reference (with count); a lookup's empty keys are 'nulls'")
            return self
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("columns: a column is listed twice")
        if isinstance(self.key, list) and len(self.key) != len(self.columns):
            raise ValueError(f"key: {len(self.key)} key columns for {len(self.columns)} columns; list one key column per column")
        if isinstance(self.key, str):
            raise ValueError("key: with 'columns', list the key columns (key: [a, b]), one per column")
        if self.count is not None:
            raise ValueError("count: a reference over several columns is a lookup for now; make the parent a one-column key")
        if self.empty:
            raise ValueError("empty: is for a parent reference (with count); a lookup's empty keys are 'nulls'")
        return self

    @property
    def key_columns(self) -> tuple[str, ...]:
        """This table's columns that hold the key (``columns``, or the entry's name)."""
        return tuple(self.columns) if self.columns is not None else (self.name,)

    def key_names(self) -> tuple[str, ...]:
        """The referenced table's key columns, as declared (defaults: the same names)."""
        if self.columns is not None:
            return tuple(self.key) if isinstance(self.key, list) else tuple(self.columns)
        return (self.key or self.name,)  # type: ignore[return-value]

    def output_names(self) -> list[str]:
        return list(self.key_columns)

    @field_validator("count")
    @classmethod
    def _check_count(cls, value: Any) -> Any:
        if isinstance(value, dict):
            count_column(value, "count")  # raises with the field named
        return value

    @property
    def prefix(self) -> str:
        """How this table's columns read the referenced row's columns: ``prefix.column``."""
        return self.alias or self.table

    @property
    def is_parent(self) -> bool:
        return self.count is not None

    def attach(self, keys: tuple[str, ...], brings: list[str], lookup: dict[str, Any] | None = None,
               weight: Any = None, group: str | None = None, real_rows: int | None = None) -> None:
        """Hand the column what it draws from (done by :class:`synth.multitable.DatabasePlan` before any chunk).

        ``keys``: the referenced table's key columns; ``lookup``: the lookup table's columns by name (None for a
        parent reference); ``weight``: their weights; ``brings``: the lookup columns this table reads (as
        ``prefix.column``); ``group``: the parent key input; ``real_rows``: the lookup's written rows (the rows
        after them are phantoms, never written: the keys ``orphans`` draw).
        """
        self._attached, self._keys, self._brings, self._lookup, self._group = True, tuple(keys), brings, lookup, group
        if lookup is not None:
            total = len(lookup[self._keys[0]])
            rows = total if real_rows is None else real_rows
            self._real_rows = rows
            w = np.ones(rows) if weight is None else np.nan_to_num(np.asarray(weight, dtype=float)[:rows])
            self._orphan_rows = None
            code, valid = _key_codes(self._keys, lookup) if len(self._keys) > 1 or self.orphans > 0 else (None, None)
            if len(self._keys) > 1:  # a composite key may repeat or be empty in the generated table: first rows only
                _, first = np.unique(np.where(valid[:rows], code[:rows], -1), return_index=True)
                keep = np.zeros(rows)
                keep[first] = 1.0
                w = w * keep * valid[:rows]
            if rows == 0 or w.sum() <= 0 or (w < 0).any():
                raise ValueError(f"table {self.table!r} has no rows to draw from" if rows == 0 else
                                 f"weight column {self.weight!r} of table {self.table!r} must be non-negative, not all zero")
            if self.orphans > 0:  # phantom rows whose key no written row has (a composite key's parts may repeat)
                phantom = np.arange(rows, total)
                self._orphan_rows = phantom[valid[rows:] & ~np.isin(code[rows:], code[:rows][valid[:rows]])]
            if self.orphans > 0 and len(self._orphan_rows) == 0:
                raise ValueError(f"orphans: no key outside table {self.table!r}'s own could be made (its {len(phantom)} extra "
                                 f"rows all repeat a key of its {rows} rows); lower orphans or widen the key's values")
            self._draw = InverseCDF(np.cumsum(w))

    def prepare(self, plan: PlanContext) -> None:
        if not self._attached:
            raise ValueError("a reference points at another table: it needs a multi-table schema (tables: ...)")

    def sample(self, ctx: ChunkContext) -> dict[str, pa.Array] | pa.Array:
        if self._lookup is None:  # the parent's key, repeated once per child row by the engine
            return ctx.values[f"{self.prefix}.{self._keys[0]}"]
        rows = self._draw(ctx.uniform(self.name))
        if self.distinct and self._group is not None:
            rows = self._distinct(ctx, rows)
        if self.orphans > 0:  # that share of rows points at a phantom row: a key no written row has
            rng = ctx.rng(self.name, "orphans")
            orphan = stratified(rng, ctx.n) < self.orphans
            rows[orphan] = self._orphan_rows[rng.integers(0, len(self._orphan_rows), int(orphan.sum()))]
        take = pa.array(rows)
        out = {col: self._lookup[key].take(take) for col, key in zip(self.key_columns, self._keys)}
        for name in self._brings:
            out[name] = self._lookup[name.split(".", 1)[1]].take(take)
        return out

    def _distinct(self, ctx: ChunkContext, rows: np.ndarray) -> np.ndarray:
        """Redraw a row a parent already has (rejection, vectorized over the chunk) until none repeats."""
        group = np.asarray(ctx.values[self._group].to_numpy(zero_copy_only=False))
        _, group = np.unique(group, return_inverse=True)
        size = len(self._lookup[self._keys[0]])  # type: ignore[index]
        for attempt in range(MAX_DISTINCT_REDRAWS):
            pair = group.astype(np.int64) * size + rows
            _, first = np.unique(pair, return_index=True)
            again = np.setdiff1d(np.arange(len(rows)), first)
            if len(again) == 0:
                return rows
            rows[again] = self._draw(ctx.rng(self.name, f"distinct:{attempt}").random(len(again)))
        raise SynthError(f"reference {self.name!r}: some parent rows need more distinct rows of table {self.table!r} than it has ({size})")


def _key_codes(keys: tuple[str, ...], columns: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row, equal where the rows' ``keys`` values are (and whether none of them is empty).

    >>> code, valid = _key_codes(("a", "b"), {"a": pa.array(["x", "x", "y", None]), "b": pa.array([1, 1, 1, 2])})
    >>> bool(code[0] == code[1] != code[2]), valid.tolist()
    (True, [True, True, True, False])
    """
    from ..lazy import pc

    n = len(columns[keys[0]])
    code = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for key in keys:
        column = columns[key]
        encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
        valid &= ~np.asarray(encoded.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        idx = np.asarray(encoded.indices.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        # re-numbered after each column so that the combined code never overflows
        code = np.unique(code * (len(encoded.dictionary) + 1) + idx, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return code, valid


def count_column(spec: dict[str, Any], name: str) -> Column:
    """The integer column a ``count: {distribution: ...}`` mapping describes (at least 0 unless it says otherwise).

    >>> count_column({"distribution": "poisson", "lam": 2}, "orders.count").min
    0.0
    """
    from .numeric import IntegerColumn

    fields = {"min": 0, **spec, "name": name, "kind": "integer"}
    return IntegerColumn.model_validate(fields)


@register
class AggregateColumn(Column):
    """A summary of this row's child rows: count(orders), sum(order_items.amount), mean, min or max."""

    kind_name: ClassVar[str] = "aggregate"
    random: ClassVar[bool] = False
    in_cases: ClassVar[bool] = False
    kind: Literal["aggregate"] = "aggregate"
    expr: str = Field(description="count(TABLE) or sum|mean|min|max(TABLE.COLUMN), TABLE a child table of this one")
    round: int | None = Field(default=None, ge=0, le=12, description="Decimals to round a sum or mean to")

    _attached: bool = PrivateAttr(default=False)

    @field_validator("expr")
    @classmethod
    def _parse(cls, text: str) -> str:
        found = _AGGREGATE.match(text)
        if not found or found["fn"] not in AGGREGATES:
            raise ValueError(f"{text!r}: write count(TABLE) or one of {', '.join(AGGREGATES[1:])}(TABLE.COLUMN)")
        if (found["fn"] == "count") != (found["column"] is None):
            raise ValueError(f"{text!r}: count takes a table (count(orders)); {found['fn']} a table's column")
        return text

    @property
    def parts(self) -> tuple[str, str, str | None]:
        """(function, child table, child column or None)."""
        found = _AGGREGATE.match(self.expr)
        assert found is not None
        return found["fn"], found["table"], found["column"]

    def attach(self) -> None:
        self._attached = True

    def prepare(self, plan: PlanContext) -> None:
        if not self._attached:
            raise ValueError("an aggregate summarises another table's rows: it needs a multi-table schema (tables: ...)")

    def sample(self, ctx: ChunkContext) -> pa.Array:
        return ctx.memo[("aggregate", self.name)]

    def summarise(self, parents: int, counts: np.ndarray, child: pa.Array | None) -> pa.Array:
        """The aggregate for ``parents`` rows whose children (in parent order, ``counts`` per parent) hold ``child``.

        >>> col = AggregateColumn(name="total", expr="sum(items.amount)", round=2)
        >>> col.summarise(3, np.array([2, 0, 1]), pa.array([1.1, 2.2, 5.0])).to_pylist()
        [3.3, 0.0, 5.0]
        >>> AggregateColumn(name="top", expr="max(items.amount)").summarise(3, np.array([2, 0, 1]), pa.array([1, 4, 5])).to_pylist()
        [4, None, 5]
        """
        fn = self.parts[0]
        if fn == "count":
            return pa.array(counts.astype(np.int64))
        assert child is not None
        owner = np.repeat(np.arange(parents), counts)
        valid = ~np.asarray(child.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        kind = child.type
        temporal = pa.types.is_temporal(kind)
        if temporal:
            child = child.view(pa.int32() if pa.types.is_date32(kind) or pa.types.is_time32(kind) else pa.int64())
        values = np.asarray(child.to_numpy(zero_copy_only=False))
        owner, values = owner[valid], values[valid]
        have = np.bincount(owner, minlength=parents)
        if fn in ("sum", "mean"):
            if temporal:
                raise ValueError(f"{self.expr}: {fn} of dates or times is not defined; use min or max")
            if np.issubdtype(values.dtype, np.integer) and fn == "sum":
                total = np.zeros(parents, dtype=np.int64)
                starts = np.searchsorted(owner, np.arange(parents))[have > 0]
                total[have > 0] = np.add.reduceat(values.astype(np.int64), starts) if len(starts) else []
                return pa.array(total)
            total = np.bincount(owner, weights=values.astype(float), minlength=parents)
            if fn == "mean":
                with np.errstate(invalid="ignore", divide="ignore"):
                    total = total / have
            if self.round is not None:
                total = np.round(total, self.round)
            return pa.array(total, mask=(have == 0) if fn == "mean" else None)
        out = np.zeros(parents, dtype=values.dtype)
        starts = np.searchsorted(owner, np.arange(parents))[have > 0]
        if len(starts):
            out[have > 0] = (np.minimum if fn == "min" else np.maximum).reduceat(values, starts)
        result = pa.array(out, mask=have == 0)
        return result.view(kind) if temporal else result
