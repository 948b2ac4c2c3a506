"""Numbers: ``integer`` and ``float`` columns drawn from a named distribution.

Every distribution is sampled through its inverse CDF: ``x = F⁻¹(u)``. That one path gives three things:
truncation by construction (``u`` is drawn from ``[F(min), F(max)]``, so no values pile up at the bounds),
correlations (a Gaussian copula hands in correlated ``u``), and reproducibility.

.. code-block:: yaml

    - name: price
      kind: float
      distribution: lognormal   # or any in synth/columns/distributions.py (`synth kinds float` lists them)
      mu: 1.2
      sigma: 0.4
      min: 1
      max: 20
      round: 2
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa
from .base import ChunkContext, Column, PlanContext, as_decimal, duplicated, register
from .distributions import DISTRIBUTIONS, Distribution, parameter_names
from .permute import permutation

#: The registered family names, as a type: schema errors and `synth kinds` list them.
DistributionName = Literal[tuple(DISTRIBUTIONS)]  # type: ignore[valid-type]
_PARAMS = parameter_names()


class NumericColumn(Column):
    """Shared by ``integer`` and ``float``; see the module docstring for the YAML."""

    accepts_uniforms: ClassVar[bool] = True

    distribution: DistributionName = "uniform"
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = Field(default=None, gt=0)
    mu: float | None = None
    sigma: float | None = Field(default=None, gt=0)
    scale: float | None = Field(default=None, gt=0)
    loc: float | None = None
    shape: float | None = Field(default=None, gt=0)
    a: float | None = Field(default=None, gt=0)
    b: float | None = Field(default=None, gt=0)
    left: float | None = None
    mode: float | None = None
    right: float | None = None
    lam: float | None = Field(default=None, gt=0)
    values: list[float] | dict[float, float] | None = None
    weights: list[float] | None = None
    quantiles: list[float] | None = Field(default=None, description="Values at evenly spaced probabilities 0..1")
    unique: bool = False

    _family: Distribution = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "NumericColumn":
        family = DISTRIBUTIONS[self.distribution]
        missing = [p for p in family.required if getattr(self, p) is None]
        if missing:
            raise ValueError(f"distribution {self.distribution!r} needs {', '.join(missing)}")
        stray = [p for p in _PARAMS - set(family.required) - set(family.optional) if getattr(self, p) is not None]
        if stray:
            raise ValueError(f"{', '.join(sorted(stray))} does not apply to distribution {self.distribution!r}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        self._family = family.of(self)  # checks the parameters together (left <= mode <= right, ...)
        if self.unique:
            if self.distribution != "uniform" or self.min is None or self.max is None:
                raise ValueError("unique numbers are drawn without replacement from min..max: use distribution 'uniform' with min and max")
        lo, hi = self._family.kept(self._lower_edge(), self._upper_edge())
        if not hi > lo:  # min/max must leave some probability, or truncation is unsatisfiable
            raise ValueError(f"no values of this distribution fall between min ({self.min}) and max ({self.max})")
        return self

    def _lower_edge(self) -> float | None:
        """Truncation bound below, in the units of the continuous draw (integers: half a step wider)."""
        if self.min is None:
            return None
        return self.min - 0.5 if isinstance(self, IntegerColumn) and not self._family.discrete else self.min

    def _upper_edge(self) -> float | None:
        if self.max is None:
            return None
        return self.max + 0.5 if isinstance(self, IntegerColumn) and not self._family.discrete else self.max

    def prepare(self, plan: PlanContext) -> None:
        if self.unique:
            size = int(np.floor(self.max) - np.ceil(self.min) + 1)  # type: ignore[arg-type]
            if size < plan.total_rows:
                raise ValueError(
                    f"unique values: {plan.total_rows} rows asked for but min..max holds only {size} distinct values"
                )

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name

        def number(frame: Any) -> tuple[Any, np.ndarray]:
            import pandas as pd

            v = pd.to_numeric(frame[name], errors="coerce")
            return v, (frame[name].notna() & v.isna()).to_numpy()

        out: list[tuple[str, Any]] = [(f"{name} is a number", lambda f: number(f)[1])]
        if isinstance(self, IntegerColumn):
            out.append((f"{name} is a whole number", lambda f: (number(f)[0] % 1 != 0).fillna(False).to_numpy()))
        if self.min is not None:
            out.append((f"{name} >= {self.min:g}", lambda f, lo=self.min: (number(f)[0] < lo).fillna(False).to_numpy()))
        if self.max is not None:
            out.append((f"{name} <= {self.max:g}", lambda f, hi=self.max: (number(f)[0] > hi).fillna(False).to_numpy()))
        if self.distribution == "weighted":
            allowed = set(float(x) for x in self._family.points)  # type: ignore[attr-defined]
            out.append((f"{name} is one of its values", lambda f: (~number(f)[0].isin(allowed) & number(f)[0].notna()).to_numpy()))
        if self.unique:
            out.append((f"{name} is unique", lambda f: duplicated(f[name])))
        return out

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in [0, 1) to values, respecting min/max by construction."""
        return self._family.sample(u, self._lower_edge(), self._upper_edge())

    def draw(self, ctx: ChunkContext) -> np.ndarray:
        if self.unique:
            low = int(np.ceil(self.min))  # type: ignore[arg-type]
            size = int(np.floor(self.max)) - low + 1  # type: ignore[arg-type]
            return (low + permutation(ctx.row_numbers(), size, ctx.seed, self.name)).astype(float)
        return self.quantile(ctx.uniform(self.name))


@register
class IntegerColumn(NumericColumn):
    """Whole numbers. Continuous distributions are rounded to the nearest integer within min..max."""

    kind_name: ClassVar[str] = "integer"
    kind: Literal["integer"] = "integer"

    def sample(self, ctx: ChunkContext) -> pa.Array:
        x = self.draw(ctx)
        out = np.rint(x)
        if self.min is not None:
            out = np.maximum(out, np.ceil(self.min))
        if self.max is not None:
            out = np.minimum(out, np.floor(self.max))
        return pa.array(out.astype(np.int64))


@register
class FloatColumn(NumericColumn):
    """Real numbers, optionally rounded to ``round`` decimals."""

    kind_name: ClassVar[str] = "float"
    kind: Literal["float"] = "float"
    round: int | None = Field(default=None, ge=0, le=12,
                              description="Decimals to round to; Parquet then stores exact decimals of this scale")

    def native(self, values: pa.Array) -> pa.Array:
        return values if self.round is None else as_decimal(values, self.round)

    def sample(self, ctx: ChunkContext) -> pa.Array:
        x = self.draw(ctx)
        if self.round is not None:
            x = np.round(x, self.round)
            # rounding may step past a bound by half a unit; pull those back inside
            if self.min is not None:
                x = np.where(x < self.min, np.ceil(self.min * 10**self.round) / 10**self.round, x)
            if self.max is not None:
                x = np.where(x > self.max, np.floor(self.max * 10**self.round) / 10**self.round, x)
        return pa.array(x)
