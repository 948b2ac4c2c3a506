"""Numbers: ``integer`` and ``float`` columns drawn from a named distribution.

Every distribution is sampled through its inverse CDF: ``x = F⁻¹(u)``. That one path gives three things:
truncation by construction (``u`` is drawn from ``[F(min), F(max)]``, so no values pile up at the bounds),
correlations (a Gaussian copula hands in correlated ``u``), and reproducibility.

.. code-block:: yaml

    - name: price
      kind: float
      distribution: lognormal   # uniform, normal, lognormal, exponential, gamma, beta, triangular,
      mu: 1.2                    # poisson, weighted, quantiles
      sigma: 0.4
      min: 1
      max: 20
      round: 2
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, PrivateAttr, model_validator

from ..lazy import LazyModule
from .base import ChunkContext, Column, InverseCDF, PlanContext, as_decimal, duplicated, register, values_and_weights
from .permute import permutation

if TYPE_CHECKING:
    from scipy import special, stats
else:  # scipy takes longer to import than the rest of `synth kinds` / `synth validate`; only some columns use it
    special, stats = LazyModule("scipy.special"), LazyModule("scipy.stats")

# distribution -> (required parameters, optional parameters)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": ((), ()),  # uses min and max
    "normal": (("mean", "std"), ()),
    "lognormal": (("mu", "sigma"), ()),
    "exponential": (("scale",), ("loc",)),
    "gamma": (("shape", "scale"), ("loc",)),
    "beta": (("a", "b"), ("loc", "scale")),
    "triangular": (("left", "mode", "right"), ()),
    "poisson": (("lam",), ()),
    "weighted": (("values",), ("weights",)),
    "quantiles": (("quantiles",), ()),
}
_PARAMS = {p for req, opt in DISTRIBUTIONS.values() for p in req + opt}


class NumericColumn(Column):
    """Shared by ``integer`` and ``float``; see the module docstring for the YAML."""

    accepts_uniforms: ClassVar[bool] = True

    distribution: Literal[
        "uniform", "normal", "lognormal", "exponential", "gamma", "beta", "triangular", "poisson", "weighted", "quantiles"
    ] = "uniform"
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

    _icdf: InverseCDF | None = PrivateAttr(default=None)
    _bounds: tuple[float, float] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "NumericColumn":
        required, optional = DISTRIBUTIONS[self.distribution]
        missing = [p for p in required if getattr(self, p) is None]
        if missing:
            raise ValueError(f"distribution {self.distribution!r} needs {', '.join(missing)}")
        stray = [p for p in _PARAMS - set(required) - set(optional) if getattr(self, p) is not None]
        if stray:
            raise ValueError(f"{', '.join(sorted(stray))} does not apply to distribution {self.distribution!r}")
        if self.distribution == "uniform" and (self.min is None or self.max is None):
            raise ValueError("distribution 'uniform' needs min and max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.distribution == "triangular" and not (self.left <= self.mode <= self.right and self.left < self.right):  # type: ignore[operator]
            raise ValueError("triangular needs left <= mode <= right and left < right")
        if self.distribution == "weighted":
            values_and_weights(self.values or [], self.weights)
        if self.distribution == "quantiles":
            q = np.asarray(self.quantiles, dtype=float)
            if q.size < 2 or np.any(np.diff(q) < 0) or not np.all(np.isfinite(q)):
                raise ValueError("quantiles must be at least two finite values in increasing order")
        if self.unique:
            if self.distribution != "uniform" or self.min is None or self.max is None:
                raise ValueError("unique numbers are drawn without replacement from min..max: use distribution 'uniform' with min and max")
        self._check_mass()
        return self

    def _check_mass(self) -> None:
        """min/max must leave some probability, or truncation is unsatisfiable."""
        lo, hi = self._cdf_bounds()
        if not hi > lo:
            raise ValueError(f"no values of this distribution fall between min ({self.min}) and max ({self.max})")

    # --- the distribution --------------------------------------------------------------------
    def _weighted(self) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self.values, dict):
            return np.array(list(self.values.keys()), float), np.array(list(self.values.values()), float)
        vals = np.asarray(self.values, float)
        w = np.asarray(self.weights if self.weights is not None else np.ones(len(vals)), float)
        return vals, w

    def _frozen(self) -> "_Dist":
        d = self.distribution
        if d == "uniform":
            return _Dist("uniform", loc=self.min, scale=(self.max - self.min) or 1e-300)  # type: ignore[operator]
        if d == "normal":
            return _Dist("norm", loc=self.mean, scale=self.std)
        if d == "lognormal":
            return _Dist("lognorm", s=self.sigma, scale=np.exp(self.mu))  # type: ignore[arg-type]
        if d == "exponential":
            return _Dist("expon", loc=self.loc or 0.0, scale=self.scale)
        if d == "gamma":
            return _Dist("gamma", a=self.shape, loc=self.loc or 0.0, scale=self.scale)
        if d == "beta":
            return _Dist("beta", a=self.a, b=self.b, loc=self.loc or 0.0, scale=self.scale or 1.0)
        if d == "triangular":
            width = self.right - self.left  # type: ignore[operator]
            return _Dist("triang", c=(self.mode - self.left) / width, loc=self.left, scale=width)  # type: ignore[operator]
        if d == "poisson":
            return _Dist("poisson", mu=self.lam)
        raise AssertionError(d)

    def _is_discrete(self) -> bool:
        return self.distribution in ("poisson", "weighted")

    def _lower_edge(self) -> float | None:
        """Truncation bound below, in the units of the continuous draw (integers: half a step wider)."""
        if self.min is None:
            return None
        return self.min - 0.5 if isinstance(self, IntegerColumn) and not self._is_discrete() else self.min

    def _upper_edge(self) -> float | None:
        if self.max is None:
            return None
        return self.max + 0.5 if isinstance(self, IntegerColumn) and not self._is_discrete() else self.max

    def _cdf_bounds(self) -> tuple[float, float]:
        """The slice ``[F(min), F(max)]`` of probability that survives truncation (computed once per column)."""
        if self._bounds is None:
            self._bounds = self._compute_cdf_bounds()
        return self._bounds

    def _compute_cdf_bounds(self) -> tuple[float, float]:
        lo_edge, hi_edge = self._lower_edge(), self._upper_edge()
        d = self.distribution
        if d == "weighted":
            vals, w = self._weighted()
            keep = np.ones(len(vals), bool)
            if lo_edge is not None:
                keep &= vals >= lo_edge
            if hi_edge is not None:
                keep &= vals <= hi_edge
            return (0.0, float(w[keep].sum()))
        if d == "quantiles":
            q = np.asarray(self.quantiles, float)
            lo = 0.0 if lo_edge is None else _quantile_cdf(q, lo_edge, below=True)
            hi = 1.0 if hi_edge is None else _quantile_cdf(q, hi_edge, below=False)
            return (lo, hi)
        dist = self._frozen()
        if self._is_discrete():  # poisson: P(X >= min) starts at cdf(min - 1)
            lo = 0.0 if lo_edge is None else float(dist.cdf(np.ceil(lo_edge) - 1))
            hi = 1.0 if hi_edge is None else float(dist.cdf(np.floor(hi_edge)))
        else:
            lo = 0.0 if lo_edge is None else float(dist.cdf(lo_edge))
            hi = 1.0 if hi_edge is None else float(dist.cdf(hi_edge))
        return (lo, hi)

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
            allowed = set(float(x) for x in self._weighted()[0])
            out.append((f"{name} is one of its values", lambda f: (~number(f)[0].isin(allowed) & number(f)[0].notna()).to_numpy()))
        if self.unique:
            out.append((f"{name} is unique", lambda f: duplicated(f[name])))
        return out

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in [0, 1) to values, respecting min/max by construction."""
        lo, hi = self._cdf_bounds()
        p = lo + u * (hi - lo)
        d = self.distribution
        if d == "weighted":
            if self._icdf is None:
                vals, w = self._weighted()
                keep = np.ones(len(vals), bool)
                if self.min is not None:
                    keep &= vals >= self.min
                if self.max is not None:
                    keep &= vals <= self.max
                self._icdf = InverseCDF(np.cumsum(np.where(keep, w, 0.0)))
            return self._weighted()[0][self._icdf(u)]
        if d == "quantiles":
            q = np.asarray(self.quantiles, float)
            x = np.interp(p, np.linspace(0, 1, len(q)), q)
        else:
            x = self._frozen().ppf(p)
        lo_e, hi_e = self._lower_edge(), self._upper_edge()
        if lo_e is not None or hi_e is not None:  # guards float round-off at the very edges only
            x = np.clip(x, lo_e if lo_e is not None else -np.inf, hi_e if hi_e is not None else np.inf)
        return x

    def draw(self, ctx: ChunkContext) -> np.ndarray:
        if self.unique:
            low = int(np.ceil(self.min))  # type: ignore[arg-type]
            size = int(np.floor(self.max)) - low + 1  # type: ignore[arg-type]
            return (low + permutation(ctx.row_numbers(), size, ctx.seed, self.name)).astype(float)
        return self.quantile(ctx.uniform(self.name))


class _Dist:
    """A scipy distribution with its parameters (scipy's parametrisation: shape, ``loc``, ``scale``).

    Normal, lognormal, exponential, gamma and uniform are evaluated straight through ``scipy.special``, with
    the same formulas scipy uses: scipy.stats' generic argument handling costs about 100 µs a call, which is
    most of the time for small tables with many conditional cases. Other families go through scipy.stats.
    """

    def __init__(self, dist: str | Any, **params: Any) -> None:
        # A family's scipy name ("norm"), or the scipy distribution itself.
        self.name, self.params = (dist if isinstance(dist, str) else dist.name), params
        self.fast = _SPECIAL.get(self.name)
        self.shape = {k: v for k, v in params.items() if k not in ("loc", "scale")}
        self.loc, self.scale = float(params.get("loc", 0.0)), float(params.get("scale", 1.0))

    @property
    def dist(self) -> Any:
        from scipy import stats  # imported when a schema needs it: scipy.stats is most of a cold start

        return getattr(stats, self.name)

    def cdf(self, x: Any) -> Any:
        if self.fast is None:
            return self.dist.cdf(x, **self.params)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.fast[0]((np.asarray(x, dtype=float) - self.loc) / self.scale, **self.shape)

    def ppf(self, p: Any) -> Any:
        if self.fast is None:
            return self.dist.ppf(p, **self.params)
        return self.fast[1](np.asarray(p, dtype=float), **self.shape) * self.scale + self.loc


#: Standardised (cdf, ppf) of the common families, as scipy.stats computes them internally.
_SPECIAL: dict[str, tuple[Any, Any]] = {
    "norm": (lambda z: special.ndtr(z), lambda q: special.ndtri(q)),  # lambdas: scipy is imported at first call
    "uniform": (lambda z: np.clip(z, 0.0, 1.0), lambda q: q),
    "expon": (lambda z: np.where(z > 0, -special.expm1(-np.maximum(z, 0)), 0.0), lambda q: -special.log1p(-q)),
    "lognorm": (lambda z, s: np.where(z > 0, special.ndtr(np.log(np.maximum(z, 1e-300)) / s), 0.0),
                lambda q, s: np.exp(s * special.ndtri(q))),
    "gamma": (lambda z, a: special.gammainc(a, np.maximum(z, 0)), lambda q, a: special.gammaincinv(a, q)),
}


def _quantile_cdf(q: np.ndarray, x: float, below: bool) -> float:
    """P(X < x) (``below``) or P(X <= x) for the piecewise-linear quantile function through ``q``.

    Repeated knots are point masses (many zeros), so "strictly below" and "at or below" differ there.
    """
    p = np.linspace(0, 1, len(q))
    i = int(np.searchsorted(q, x, side="left" if below else "right"))
    if i == 0:
        return 0.0
    if i == len(q):
        return 1.0
    width = q[i] - q[i - 1]
    return float(p[i - 1] + (x - q[i - 1]) / width * (p[i] - p[i - 1])) if width > 0 else float(p[i - 1])


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
