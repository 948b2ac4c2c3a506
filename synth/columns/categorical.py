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

from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa
from .base import ArrowArray, ChunkContext, Column, InverseCDF, PlanContext, register, values_and_weights

Scalar = str | int | float | bool


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
        categories, _ = values_and_weights(self.values, self.weights)
        if len(set(map(str, categories))) != len(categories):
            raise ValueError("values must be distinct")
        return self

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

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        ok = {"true", "false", "1", "0", "1.0", "0.0"}
        return [(f"{name} is true or false", lambda f: (f[name].notna() & ~f[name].astype(str).str.lower().isin(ok)).to_numpy())]

    def sample(self, ctx: ChunkContext) -> pa.Array:
        # high uniforms are "true", so a positive correlation pairs true with large partners
        return pa.array(ctx.uniform(self.name) >= 1.0 - self.probability)
