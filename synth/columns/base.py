"""The column protocol every column kind follows, and the registry of kinds.

A column kind is one small pydantic model: its fields are the YAML keys a user writes, and its
:meth:`Column.sample` turns them into ``n`` values for one chunk. Adding a kind is one new class plus
``@register``; the engine never needs an edit.

Randomness only comes from ``ctx.rng(key)``, a generator derived from (seed, chunk index, column name),
so a column's values do not change when another column is added, and chunks are independent units.
"""

from __future__ import annotations

import importlib
import math
import zlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from pydantic import BaseModel, ConfigDict, Field

from ..lazy import np, pa

if TYPE_CHECKING:
    from numpy import ndarray as NDArray
    from pyarrow import Array as ArrowArray
else:  # pydantic evaluates the annotations of a kind's private attributes when it builds the class: these
    NDArray = ArrowArray = Any  # stand-ins spare `synth kinds` importing numpy and pyarrow

def new_list() -> list[Any]:
    """A new empty list, for ``Field(default_factory=new_list)``: what ``default_factory=list`` gives, cheaper to build.

    pydantic asks a default factory's signature when it builds a model's validator; a builtin's (``list``,
    ``dict``) is parsed from its text with the tokenize module, ~10 M instructions each (~5 ms of
    `synth validate`), a Python function's is read from its code.

    >>> new_list(), new_dict()
    ([], {})
    """
    return []


def new_dict() -> dict[str, Any]:
    """A new empty dict, for ``Field(default_factory=new_dict)`` (see :func:`new_list`)."""
    return {}


class KindRegistry(MutableMapping):
    """Kind name -> column class; a built-in kind's module is imported the first time the kind is looked up.

    Which module defines each built-in kind comes from :mod:`synth.columns.kind_modules`, a table generated with
    `synth kinds`' table by ``python -m synth.commands.kinds`` (``tests/test_startup.py`` fails when it is stale): a schema pays
    only for the kinds it uses (`synth validate` on a schema without ``llm_text`` or ``pattern`` columns does
    not import them). Names are known without importing anything; a value (class) imports its module.
    ``register`` (and tests' ``monkeypatch.setitem``) store classes as a dict would.

    >>> "uuid" in KINDS, KINDS["uuid"].__name__
    (True, 'UuidColumn')
    """

    def __init__(self) -> None:
        self._classes: dict[str, type[Column]] = {}

    def _modules(self) -> dict[str, str]:
        from .kind_modules import KIND_MODULES

        return KIND_MODULES

    def __getitem__(self, name: str) -> type[Column]:
        cls = self._classes.get(name)
        if cls is None:
            module = self._modules().get(name) if isinstance(name, str) else None
            if module is None:
                raise KeyError(name)
            importlib.import_module(module)  # registers the kind (and its siblings)
            cls = self._classes[name]
        return cls

    def __setitem__(self, name: str, cls: type[Column]) -> None:
        self._classes[name] = cls

    def __delitem__(self, name: str) -> None:
        del self._classes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self._modules()

    def __iter__(self) -> Iterator[str]:
        # The names as of now: reading a value while iterating imports a module, which registers more classes.
        return iter(list(self._classes) + [name for name in self._modules() if name not in self._classes])

    def __len__(self) -> int:
        return len(self._classes.keys() | self._modules().keys())

    def __repr__(self) -> str:
        return f"KindRegistry({sorted(self)!r})"

    def registered(self) -> dict[str, type[Column]]:
        """The classes registered so far (imports nothing): what the table is generated from."""
        return dict(self._classes)


KINDS = KindRegistry()

RuleCheck = Callable[[Any], "np.ndarray"]  # DataFrame -> boolean "breaks the rule" per row


def register(cls: type["Column"]) -> type["Column"]:
    """Class decorator: make ``cls`` available as ``kind: <cls.kind_name>`` in schemas."""
    KINDS[cls.kind_name] = cls
    return cls


def duplicated(values: Any) -> np.ndarray:
    """Rows whose (non-missing) value appeared on an earlier row."""
    return (values.duplicated(keep="first") & values.notna()).to_numpy()


def stratified(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms, one in each slice ``[i/n, (i+1)/n)``, shuffled."""
    return (rng.permutation(n) + rng.random(n)) / max(n, 1)


def stable_key(text: str) -> int:
    """A 32-bit key for ``text`` that is the same in every process and Python version (unlike ``hash``)."""
    return zlib.crc32(text.encode("utf-8"))


@dataclass
class ChunkContext:
    """What a column sees while one chunk is made: its rows, its randomness, and the columns made so far."""

    seed: int
    index: int  # chunk number
    start: int  # global row number of the chunk's first row
    n: int  # rows in this chunk
    total_rows: int
    values: dict[str, pa.Array] = field(default_factory=dict)
    uniforms: dict[str, np.ndarray] = field(default_factory=dict)  # copula draws, by column name
    memo: dict[Any, Any] = field(default_factory=dict)  # work that columns share within the chunk (rows grouped by a key)
    rows: Any = None  # the global row numbers when they are not start .. start + n (a conditional case's rows)

    def rng(self, *keys: str) -> np.random.Generator:
        """A generator private to (seed, chunk, keys): the same chunk always gets the same stream."""
        entropy = [self.seed & 0xFFFFFFFF, self.seed >> 32, self.index] + [stable_key(k) for k in keys]
        return np.random.default_rng(entropy)  # = Generator(PCG64(SeedSequence(entropy))), built faster

    def row_bits(self, *keys: str, at: Any = None) -> np.ndarray:
        """64 random bits (uint64) per row, from (seed, keys, global row number) alone: unlike :meth:`rng`, the
        same for a row however the table is cut into chunks (identifiers must be; see ``Column.chunk_free``).

        >>> whole = ChunkContext(seed=3, index=0, start=0, n=10, total_rows=10).row_bits("id")
        >>> part = ChunkContext(seed=3, index=2, start=7, n=3, total_rows=10).row_bits("id")
        >>> bool((whole[7:] == part).all())
        True
        """
        from .permute import keyed_hash  # permute builds on this module

        rows = self.row_numbers() if at is None else self.row_numbers_at(at)  # at: some of the chunk's rows
        return keyed_hash(rows, self.seed, "/".join(("rows",) + keys))

    def row_random(self, *keys: str, at: Any = None) -> np.ndarray:
        """One uniform in [0, 1) per row (or per row ``at``) from :meth:`row_bits` (53 bits): chunk-free randomness."""
        return (self.row_bits(*keys, at=at) >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def uniform(self, name: str) -> np.ndarray:
        """Uniforms in [0, 1) that drive column ``name``: the copula's if it is correlated, else stratified.

        Stratified (Latin hypercube): one draw in each of the n equal slices of [0, 1), in random order.
        Every chunk then follows each marginal closely instead of with n-sample noise, while rows stay
        random; that matters most for small tables.
        """
        u = self.uniforms.get(name)
        if u is not None:
            return u
        return stratified(self.rng(name), self.n)

    def row_numbers(self) -> np.ndarray:
        """Global 0-based row numbers of this chunk's rows."""
        if self.rows is not None:
            return self.rows
        return np.arange(self.start, self.start + self.n, dtype=np.int64)

    def row_numbers_at(self, at: Any) -> np.ndarray:
        """``row_numbers()[at]``, without numbering every row of the chunk when ``at`` holds positions (a
        conditional column asks once per case, and a learned one has hundreds of cases)."""
        if self.rows is None and isinstance(at, np.ndarray) and at.dtype.kind in "iu":
            return at.astype(np.int64, copy=False) + self.start
        return self.row_numbers()[at]


@dataclass
class PlanContext:
    """What a column may use while it prepares once per run: the schema's folder (catalog files), seed, rows."""

    seed: int
    total_rows: int
    base_dir: Any = None  # pathlib.Path of the schema file's folder
    max_requests: int | None = None  # LLM requests a column may make in one process (llm_text); None: no limit


class Column(BaseModel):
    """Fields shared by every column kind.

    ``name``: the output column; ``nulls``: share of rows left empty (0-1); ``hidden``: made and usable in
    expressions, but not written; ``description``: free text for people.
    """

    # defer_build: a kind's validator is built when it first validates a column, not when the class is made;
    # `synth kinds` reads every kind's fields and validates none.
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, defer_build=True)

    # --- facts about the kind, read by the engine and the schema checks (never the kind's name) ---
    kind_name: ClassVar[str] = ""
    #: Kinds that can turn given uniforms into values (inverse CDF) can take part in correlations.
    accepts_uniforms: ClassVar[bool] = False
    #: Values are drawn from the column's random streams, so drawing rows again gives new values: a constraint
    #: may redraw them. False for values fixed by the row number (sequence) or computed from other columns.
    random: ClassVar[bool] = True
    #: May be one case of a ``conditional`` column: makes a single column, and can be drawn for some rows only.
    in_cases: ClassVar[bool] = True
    #: A row's value (and whether it is empty) depends on (seed, column, row number) only, never on the chunk
    #: the row falls in: identifiers (codes, running numbers, phone numbers, keys), whose tables' chunks vary in
    #: size (a child table's chunk holds its parents' children). Such a kind draws from ``ChunkContext.row_bits``.
    chunk_free: ClassVar[bool] = False

    name: str = Field(min_length=1, description="The output column's name")
    kind: str
    nulls: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of rows left empty (0-1)")
    hidden: bool = Field(default=False, description="Made and usable in expressions, but not written")
    description: str | None = Field(default=None, description="Free text for people")

    # --- what the schema checks and `synth kinds` ask of a kind --------------------------------------
    @classmethod
    def yaml_keys(cls, raw: dict[str, Any]) -> list[str]:
        """The keys an entry ``raw`` of this kind may have (for "did you mean" hints): its fields by default."""
        return list(cls.model_fields)

    @classmethod
    def reference(cls) -> str:
        """More for `synth kinds NAME` to show after the kind's fields (e.g. a registry the kind reads). Default: none."""
        return ""

    # --- what the engine asks of every column ---------------------------------------------------
    def output_names(self) -> list[str]:
        """Names of the columns this entry makes (a catalog makes several)."""
        return [self.name]

    def dependencies(self) -> set[str]:
        """Columns that must exist before this one is made."""
        return set()

    def prepare(self, plan: PlanContext) -> None:
        """One-time work per run (load a file, build a pool, precompute weights). Must be deterministic."""

    # --- what `synth validate` asks: can making values still show this entry invalid? -----------------
    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        """The type of each output's values as expressions see them (``integer``, ``float``, ``string``,
        ``boolean``, ``date``, ``time``, ``datetime``; see :meth:`synth.expr.Expression.result_type`), given the
        types of the columns made before it (``known``); None where not known without making values. Default:
        not known."""
        return {name: None for name in self.output_names()}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        """Why values must be made to know that this entry works (what :meth:`prepare` or :meth:`sample` could
        still refuse for ``rows`` rows), or None when validating the entry checked all of it: `synth validate`
        then makes no trial rows for it. ``known``: as for :meth:`value_types`.

        Default: a reason, so a kind that says nothing is always tried (never a schema called valid unchecked).
        """
        return f"a {self.kind} column is checked by making values"

    def sample(self, ctx: ChunkContext) -> dict[str, pa.Array] | pa.Array:
        """Make ``ctx.n`` values (or, for several outputs, a dict of arrays)."""
        raise NotImplementedError

    def rules(self) -> list[tuple[str, "RuleCheck"]]:
        """What this column promises about any table it made: (rule name, check) pairs.

        A check takes a table as read back from a file (a DataFrame) and returns a boolean array that is
        True where a row breaks the rule (missing values never do). ``synth audit --schema`` runs them on
        real and synthetic tables; the generator satisfies them by construction.
        """
        return []

    def finalize(self, values: pa.Array) -> pa.Array:
        """Turn the working values into what is written (e.g. dates into formatted text). Default: as is."""
        return values

    def native(self, values: pa.Array) -> pa.Array:
        """What a typed format (Parquet) stores: the values in their own type (dates, times, decimals), not
        text. Default: what text formats get."""
        return self.finalize(values)

    def sample_rows(self, ctx: ChunkContext, rows: np.ndarray, rng_key: str,
                    uniforms: bool = False) -> dict[str, pa.Array] | pa.Array:
        """Draw values for ``rows`` only, from a stream salted by ``rng_key``.

        ``uniforms``: draw from the column's copula uniforms on those rows (a conditional column's case keeps
        its correlations), rather than afresh (a constraint's redraw must differ from the first draw).
        """
        sub = ChunkContext(ctx.seed, ctx.index, ctx.start, len(rows), ctx.total_rows, _RowsOf(ctx.values, rows),
                           rows=ctx.row_numbers_at(rows))  # a row-keyed column (codes, sequences) sees its own rows
        if uniforms:
            sub.uniforms = {k: ctx.uniforms[k][rows] for k in self.output_names() if k in ctx.uniforms}
        return self.sample(_RekeyedContext(sub, rng_key))


class _RowsOf(dict):
    """The columns made so far, restricted to some rows; each column is cut only when a column reads it."""

    def __init__(self, values: dict[str, pa.Array], rows: np.ndarray) -> None:
        super().__init__()
        self._source, self._rows = values, pa.array(rows)

    def __missing__(self, name: str) -> pa.Array:
        cut = self._source[name].take(self._rows)
        self[name] = cut
        return cut

    def __contains__(self, name: object) -> bool:
        return name in self._source


class _RekeyedContext(ChunkContext):
    """A context whose random streams are salted with an extra key (for redraws)."""

    def __init__(self, base: ChunkContext, salt: str) -> None:
        super().__init__(base.seed, base.index, base.start, base.n, base.total_rows, base.values, base.uniforms,
                         rows=base.rows)
        self._salt = salt

    def rng(self, *keys: str) -> np.random.Generator:
        return super().rng(self._salt, *keys)

    def row_bits(self, *keys: str, at: Any = None) -> np.ndarray:
        return super().row_bits(self._salt, *keys, at=at)


def as_weights(values: Iterable[float], where: str) -> np.ndarray:
    """Validate and normalise weights: finite, non-negative, not all zero."""
    w = np.asarray(list(values), dtype=float)
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"{where} must be non-negative numbers, not all zero")
    return w / w.sum()


def check_weights(values: Iterable[Any], where: str) -> list[float]:
    """:func:`as_weights`' check without numpy (for a schema's validation): the weights as floats, unnormalised.

    >>> check_weights([3, 1], "weights")
    [3.0, 1.0]
    >>> check_weights([0, 0], "weights")
    Traceback (most recent call last):
    ...
    ValueError: weights must be non-negative numbers, not all zero
    """
    w = [float(v) for v in values]
    if not w or not all(math.isfinite(x) for x in w) or any(x < 0 for x in w) or sum(w) <= 0:
        raise ValueError(f"{where} must be non-negative numbers, not all zero")
    return w


def check_values_and_weights(values: dict[Any, float] | list[Any], weights: list[float] | None) -> list[Any]:
    """:func:`values_and_weights`' checks (the same mistakes, the same messages) without numpy: the values.

    >>> check_values_and_weights({"a": 3, "b": 1}, None)
    ['a', 'b']
    """
    if isinstance(values, dict):
        if weights is not None:
            raise ValueError("give weights either in 'values' as a mapping or in 'weights', not both")
        check_weights(values.values(), "weights")
        return list(values)
    if weights is not None and len(weights) != len(values):
        raise ValueError(f"'values' has {len(values)} entries but 'weights' has {len(weights)}")
    check_weights(weights if weights is not None else [1.0] * len(values), "weights")
    return list(values)


def values_and_weights(values: dict[Any, float] | list[Any], weights: list[float] | None) -> tuple[list[Any], np.ndarray]:
    """Values with their weights, normalised, from a mapping ``{value: weight}`` or a list plus optional ``weights``
    (equal weights if none). How ``choice`` and ``weighted`` numbers read and check their values.

    >>> values_and_weights({"a": 3, "b": 1}, None)
    (['a', 'b'], array([0.75, 0.25]))
    >>> values_and_weights(["a", "b"], None)[1]
    array([0.5, 0.5])
    """
    if isinstance(values, dict):
        if weights is not None:
            raise ValueError("give weights either in 'values' as a mapping or in 'weights', not both")
        return list(values), as_weights(values.values(), "weights")
    if weights is not None and len(weights) != len(values):
        raise ValueError(f"'values' has {len(values)} entries but 'weights' has {len(weights)}")
    return list(values), as_weights(weights if weights is not None else [1.0] * len(values), "weights")


class InverseCDF:
    """Inverse CDF of a discrete distribution: the bucket each uniform falls in. Exact and monotone in ``u``.

    A binary search per draw is cache-unfriendly (~35 ns each); a guide table over 2**16 equal slices of
    [0, 1) answers almost every draw with one lookup, and only draws in a slice that straddles a bucket
    edge fall back to the search. (Chen & Asau's guide-table method, vectorized.)

    >>> InverseCDF(np.cumsum([1.0, 0.0, 3.0]))(np.array([0.1, 0.25, 0.9]))
    array([0, 2, 2])
    """

    SLICES = 1 << 16

    def __init__(self, cumulative: np.ndarray) -> None:
        cum = np.asarray(cumulative, dtype=float)
        self.cum = cum / cum[-1]
        self.last = len(cum) - 1
        # (guide, exact) in one attribute: threads sharing a plan (a threaded Dask worker) may build it at once,
        # and a reader must never see a guide without its exactness mask.
        self.guide: tuple[np.ndarray, np.ndarray] | None = None

    def _build_guide(self) -> tuple[np.ndarray, np.ndarray]:
        # Built on the first large draw only: many small tables (conditional cases) never need one.
        edges = np.arange(self.SLICES + 1) / self.SLICES
        first = np.searchsorted(self.cum, edges[:-1], side="right")
        last = np.searchsorted(self.cum, edges[1:], side="left")
        self.guide = (np.minimum(first, self.last).astype(np.int32), first == last)
        return self.guide

    def __call__(self, u: np.ndarray) -> np.ndarray:
        built = self.guide
        if built is None:
            if len(u) < self.SLICES or len(self.cum) > self.SLICES // 8:
                return np.minimum(np.searchsorted(self.cum, u, side="right"), self.last)
            built = self._build_guide()
        guide, exact = built
        cell = np.minimum((u * self.SLICES).astype(np.int64), self.SLICES - 1)
        idx = guide[cell].astype(np.int64)
        unsure = np.flatnonzero(~exact[cell])
        if len(unsure):
            idx[unsure] = np.minimum(np.searchsorted(self.cum, u[unsure], side="right"), self.last)
        return idx


#: Largest unscaled decimal kept in int64 words: 18 digits.
_DECIMAL_PRECISION = 18


def as_decimal(values: pa.Array, scale: int) -> pa.Array:
    """Floats already rounded to ``scale`` decimals as ``decimal128(18, scale)``; unchanged if any would not fit.

    Built from the unscaled integers directly (16-byte little-endian words): Arrow's float -> decimal cast
    checks every value for exactness and is several times slower.
    """
    if not pa.types.is_floating(values.type) or scale > 12:
        return values
    if values.offset:
        values = pa.concat_arrays([values])
    x = values.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        unscaled = np.rint(np.nan_to_num(x) * 10.0**scale)
    if len(unscaled) and np.abs(unscaled).max() >= 10.0**_DECIMAL_PRECISION:
        return values
    low = unscaled.astype(np.int64)
    words = np.empty((len(low), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = low, low >> 63
    return pa.Array.from_buffers(pa.decimal128(_DECIMAL_PRECISION, scale), len(values),
                                 [values.buffers()[0], pa.py_buffer(words)], null_count=values.null_count)
