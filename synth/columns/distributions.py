"""The distributions of ``integer`` and ``float`` columns: one class per family, found by name in :data:`DISTRIBUTIONS`.

A family knows its parameters (the YAML keys it needs), checks them, and gives its ``cdf`` and ``ppf``
(inverse cdf); families with a simple estimator also ``fit`` themselves to data for ``synth fit``. Every
family is sampled the same way, through its ppf (:meth:`Distribution.sample`):

>>> normal = Normal(mean=10.0, std=2.0)
>>> normal.sample(np.array([0.5]), low=None, high=None)          # the median
array([10.])
>>> float(normal.sample(np.array([0.0]), low=11.0, high=None)[0])   # truncated to [11, inf): starts at 11
11.0
>>> Normal.fit(np.array([1.0, 2.0, 3.0])).parameters()
{'mean': 2.0, 'std': 0.816496580927726}

Adding a family is one class (here or in any module) plus ``@register``: its name, its parameters (a
pydantic model ``Params``: the YAML keys a schema writes next to ``distribution:``, with their types and
ranges), ``cdf`` and ``ppf`` (and ``fit`` if ``synth fit`` should propose it). The numeric column finds the
family by name and validates its keys against ``Params``, so an error names the key, its file, line and
column; the draft prompt and ``synth kinds`` list the registry, so they need no edit either:

>>> from pydantic import Field
>>> @register                                                             # doctest: +SKIP
... class Laplace(LocationScale):
...     'A sharp peak at mean, tails falling off exponentially, scale wide.'
...     name = "laplace"
...     class Params(Parameters):
...         mean: float
...         scale: float = Field(gt=0)
...     def __init__(self, mean: float, scale: float) -> None:
...         super().__init__()
...         self.mean, self.scale, self.shift, self.stretch = mean, scale, mean, scale
...     def standard_cdf(self, z): return np.where(z < 0, 0.5 * np.exp(z), 1 - 0.5 * np.exp(-z))
...     def standard_ppf(self, q): return np.where(q < 0.5, np.log(2 * q), -np.log(2 - 2 * q))
"""

from __future__ import annotations

import bisect
import functools
import math
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..lazy import np
from .base import check_values_and_weights, check_weights, values_and_weights

if TYPE_CHECKING:
    from scipy import special, stats
else:  # scipy takes longer to import than the rest of `synth validate`; only some families need it
    from ..lazy import LazyModule

    # (scipy.special's compiled ufuncs, without the package's import: synth.lazy.import_special_functions)
    special, stats = LazyModule("scipy.special._ufuncs"), LazyModule("scipy.stats")

#: Every family by its YAML name, in the order people usually reach for them.
DISTRIBUTIONS: dict[str, type["Distribution"]] = {}


class Parameters:
    """A family's parameters as a schema gives them: each annotated field is a YAML key beside ``distribution:``,
    written as in a pydantic model (``scale: float = Field(gt=0)``); ``Params`` is that pydantic model.

    A field without a default is required. ``min`` and ``max`` are the column's own (they truncate any family).
    The model is made the first time a family's ``Params`` is read (a schema uses the family): making a
    pydantic model costs ~1 ms, and a schema uses one family or two of the registry's ten.

    >>> Normal.Params.model_validate({"mean": 1, "std": 2}).std, Normal.required, Normal.optional
    (2.0, ('mean', 'std'), ())
    """


class _ParamsModel(BaseModel):
    # defer_build: a family's validator is built when a schema first validates its parameters.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _LazyParams:
    """A family's ``Params``: the class declared, made the pydantic model of :class:`Parameters` when first read."""

    def __init__(self, declared: type) -> None:
        self.declared, self.model = declared, None
        self.annotations: dict[str, Any] = {}
        self.namespace: dict[str, Any] = {}
        for klass in reversed(declared.__mro__):  # a Params may extend another family's declaration
            if klass in (object, Parameters):
                continue
            self.annotations.update(klass.__dict__.get("__annotations__", {}))
            self.namespace.update({k: v for k, v in vars(klass).items() if not (k.startswith("__") and k.endswith("__"))})

    def required(self, name: str) -> bool:
        """Whether ``name`` has no default, as pydantic's ``FieldInfo.is_required`` says once the model is made."""
        default = self.namespace.get(name, PydanticUndefined)
        return default is PydanticUndefined or (isinstance(default, FieldInfo) and default.is_required())

    def __get__(self, instance: Any, owner: type) -> type[BaseModel]:
        if self.model is None:
            body = {**self.namespace, "__annotations__": dict(self.annotations), "__module__": self.declared.__module__,
                    "__qualname__": self.declared.__qualname__, "__doc__": self.declared.__doc__}
            self.model = type(_ParamsModel)(self.declared.__name__, (_ParamsModel,), body)
        return self.model


def register(cls: type["Distribution"]) -> type["Distribution"]:
    """Class decorator: make ``cls`` available as ``distribution: <cls.name>`` in schemas.

    Its ``required`` and ``optional`` parameter names are read from its ``Params`` declaration (a subclass of
    :class:`Parameters`, or a pydantic model).
    """
    declared = cls.__dict__.get("Params", cls.Params)
    if isinstance(declared, type) and issubclass(declared, Parameters):
        params = _LazyParams(declared)
        cls.Params = params  # type: ignore[assignment]  # read as the model (a descriptor)
        names = list(params.annotations)
        cls.required = tuple(n for n in names if params.required(n))
        cls.optional = tuple(n for n in names if not params.required(n))
    else:
        fields = cls.Params.model_fields
        cls.required = tuple(n for n, f in fields.items() if f.is_required())
        cls.optional = tuple(n for n, f in fields.items() if not f.is_required())
    DISTRIBUTIONS[cls.name] = cls
    return cls


class Distribution:
    """A family of distributions with its parameters. Subclasses set the class attributes and give cdf and ppf.

    ``low`` and ``high`` below are truncation bounds (``None``: unbounded). A column draws ``x = F⁻¹(u')`` with
    ``u'`` spread over the slice ``[F(low), F(high)]``: no values pile up at the bounds, correlated uniforms
    from a copula keep their ranks, and the same uniforms always give the same values.
    """

    #: The YAML name (``distribution: normal``).
    name: ClassVar[str] = ""
    #: The parameters' model: the YAML keys, their types and ranges (and the keyword arguments of ``__init__``),
    #: declared as a :class:`Parameters` subclass; read, it is the pydantic model (made then).
    Params: ClassVar[Any] = Parameters
    #: Parameters a schema must give, and ones it may give: set by :func:`register` from ``Params``.
    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()
    #: Takes only whole numbers or listed values: an integer column's bounds are not widened by half a step.
    discrete: ClassVar[bool] = False

    def __init__(self) -> None:
        self._kept: dict[tuple[float | None, float | None], tuple[float, float]] = {}

    @classmethod
    def of(cls, column: Any, parameters: dict[str, Any]) -> "Distribution":
        """The family for a numeric column entry, with the ``parameters`` validated by ``Params`` (None: not given)."""
        return cls(**{p: v for p, v in parameters.items() if v is not None})

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Distribution | None":
        """The family with parameters estimated from ``sample`` (which lies within [low, high]); None where it
        cannot describe such data (a lognormal for values <= 0).

        Families without an estimator are never proposed by ``synth fit``.
        """
        return None

    def parameters(self) -> dict[str, Any]:
        """The YAML parameters of this distribution (what ``synth fit`` writes)."""
        return {p: getattr(self, p) for p in self.required + self.optional if getattr(self, p, None) is not None}

    def cdf(self, x: Any) -> Any:
        """P(X <= x)."""
        raise NotImplementedError

    def ppf(self, p: Any) -> Any:
        """The inverse of the cdf: the value below which a share ``p`` of the distribution lies."""
        raise NotImplementedError

    def probability_between(self, low: float | None, high: float | None) -> tuple[float, float]:
        """``(P(X < low), P(X <= high))``: the slice of probability that truncation to [low, high] keeps."""
        lo = 0.0 if low is None else float(self.cdf(low))
        hi = 1.0 if high is None else float(self.cdf(high))
        return (lo, hi)

    def kept(self, low: float | None, high: float | None) -> tuple[float, float]:
        """:meth:`probability_between`, remembered: a column asks for every batch of rows, and through
        scipy.stats one evaluation costs about 100 µs."""
        key = (low, high)
        if key not in self._kept:
            self._kept[key] = self.probability_between(low, high)
        return self._kept[key]

    def sample(self, u: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        """Values for uniforms ``u`` in [0, 1), within [low, high] by construction."""
        lo, hi = self.kept(low, high)
        x = self.ppf(lo + u * (hi - lo))
        if low is not None or high is not None:  # guards float round-off at the very edges only
            x = np.clip(x, low if low is not None else -np.inf, high if high is not None else np.inf)
        return x


class LocationScale(Distribution):
    """A family evaluated as a standard shape, moved by ``shift`` and stretched by ``stretch`` (scipy's loc and scale).

    The standard cdf and ppf are written with ``scipy.special``, with the formulas scipy.stats uses (so the
    values are the same to the bit, see ``tests/test_column_kinds.py``): scipy.stats' generic argument handling
    costs about 100 µs a call, which is most of the time for small tables with many conditional cases.
    """

    #: x = shift + stretch * z, for z of the standard shape
    shift: float = 0.0
    stretch: float = 1.0

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def cdf(self, x: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.standard_cdf((np.asarray(x, dtype=float) - self.shift) / self.stretch)

    def ppf(self, p: Any) -> Any:
        return self.standard_ppf(np.asarray(p, dtype=float)) * self.stretch + self.shift


@register
class Uniform(LocationScale):
    """Every value between min and max equally likely (needs min and max)."""

    name = "uniform"

    def __init__(self, min: float, max: float) -> None:
        super().__init__()
        self.min, self.max = min, max
        self.shift, self.stretch = float(min), float((max - min) or 1e-300)

    @classmethod
    def of(cls, column: Any, parameters: dict[str, Any]) -> "Uniform":
        if column.min is None or column.max is None:  # min and max are the column's, not parameters of their own
            raise ValueError("distribution 'uniform' needs min and max")
        return cls(min=column.min, max=column.max)

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Uniform | None":
        if low is None or high is None or not high > low or not float(sample.std()) > 0:
            return None
        return cls(min=low, max=high)

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z, 0.0, 1.0)

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        return q


@register
class Normal(LocationScale):
    """The bell curve around mean, std wide."""

    name = "normal"

    class Params(Parameters):
        mean: float
        std: float = Field(gt=0)

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        self.mean, self.std = mean, std
        self.shift, self.stretch = float(mean), float(std)

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Normal | None":
        mean, std = float(sample.mean()), float(sample.std())
        return cls(mean=mean, std=std) if std > 0 else None

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        return special.ndtr(z)

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        return special.ndtri(q)


@register
class Lognormal(LocationScale):
    """A long right tail: the logarithm of the value is normal with mean mu and std sigma."""

    name = "lognormal"

    class Params(Parameters):
        mu: float
        sigma: float = Field(gt=0)

    def __init__(self, mu: float, sigma: float) -> None:
        super().__init__()
        self.mu, self.sigma = mu, sigma
        self.stretch = float(np.exp(mu))

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Lognormal | None":
        if not sample.min() > 0:
            return None
        logs = np.log(sample)
        mu, sigma = float(logs.mean()), float(logs.std())
        return cls(mu=mu, sigma=sigma) if sigma > 0 else None

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, special.ndtr(np.log(np.maximum(z, 1e-300)) / self.sigma), 0.0)

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        return np.exp(self.sigma * special.ndtri(q))


@register
class Exponential(LocationScale):
    """Waiting times: most values small, mean scale (above loc, default 0)."""

    name = "exponential"

    class Params(Parameters):
        scale: float = Field(gt=0)
        loc: float | None = None

    def __init__(self, scale: float, loc: float | None = None) -> None:
        super().__init__()
        self.scale, self.loc = scale, loc
        self.shift, self.stretch = float(loc or 0.0), float(scale)

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Exponential | None":
        mean = float(sample.mean())
        return cls(scale=mean) if sample.min() >= 0 and mean > 0 else None

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, -special.expm1(-np.maximum(z, 0)), 0.0)

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        return -special.log1p(-q)


@register
class Gamma(LocationScale):
    """Positive and skewed: shape (1 is exponential, larger is more bell-like) times scale (above loc)."""

    name = "gamma"

    class Params(Parameters):
        shape: float = Field(gt=0)
        scale: float = Field(gt=0)
        loc: float | None = None

    def __init__(self, shape: float, scale: float, loc: float | None = None) -> None:
        super().__init__()
        self.shape, self.scale, self.loc = shape, scale, loc
        self.shift, self.stretch = float(loc or 0.0), float(scale)

    @classmethod
    def fit(cls, sample: np.ndarray, low: float | None = None, high: float | None = None) -> "Gamma | None":
        # Method of moments: mean = shape * scale, variance = shape * scale**2.
        mean, std = float(sample.mean()), float(sample.std())
        if not sample.min() > 0 or not std > 0 or not mean**2 / std**2 > 0:
            return None
        return cls(shape=mean**2 / std**2, scale=std**2 / mean)

    def standard_cdf(self, z: np.ndarray) -> np.ndarray:
        return special.gammainc(self.shape, np.maximum(z, 0))

    def standard_ppf(self, q: np.ndarray) -> np.ndarray:
        return special.gammaincinv(self.shape, q)


class ScipyFamily(Distribution):
    """A family evaluated by scipy.stats (``scipy_name``) with the keyword arguments of :meth:`scipy_params`."""

    scipy_name: ClassVar[str] = ""

    def scipy_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def cdf(self, x: Any) -> Any:
        return getattr(stats, self.scipy_name).cdf(x, **self.scipy_params())

    def ppf(self, p: Any) -> Any:
        return getattr(stats, self.scipy_name).ppf(p, **self.scipy_params())


@register
class Beta(ScipyFamily):
    """Shares and rates between 0 and 1 (or loc .. loc + scale), shaped by a and b."""

    name = "beta"
    scipy_name = "beta"

    class Params(Parameters):
        a: float = Field(gt=0)
        b: float = Field(gt=0)
        loc: float | None = None
        scale: float | None = Field(default=None, gt=0)

    def __init__(self, a: float, b: float, loc: float | None = None, scale: float | None = None) -> None:
        super().__init__()
        self.a, self.b, self.loc, self.scale = a, b, loc, scale

    def scipy_params(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "loc": self.loc or 0.0, "scale": self.scale or 1.0}


@register
class Triangular(ScipyFamily):
    """From left to right, most likely at mode (left <= mode <= right)."""

    name = "triangular"
    scipy_name = "triang"

    class Params(Parameters):
        left: float
        mode: float
        right: float

    def __init__(self, left: float, mode: float, right: float) -> None:
        super().__init__()
        if not (left <= mode <= right and left < right):
            raise ValueError("triangular needs left <= mode <= right and left < right")
        self.left, self.mode, self.right = left, mode, right

    def scipy_params(self) -> dict[str, Any]:
        width = self.right - self.left
        return {"c": (self.mode - self.left) / width, "loc": self.left, "scale": width}


@register
class Poisson(ScipyFamily):
    """Counts of events, lam on average: 0, 1, 2, ..."""

    name = "poisson"
    scipy_name = "poisson"
    discrete = True

    class Params(Parameters):
        lam: float = Field(gt=0)

    def __init__(self, lam: float) -> None:
        super().__init__()
        self.lam = lam

    def scipy_params(self) -> dict[str, Any]:
        return {"mu": self.lam}

    def probability_between(self, low: float | None, high: float | None) -> tuple[float, float]:
        # Whole numbers only: P(X >= low) starts at cdf(ceil(low) - 1).
        lo = 0.0 if low is None else float(self.cdf(np.ceil(low) - 1))
        hi = 1.0 if high is None else float(self.cdf(np.floor(high)))
        return (lo, hi)


def _weights_of(values: list[float] | dict[float, float], weights: list[float] | None) -> list[float]:
    """The weights of a ``weighted`` family's values as floats (checked), without numpy."""
    given = values.values() if isinstance(values, dict) else (weights if weights is not None else [1.0] * len(values))
    return check_weights(given, "weights")


class Tail(BaseModel):
    """Rows spread evenly beyond a ``weighted`` family's listed values: every multiple of ``step`` past ``beyond``
    (not included) up to ``to`` (included), ``weight`` rows in all. ``to`` below ``beyond``: a tail downwards."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    beyond: float = Field(description="Where the tail starts (not included): the outermost listed value")
    to: float = Field(description="Where it ends (included)")
    weight: float = Field(gt=0, description="Its weight, in the units of the listed values' weights")
    step: float = Field(default=1.0, gt=0, description="The spacing of its values (1: whole numbers)")

    def grid(self, low: float | None = None, high: float | None = None) -> tuple[int, int]:
        """The tail's values are ``beyond`` plus (or minus) ``step`` times 1, 2, ...: the first and last of those
        multiples within [low, high] (last < first: none).

        >>> Tail(beyond=70, to=89, weight=21).grid(), Tail(beyond=1985, to=1971, weight=27).grid(high=1980)
        ((1, 19), (5, 14))
        """
        sign = 1.0 if self.to > self.beyond else -1.0
        first, last = 1, int(round(abs(self.to - self.beyond) / self.step))
        for bound, below in ((low, True), (high, False)):
            if bound is None:
                continue
            at = (bound - self.beyond) * sign / self.step  # the bound in multiples of step, along the tail
            if below == (sign > 0):  # a bound the tail starts from: the multiples from it on
                first = max(first, math.ceil(at - 1e-9))
            else:
                last = min(last, math.floor(at + 1e-9))
        return first, last

    def share_within(self, low: float | None, high: float | None) -> float:
        """The share of the tail's values within [low, high] (each value holds an equal part of its weight)."""
        first, last = self.grid(low, high)
        return max(0, last - first + 1) / max(1, int(round(abs(self.to - self.beyond) / self.step)))

    def value(self, i: Any) -> Any:
        """The tail's ``i``-th value, rounded to its step's decimals."""
        decimals = max(0, -int(math.floor(math.log10(self.step) + 1e-9)))
        sign = 1.0 if self.to > self.beyond else -1.0
        return np.round(self.beyond + sign * self.step * np.asarray(i, dtype=float), decimals)


@register
class Weighted(Distribution):
    """Listed values with weights: values {value: weight} (or values [..], weights [..]); tails: rows spread past them.

    ``tails`` (optional): ``[{beyond, to, weight, step}]``, each ``weight`` rows spread evenly over the multiples of
    ``step`` (default 1) past ``beyond`` up to ``to``: a fitted column's rare values past its listed ones, whose
    mass is kept without writing any of them."""

    name = "weighted"
    discrete = True

    class Params(Parameters):
        values: list[float] | dict[float, float]
        weights: list[float] | None = None
        tails: list[Tail] | None = None

    def __init__(self, values: list[float] | dict[float, float], weights: list[float] | None = None,
                 tails: list[Tail] | None = None) -> None:
        super().__init__()
        # Checked without numpy (a schema's validation makes no arrays); the arrays are made at the first draw.
        self._listed = [float(p) for p in check_values_and_weights(values, weights)]  # read as `choice` reads its values
        self._values, self._given_weights = values, weights
        self.tails = [t if isinstance(t, Tail) else Tail.model_validate(t) for t in tails or []]
        for t in self.tails:
            if t.to == t.beyond:
                raise ValueError(f"a tail must end past where it starts (beyond {t.beyond:g}, to {t.to:g})")
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._draw: dict[tuple[float | None, float | None], Any] = {}

    @property
    def points(self) -> np.ndarray:
        """The values, as floats."""
        return self._points_and_weights()[0]

    @property
    def weights(self) -> np.ndarray:
        """Their weights, normalised."""
        return self._points_and_weights()[1]

    def _points_and_weights(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            points, weights = values_and_weights(self._values, self._given_weights)
            self._arrays = (np.asarray(points, float), weights)
        return self._arrays

    def parameters(self) -> dict[str, Any]:
        return ({"values": self._values} | ({"weights": self._given_weights} if self._given_weights is not None else {})
                | ({"tails": [t.model_dump() for t in self.tails]} if self.tails else {}))

    def in_tails(self, x: np.ndarray) -> np.ndarray:
        """Which of ``x`` a tail can give (on its grid, between its ends)."""
        out = np.zeros(len(x), bool)
        for t in self.tails:
            lo, hi = sorted((t.beyond, t.to))
            on_grid = np.abs((x - t.beyond) / t.step - np.round((x - t.beyond) / t.step)) < 1e-6
            out |= (x > lo - 1e-9) & (x < hi + 1e-9) & (x != t.beyond) & on_grid
        return out

    def _segments(self, low: float | None, high: float | None) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """The tails downwards, the listed values in their listed order (a fit may order them by what they go
        with, and a copula's uniforms follow that order), then the tails upwards: each one's raw weight within
        [low, high], its value (NaN for a tail) and, for a tail, (tail, first multiple, last multiple)."""
        total = float(sum(_weights_of(self._values, self._given_weights)))
        listed = np.where(self._within(low, high), self.weights * total, 0.0)  # in the schema's units, as the tails'
        below = [t for t in self.tails if t.to < t.beyond]
        above = [t for t in self.tails if t.to > t.beyond]
        weights = [t.weight * t.share_within(low, high) for t in below] + list(listed) + [
            t.weight * t.share_within(low, high) for t in above]
        values = [np.nan] * len(below) + list(self.points) + [np.nan] * len(above)
        grids = [(t, *t.grid(low, high)) for t in below] + [None] * len(self.points) + [
            (t, *t.grid(low, high)) for t in above]
        return np.asarray(weights, float), np.asarray(values, float), grids

    def _within(self, low: float | None, high: float | None) -> np.ndarray:
        keep = np.ones(len(self.points), bool)
        if low is not None:
            keep &= self.points >= low
        if high is not None:
            keep &= self.points <= high
        return keep

    def cdf(self, x: Any) -> Any:
        if self.tails:  # the listed weights at or below x, plus each tail's equal part per value at or below x
            x = np.asarray(x, dtype=float)
            listed = float(sum(_weights_of(self._values, self._given_weights)))
            below = (self.weights[None, :] * (self.points[None, :] <= x.reshape(-1, 1))).sum(axis=1) * listed
            for t in self.tails:
                n = int(round(abs(t.to - t.beyond) / t.step))
                if t.to > t.beyond:
                    count = np.floor((x - t.beyond) / t.step + 1e-9)
                else:
                    count = n + 1 - np.ceil((t.beyond - x) / t.step - 1e-9)
                below = below + t.weight * np.clip(count, 0, n).reshape(-1) / n
            return (below / (listed + sum(t.weight for t in self.tails))).reshape(x.shape)
        order = np.argsort(self.points, kind="stable")
        cum = np.cumsum(self.weights[order]) / self.weights.sum()
        at = np.searchsorted(self.points[order], np.asarray(x, dtype=float), side="right")
        return np.where(at > 0, cum[np.maximum(at - 1, 0)], 0.0)

    def ppf(self, p: Any) -> Any:
        return self.sample(np.asarray(p, dtype=float), None, None)

    def probability_between(self, low: float | None, high: float | None) -> tuple[float, float]:
        # In plain Python: the column's validation asks it (is any weight left between min and max?).
        weights = _weights_of(self._values, self._given_weights)
        kept = sum(w for p, w in zip(self._listed, weights) if (low is None or p >= low) and (high is None or p <= high))
        kept += sum(t.weight * t.share_within(low, high) for t in self.tails)
        return (0.0, kept / (sum(weights) + sum(t.weight for t in self.tails)))

    def sample(self, u: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        # Values outside [low, high] get weight 0; the guide table is built once per bounds.
        from .base import InverseCDF

        key = (low, high)
        if key not in self._draw:
            if not self.tails:
                self._draw[key] = InverseCDF(np.cumsum(np.where(self._within(low, high), self.weights, 0.0)))
            else:
                weights, values, grids = self._segments(low, high)
                self._draw[key] = (InverseCDF(np.cumsum(weights)), np.cumsum(weights) / weights.sum(),
                                   weights / weights.sum(), values, grids)
        draw = self._draw[key]
        if not self.tails:
            return self.points[draw(u)]
        inverse, cum, share, values, grids = draw
        at = inverse(u)
        out = values[at]
        for i in np.flatnonzero(np.isnan(values)):
            rows = np.flatnonzero(at == i)
            if not len(rows):
                continue
            tail, first, last = grids[i]
            count = last - first + 1
            # Where u falls within the tail's share, spread evenly over its values: rising with u either way,
            # so a copula's ranks carry through the tail as through the listed values.
            frac = np.clip((u[rows] - (cum[i] - share[i])) / share[i], 0.0, 1.0 - 1e-12)
            j = np.minimum((frac * count).astype(np.int64), count - 1)
            out[rows] = tail.value(first + j if tail.to > tail.beyond else last - j)
        return out


@register
class Quantiles(Distribution):
    """Any shape, as values at evenly spaced probabilities 0..1 (quantiles [..], increasing), straight lines between."""

    name = "quantiles"

    class Params(Parameters):
        quantiles: list[float] = Field(description="Values at evenly spaced probabilities 0..1")

    def __init__(self, quantiles: list[float]) -> None:
        super().__init__()
        # Plain floats, checked without numpy: a learned schema validates thousands of cases, and numpy's
        # per-call overhead on 11 numbers was most of their cost.
        q = [float(v) for v in quantiles]
        if len(q) < 2 or not all(math.isfinite(v) for v in q) or any(b < a for a, b in zip(q, q[1:])):
            raise ValueError("quantiles must be at least two finite values in increasing order")
        self.quantiles, self._q = quantiles, q

    @functools.cached_property
    def knots(self) -> np.ndarray:
        return np.array(self._q, dtype=float)

    @functools.cached_property
    def levels(self) -> np.ndarray:
        return np.linspace(0, 1, len(self._q))

    def cdf(self, x: Any) -> Any:
        return self._cdf(np.asarray(x, dtype=float), below=False)

    def ppf(self, p: Any) -> Any:
        return np.interp(p, self.levels, self.knots)

    def probability_between(self, low: float | None, high: float | None) -> tuple[float, float]:
        lo = 0.0 if low is None else self._cdf_at(float(low), below=True)
        hi = 1.0 if high is None else self._cdf_at(float(high), below=False)
        return (lo, hi)

    def _cdf_at(self, x: float, below: bool) -> float:
        """:meth:`_cdf` of one number, in plain floats (the same operations, so the same bits).

        >>> d = Quantiles([0, 0, 1, 3])
        >>> [d._cdf_at(x, b) == float(d._cdf(np.asarray(x), b)) for x in (-1, 0, 0.5, 2, 3, 4) for b in (True, False)]
        [True, True, True, True, True, True, True, True, True, True, True, True]
        """
        q, n = self._q, len(self._q)
        i = (bisect.bisect_left if below else bisect.bisect_right)(q, x)
        if i == 0:
            return 0.0
        if i == n:
            return 1.0
        p = self.levels
        width = q[i] - q[i - 1]
        lo, hi = float(p[i - 1]), float(p[i])
        return lo + (x - q[i - 1]) / width * (hi - lo) if width > 0 else lo

    def _cdf(self, x: np.ndarray, below: bool) -> np.ndarray:
        """P(X < x) (``below``) or P(X <= x) for the piecewise-linear quantile function.

        Repeated knots are point masses (many zeros), so "strictly below" and "at or below" differ there.
        """
        q, p = self.knots, self.levels
        i = np.searchsorted(q, x, side="left" if below else "right")
        inner = np.clip(i, 1, len(q) - 1)
        width = q[inner] - q[inner - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            between = np.where(width > 0, p[inner - 1] + (x - q[inner - 1]) / width * (p[inner] - p[inner - 1]), p[inner - 1])
        return np.where(i == 0, 0.0, np.where(i == len(q), 1.0, between))


def parameter_names() -> set[str]:
    """Every parameter of every registered family."""
    return {p for family in DISTRIBUTIONS.values() for p in family.required + family.optional}


def distribution_reference() -> str:
    """One line per family, its parameters and what it is for: for the draft prompt and the docs.

    >>> distribution_reference().splitlines()[1]
    '- normal (mean, std): The bell curve around mean, std wide.'
    """
    lines = []
    for name, family in DISTRIBUTIONS.items():
        params = ", ".join(family.required) + ("; optional " + ", ".join(family.optional) if family.optional else "")
        shown = f" ({params})" if params else ""
        lines.append(f"- {name}{shown}: {(family.__doc__ or '').strip().splitlines()[0]}")
    return "\n".join(lines)
