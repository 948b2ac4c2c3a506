"""Per-partition summaries of a table that merge: what ``synth fit`` learns marginals and correlations from when
the table is a dataset too big for one machine's memory (:mod:`synth.fit.dataset`).

Two passes, each a pure function of one partition's rows whose results merge exactly (in any order):

- **pass 1**, :func:`summarize` -> :class:`TableSummary`: per column the rows, missing values, exact value
  counts (while a column has at most :data:`MAX_COUNTED` distinct values), and for a number column a KLL
  quantile sketch (Apache DataSketches, normalized rank error :data:`RANK_ERROR` at ``k =`` :data:`KLL_K`),
  its ``2 * min_count`` smallest and largest values exactly (the privacy guard's k-th values and the tails'
  spacing need them exactly) and its decimals; plus a seeded uniform sample of rows for what needs whole rows
  (bottom-s by random keys drawn from ``(seed, partition)``: the merge keeps the s smallest keys of all
  partitions, so the sample is uniform and the same for the same partitioning);
- **pass 2**, :class:`Scorer` -> :class:`RankSums`: each row's mid-rank (its mid-CDF) under the *merged*
  marginals, and per pair of columns the sums that make Pearson's correlation of those ranks: Spearman's
  rank correlation of the whole table, within the sketch's rank error.

>>> import pandas as pd
>>> a = summarize(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["u", "v", "u"]}), part=0, seed=0, sample_rows=2)
>>> b = summarize(pd.DataFrame({"x": [4.0, None], "c": ["v", None]}), part=1, seed=0, sample_rows=2)
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

#: KLL's accuracy parameter: about 200 KB of sketch per number column and partition at most.
KLL_K = 1000
#: Normalized rank error of a quantile or rank read from a KLL sketch with ``k = KLL_K`` (99% confidence,
#: DataSketches' own bound): a knot at quantile p lies at a true rank within p +/- RANK_ERROR.
RANK_ERROR = 0.0028
#: Exact value counts are kept while a column has at most this many distinct values (categories, codes, small
#: counts); beyond, a number column has only its sketch and a text column is learned from the sample.
MAX_COUNTED = 20_000


def _sketch() -> Any:
    from datasketches import kll_doubles_sketch

    return kll_doubles_sketch(KLL_K)


def _decimals(values: np.ndarray) -> int | None:
    from .columns import decimals_of

    return decimals_of(values) if len(values) else 0


@dataclass
class ColumnSummary:
    """One column of one partition (or of several, merged).

    ``counts``: exact count of each present value (None: more than :data:`MAX_COUNTED` distinct values);
    number columns only: ``finite`` values, their ``sketch`` (serialized KLL), ``low``/``high`` (the
    ``keep`` smallest and largest, sorted) and ``decimals`` (None: continuous).
    """

    rows: int
    nulls: int
    counts: dict[Any, int] | None
    number: bool = False
    finite: int = 0
    sketch: bytes | None = None
    low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    decimals: int | None = 0

    @property
    def present(self) -> int:
        return self.rows - self.nulls

    def kll(self) -> Any:
        """The KLL sketch of the finite values (a fresh empty one when there are none)."""
        from datasketches import kll_doubles_sketch

        return kll_doubles_sketch.deserialize(self.sketch) if self.sketch else _sketch()

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
            sketch = _sketch()
            for p in parts:
                if p.sketch:
                    sketch.merge(p.kll())
            out.finite = sum(p.finite for p in parts)
            out.sketch = sketch.serialize()
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
    sketch = _sketch()
    if len(finite):
        sketch.update(finite)
    low, high = ordered[:keep], ordered[-keep:] if keep else ordered[:0]
    return ColumnSummary(rows, nulls, counts, True, len(finite), sketch.serialize(), low, high,
                         _decimals(finite))


@dataclass
class TableSummary:
    """Pass 1 of a partition (or of several, merged): its columns' summaries and its share of the row sample.

    ``sample``: rows drawn uniformly (with ``_key``, ``_part`` and ``_row`` columns saying how); after
    :meth:`merge`, the ``sample_rows`` rows of the smallest keys, in the table's row order.
    """

    rows: int
    columns: dict[str, ColumnSummary]
    sample: pd.DataFrame
    sample_rows: int
    keep: int

    @staticmethod
    def merge(parts: Iterable["TableSummary"]) -> "TableSummary":
        """The summary of the partitions together: exact for counts and extremes, the sketches' error for quantiles."""
        parts = list(parts)
        first = parts[0]
        names = list(first.columns)
        columns = {c: ColumnSummary.merge([p.columns[c] for p in parts], first.keep) for c in names}
        sample = pd.concat([p.sample for p in parts], ignore_index=True)
        sample = sample.nsmallest(first.sample_rows, "_key", keep="first") if len(sample) > first.sample_rows else sample
        # Row order is part of what a fit learns (running numbers, time order): the sample keeps the table's.
        sample = sample.sort_values(["_part", "_row"], kind="stable").reset_index(drop=True)
        return TableSummary(sum(p.rows for p in parts), columns, sample, first.sample_rows, first.keep)

    def sampled_rows(self) -> pd.DataFrame:
        """The sample's rows, without the columns that say how they were drawn."""
        return self.sample.drop(columns=["_key", "_part", "_row"]).reset_index(drop=True)


def summarize(frame: pd.DataFrame, part: int, seed: int, sample_rows: int, min_count: int = 10) -> TableSummary:
    """Pass 1 of partition ``part``: its columns' summaries and its candidates for the row sample.

    Each row gets a random key from ``(seed, part)``; the partition's ``sample_rows`` smallest go on, so the merged
    sample (the smallest keys of all) is a uniform sample of the table, fixed by the seed and the partitioning.
    """
    keep = 2 * min_count  # smooth_tails reads the k-th and 2k-th smallest and largest values
    columns = {str(c): summarize_column(frame[c], keep) for c in frame.columns}
    keys = np.random.default_rng([seed, part]).random(len(frame))
    chosen = np.sort(np.argsort(keys, kind="stable")[:sample_rows])
    sample = frame.iloc[chosen].reset_index(drop=True)
    sample = sample.assign(_key=keys[chosen], _part=part, _row=chosen)
    return TableSummary(len(frame), columns, sample, sample_rows, keep)


# --- pass 2: ranks under the merged marginals, and the sums of their products -------------------------------------
@dataclass
class RankMap:
    """How one column's values become mid-ranks in (0, 1) under the whole table's marginal.

    Exactly from counts (``values`` sorted, ``mid`` each one's mid-CDF; a value not listed: NaN), or from the
    sketch (``grid`` of quantiles and their ranks ``at``, interpolated). ``positions``: a category column's
    values are ranked in their listed order, not in their own.
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
    def from_sketch(summary: ColumnSummary, points: int = 2001) -> "RankMap":
        """Interpolated ranks from the KLL sketch's quantiles (ties: a continuous column has few)."""
        sketch = summary.kll()
        p = np.linspace(0.0, 1.0, points)
        q = np.asarray(sketch.get_quantiles(p), dtype=float)
        grid, first = np.unique(q, return_index=True)
        last = np.append(first[1:], len(q)) - 1
        return RankMap(grid=grid, at=(p[first] + p[last]) / 2)

    def ranks(self, series: pd.Series) -> np.ndarray:
        """Each row's mid-rank (NaN: missing, or a value that takes no part, like a category left out)."""
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


@dataclass
class RankSums:
    """Per pair of columns, over the rows where both have a rank: n, sums of ranks, of squares, of products.

    Pearson's correlation of these mid-ranks is Spearman's rank correlation (ties averaged), as
    :func:`synth.fit.copula.rank_correlations` computes it on one machine.
    """

    names: list[str]
    n: np.ndarray
    s: np.ndarray  # s[i, j]: sum of column i's ranks over rows where j has one too
    q: np.ndarray  # the same for squares
    p: np.ndarray  # sum of products

    @staticmethod
    def of(ranks: dict[str, np.ndarray]) -> "RankSums":
        names = list(ranks)
        u = np.column_stack([ranks[c] for c in names]) if names else np.zeros((0, 0))
        m = (~np.isnan(u)).astype(float)
        u0 = np.nan_to_num(u)
        return RankSums(names, m.T @ m, u0.T @ m, (u0 * u0).T @ m, u0.T @ u0)

    @staticmethod
    def merge(parts: Sequence["RankSums"]) -> "RankSums":
        first = parts[0]
        return RankSums(first.names, *(sum(getattr(p, a) for p in parts) for a in ("n", "s", "q", "p")))

    def correlations(self, min_rows: int = 20) -> np.ndarray:
        """The matrix of rank correlations (NaN where fewer than ``min_rows`` rows have both, or no spread)."""
        n, s, q, p = self.n, self.s, self.q, self.p
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = n * p - s * s.T
            var = (n * q - s * s) * (n * q - s * s).T
            r = cov / np.sqrt(var)
        r[(n < min_rows) | ~np.isfinite(r)] = np.nan
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
