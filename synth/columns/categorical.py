"""Categories: ``choice`` (values with weights) and ``boolean`` (true with a probability).

.. code-block:: yaml

    - name: payment_type
      kind: choice
      values: {credit: 45, debit: 25, cash: 20, gift card: 10}   # or a list, with optional weights: [...]

    - name: is_member
      kind: boolean
      probability: 0.3
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa
from .base import (ArrowArray, ChunkContext, Column, InverseCDF, PlanContext, register, values_and_weights,
                   check_values_and_weights)

Scalar = str | int | float | bool


def scalars_type(values: list[Any]) -> str | None:
    """The type Arrow gives a list of YAML scalars (None values aside), in expressions' terms (see
    :meth:`synth.expr.Expression.result_type`); None when not sure Arrow makes one array of them (numbers and
    text mixed, whole numbers beyond 64 bits, nothing but missing values).

    >>> scalars_type([1, 2.5, None]), scalars_type(["a"]), scalars_type([2**60]), scalars_type([1, "a"]) is None
    ('float', 'string', 'int64', True)
    """
    from ..expr import integer_type

    present = [v for v in values if v is not None]
    kinds = {bool if isinstance(v, bool) else type(v) for v in present}
    if kinds == {str}:
        return "string"
    if kinds == {bool}:
        return "boolean"
    if kinds and kinds <= {int, float}:
        whole = integer_type(v for v in present if isinstance(v, int))
        if kinds == {int}:
            return whole
        return "float" if whole == "integer" else None  # whole numbers beside reals: converted to floats exactly
    return None


def dictionary_array(codes: np.ndarray, categories: pa.Array) -> pa.Array:
    """Values as codes into a small dictionary: cheap to make, to write, and to compare."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), categories)


@register
class ChoiceColumn(Column):
    """One of a fixed set of values, drawn with the given weights (equal weights if none given).

    In a correlation, values are treated as ordered as listed (the first is "lowest").
    """

    kind_name: ClassVar[str] = "choice"
    accepts_uniforms: ClassVar[bool] = True
    kind: Literal["choice"] = "choice"
    values: list[Scalar] | dict[str, float] = Field(min_length=1)
    weights: list[float] | None = None

    _icdf: InverseCDF = PrivateAttr(default=None)
    _dictionary: ArrowArray = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "ChoiceColumn":
        categories = check_values_and_weights(self.values, self.weights)  # no numpy: validating makes no values
        if len(set(map(str, categories))) != len(categories):
            raise ValueError("values must be distinct")
        return self

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        # As prepare() makes the dictionary: Arrow's type for the values, else (text beside numbers or booleans)
        # all of them as text; not known for whole numbers too large to be sure of either.
        values = list(self.values)
        found = scalars_type(values)
        if found is None and any(isinstance(v, (str, bool)) for v in values):
            whole = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            found = "string" if all(-2**63 <= v < 2**63 for v in whole) else None
        return {self.name: found}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        return None if self.value_types(known)[self.name] else "its values include whole numbers beyond 2**53"

    def categories(self) -> list[Any]:
        return values_and_weights(self.values, self.weights)[0]

    def probabilities(self) -> np.ndarray:
        """Each category's weight, normalised."""
        return values_and_weights(self.values, self.weights)[1]

    def rules(self) -> list[tuple[str, Any]]:
        allowed = {str(c) for c in self.categories()}
        name = self.name
        return [(f"{name} is one of {len(allowed)} values", lambda f: (f[name].notna() & ~f[name].astype(str).isin(allowed)).to_numpy())]

    def prepare(self, plan: PlanContext) -> None:
        self._icdf = InverseCDF(np.cumsum(self.probabilities()))
        categories = self.categories()
        try:
            self._dictionary = pa.array(categories)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed numbers and text: all text
            self._dictionary = pa.array([str(c) for c in categories])

    def sample(self, ctx: ChunkContext) -> pa.Array:
        return dictionary_array(self._icdf(ctx.uniform(self.name)), self._dictionary)


@register
class BooleanColumn(Column):
    """``true`` with probability ``probability``."""

    kind_name: ClassVar[str] = "boolean"
    accepts_uniforms: ClassVar[bool] = True
    kind: Literal["boolean"] = "boolean"
    probability: float = Field(default=0.5, ge=0.0, le=1.0)

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        return {self.name: "boolean"}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        return None

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        ok = {"true", "false", "1", "0", "1.0", "0.0"}
        return [(f"{name} is true or false", lambda f: (f[name].notna() & ~f[name].astype(str).str.lower().isin(ok)).to_numpy())]

    def sample(self, ctx: ChunkContext) -> pa.Array:
        # high uniforms are "true", so a positive correlation pairs true with large partners
        return pa.array(ctx.uniform(self.name) >= 1.0 - self.probability)
