"""Columns computed from others: ``expression`` and ``conditional``.

.. code-block:: yaml

    - name: amount
      kind: expression
      expr: round(price * quantity, 2)

    - name: calories
      kind: conditional         # a different distribution for each value of another column
      on: type
      cases:
        drink: {kind: integer, distribution: normal, mean: 150, std: 80, min: 0, max: 400}
        food: {kind: integer, distribution: normal, mean: 380, std: 100, min: 150, max: 600}
      default: {kind: integer, distribution: uniform, min: 0, max: 600}   # optional

    - name: price
      kind: conditional         # cases chosen by conditions on several columns: the first that holds
      cases:
        - when: {pizza: [hawaiian, margherita], size: L}        # a value, or a list of values (null: empty)
          kind: float
          distribution: weighted
          values: {16.75: 1}
        - when: {carat: {min: 0.5, below: 1.2}, cut: [Ideal]}   # a range of numbers: min <= x < below
          kind: float
          distribution: lognormal
          mean: 8.2
          sigma: 0.3
      default: {kind: float, distribution: uniform, min: 5, max: 20}

``synth fit`` writes the second form: the cases are the leaves of a decision tree over the columns the
value depends on, each seen in enough rows to be shared (see ``synth.fit.trees``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError, field_validator, model_validator

from ..expr import Expression
from ..lazy import np, pa, pc
from .base import KINDS, ChunkContext, Column, PlanContext, as_decimal, register


@register
class ExpressionColumn(Column):
    """A value computed row by row from other columns (see ``synth.expr`` for the language)."""

    kind_name: ClassVar[str] = "expression"
    random: ClassVar[bool] = False  # recomputing gives the same values: a constraint on it cannot be met by redrawing it
    kind: Literal["expression"] = "expression"
    expr: str
    type: Literal["integer", "float", "string", "boolean"] | None = Field(
        default=None, description="Cast the result to this type"
    )

    _parsed: Expression = PrivateAttr(default=None)

    @field_validator("expr")
    @classmethod
    def _parse(cls, text: str) -> str:
        Expression.parse(text)  # raises with a precise message
        return text

    def model_post_init(self, _: Any) -> None:
        self._parsed = Expression.parse(self.expr)

    def native(self, values: pa.Array) -> pa.Array:
        scale = self._parsed.rounded_to()
        if scale is None or self.type not in (None, "float"):
            return values
        return as_decimal(values, scale)

    def dependencies(self) -> set[str]:
        return set(self._parsed.names)

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        made = self._parsed.result_type(known)
        if self.type is None or made is None:
            return {self.name: made}
        # sample()'s cast to `type`: only the casts that succeed on every value (not text to numbers, not a
        # float to integers: NaN and infinities fail)
        if self.type == "integer":
            return {self.name: made if made in ("integer", "int64") else "integer" if made == "boolean" else None}
        fine = {"float": ("integer", "float", "boolean"), "string": ("integer", "int64", "float", "string", "boolean",
                "date", "time", "datetime"), "boolean": ("integer", "int64", "float", "boolean")}[self.type]
        return {self.name: self.type if made in fine else None}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        if self.value_types(known)[self.name] is not None:
            return None
        return f"whether {self.expr!r} evaluates on every row is known only by evaluating it"

    def rules(self) -> list[tuple[str, Any]]:
        """The column equals its expression, recomputed from the table's other columns."""
        name, expr = self.name, self._parsed

        def breaks(frame: Any) -> np.ndarray:
            import pandas as pd

            table = pa.Table.from_pandas(frame[sorted(expr.names)], preserve_index=False)
            made = expr.evaluate({c: table[c].combine_chunks() for c in table.column_names}, len(frame))
            expected = pd.Series(made.to_pandas())
            actual = frame[name]
            if pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected):
                got = pd.to_numeric(actual, errors="coerce")
                bad = (got - expected).abs() > 1e-6 * np.maximum(1.0, expected.abs())
            else:
                bad = actual.astype(str).str.lower() != expected.astype(str).str.lower()
            return (bad & actual.notna() & expected.notna()).fillna(False).to_numpy()

        return [(f"{name} = {self.expr}", breaks)]

    def sample(self, ctx: ChunkContext) -> pa.Array:
        out = self._parsed.evaluate(ctx.values, ctx.n)
        if self.type is not None:
            target = {"integer": pa.int64(), "float": pa.float64(), "string": pa.string(), "boolean": pa.bool_()}[self.type]
            if self.type == "integer" and pa.types.is_floating(out.type):
                out = pc.round(out)
            out = pc.cast(out, target)
        return out


def _key_text(key: Any) -> str:
    """Case keys compared as Arrow renders values as text (true/false, 3, 2.5)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str):
        return key
    return pa.scalar(key).cast(pa.string()).as_py()


def _validate_case(spec: Any, name: str, kind_of_default: str | None = None) -> Column:
    """A case's column. One without ``kind`` makes the default's kind of value (learned schemas leave it
    out of every case: thousands of cases, each saying ``kind: float`` again)."""
    if not isinstance(spec, dict):
        raise ValueError("each case is a column spec, like {kind: integer, min: 0, max: 9}")
    kind = spec.get("kind", kind_of_default)
    if kind is None:
        raise ValueError("each case needs a kind (or the conditional a default whose kind it takes)")
    spec = {**spec, "kind": kind}
    if kind not in KINDS or not KINDS[kind].in_cases:
        raise ValueError(f"case kind {kind!r} is not a kind that can be used in a case")
    return KINDS[kind].model_validate({**spec, "name": name})


class Range(BaseModel):
    """Numbers ``min <= x < below`` (either end open); ``nulls``: whether empty values fall in it too."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when a case first needs it
    min: float | None = None
    below: float | None = None
    nulls: bool = False


Scalar = str | int | float | bool
#: What a column must be for a case to hold: one value, one of several values (None: empty), or a range.
Condition = Range | list[Scalar | None] | Scalar


@register
class ConditionalColumn(Column):
    """Pick the generator by the value of column ``on`` (calories by product type), or, with ``cases`` as a
    list, by the first case whose ``when`` holds on the row (price by pizza and size)."""

    kind_name: ClassVar[str] = "conditional"
    in_cases: ClassVar[bool] = False
    #: In a correlation, each case turns the copula's uniforms into its own distribution (a conditional copula).
    accepts_uniforms: ClassVar[bool] = True
    kind: Literal["conditional"] = "conditional"
    on: str | None = None
    cases: dict[str | int | float | bool, dict[str, Any]] | list[dict[str, Any]] = Field(min_length=1)
    default: dict[str, Any] | None = None

    _cases: dict[str, Column] = PrivateAttr(default_factory=dict)
    _when: list[dict[str, Condition]] = PrivateAttr(default_factory=list)
    _default: Column | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build(self) -> "ConditionalColumn":
        inherited = self.default.get("kind") if isinstance(self.default, dict) else None
        if isinstance(self.cases, list):
            if self.on is not None:
                raise ValueError("give either 'on' with cases by value, or cases as a list each with 'when'")
            for i, case in enumerate(self.cases):
                if not isinstance(case, dict) or not isinstance(case.get("when"), dict) or not case["when"]:
                    raise ValueError(f"cases[{i}] needs 'when': a mapping of column names to what they must be")
                try:
                    self._when.append(_when_adapter().validate_python(case["when"]))
                except ValidationError as exc:
                    raise ValueError(f"cases[{i}].when: {_when_error(exc)}") from None
                self._cases[str(i)] = _validate_case({k: v for k, v in case.items() if k != "when"}, self.name, inherited)
        elif self.on is None:
            raise ValueError("'on' names the column whose value picks the case")
        else:
            self._cases = {_key_text(k): _validate_case(v, self.name, inherited) for k, v in self.cases.items()}
        self._default = _validate_case(self.default, self.name) if self.default is not None else None
        kinds = {c.kind for c in self._all()}
        if len(kinds - {"integer", "float"}) > 1 or (kinds - {"integer", "float"} and len(kinds) > 1):
            raise ValueError(f"all cases must make the same kind of value, got {', '.join(sorted(kinds))}")
        return self

    def _all(self) -> list[Column]:
        return list(self._cases.values()) + ([self._default] if self._default is not None else [])

    def dependencies(self) -> set[str]:
        deps = {self.on} if self.on is not None else {c for when in self._when for c in when}
        for case in self._all():
            deps |= case.dependencies()
        return deps

    def prepare(self, plan: PlanContext) -> None:
        for case in self._all():
            case.prepare(plan)

    def sample(self, ctx: ChunkContext) -> pa.Array:
        parts: list[pa.Array] = []
        positions: list[np.ndarray] = []
        matched = np.zeros(ctx.n, bool)
        for value, rows in self._case_rows(ctx):
            case = self._cases[value]
            matched[rows] = True
            if len(rows):
                parts.append(_with_nulls(case, case.sample_rows(ctx, rows, f"case:{value}", uniforms=True), ctx, value))
                positions.append(rows)
        rest = np.flatnonzero(~matched)
        if len(rest) and self._default is not None:
            parts.append(_with_nulls(self._default, self._default.sample_rows(ctx, rest, "case:default", uniforms=True), ctx, "default"))
            positions.append(rest)
        return _scatter(parts, positions, ctx.n)


    def _case_rows(self, ctx: ChunkContext) -> Iterator[tuple[str, np.ndarray]]:
        """Each case's key and its rows in this chunk (a row goes to the first case that holds)."""
        if self.on is not None:
            slot, order, bounds = _grouped(ctx, self.on)
            for value in self._cases:
                i = slot.get(value)
                if i is not None:
                    yield value, order[bounds[i]:bounds[i + 1]]
            return
        taken = np.zeros(ctx.n, bool)
        for i, when in enumerate(self._when):
            holds = ~taken
            for column, condition in when.items():
                holds &= _holds(ctx, column, condition)
            taken |= holds
            yield str(i), np.flatnonzero(holds)


@functools.cache
def _when_adapter() -> TypeAdapter:
    """The validator of a case's ``when`` (built on first use: a schema without such cases never needs it)."""
    return TypeAdapter(dict[str, Condition])


def _when_error(exc: ValidationError) -> str:
    """The clearest of pydantic's union errors: the one about a range when a mapping was given."""
    errors = exc.errors()
    ranged = [e for e in errors if "Range" in map(str, e["loc"])]
    e = (ranged or errors)[0]
    column = e["loc"][0]
    if e["type"] == "extra_forbidden":
        return f"{column}: unknown key {e['loc'][-1]!r} (a range takes min, below and nulls)"
    return f"{column}: {e['msg']} (a value, a list of values, or a range {{min: a, below: b}})"


def _holds(ctx: ChunkContext, column: str, condition: Condition) -> np.ndarray:
    """Where column ``column`` of the chunk meets ``condition`` (numbers by range, anything else by its text)."""
    if isinstance(condition, Range):
        numbers = ctx.memo.get(("numbers", column))
        if numbers is None or numbers[0] is not ctx.values[column]:
            values = ctx.values[column]
            if pa.types.is_dictionary(values.type):
                values = values.dictionary_decode()
            x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
            empty = np.isnan(x)  # (once per chunk and column: a learned schema has hundreds of ranges on one)
            numbers = (ctx.values[column], x, empty, ~empty)
            ctx.memo[("numbers", column)] = numbers
        _, x, empty, filled = numbers
        with np.errstate(invalid="ignore"):
            inside = filled if condition.min is None else filled & (x >= condition.min)
            if condition.below is not None:
                inside = inside & (x < condition.below)
        return empty | inside if condition.nulls else inside if inside is not filled else filled.copy()
    slot, order, bounds = _grouped(ctx, column)
    wanted = condition if isinstance(condition, list) else [condition]
    out = np.zeros(ctx.n, bool)
    for value in wanted:
        if value is None:
            decoded = ctx.values[column]
            out |= decoded.is_null().to_numpy(zero_copy_only=False)
            continue
        i = slot.get(_key_text(value))
        if i is not None:
            out[order[bounds[i]:bounds[i + 1]]] = True
    return out


def _grouped(ctx: ChunkContext, on: str) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Rows grouped by the text of column ``on``: each value's slot, rows in slot order, slot bounds.

    Computed once per chunk and key column: conditional columns on the same key (species) share it.
    """
    key = ctx.values[on]
    memo = ctx.memo.get(("grouped", on))
    if memo is not None and memo[0] is key:
        return memo[1]
    decoded = key.dictionary_decode() if pa.types.is_dictionary(key.type) else key
    encoded = pc.dictionary_encode(pc.cast(decoded, pa.string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    slot = {text: i for i, text in enumerate(encoded.dictionary.to_pylist())}
    order = np.argsort(codes, kind="stable")
    grouped = (slot, order, np.searchsorted(codes[order], np.arange(len(slot) + 1)))
    ctx.memo[("grouped", on)] = (key, grouped)
    return grouped


def _with_nulls(case: Column, values: Any, ctx: ChunkContext, label: str) -> pa.Array:
    """A case's own ``nulls`` share (e.g. no income where not working), on top of the column's."""
    assert not isinstance(values, dict)
    if case.nulls <= 0 or len(values) == 0:
        return values
    drop = ctx.rng(case.name, "case-nulls", label).random(len(values)) < case.nulls
    return pc.if_else(pa.array(drop), pa.nulls(len(values), values.type), values)


def _scatter(parts: list[pa.Array], positions: list[np.ndarray], n: int) -> pa.Array:
    """Put each part's values at its row positions; rows no part covers are null."""
    if not parts:
        return pa.nulls(n)
    if len({p.type for p in parts}) > 1:
        types = {p.type for p in parts}
        common = pa.float64() if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types) else pa.string()
        parts = [p.dictionary_decode() if pa.types.is_dictionary(p.type) else p for p in parts]
        parts = [pc.cast(p, common) for p in parts]
    values = pa.concat_arrays([p.dictionary_decode() if pa.types.is_dictionary(p.type) else p for p in parts])
    order = np.full(n, len(values), dtype=np.int64)  # index past the end -> null via the appended null
    order[np.concatenate(positions)] = np.arange(len(values))
    values = pa.concat_arrays([values, pa.nulls(1, values.type)])
    return values.take(pa.array(order))
