"""``listed``: given values for a table's first rows, another column's values for the rest.

``synth fit`` writes it for a parent's key that child rows use as a category (airports.faa, a product's name):
the values many child rows reference are kept, one row each, and the other rows get fresh keys; the hidden counts
of how often each row is referenced are listed the same way, so a kept key keeps its frequency.

.. code-block:: yaml

    - name: faa
      kind: listed
      values: [ATL, ORD, LAX]                 # rows 1, 2 and 3, in this order
      rest: {kind: pattern, patterns: ["???"], unique: true}   # every other row

With a unique ``rest`` (``sequence``, ``uuid``, or ``unique: true``) the column is unique too: a rest value equal to
a listed one is replaced by the rest value of that listed value's own row (which the listed value took), and so on
until a value no listed one equals; that walk is a bijection, so no value repeats, and every chunk computes it
alone from the first rows' rest values.

>>> import synth
>>> schema = synth.Schema.from_dict({"name": "t", "rows": 5, "columns": [
...     {"name": "code", "kind": "listed", "values": ["0001", "0002"],
...      "rest": {"kind": "pattern", "patterns": ["000#"], "unique": True}}]})
>>> codes = synth.generate(schema, rows=5, seed=3).code.tolist()
>>> codes[:2], len(set(codes)) == 5
(['0001', '0002'], True)
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa, pc
from .base import KINDS, ChunkContext, Column, PlanContext, duplicated, register

#: Kinds whose values never repeat by construction (like the multi-table schema's key kinds).
_UNIQUE_REST = ("sequence", "uuid")


@register
class ListedColumn(Column):
    """The first ``len(values)`` rows take ``values`` in order; every other row is made by ``rest``."""

    kind_name: ClassVar[str] = "listed"
    in_cases: ClassVar[bool] = False
    kind: Literal["listed"] = "listed"
    values: list[str | int | float] = Field(min_length=1, description="The first rows' values, in row order")
    rest: dict[str, Any] = Field(description="A column spec (without a name) that makes every other row's value")

    _rest: Column = PrivateAttr(default=None)
    _head: dict[tuple[int, int], tuple[pa.Array, np.ndarray]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _build(self) -> "ListedColumn":
        kind = self.rest.get("kind") if isinstance(self.rest, dict) else None
        if kind not in KINDS or not KINDS[kind].in_cases:
            raise ValueError(f"rest: kind {kind!r} cannot make the other rows' values (a one-column kind is needed)")
        self._rest = KINDS[kind].model_validate({**self.rest, "name": self.name})
        if self.unique and len({str(v) for v in self.values}) != len(self.values):
            raise ValueError("values must be distinct when rest is unique (the column is then a key)")
        return self

    @property
    def unique(self) -> bool:
        """Whether no value repeats: the rest never repeats (and the listed values are distinct)."""
        rest = self._rest
        return rest is not None and (rest.kind in _UNIQUE_REST or bool(getattr(rest, "unique", False))
                                     or bool(getattr(rest, "increasing", False)))

    def dependencies(self) -> set[str]:
        return self._rest.dependencies()

    def prepare(self, plan: PlanContext) -> None:
        self._rest.prepare(plan)

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        return [(f"{name} is unique", lambda f: duplicated(f[name]))] if self.unique else []

    def finalize(self, values: pa.Array) -> pa.Array:
        return self._rest.finalize(values)

    def native(self, values: pa.Array) -> pa.Array:
        return self._rest.native(values)

    def sample(self, ctx: ChunkContext) -> pa.Array:
        rows = ctx.row_numbers()
        m = len(self.values)
        listed = self._listed()
        head = np.flatnonzero(rows < m)
        tail = np.flatnonzero(rows >= m)
        parts, positions = [], []
        if len(head):
            parts.append(listed.take(pa.array(rows[head])))
            positions.append(head)
        if len(tail):
            # The whole chunk, then its rest rows: a row's value follows its own row number (keys), and only the
            # chunk holding the first rows makes (and drops) a few values more.
            made = _plain(self._rest.sample(ctx))
            if len(tail) < ctx.n:
                made = made.take(pa.array(tail))
            if self.unique:
                made = self._walk(made, ctx)
            parts.append(made)
            positions.append(tail)
        return _scatter(parts, positions, ctx.n)

    # --- keys: no rest value equals a listed one ------------------------------------------------------
    def _listed(self) -> pa.Array:
        return pa.array(self.values)

    def _walk(self, made: pa.Array, ctx: ChunkContext) -> pa.Array:
        """Replace rest values equal to a listed value ``values[j]`` by the rest value of row ``j``, repeatedly.

        Row ``j`` < m holds ``values[j]``, so its own rest value is free; the map row -> row of the listed value its
        rest value equals is one-to-one, and no chain starts inside the first rows, so chains never meet or loop."""
        listed = pc.cast(self._listed(), made.type) if made.type != pa.string() else pc.cast(self._listed(), pa.string())
        at = pc.index_in(made, value_set=listed).fill_null(-1).to_numpy(zero_copy_only=False)
        if not (at >= 0).any():
            return made
        head, next_at = self._head_rest(ctx, listed)
        out_from_head = np.full(len(made), -1, dtype=np.int64)
        cur = at.copy()
        for _ in range(len(self.values) + 1):  # each step moves along a chain; chains are at most m long
            more = (cur >= 0) & (next_at[np.maximum(cur, 0)] >= 0)
            if not more.any():
                break
            cur = np.where(more, next_at[np.maximum(cur, 0)], cur)
        hit = np.flatnonzero(at >= 0)
        out_from_head[hit] = cur[hit]
        keep = np.flatnonzero(at < 0)
        return _scatter([made.take(pa.array(keep)), head.take(pa.array(out_from_head[hit]))], [keep, hit], len(made))

    def _head_rest(self, ctx: ChunkContext, listed: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """The rest column's values on the first m rows (never written) and, for each, the listed value it equals."""
        key = (ctx.seed, ctx.total_rows)
        if key not in self._head:
            first = ChunkContext(ctx.seed, 0, 0, len(self.values), ctx.total_rows)
            head = _plain(self._rest.sample(first))
            nxt = pc.index_in(head, value_set=pc.cast(listed, head.type)).fill_null(-1).to_numpy(zero_copy_only=False)
            self._head[key] = (head, nxt)
        return self._head[key]


def _plain(values: Any) -> pa.Array:
    assert not isinstance(values, dict)
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def _scatter(parts: list[pa.Array], positions: list[np.ndarray], n: int) -> pa.Array:
    """Each part's values at its row positions (parts of different types meet as float or text)."""
    types = {p.type for p in parts}
    if len(types) > 1:
        numeric = all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types)
        if numeric and all(pa.types.is_integer(t) for t in types):
            common = pa.int64()
        else:
            common = pa.float64() if numeric else pa.string()
        parts = [pc.cast(p, common) for p in parts]
    if len(parts) == 1 and len(positions[0]) == n:
        return parts[0]
    values = pa.concat_arrays(parts)
    order = np.empty(n, dtype=np.int64)
    order[np.concatenate(positions)] = np.arange(len(values))
    return values.take(pa.array(order))
