"""Numbers: ``integer`` and ``float`` columns drawn from a named distribution.

Every distribution is sampled through its inverse CDF: ``x = F⁻¹(u)``. That one path gives three things:
truncation by construction (``u`` is drawn from ``[F(min), F(max)]``, so no values pile up at the bounds),
correlations (a Gaussian copula hands in correlated ``u``), and reproducibility.

.. code-block:: yaml

    - name: price
      kind: float
      distribution: lognormal   # or any in synth/columns/distributions.py (`synth kinds float` lists them)
      mu: 1.2                   # the family's own parameters (its Params model), beside `distribution`
      sigma: 0.4
      min: 1
      max: 20
      round: 2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, ValidationError, ValidatorFunctionWrapHandler, field_validator, model_validator

from ..lazy import np, pa
from .base import ChunkContext, Column, PlanContext, as_decimal, duplicated, register
from .distributions import DISTRIBUTIONS, Distribution, distribution_reference, parameter_names
from .permute import permutation


class NumericColumn(Column):
    """Shared by ``integer`` and ``float``; see the module docstring for the YAML.

    The keys of the distribution's parameters are not fields of the column: each family owns them (its
    ``Params`` model in :mod:`synth.columns.distributions`), and the entry is checked against the family
    it names. The validated parameters are :attr:`parameters`.
    """

    accepts_uniforms: ClassVar[bool] = True

    distribution: str = Field(default="uniform", description="A family of `synth kinds float`'s list below; its parameters go beside it")
    min: float | None = None
    max: float | None = None
    unique: bool = False

    _family: Distribution = PrivateAttr(default=None)
    _parameters: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("distribution")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {name!r}; distributions: {', '.join(DISTRIBUTIONS)}")
        return name

    @model_validator(mode="wrap")
    @classmethod
    def _split_parameters(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> "NumericColumn":
        """The entry's own fields go to the column; the other keys are the family's, checked by its ``Params``."""
        if not isinstance(data, dict):
            return handler(data)
        # (Each lookup bound once: pydantic's ``model_fields`` is a property, and a learned schema validates
        # thousands of cases, each with a few keys.)
        fields = cls.model_fields
        own = {k: v for k, v in data.items() if k in fields}
        rest = {k: v for k, v in data.items() if k not in fields}
        family = DISTRIBUTIONS.get(own.get("distribution", "uniform"))
        if family is None:  # an unknown name: the column's own check says so, and lists the families
            return handler(own)
        params = family.Params
        taken = params.model_fields
        unknown = [k for k in rest if k not in taken]
        if unknown:
            known = parameter_names()
            foreign = sorted(k for k in unknown if k in known)
            if foreign:
                raise ValueError(f"{', '.join(foreign)} does not apply to distribution {family.name!r}")
            # before "needs": a misspelt parameter is both unknown and missing
            raise ValidationError.from_exception_data(
                cls.__name__, [{"type": "extra_forbidden", "loc": (k,), "input": rest[k]} for k in unknown])
        missing = [p for p in family.required if rest.get(p) is None]
        if missing:
            raise ValueError(f"distribution {family.name!r} needs {', '.join(missing)}")
        parameters = params.model_validate(rest)  # a wrong value: an error at its key
        column = handler(own)
        column._parameters = {k: getattr(parameters, k) for k in taken}
        return column._check()

    @classmethod
    def yaml_keys(cls, raw: dict[str, Any]) -> list[str]:
        family = DISTRIBUTIONS.get(raw.get("distribution", "uniform"))
        return super().yaml_keys(raw) + (list(family.Params.model_fields) if family is not None else [])

    @classmethod
    def reference(cls) -> str:
        return "Distributions (`distribution:`), with the parameters each takes beside it:\n" + distribution_reference()

    @property
    def parameters(self) -> dict[str, Any]:
        """The family's parameters as validated (None: an optional one not given)."""
        return dict(self._parameters)

    def _check(self) -> "NumericColumn":
        family = DISTRIBUTIONS[self.distribution]
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        made = self._family = family.of(self, self._parameters)  # checks the parameters together (left <= mode <= right, ...)
        if self.unique:
            if self.distribution != "uniform" or self.min is None or self.max is None:
                raise ValueError("unique numbers are drawn without replacement from min..max: use distribution 'uniform' with min and max")
        lo, hi = made.kept(self._lower_edge(), self._upper_edge())
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

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        if isinstance(self, FloatColumn):
            return {self.name: "float"}
        # integers: sample() clips them to min..max; a weighted family gives only its values
        bounds = [b for b in (self.min, self.max) if b is not None]
        if self.distribution == "weighted":
            bounds = bounds if len(bounds) == 2 else list(self._family.parameters()["values"])  # type: ignore[union-attr]
        small = len(bounds) >= 2 and all(math.isfinite(b) and abs(b) <= 2**53 for b in bounds)
        return {self.name: "integer" if small else "int64"}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        # Validation built the family and checked its parameters and bounds; what is left is prepare()'s check.
        if not self.unique:
            return None
        if not (math.isfinite(self.min) and math.isfinite(self.max)):  # type: ignore[arg-type]
            return "unique values between bounds that are not finite"
        size = math.floor(self.max) - math.ceil(self.min) + 1  # type: ignore[arg-type]
        return f"unique values: {rows} rows but min..max holds {size} distinct values" if size < rows else None

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
            family = self._family
            allowed = set(float(x) for x in family.points)  # type: ignore[attr-defined]

            def unlisted(f: Any) -> np.ndarray:
                v = number(f)[0]
                out = (~v.isin(allowed) & v.notna()).to_numpy()
                return out & ~family.in_tails(v.to_numpy(dtype=float, na_value=np.nan))  # type: ignore[attr-defined]
            out.append((f"{name} is one of its values", unlisted))
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
