"""Per-partition summaries of a table that merge: what ``synth fit`` learns marginals and correlations from when
the table is a dataset too big for one machine's memory (:mod:`synth.fit.dataset`).

Two passes, each a pure function of one partition's rows whose results merge exactly, in any order and grouping,
so what is learned is the same function of the rows however they are cut into partitions and whichever worker
merges what:

- **pass 1**, :func:`summarize` -> :class:`TableSummary`: per column the rows, missing values, exact value
  counts (while a column has at most :data:`MAX_COUNTED` distinct values), and for a number column its exact
  counts in fine bins (:class:`Bins`: at most :data:`MAX_BINS` occupied, each within ``2 ** (shift - 52)`` of its
  values' magnitude), its ``2 * min_count`` smallest and largest values exactly (the privacy guard's k-th values
  and the tails' spacing need them exactly) and its decimals; plus a seeded uniform sample of rows for what needs
  whole rows (bottom-s by random keys, a bijective hash of ``(seed, row number in the table)``: the merge keeps
  the s smallest keys of all partitions, so the sample is uniform and the same for any partitioning);
- **pass 2**, :class:`Scorer` -> :class:`RankSums`: each row's mid-rank (its mid-CDF) under the *merged*
  marginals, on a grid of :data:`RANK_LEVELS`, and per pair of columns the integer sums that make Pearson's
  correlation of those ranks: Spearman's rank correlation of the whole table, summed exactly.

>>> import pandas as pd
>>> a = summarize(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["u", "v", "u"]}), start=0, seed=0, sample_rows=2)
>>> b = summarize(pd.DataFrame({"x": [4.0, None], "c": ["v", None]}), start=3, seed=0, sample_rows=2)
>>> whole = TableSummary.merge([a, b])
>>> whole.rows, whole.columns["x"].nulls, whole.columns["c"].counts
(5, 1, {'u': 2, 'v': 2})
>>> len(whole.sample)  # the 2 rows of the 5 with the smallest random keys
2
"""

from __future__ import annotations

import datetime
import numbers
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .arrays import run_starts

#: Exact value counts are kept while a column has at most this many distinct values (categories, codes, small
#: counts); beyond, a number column has only its bins (:class:`Bins`) and a text column is learned from the sample.
MAX_COUNTED = 20_000
#: Most occupied bins a number column's histogram keeps (``Bins``): at most 512 KB per column and partition.
MAX_BINS = 2 ** 15
_LOW63 = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def order_keys(values: np.ndarray) -> np.ndarray:
    """Finite floats as int64 keys in the same order (their IEEE bits, negatives flipped): a key's leading bits
    are a bin of the value, finer the more bits are kept, and bins nest.

    >>> order_keys(np.array([-2.0, -0.0, 0.0, 1.5])).tolist() == sorted(order_keys(np.array([-2.0, 0.0, 1.5, -0.0])).tolist())
    True
    """
    bits = (np.asarray(values, dtype=float) + 0.0).view(np.int64)  # + 0.0: -0.0 becomes 0.0
    return np.where(bits < 0, bits ^ _LOW63, bits)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The floats of :func:`order_keys` (its inverse)."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.where(keys < 0, keys ^ _LOW63, keys).view(np.float64)


def _shift_for(bins: np.ndarray, limit: int) -> int:
    """The fewest low bits to drop from sorted ``bins`` so that at most ``limit`` distinct ones are left."""
    def occupied(s: int) -> int:
        return 1 + int(np.count_nonzero(np.diff(bins >> s))) if len(bins) else 0

    if occupied(0) <= limit:
        return 0
    lo, hi = 0, 63  # occupied(lo) > limit >= occupied(hi): 63 bits leave the sign only
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if occupied(mid) <= limit else (mid, hi)
    return hi


@dataclass
class Bins:
    """Exact counts of a number column's finite values in the finest bins of which at most :data:`MAX_BINS` are
    occupied: bin ``b`` holds the values whose :func:`order_keys` shifted right by ``shift`` bits are ``b``.

    A deterministic, exactly mergeable quantile summary: the bins nest (a bin at ``shift + 1`` is two at
    ``shift``), counts are integers, and :meth:`merge` coarsens to the finest shift that fits, so the result is
    the same function of the rows for any partitioning and any order of merging (the shift that fits the union
    is never finer than one that fits a part). A bin at shift ``s`` spans at most ``2 ** (s - 52)`` of its values'
    magnitude (:attr:`relative_width`): a quantile read from it is within that of the exact one. ``shift`` 0:
    every distinct value has a bin of its own, the counts are exact value counts.

    >>> a = Bins.of(np.arange(1000.0)); b = Bins.of(np.arange(1000.0, 3000.0))
    >>> whole = Bins.merge([a, b]); whole == Bins.merge([b, a]) == Bins.of(np.arange(3000.0))
    True
    >>> int(whole.counts.sum()), whole.shift
    (3000, 0)
    """

    shift: int
    bins: np.ndarray
    counts: np.ndarray

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Bins) and self.shift == other.shift and np.array_equal(self.bins, other.bins)
                and np.array_equal(self.counts, other.counts))

    @staticmethod
    def _fit(bins: np.ndarray, counts: np.ndarray, shift: int, limit: int) -> "Bins":
        extra = _shift_for(bins, limit)
        if extra:
            bins = bins >> extra
            starts = np.flatnonzero(np.append(True, np.diff(bins) != 0))
            bins, counts = bins[starts], np.add.reduceat(counts, starts)
        return Bins(shift + extra, bins, counts)

    @staticmethod
    def of(values: np.ndarray, limit: int | None = None, presorted: bool = False) -> "Bins":
        """The bins of finite ``values`` (``presorted``: already in order, so their keys are too); ``limit``: at
        most so many occupied (default :data:`MAX_BINS`)."""
        keys = order_keys(values) if presorted else np.sort(order_keys(values))
        if not len(keys):
            return Bins(0, keys, np.zeros(0, dtype=np.int64))
        starts = np.flatnonzero(np.append(True, np.diff(keys) != 0))
        return Bins._fit(keys[starts], np.diff(np.append(starts, len(keys))).astype(np.int64), 0, limit or MAX_BINS)

    @staticmethod
    def merge(parts: Sequence["Bins"], limit: int | None = None) -> "Bins":
        shift = max((p.shift for p in parts), default=0)
        bins = np.concatenate([p.bins >> (shift - p.shift) for p in parts] or [np.zeros(0, dtype=np.int64)])
        counts = np.concatenate([p.counts for p in parts] or [np.zeros(0, dtype=np.int64)])
        order = np.argsort(bins, kind="stable")
        bins, counts = bins[order], counts[order]
        if not len(bins):
            return Bins(shift, bins, counts)
        starts = np.flatnonzero(np.append(True, np.diff(bins) != 0))
        return Bins._fit(bins[starts], np.add.reduceat(counts, starts), shift, limit or MAX_BINS)

    @property
    def relative_width(self) -> float:
        """How far a value read from a bin can be from the true one, relative to its magnitude (0: exact)."""
        return 0.0 if self.shift == 0 else 2.0 ** (self.shift - 52)

    def edges(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """Each bin's smallest and largest possible value, within the column's exact range [lo, hi]."""
        first = self.bins << self.shift
        last = first + ((1 << self.shift) - 1)
        k_lo, k_hi = order_keys(np.array([lo, hi]))
        return key_values(np.clip(first, k_lo, k_hi)), key_values(np.clip(last, k_lo, k_hi))


def _decimals(values: np.ndarray) -> int | None:
    """:func:`synth.fit.columns.decimals_of` of all the values (it reads 20,000 at a time): the most decimals any
    slice needs, so the same for any partitioning of the rows (None: continuous)."""
    from .columns import decimals_of

    found = [decimals_of(values[i:i + 20_000]) for i in range(0, len(values), 20_000)]
    return None if any(d is None for d in found) else max(found, default=0)


@dataclass
class ColumnSummary:
    """One column of one partition (or of several, merged).

    ``counts``: exact count of each present value (None: more than :data:`MAX_COUNTED` distinct values);
    number columns only: ``finite`` values, their ``bins`` (:class:`Bins`), ``low``/``high`` (the
    ``keep`` smallest and largest, sorted) and ``decimals`` (None: continuous).
    """

    rows: int
    nulls: int
    counts: dict[Any, int] | None
    number: bool = False
    finite: int = 0
    bins: Bins | None = None
    low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    decimals: int | None = 0

    @property
    def present(self) -> int:
        return self.rows - self.nulls

    @staticmethod
    def merge(parts: Sequence["ColumnSummary"], keep: int) -> "ColumnSummary":
        first = parts[0]
        counts: dict[Any, int] | None = None
        if all(p.counts is not None for p in parts):
            counted = [pd.Series(p.counts, dtype="int64") for p in parts if p.counts]
            summed = pd.concat(counted).groupby(level=0, sort=False).sum() if counted else pd.Series(dtype="int64")
            counts = None if len(summed) > MAX_COUNTED else {k: int(v) for k, v in summed.items()}
        out = ColumnSummary(sum(p.rows for p in parts), sum(p.nulls for p in parts), counts, first.number)
        if first.number:
            out.finite = sum(p.finite for p in parts)
            out.bins = Bins.merge([p.bins for p in parts if p.bins is not None])
            out.low = np.sort(np.concatenate([p.low for p in parts]))[:keep]
            out.high = np.sort(np.concatenate([p.high for p in parts]))[-keep:] if keep else np.zeros(0)
            decimals = [p.decimals for p in parts if p.finite]
            out.decimals = None if any(d is None for d in decimals) else max(decimals, default=0)
        return out


def summarize_column(series: pd.Series, keep: int) -> ColumnSummary:
    """Pass 1 for one column of one partition. ``keep``: how many smallest and largest numbers to keep exactly."""
    rows, nulls = len(series), int(series.isna().sum())
    number = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    if not number:
        if pd.api.types.is_datetime64_any_dtype(series.dtype) or isinstance(series.dtype, pd.PeriodDtype):
            return ColumnSummary(rows, nulls, None)  # dates and times are learned from the sample
        present = series.dropna()
        if isinstance(series.dtype, pd.CategoricalDtype):  # counted by code, then named as the text the fit reads
            counted = present.value_counts(sort=False)
            counted.index = counted.index.astype(object).astype(str)
        else:
            first = present.iloc[0] if len(present) else None
            if isinstance(first, (datetime.date, datetime.time)):  # dates and times (Arrow's date32, time64)
                return ColumnSummary(rows, nulls, None)
            if not pd.api.types.is_bool_dtype(series.dtype):
                present = present.astype(str)
            counted = present.value_counts(sort=False)
        counted = counted[counted > 0]
        counts = None if len(counted) > MAX_COUNTED else {k: int(v) for k, v in counted.items()}
        return ColumnSummary(rows, nulls, counts)
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    # Infinite values are written as empty ones (synth.fit.columns), so they count as missing here.
    nulls = rows - len(finite)
    ordered = np.sort(finite)  # one sort serves the distinct values and the extremes
    first = np.flatnonzero(run_starts(ordered))
    counts = None
    if len(first) <= MAX_COUNTED:
        counts = {float(v): int(c) for v, c in zip(ordered[first], np.diff(np.append(first, len(ordered))))}
    low, high = ordered[:keep], ordered[-keep:] if keep else ordered[:0]
    return ColumnSummary(rows, nulls, counts, True, len(finite), Bins.of(ordered, presorted=True), low, high,
                         _decimals(finite))


@dataclass
class TableSummary:
    """Pass 1 of a partition (or of several, merged): its columns' summaries and its share of the row sample.

    ``sample``: rows drawn uniformly (with ``_key`` and ``_row``, the row's number in the table, saying how);
    after :meth:`merge`, the ``sample_rows`` rows of the smallest keys, in the table's row order.
    """

    rows: int
    columns: dict[str, ColumnSummary]
    sample: pd.DataFrame
    sample_rows: int
    keep: int

    @staticmethod
    def merge(parts: Iterable["TableSummary"]) -> "TableSummary":
        """The summary of the partitions together, exactly (counts, bins, extremes, the sample by its keys): the
        same for any order and grouping of the parts."""
        parts = list(parts)
        first = parts[0]
        names = list(first.columns)
        columns = {c: ColumnSummary.merge([p.columns[c] for p in parts], first.keep) for c in names}
        sample = pd.concat([p.sample for p in parts], ignore_index=True)
        if len(sample) > first.sample_rows:  # keys are distinct (a bijective hash of distinct row numbers): no ties
            sample = sample.iloc[np.argpartition(sample["_key"].to_numpy(), first.sample_rows - 1)[:first.sample_rows]]
        # Row order is part of what a fit learns (running numbers, time order): the sample keeps the table's.
        sample = sample.sort_values("_row", kind="stable").reset_index(drop=True)
        return TableSummary(sum(p.rows for p in parts), columns, sample, first.sample_rows, first.keep)

    def sampled_rows(self) -> pd.DataFrame:
        """The sample's rows, without the columns that say how they were drawn."""
        return self.sample.drop(columns=["_key", "_row"]).reset_index(drop=True)


def row_keys(seed: int, start: int, n: int) -> np.ndarray:
    """Random keys of rows ``start .. start + n - 1`` of a table: SplitMix64's finalizer (a bijection of 64-bit
    integers) of the row numbers offset by the seed's hash. A row's key depends on the seed and its place in the
    table only, never on the partition that holds it, and no two rows share one.

    >>> row_keys(0, 5, 3).tolist() == row_keys(0, 0, 8)[5:].tolist()
    True
    """
    return keys_of(seed, np.arange(start, start + n, dtype=np.uint64))


def keys_of(seed: int, rows: np.ndarray) -> np.ndarray:
    """:func:`row_keys` of the rows numbered ``rows``."""
    def mix(x: np.ndarray) -> np.ndarray:
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    base = mix(np.array([seed % 2 ** 64], dtype=np.uint64))[0]
    return mix(np.asarray(rows, dtype=np.uint64) + base)


def summarize(frame: pd.DataFrame, start: int, seed: int, sample_rows: int, min_count: int = 10,
              rows: np.ndarray | None = None) -> TableSummary:
    """Pass 1 of the partition whose first row is row ``start`` of the table (``rows``: the row numbers of the
    frame's rows, when they are not consecutive, e.g. after a holdout was taken out): its columns' summaries and
    its candidates for the row sample.

    Each row gets a random key from ``(seed, row number)`` (:func:`row_keys`); the partition's ``sample_rows``
    smallest go on, so the merged sample (the smallest keys of all) is a uniform sample of the table, fixed by the
    seed and the same for any partitioning.
    """
    keep = 2 * min_count  # smooth_tails reads the k-th and 2k-th smallest and largest values
    columns = {str(c): summarize_column(frame[c], keep) for c in frame.columns}
    if rows is None:
        rows = np.arange(start, start + len(frame), dtype=np.uint64)
    keys = keys_of(seed, rows)
    chosen = np.arange(len(frame))
    if len(frame) > sample_rows:
        chosen = np.sort(np.argpartition(keys, sample_rows - 1)[:sample_rows]) if sample_rows else chosen[:0]
    sample = frame.iloc[chosen].reset_index(drop=True)
    # A categorical's categories are those of the row groups read together: text, so that the merged sample's
    # columns are the same whichever rows were read with which.
    for c in sample.columns:
        if isinstance(sample[c].dtype, pd.CategoricalDtype):
            sample[c] = sample[c].astype(object).where(sample[c].notna(), None)
    sample = sample.assign(_key=keys[chosen], _row=np.asarray(rows, dtype=np.int64)[chosen])
    return TableSummary(len(frame), columns, sample, sample_rows, keep)


# --- pass 2: ranks under the merged marginals, and the sums of their products -------------------------------------
@dataclass
class RankMap:
    """How one column's values become mid-ranks in (0, 1) under the whole table's marginal.

    Exactly from counts (``values`` sorted, ``mid`` each one's mid-CDF; a value not listed: NaN), or from the
    bins (``grid``: each bin's middle, ``at``: its mid-CDF, interpolated between). ``text``: a category column's
    values are ranked in their listed order, not in their own. Ranks are returned on a grid of
    :data:`RANK_LEVELS` so that their sums are exact integers (:class:`RankSums`).
    """

    values: np.ndarray | None = None
    mid: np.ndarray | None = None
    grid: np.ndarray | None = None
    at: np.ndarray | None = None
    text: bool = False

    @staticmethod
    def from_counts(counts: dict[Any, int], order: Sequence[Any] | None = None) -> "RankMap":
        """Mid-CDF of each counted value; ``order``: the values in rank order (a category list), others unranked."""
        if order is not None:
            keys = list(order)
            times = np.array([counts.get(k, 0) for k in keys], dtype=float)
        else:
            keys = sorted(counts)
            times = np.array([counts[k] for k in keys], dtype=float)
        total = times.sum() or 1.0
        mid = (np.cumsum(times) - times / 2) / total
        if order is not None:  # category positions: looked up by text
            return RankMap(values=np.array([str(k) for k in keys], dtype=object), mid=mid, text=True)
        return RankMap(values=np.asarray(keys, dtype=float), mid=mid)

    @staticmethod
    def from_bins(summary: ColumnSummary) -> "RankMap":
        """Ranks from the column's exact bin counts: a value's rank is interpolated between the middles of the
        bins around it (exact for a bin of one distinct value; within the bin's share of rows otherwise)."""
        bins = summary.bins
        assert bins is not None and len(bins.counts)
        lo, hi = bins.edges(float(summary.low[0]), float(summary.high[-1]))
        times = bins.counts.astype(float)
        return RankMap(grid=(lo + hi) / 2, at=(np.cumsum(times) - times / 2) / times.sum())

    def ranks(self, series: pd.Series) -> np.ndarray:
        """Each row's mid-rank, times :data:`RANK_LEVELS` and rounded (NaN: missing, or a value that takes no
        part, like a category left out)."""
        return np.round(self._ranks(series) * RANK_LEVELS)

    def _ranks(self, series: pd.Series) -> np.ndarray:
        if self.text:
            assert self.values is not None and self.mid is not None
            at = text_codes(series, self.values)
            return np.where(at >= 0, self.mid[np.maximum(at, 0)], np.nan)
        x = series.to_numpy(dtype=float, na_value=np.nan)
        out = np.full(len(x), np.nan)
        ok = np.isfinite(x)
        if self.values is not None:
            assert self.mid is not None
            at = np.clip(np.searchsorted(self.values, x[ok]), 0, len(self.values) - 1)
            out[ok] = np.where(self.values[at] == x[ok], self.mid[at], np.nan)
        else:
            assert self.grid is not None and self.at is not None
            out[ok] = np.interp(x[ok], self.grid, self.at)
        return out


#: Ranks are integers 0 .. RANK_LEVELS (a mid-CDF of 1 / 65,536 resolution): a product is below 2 ** 32, so a
#: block of :data:`_BLOCK` rows sums below 2 ** 53, exactly in float64 whatever the order of the additions.
RANK_LEVELS = 2 ** 16
_BLOCK = 2 ** 20


@dataclass
class RankSums:
    """Per pair of columns, over the rows where both have a rank: n, sums of ranks, of squares, of products, as
    exact integers (Python ints: no overflow however many rows), so they merge to the same sums in any order.

    Pearson's correlation of these mid-ranks is Spearman's rank correlation (ties averaged), as
    :func:`synth.fit.copula.rank_correlations` computes it on one machine.

    >>> u = {"a": np.array([0.0, 3.0, 1.0, np.nan]), "b": np.array([1.0, 2.0, 0.0, 4.0])}
    >>> whole = RankSums.of(u)
    >>> parts = RankSums.merge([RankSums.of({k: v[:1] for k, v in u.items()}), RankSums.of({k: v[1:] for k, v in u.items()})])
    >>> all((getattr(whole, a) == getattr(parts, a)).all() for a in "nsqp"), round(float(whole.correlations(min_rows=2)[0, 1]), 3)
    (True, 0.655)
    """

    names: list[str]
    n: np.ndarray
    s: np.ndarray  # s[i, j]: sum of column i's ranks over rows where j has one too
    q: np.ndarray  # the same for squares
    p: np.ndarray  # sum of products

    @staticmethod
    def of(ranks: dict[str, np.ndarray]) -> "RankSums":
        """The sums of integer-valued ``ranks`` (at most :data:`RANK_LEVELS`; NaN: none)."""
        names = list(ranks)
        k = len(names)
        total = [np.zeros((k, k), dtype=np.int64).astype(object) for _ in range(4)]
        rows = len(next(iter(ranks.values()))) if names else 0
        for at in range(0, rows, _BLOCK):
            u = np.column_stack([ranks[c][at:at + _BLOCK] for c in names])
            m = (~np.isnan(u)).astype(float)
            u0 = np.nan_to_num(u)
            for i, block in enumerate((m.T @ m, u0.T @ m, (u0 * u0).T @ m, u0.T @ u0)):
                total[i] = total[i] + block.astype(np.int64).astype(object)  # exact: every partial sum < 2 ** 53
        return RankSums(names, *total)

    @staticmethod
    def merge(parts: Sequence["RankSums"]) -> "RankSums":
        first = parts[0]
        return RankSums(first.names, *(sum(getattr(p, a) for p in parts) for a in ("n", "s", "q", "p")))

    def correlations(self, min_rows: int = 20) -> np.ndarray:
        """The matrix of rank correlations (NaN where fewer than ``min_rows`` rows have both, or no spread)."""
        n, s, q, p = self.n, self.s, self.q, self.p
        cov = (n * p - s * s.T).astype(float)  # exact in integers, then rounded once
        var = ((n * q - s * s) * (n * q - s * s).T).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cov / np.sqrt(var)
        r[(n.astype(float) < min_rows) | ~np.isfinite(r)] = np.nan
        return r


def text_codes(series: pd.Series, vocabulary: Sequence[Any]) -> np.ndarray:
    """Each row's position in ``vocabulary`` (texts), -1 where missing or not listed; a categorical column is
    looked up once per category, not once per row.

    >>> text_codes(pd.Series(["b", None, "z", "a"]), ["a", "b"]).tolist()
    [1, -1, -1, 0]
    """
    index = pd.Index(list(vocabulary), dtype=object)
    if isinstance(series.dtype, pd.CategoricalDtype):
        per = index.get_indexer(series.cat.categories.astype(object).astype(str))
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, per[np.maximum(codes, 0)], -1)
    present = series.notna().to_numpy()
    out = np.full(len(series), -1, dtype=np.int64)
    out[present] = index.get_indexer(series[present].astype(str))
    return out


def _same(got: pd.Series, expected: pd.Series, at: np.ndarray) -> np.ndarray:
    """Whether each row's ``got`` equals ``expected[at]`` (``at`` -1: no expectation, False); missing equals missing."""
    missing = got.isna().to_numpy()
    want_missing = expected.isna().to_numpy()
    numeric = (pd.api.types.is_numeric_dtype(got.dtype) and not pd.api.types.is_bool_dtype(got.dtype)
               and all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in expected.dropna()))
    if numeric:
        want = expected.to_numpy(dtype=float, na_value=np.nan)[np.maximum(at, 0)]
        equal = got.to_numpy(dtype=float, na_value=np.nan) == want
    else:
        vocabulary = [str(v) for v in expected.dropna().unique()]
        wanted = text_codes(expected, vocabulary)
        codes = text_codes(got.astype(object) if pd.api.types.is_bool_dtype(got.dtype) else got, vocabulary)
        equal = (codes == wanted[np.maximum(at, 0)]) & (codes >= 0)  # -1 (missing, or not a listed text) equals nothing
    equal |= missing & want_missing[np.maximum(at, 0)]
    return equal & (at >= 0)


# --- pass 2: rules found on the sample, checked on every row ------------------------------------------------------
@dataclass
class LookupRule:
    """A fixed combination: ``fields`` take the values ``records`` lists for each value of ``key``.

    >>> rule = LookupRule("size_facts", "size", ["price"], pd.DataFrame({"size": ["S", "L"], "price": [2.5, 3.5]}))
    >>> rule.count(pd.DataFrame({"size": ["S", "L", "L", "M"], "price": [2.5, 3.5, 9.0, 1.0]}))  # M: not listed
    (3, 2)
    """

    name: str
    key: str
    fields: list[str]
    records: pd.DataFrame

    def count(self, frame: pd.DataFrame) -> tuple[int, int]:
        """(rows whose key is listed, rows whose fields all hold the listed values; missing matches missing)."""
        listed_keys = self.records[self.key]
        keys = frame[self.key]
        if not pd.api.types.is_numeric_dtype(listed_keys.dtype) or pd.api.types.is_bool_dtype(listed_keys.dtype):
            at = text_codes(keys, [str(k) for k in listed_keys])
        else:
            at = pd.Index(listed_keys.to_numpy(dtype=float)).get_indexer(keys.to_numpy(dtype=float, na_value=np.nan))
        held = at >= 0
        for f in self.fields:
            held &= _same(frame[f], self.records[f], at)
        return int(np.count_nonzero(at >= 0)), int(held.sum())


#: ``x op y`` or ``round(x op y, d)``: the formulas synth.fit.rules writes.
_FORMULA = re.compile(r"^(?:round\()?(\w+) ([-+*/]) (\w+)(?:, (\d+)\))?$")
_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}


@dataclass
class FormulaRule:
    """``name = x op y`` (rounded to ``decimals``), held when within half a unit of the last decimal.

    >>> rule = FormulaRule.parse("amount", "round(price * quantity, 2)")
    >>> rule.count(pd.DataFrame({"amount": [5.0, 7.5, None], "price": [2.5, 2.5, 1.0], "quantity": [2, 2, 1]}))
    (2, 1)
    """

    name: str
    x: str
    op: str
    y: str
    decimals: int | None

    @staticmethod
    def parse(name: str, expr: str) -> "FormulaRule | None":
        found = _FORMULA.match(expr.strip())
        if found is None:
            return None
        x, op, y, decimals = found.groups()
        return FormulaRule(name, x, op, y, None if decimals is None else int(decimals))

    def count(self, frame: pd.DataFrame) -> tuple[int, int]:
        """(rows where the column and both operands have values, rows where the formula holds)."""
        a, x, y = (frame[c].to_numpy(dtype=float, na_value=np.nan) for c in (self.name, self.x, self.y))
        full = ~(np.isnan(a) | np.isnan(x) | np.isnan(y))
        tol = 0.5 * 10.0 ** (-(self.decimals if self.decimals is not None else 6)) + 1e-9  # as synth.fit.rules
        with np.errstate(divide="ignore", invalid="ignore"):
            made = _OPS[self.op](x[full], y[full])
        return int(full.sum()), int(np.count_nonzero(np.abs(a[full] - made) <= tol))


@dataclass
class Checked:
    """Pass 2 of a partition (or of several, merged): its rank sums and, per rule, (rows checked, rows held)."""

    sums: RankSums | None
    rules: dict[str, tuple[int, int]]

    @staticmethod
    def merge(parts: Sequence["Checked"]) -> "Checked":
        sums = [p.sums for p in parts if p.sums is not None]
        rules = {name: (sum(p.rules[name][0] for p in parts), sum(p.rules[name][1] for p in parts))
                 for name in parts[0].rules}
        return Checked(RankSums.merge(sums) if sums else None, rules)


@dataclass
class Scorer:
    """Pass 2 of a partition: its rows' ranks under the merged marginals (``maps``), summed as :class:`RankSums`,
    and how often each rule found on the sample holds."""

    maps: dict[str, RankMap]
    rules: list[LookupRule | FormulaRule] = field(default_factory=list)

    def __call__(self, frame: pd.DataFrame) -> Checked:
        sums = RankSums.of({c: m.ranks(frame[c]) for c, m in self.maps.items()}) if len(self.maps) >= 2 else None
        return Checked(sums, {rule.name: rule.count(frame) for rule in self.rules})
