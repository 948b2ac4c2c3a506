"""The fidelity metrics' view of the synthetic rows, as per-partition summaries merged exactly.

What the fidelity metrics read from the synthetic table is fixed first from the real side (:class:`Plan`: the
columns, the real values each number is compared at, histogram and decile edges, the column pairs), then each
partition of synthetic rows is summarised on its own (:meth:`Plan.scan`, a :class:`Part`) and the parts merge by
integer sums, minima and maxima (:meth:`Plan.merge`, a :class:`Reduction`): counts per category value, counts of
values at or below each distinct real value (the Kolmogorov-Smirnov statistic follows exactly), histograms on the
real range, decile codes, joint tables of column pairs (contingency similarity, mutual information, Cramér's V),
and *exact* sums of numbers and of their products (means, standard deviations, Pearson correlations). Float
sums are kept exact (:func:`exact_sum`, integers in units of 2**-1127), so the answers do not depend on how the
rows were cut: one slice or many (the local audit) or one Dask task per partition (:mod:`audit.cluster`) give the
same numbers, bit for bit.

What does not merge exactly (ranks: Spearman correlations; models: detection, utility, attribute inference;
orderings: time series; medians and numeric distinct counts) is computed on a bounded, seeded sample of the
synthetic rows (:func:`sample_positions`), the same rows on either engine, and the report says so.

    >>> import numpy as np, pandas as pd
    >>> from audit.data import align
    >>> rng = np.random.default_rng(0)
    >>> def table(n): return pd.DataFrame({"size": rng.choice(list("SML"), n), "price": rng.normal(3, 0.5, n).round(2)})
    >>> t = align(table(200), table(300))
    >>> plan = Plan.of(t)
    >>> whole = plan.merge([plan.scan(t.synthetic)])
    >>> cut = plan.merge([plan.scan(t.synthetic.iloc[i:i + 70]) for i in range(0, 300, 70)])
    >>> real = plan.merge([plan.scan(t.real)], whole.vocabulary)
    >>> whole.mean("price") == cut.mean("price"), whole.ks("price", real) == cut.ks("price", real)
    (True, True)
    >>> from scipy import stats
    >>> bool(whole.ks("price", real) == stats.ks_2samp(t.real["price"], t.synthetic["price"]).statistic)
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import numpy as np
import pandas as pd

from synth.errors import SynthError

from .data import MISSING, Tables

#: Rows of the bounded synthetic sample the metrics that do not merge read (all rows when there are fewer).
SAMPLE_ROWS = 200_000
#: The local audit summarises the synthetic rows in slices of this many (the answers do not depend on it).
SCAN_ROWS = 1_000_000
#: Histogram bins over the real range (histogram_similarity).
HISTOGRAM_BINS = 20
#: Decile bins of numbers for the joint tables (numbers x categories, mutual information, variety).
DECILE_BINS = 10

_SCALE = 1127  # exact sums are integers in units of 2**-_SCALE: a subnormal float's last bit is 2**-1074
_OFFSET = 1100  # frexp exponents run from -1073 to 1024; shifted to bincount bins
_LIMB = 26


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of finite floats, as an integer in units of ``2**-1127``: sums of parts add up to the sum of
    the whole, whatever the cut (a float sum's rounding depends on the order; this has none).

    Each float is ``mantissa x 2**exponent`` with a 53-bit integer mantissa; mantissas are added per exponent in
    two 26/27-bit halves, whose partial sums stay below 2**53 (exact in float64) for up to 2**26 values per call.

    >>> x = np.array([1e16, 1.0, -1e16, 0.5])
    >>> float(Fraction(exact_sum(x), 2**1127)), float(x.sum())
    (1.5, 0.5)
    """
    x = np.asarray(values, np.float64)
    if len(x) > 1 << _LIMB:
        return sum(exact_sum(x[i:i + (1 << _LIMB)]) for i in range(0, len(x), 1 << _LIMB))
    mantissa, exponent = np.frexp(x)
    m = (mantissa * float(1 << 53)).astype(np.int64)
    bins = exponent.astype(np.int64) + _OFFSET
    high = np.bincount(bins, weights=(m >> _LIMB).astype(np.float64), minlength=1)
    low = np.bincount(bins, weights=(m & ((1 << _LIMB) - 1)).astype(np.float64), minlength=1)
    total = 0
    for b in np.flatnonzero((high != 0) | (low != 0)):
        e = int(b) - _OFFSET - 53 + _SCALE  # value = m x 2**(e' - 53), in units of 2**-_SCALE
        total += ((int(high[b]) << _LIMB) + int(low[b])) << e
    return total


def _fraction(total: int) -> Fraction:
    return Fraction(total, 1 << _SCALE)


#: The sample's generator streams: the synthetic rows' and the real rows' samples are drawn apart.
SYNTHETIC_STREAM, REAL_STREAM = 1616, 1617


def sample_positions(rows: int, seed: int = 0, limit: int = SAMPLE_ROWS, stream: int = SYNTHETIC_STREAM) -> np.ndarray | None:
    """Positions (sorted) of the bounded, seeded sample of ``rows`` synthetic (or, ``stream=REAL_STREAM``, real) rows;
    None: every row (``rows <= limit``).

    Drawn from a generator of its own, so the audit's other draws are what they were; by position, so the same rows
    whatever the partitioning of the table.

    >>> sample_positions(10, limit=20) is None, sample_positions(10, limit=3).tolist()
    (True, [5, 7, 9])
    """
    if rows <= limit:
        return None
    return np.sort(np.random.default_rng([seed, stream]).choice(rows, limit, replace=False))


# --- one partition -----------------------------------------------------------------------------------------------
@dataclass
class NumberPart:
    """One numeric column of a partition: present values, exact sums (centred on a real value), extremes, and
    counts against the real side's fixed cuts."""

    present: int
    total: int  # exact sum of (x - centre)
    squares: int  # exact sum of (x - centre)**2, each square rounded as a float
    low: float
    high: float
    below_or_at: np.ndarray  # per distinct real value u_j: how many values have exactly j real values below them
    strictly_below: np.ndarray  # ... exactly j real values at or below them
    histogram: np.ndarray
    deciles: np.ndarray


@dataclass
class Part:
    """What one partition of synthetic rows contributes: only counts, exact sums and extremes, never rows."""

    rows: int
    numbers: dict[str, NumberPart] = field(default_factory=dict)
    #: Per category column: its distinct values here and how many rows carry each.
    values: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: Per number pair: (rows with both, sum x, sum y, sum x^2, sum y^2, sum xy), exact, centred.
    products: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = field(default_factory=dict)
    #: Per pair: the non-empty cells of its joint table (numbers in real deciles) in this part's own codes (cell, rows).
    joints: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


# --- the plan: the real side, fixed first -----------------------------------------------------------------------
@dataclass
class Plan:
    """What the fidelity metrics need from the synthetic rows, fixed from the real side. Picklable: a cluster's
    workers get a copy, and each task returns :meth:`scan` of its partition."""

    columns: list[str]  # the real table's, in its order
    kinds: dict[str, Any]
    numeric: list[str]
    categorical: list[str]
    pairs: list[tuple[str, str]]
    centre: dict[str, float]
    distinct: dict[str, np.ndarray]  # sorted distinct real values of each number column
    edges: dict[str, np.ndarray]  # histogram edges over the real range
    deciles: dict[str, np.ndarray]  # real decile edges
    #: Each category column's real values, in the order they first occur (their codes come first).
    real_values: dict[str, pd.Index]

    @classmethod
    def of(cls, t: Tables, pairs: Sequence[tuple[str, str]] | None = None, seed: int = 0) -> Plan:
        """The plan for the tables' columns and ``pairs`` (default: :func:`audit.fidelity._pairs`)."""
        from .fidelity import _pairs

        numeric, categorical = t.numeric, t.categorical
        centre, distinct, edges, deciles = {}, {}, {}, {}
        for col in numeric:
            r = t.real[col].to_numpy(float)
            r = r[~np.isnan(r)]
            centre[col] = float(np.median(r)) if len(r) else 0.0
            distinct[col] = np.unique(r)
            if len(r):
                e = np.unique(np.linspace(r.min(), r.max(), HISTOGRAM_BINS + 1))
                edges[col] = e if len(e) >= 2 else np.array([r.min() - 0.5, r.min() + 0.5])
            deciles[col] = np.unique(np.quantile(r, np.linspace(0, 1, DECILE_BINS + 1))) if len(r) else np.array([0.0])
        real_values = {c: pd.Index(pd.unique(t.real[c].to_numpy(object))) for c in categorical}
        chosen = _pairs(t, seed) if pairs is None else list(pairs)
        return cls(list(t.real.columns), dict(t.kinds), numeric, categorical, chosen, centre, distinct, edges, deciles, real_values)

    @classmethod
    def from_profile(cls, t: Tables, profile: Profile, pairs: Sequence[tuple[str, str]] | None = None, seed: int = 0) -> Plan:
        """The plan :meth:`of` gives for the whole real table, from its :class:`Profile` (merged over its partitions):
        ``t`` gives the columns and kinds (its real rows may be a sample: only :func:`audit.fidelity._pairs` reads
        it, for the column names). The same numbers, bit for bit: the median and deciles are read from the distinct
        values and their counts with numpy's own interpolation (:func:`quantiles_of_counts`)."""
        from .fidelity import _pairs

        centre, distinct, edges, deciles = {}, {}, {}, {}
        for col in t.numeric:
            values, counts = profile.numbers[col]
            centre[col] = median_of_counts(values, counts) if len(values) else 0.0
            distinct[col] = values
            if len(values):
                e = np.unique(np.linspace(values[0], values[-1], HISTOGRAM_BINS + 1))
                edges[col] = e if len(e) >= 2 else np.array([values[0] - 0.5, values[0] + 0.5])
            deciles[col] = (np.unique(quantiles_of_counts(values, counts, np.linspace(0, 1, DECILE_BINS + 1))) if len(values)
                            else np.array([0.0]))
        real_values = {c: pd.Index(profile.values[c][0], dtype=object) for c in t.categorical}
        chosen = _pairs(t, seed) if pairs is None else list(pairs)
        return cls(list(t.real.columns), dict(t.kinds), t.numeric, t.categorical, chosen, centre, distinct, edges, deciles, real_values)

    def decile_bins(self, col: str) -> int:
        """Codes of a number column in the joint tables: its decile bins, and one for missing values."""
        return max(len(self.deciles[col]) - 1, 1) + 1

    def codes(self, frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray | None]:
        """A column as integer codes: numbers by real decile (missing: a bin of its own), categories in the order
        they occur here (with the values they stand for)."""
        if col in self.deciles:
            x = frame[col].to_numpy(float)
            codes = np.searchsorted(self.deciles[col][1:-1], x, side="right")
            codes[np.isnan(x)] = self.decile_bins(col) - 1
            return codes.astype(np.int64), None
        codes, uniques = pd.factorize(frame[col].to_numpy(object), use_na_sentinel=False)
        return codes.astype(np.int64), np.asarray(uniques, object)

    def _coded(self, frame: pd.DataFrame, col: str, cache: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> tuple[np.ndarray, np.ndarray | None]:
        if col not in cache:
            cache[col] = self.codes(frame, col)
        return cache[col]

    def scan(self, frame: pd.DataFrame) -> Part:
        """One partition of synthetic rows (converted as :func:`audit.data.align` converts them) summarised."""
        out = Part(rows=len(frame))
        present = {}
        codes: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}  # each column coded once, for every pair it is in
        for col in self.numeric:
            x = frame[col].to_numpy(float)
            ok = ~np.isnan(x)
            present[col] = ok
            v = x[ok]
            c = v - self.centre[col]
            u = self.distinct[col]
            edges = self.edges.get(col)
            hist = (np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] if edges is not None
                    else np.zeros(0, np.int64))
            out.numbers[col] = NumberPart(
                int(ok.sum()), exact_sum(c), exact_sum(c * c), float(v.min()) if len(v) else math.inf,
                float(v.max()) if len(v) else -math.inf,
                np.bincount(np.searchsorted(u, v, side="left"), minlength=len(u) + 1),
                np.bincount(np.searchsorted(u, v, side="right"), minlength=len(u) + 1),
                hist, np.bincount(self._coded(frame, col, codes)[0], minlength=self.decile_bins(col)))
        for col in self.categorical:
            code, uniques = self._coded(frame, col, codes)
            out.values[col] = (uniques, np.bincount(code, minlength=len(uniques)))
        for a, b in self.pairs:
            if a in self.deciles and b in self.deciles:
                both = present[a] & present[b]
                x = frame[a].to_numpy(float)[both] - self.centre[a]
                y = frame[b].to_numpy(float)[both] - self.centre[b]
                # a column without missing values here has its sums already
                sx = out.numbers[a].total if both.all() else exact_sum(x)
                sxx = out.numbers[a].squares if both.all() else exact_sum(x * x)
                sy = out.numbers[b].total if both.all() else exact_sum(y)
                syy = out.numbers[b].squares if both.all() else exact_sum(y * y)
                out.products[(a, b)] = (int(both.sum()), sx, sy, sxx, syy, exact_sum(x * y))
            (ca, ua), (cb, ub) = codes[a], codes[b]
            size_a = len(ua) if ua is not None else self.decile_bins(a)
            size_b = len(ub) if ub is not None else self.decile_bins(b)
            cell = ca * size_b + cb
            if size_a * size_b <= max(1 << 20, 4 * len(cell)):  # a small table: counted in one pass, no sort
                counted = np.bincount(cell, minlength=size_a * size_b)
                cells = np.flatnonzero(counted)
                out.joints[(a, b)] = (cells, counted[cells])
            else:
                out.joints[(a, b)] = tuple(np.unique(cell, return_counts=True))  # type: ignore[assignment]
        return out

    # --- merging -----------------------------------------------------------------------------------------------
    def _renumbered_cells(self, part: Part, pair: tuple[str, str], codes: dict[str, np.ndarray],
                          size_b: int) -> tuple[np.ndarray, np.ndarray]:
        """A part's joint-table cells of ``pair`` (and their counts) in merged numbering: ``codes`` maps each
        category column's codes in this part to the merged ones, and the merged table has ``size_b`` columns."""
        col_a, col_b = pair
        cells, n = part.joints[pair]
        local_b = len(part.values[col_b][0]) if col_b in codes else self.decile_bins(col_b)
        ia, ib = cells // local_b, cells % local_b
        if col_a in codes:
            ia = codes[col_a][ia]
        if col_b in codes:
            ib = codes[col_b][ib]
        return ia * size_b + ib, n

    def combine(self, a: Part, b: Part) -> Part:
        """Two partitions' parts as one part of all their rows (its categories in the order ``a`` then ``b`` first
        meet them): merging the result with others (:meth:`merge`) gives what merging every part at once gives,
        so a cluster merges parts in pairs on its workers and sends back one.

        >>> import pandas as pd
        >>> plan = Plan([], {}, [], ["c"], [("c", "c")], {}, {}, {}, {}, {"c": pd.Index(["x"])})
        >>> one, two = plan.scan(pd.DataFrame({"c": ["x", "y", "y"]})), plan.scan(pd.DataFrame({"c": ["z", "y"]}))
        >>> both = plan.combine(one, two)
        >>> both.rows, both.values["c"][0].tolist(), both.values["c"][1].tolist()
        (5, ['x', 'y', 'z'], [1, 3, 1])
        >>> plan.merge([both]).code_counts("c").tolist() == plan.merge([one, two]).code_counts("c").tolist() == [1, 3, 1]
        True
        """
        out = Part(rows=a.rows + b.rows)
        for col in self.numeric:
            x, y = a.numbers[col], b.numbers[col]
            out.numbers[col] = NumberPart(x.present + y.present, x.total + y.total, x.squares + y.squares, min(x.low, y.low),
                                          max(x.high, y.high), x.below_or_at + y.below_or_at, x.strictly_below + y.strictly_below,
                                          x.histogram + y.histogram, x.deciles + y.deciles)
        maps: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per category column: a's and b's codes -> the combined codes
        for col in self.categorical:
            (ua, na), (ub, nb) = a.values[col], b.values[col]
            union = pd.Index(ua, dtype=object).append(pd.Index(ub, dtype=object)).unique()
            at_a = union.get_indexer(pd.Index(ua, dtype=object)) if len(ua) else np.zeros(0, np.int64)
            at_b = union.get_indexer(pd.Index(ub, dtype=object)) if len(ub) else np.zeros(0, np.int64)
            counts = np.zeros(len(union), np.int64)
            np.add.at(counts, at_a, na)
            np.add.at(counts, at_b, nb)
            out.values[col], maps[col] = (np.asarray(union, object), counts), (at_a, at_b)
        for k in self.pairs:
            if k in a.products:
                out.products[k] = tuple(x + y for x, y in zip(a.products[k], b.products[k]))  # type: ignore[assignment]
            col_b = k[1]
            size_b = len(out.values[col_b][0]) if col_b in maps else self.decile_bins(col_b)
            cells, counts = [], []
            for side, part in enumerate((a, b)):
                c, n = self._renumbered_cells(part, k, {col: at[side] for col, at in maps.items()}, size_b)
                cells.append(c)
                counts.append(n)
            cell, inverse = np.unique(np.concatenate(cells), return_inverse=True)
            total = np.zeros(len(cell), np.int64)
            np.add.at(total, inverse.ravel(), np.concatenate(counts))
            out.joints[k] = (cell, total)
        return out

    def vocabulary(self, parts: Sequence[Part], extra: Sequence[pd.DataFrame] = ()) -> dict[str, pd.Index]:
        """Each category column's codes for the merged tables: the real values in their order, then the values only
        the synthetic rows (or ``extra`` frames) have, sorted (so the codes do not depend on the partitions' order)."""
        out = {}
        for col in self.categorical:
            real = self.real_values[col]
            seen = [p.values[col][0] for p in parts] + [f[col].to_numpy(object) for f in extra]
            others = pd.Index(pd.unique(np.concatenate(seen))) if seen else pd.Index([])
            others = others[real.get_indexer(others) < 0]
            out[col] = real.append(pd.Index(sorted(others, key=str)))
        return out

    def merge(self, parts: Sequence[Part], vocabulary: dict[str, pd.Index] | None = None) -> Reduction:
        """The summary of every part's rows together (``vocabulary``: the category codes to use, default from ``parts``)."""
        vocab = self.vocabulary(parts) if vocabulary is None else vocabulary
        numbers = {}
        for col in self.numeric:
            each = [p.numbers[col] for p in parts]
            numbers[col] = NumberPart(sum(e.present for e in each), sum(e.total for e in each), sum(e.squares for e in each),
                                      min((e.low for e in each), default=math.inf), max((e.high for e in each), default=-math.inf),
                                      np.sum([e.below_or_at for e in each], axis=0), np.sum([e.strictly_below for e in each], axis=0),
                                      np.sum([e.histogram for e in each], axis=0), np.sum([e.deciles for e in each], axis=0))
        counts = {}
        maps: dict[str, list[np.ndarray]] = {}  # per category column, each part's codes -> the merged codes
        for col in self.categorical:
            total = np.zeros(len(vocab[col]), np.int64)
            maps[col] = []
            for p in parts:
                uniques, n = p.values[col]
                at = vocab[col].get_indexer(pd.Index(uniques, dtype=object)) if len(uniques) else np.zeros(0, np.int64)
                maps[col].append(at)
                np.add.at(total, at, n)
            counts[col] = total
        products = {k: tuple(sum(p.products[k][i] for p in parts) for i in range(6)) for k in self.pairs
                    if k[0] in self.deciles and k[1] in self.deciles}
        joints = {}
        for k in self.pairs:
            a, b = k
            size_a = len(vocab[a]) if a in vocab else self.decile_bins(a)
            size_b = len(vocab[b]) if b in vocab else self.decile_bins(b)
            table = np.zeros(size_a * size_b, np.int64)
            for i, p in enumerate(parts):
                cells, n = self._renumbered_cells(p, k, {col: at[i] for col, at in maps.items()}, size_b)
                np.add.at(table, cells, n)
            joints[k] = table.reshape(size_a, size_b)
        return Reduction(self, sum(p.rows for p in parts), numbers, counts, vocab, products, joints)


# --- the real side's profile, partition by partition -------------------------------------------------------------
#: Distinct values of one real number column a partitioned profile keeps (16 bytes each, with their counts): the
#: exact Kolmogorov-Smirnov statistic, median and deciles need every one. Above it the audit stops with one line.
REAL_DISTINCT_LIMIT = 4_000_000


@dataclass
class Profile:
    """What :meth:`Plan.from_profile` needs from the real rows, merged exactly over their partitions: per number
    column its distinct present values (sorted) and how many rows carry each; per category column its values in the
    order they first occur and their counts."""

    rows: int
    numbers: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    values: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]) -> Profile:
        """One partition's profile (converted as :func:`audit.data.convert` converts it)."""
        out = cls(rows=len(frame))
        for col in numeric:
            x = frame[col].to_numpy(float)
            values, counts = np.unique(x[~np.isnan(x)], return_counts=True)
            out.numbers[col] = (values, counts.astype(np.int64))
        for col in categorical:
            codes, uniques = pd.factorize(frame[col].to_numpy(object), use_na_sentinel=False)
            out.values[col] = (np.asarray(uniques, object), np.bincount(codes, minlength=len(uniques)).astype(np.int64))
        return out

    def combine(self, other: Profile, limit: int | None = REAL_DISTINCT_LIMIT) -> Profile:
        """This partition's profile and the next one's (``other``, later rows) as one: category values keep the order
        they first occur in. A number column with more than ``limit`` distinct values is one line naming it.

        >>> a = Profile.of(pd.DataFrame({"x": [2.0, 1.0, np.nan], "c": ["b", "a", "b"]}), ["x"], ["c"])
        >>> b = Profile.of(pd.DataFrame({"x": [2.0, 3.0], "c": ["c", "a"]}), ["x"], ["c"])
        >>> both = a.combine(b)
        >>> both.rows, [v.tolist() for v in both.numbers["x"]], [v.tolist() for v in both.values["c"]]
        (5, [[1.0, 2.0, 3.0], [1, 2, 1]], [['b', 'a', 'c'], [2, 2, 1]])
        """
        out = Profile(rows=self.rows + other.rows)
        for col, (va, na) in self.numbers.items():
            vb, nb = other.numbers[col]
            values, at = np.unique(np.concatenate([va, vb]), return_inverse=True)
            if limit is not None and len(values) > limit:
                raise SynthError(f"real column {col!r} has more than {limit:,} distinct values: the exact Kolmogorov-Smirnov "
                                 "statistic, median and deciles of a partitioned real table need them all in memory; if it "
                                 f"identifies rows say so (--kind {col}=identifier), else round it or audit on one machine")
            out.numbers[col] = (values, np.bincount(at.ravel(), weights=np.concatenate([na, nb]), minlength=len(values)).astype(np.int64))
        for col, (ua, na) in self.values.items():
            ub, nb = other.values[col]
            union = pd.Index(ua, dtype=object).append(pd.Index(ub, dtype=object)).unique()
            counts = np.zeros(len(union), np.int64)
            np.add.at(counts, union.get_indexer(pd.Index(ua, dtype=object)), na)
            np.add.at(counts, union.get_indexer(pd.Index(ub, dtype=object)), nb)
            out.values[col] = (np.asarray(union, object), counts)
        return out


def _order_statistics(values: np.ndarray, counts: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The values at 0-based ``ranks`` of the rows that ``values`` (sorted, distinct) and their ``counts`` stand for."""
    return values[np.searchsorted(np.cumsum(counts), ranks, side="right")]


def median_of_counts(values: np.ndarray, counts: np.ndarray) -> float:
    """``np.median`` of the rows that sorted distinct ``values`` and their ``counts`` stand for, to the last bit.

    >>> x = np.array([3.0, 1.0, 2.0, 2.0, 7.5, 1.0])
    >>> v, n = np.unique(x, return_counts=True)
    >>> median_of_counts(v, n) == float(np.median(x))
    True
    """
    n = int(counts.sum())
    middle = _order_statistics(values, counts, np.array([(n - 1) // 2, n // 2]))
    return float(np.median(middle))  # the mean of the two middle values (one, twice, when n is odd), as numpy takes it


def quantiles_of_counts(values: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.quantile(rows, q)`` (linear interpolation) of the rows that sorted distinct ``values`` and their ``counts``
    stand for, to the last bit: numpy's virtual index ``(n - 1) q`` picks two order statistics, and numpy itself
    interpolates between them (on a two-value array the virtual index is the same fraction).

    >>> x = np.random.default_rng(1).integers(0, 9, 101) / 7
    >>> v, n = np.unique(x, return_counts=True)
    >>> q = np.linspace(0, 1, 11)
    >>> bool((quantiles_of_counts(v, n, q) == np.quantile(x, q)).all())
    True
    """
    n = int(counts.sum())
    at = (n - 1) * np.asarray(q, float)
    low = np.floor(at)
    below = _order_statistics(values, counts, low.astype(np.int64))
    above = _order_statistics(values, counts, np.minimum(low + 1, n - 1).astype(np.int64))
    return np.array([np.quantile(np.array([a, b]), g) for a, b, g in zip(below, above, at - low)])


# --- all partitions -----------------------------------------------------------------------------------------------
@dataclass
class Reduction:
    """The merged summary of a table's rows: what the fidelity metrics read (see the module docstring)."""

    plan: Plan
    rows: int
    numbers: dict[str, NumberPart]
    counts: dict[str, np.ndarray]  # per category column, rows per value of ``vocabulary``
    vocabulary: dict[str, pd.Index]
    products: dict[tuple[str, str], tuple[int, ...]]
    joints: dict[tuple[str, str], np.ndarray]

    def mean(self, col: str) -> float | None:
        n = self.numbers[col]
        return None if n.present == 0 else float(self.plan.centre[col] + _fraction(n.total) / n.present)

    def std(self, col: str) -> float | None:
        """Sample standard deviation (n - 1), as pandas gives it."""
        n = self.numbers[col]
        if n.present < 2:
            return None
        s, ss = _fraction(n.total), _fraction(n.squares)
        return math.sqrt(max(float((ss - s * s / n.present) / (n.present - 1)), 0.0))

    def pearson(self, a: str, b: str) -> float | None:
        """Pearson r over the rows where both are present; None for fewer than 3 rows or a constant column."""
        n, sx, sy, sxx, syy, sxy = self.products[(a, b)]
        if n < 3:
            return None
        sx, sy, sxx, syy, sxy = (_fraction(v) for v in (sx, sy, sxx, syy, sxy))
        cov, vx, vy = n * sxy - sx * sy, n * sxx - sx * sx, n * syy - sy * sy
        if vx <= 0 or vy <= 0:
            return None
        r = math.sqrt(float(cov * cov / (vx * vy)))
        return float(np.clip(math.copysign(r, cov), -1.0, 1.0))

    def ks(self, col: str, real: Reduction) -> float:
        """The two-sample Kolmogorov-Smirnov statistic of the ``real`` rows' column against these rows', exactly as
        ``scipy.stats.ks_2samp`` gives it: the two empirical distributions differ most at a real value or just below
        one (between two real values the real one is flat), and the synthetic counts there are kept per real value."""
        n, real_counts = self.numbers[col], real.numbers[col].below_or_at[:-1]  # real rows per distinct real value
        n1, n2 = int(real_counts.sum()), n.present
        if n1 == 0 or n2 == 0:
            return 1.0 if n1 != n2 else 0.0
        real_le = np.cumsum(real_counts)  # real values at or below u_j
        syn_le = np.cumsum(n.below_or_at)[:-1]  # synthetic values with at most j real values below them: <= u_j
        syn_lt = np.cumsum(n.strictly_below)[:-1]  # ... at most j real values at or below them: < u_j
        real_before = np.r_[0, real_le[:-1]]
        # in integers (F_real n2 - F_syn n1), so the statistic is the exact fraction h / lcm(n1, n2), correctly
        # rounded: what ks_2samp returns (its exact mode rounds its float difference to that fraction)
        diffs = np.r_[real_le * n2 - syn_le * n1, real_before * n2 - syn_lt * n1, 0]
        g = math.gcd(n1, n2)
        return float(Fraction(int(max(-diffs.min(), diffs.max())) // g, n1 // g * n2))

    def shares(self, col: str) -> np.ndarray:
        """Rows per code (categories: per vocabulary value; numbers: per decile bin), as shares."""
        counts = self.code_counts(col)
        return counts / max(int(counts.sum()), 1)

    def code_counts(self, col: str) -> np.ndarray:
        return self.counts[col] if col in self.counts else self.numbers[col].deciles

    def distinct_values(self, col: str) -> int:
        """Distinct present values of a category column."""
        counts, vocab = self.counts[col], self.vocabulary[col]
        return int(((counts > 0) & (vocab != MISSING)).sum())


def reduce_local(t: Tables, plan: Plan, frame: pd.DataFrame | None = None, rows: int = SCAN_ROWS) -> list[Part]:
    """The parts of ``frame`` (default: the synthetic rows), summarised here in slices of ``rows``."""
    frame = t.synthetic if frame is None else frame
    return [plan.scan(frame.iloc[i:i + rows]) for i in range(0, max(len(frame), 1), rows)]


def finish(t: Tables, plan: Plan, parts: Sequence[Part], real: Sequence[Part] | None = None) -> tuple[Reduction, Reduction]:
    """The synthetic parts merged, and the real rows summarised with the same codes: (synthetic, real). ``real``: the
    real rows' parts when they were summarised elsewhere (a partitioned real table: ``t.real`` is then a sample)."""
    vocabulary = plan.vocabulary(parts)
    return plan.merge(parts, vocabulary), plan.merge([plan.scan(t.real)] if real is None else real, vocabulary)


def reductions(t: Tables, seed: int | None = None, pairs: Sequence[tuple[str, str]] | None = None) -> tuple[Reduction, Reduction]:
    """(synthetic, real) summaries for the fidelity metrics, once per tables and pairs (default: the audit's, chosen
    with its seed), summarised here in slices unless :func:`audit.run` put an engine's in ``t.cache`` (the same numbers)."""
    key = ("reduction", None if pairs is None else tuple(pairs))
    if key not in t.cache:
        plan = Plan.of(t, pairs, t.cache.get("seed", 0) if seed is None else seed)
        t.cache[key] = finish(t, plan, reduce_local(t, plan))
    return t.cache[key]


def sampled(t: Tables, seed: int | None = None, limit: int = SAMPLE_ROWS) -> Tables:
    """The tables with the synthetic side cut to the bounded, seeded sample (the same tables when there are at most
    ``limit`` synthetic rows), once per tables: what the privacy tests that do not merge read (their real side is
    every real row: they take samples of their own). :func:`audit.run` decides the seed and limit for the whole audit."""
    if "sampled" not in t.cache:
        seed = t.cache.get("seed", 0) if seed is None else seed
        t.cache.setdefault("limit", limit)
        at = sample_positions(len(t.synthetic), seed, limit) if t.synthetic_rows is None else None
        t.cache["sampled"] = t if at is None else Tables(t.real, t.synthetic.iloc[at].reset_index(drop=True), t.holdout,
                                                          t.kinds, synthetic_rows=len(t.synthetic), real_rows=t.real_rows)
    return t.cache["sampled"]


def sampled_both(t: Tables) -> Tables:
    """:func:`sampled`, with the real side cut to its own bounded, seeded sample as well (by position, so the same rows
    whatever the partitioning of the real table; kept as it is when it has at most the limit's rows, or is already a
    sample, ``t.real_rows``): what the fidelity and utility metrics that do not merge read (Spearman correlations,
    detection, time series, TSTR, feature importance, QScore)."""
    if "sampled_both" not in t.cache:
        s = sampled(t)
        at = sample_positions(len(t.real), t.cache.get("seed", 0), t.cache.get("limit", SAMPLE_ROWS), REAL_STREAM) if t.real_rows is None else None
        t.cache["sampled_both"] = s if at is None else Tables(t.real.iloc[at].reset_index(drop=True), s.synthetic, s.holdout, s.kinds,
                                                               synthetic_rows=s.synthetic_rows, real_rows=len(t.real))
    return t.cache["sampled_both"]


def sample_note(t: Tables) -> str:
    """Words for a metric computed on the samples (:func:`sampled_both`; '' when they are every row of both tables)."""
    s = sampled_both(t)
    sides = [f"{len(frame):,} of the {rows:,} {label} rows" for label, frame, rows in
             (("synthetic", s.synthetic, s.synthetic_rows), ("real", s.real, s.real_rows)) if rows is not None]
    return "" if not sides else f" (on a seeded sample of {' and '.join(sides)})"
