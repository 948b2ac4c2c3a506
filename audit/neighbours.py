"""Exact nearest neighbours on mixed rows (numbers and categories), fast on wide real tables.

The distance between two rows is ``sqrt(sum of squared number differences + number of categories that
differ)``: numbers are robust z-scores (see :class:`audit.data.Encoding`) and each category mismatch
costs 1, whatever the category's cardinality (a Gower-like distance). A 4,000-value category is one
dimension here, not 4,000 one-hot ones.

The search is exact and cheap because of that structure. Category codes enter a k-d tree as
coordinates multiplied by a constant far larger than any number distance, so a query only ever meets
rows of its own category combination: the tree answers "nearest row with the same categories" in
``numbers + categories`` dimensions (scipy's cKDTree, both cores). Rows of another combination are at
least 1 away per differing category, so an answer of squared distance at most 1 is exact. Queries
farther than that are searched again allowing one differing category (one tree per left-out column,
adding 1), then two, ...; after allowing L differences an answer of at most L + 1 is exact. What is
still unsure after a few levels is settled by brute force in blocks. Every answer is exact.

    >>> import numpy as np
    >>> ref = MixedRows(np.array([[0.0], [3.0]]), np.array([[0], [1]]))
    >>> nearest(ref, MixedRows(np.array([[0.5], [3.0]]), np.array([[1], [1]])))[0].round(3).tolist()
    [1.118, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

#: Category codes are multiplied by this: larger than any distance between robust z-scores (clipped to +-50).
_APART = 1e6
#: Trees built per search before the remaining unsure queries go to brute force.
MAX_TREES = 12
#: Dimensions above which a k-d tree is no better than brute force.
MAX_TREE_DIMS = 24
_BLOCK_PAIRS = 16_000_000


@dataclass
class MixedRows:
    """Rows for distances: ``numbers`` (n x p robust z-scores, no missing values) and ``codes`` (n x c
    integer category codes, the same code meaning the same value in every set compared)."""

    numbers: np.ndarray
    codes: np.ndarray

    def __post_init__(self) -> None:
        self.numbers = np.ascontiguousarray(self.numbers, dtype=np.float64).reshape(len(self.numbers), -1)
        self.codes = np.ascontiguousarray(self.codes, dtype=np.int64).reshape(len(self.numbers), -1)

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, index: np.ndarray) -> "MixedRows":
        return MixedRows(self.numbers[index], self.codes[index])


def nearest(reference: MixedRows, queries: MixedRows, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each query row to its nearest reference row, and that row's index (exact)."""
    n, c = len(queries), reference.codes.shape[1]
    best = np.full(n, np.inf)  # squared distances
    where = np.zeros(n, dtype=np.int64)
    if len(reference) == 0 or n == 0:
        return np.sqrt(best), where
    if reference.numbers.shape[1] + c > MAX_TREE_DIMS:
        d2, idx = _brute(reference, queries, np.arange(n))
        return np.sqrt(d2), idx
    unsure = np.arange(n)
    trees = 0
    for level in range(c + 1):
        if len(unsure) == 0:
            break
        if trees + comb(c, level) > MAX_TREES:
            break
        for left_out in combinations(range(c), level):
            trees += 1
            d2, idx = _same_categories(reference, queries.take(unsure), [j for j in range(c) if j not in left_out], workers)
            d2 = d2 + level  # an upper bound for the row found; exact when it differs in exactly these columns
            better = d2 < best[unsure]
            best[unsure[better]] = d2[better]
            where[unsure[better]] = idx[better]
        unsure = unsure[best[unsure] > level + 1]
    if len(unsure):
        d2, idx = _brute(reference, queries, unsure)
        best[unsure], where[unsure] = d2, idx
    return np.sqrt(best), where


def count_within(reference: MixedRows, queries: MixedRows, radius: np.ndarray | float, workers: int = 2) -> np.ndarray:
    """How many reference rows lie within ``radius`` (inclusive, per query or one for all) of each query row.

    Exact for radii below 1: rows of another category combination are at least 1 away, so only the query's
    own combination is searched. Identical query rows are counted once and share the answer.
    """
    from scipy.spatial import cKDTree

    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(queries),))
    if np.any(radius >= 1):
        raise ValueError("count_within is exact only for radii below 1")
    if len(reference) == 0 or len(queries) == 0:
        return np.zeros(len(queries), dtype=np.int64)
    ref = np.hstack([reference.numbers, reference.codes * _APART])
    points = np.hstack([queries.numbers, queries.codes * _APART])
    if ref.shape[1] == 0:
        return np.full(len(queries), len(reference), dtype=np.int64)
    # coarse tables repeat rows: ask once per distinct (row, radius)
    keyed = np.ascontiguousarray(np.hstack([points, radius[:, None]]))
    _, first, inverse = np.unique(keyed.view(np.dtype((np.void, keyed.dtype.itemsize * keyed.shape[1]))).ravel(),
                                  return_index=True, return_inverse=True)
    tree = cKDTree(ref, leafsize=16, balanced_tree=False, compact_nodes=False)
    slack = radius[first] * (1 + 1e-9) + 1e-12  # equal distances computed from equal numbers are equal; keep ties in
    counts = tree.query_ball_point(points[first], r=slack, return_length=True, workers=workers)
    return np.asarray(counts, dtype=np.int64)[inverse.ravel()]


def _same_categories(reference: MixedRows, queries: MixedRows, keep: list[int], workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Squared number distance to the nearest reference row that agrees on the ``keep`` categories (inf if none)."""
    from scipy.spatial import cKDTree

    def points(rows: MixedRows) -> np.ndarray:
        return np.hstack([rows.numbers, rows.codes[:, keep] * _APART]) if keep else rows.numbers

    ref = points(reference)
    if ref.shape[1] == 0:  # no numbers and every category left out: all rows are equally near
        return np.zeros(len(queries)), np.zeros(len(queries), dtype=np.int64)
    tree = cKDTree(ref, leafsize=16, balanced_tree=False, compact_nodes=False)
    dist, idx = tree.query(points(queries), k=1, workers=workers, distance_upper_bound=_APART / 2)
    found = np.isfinite(dist)
    return np.where(found, dist * dist, np.inf), np.where(found, idx, 0).astype(np.int64)


def _brute(reference: MixedRows, queries: MixedRows, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared distances for the queries ``which`` against every reference row, in blocks."""
    ref_num, ref_codes = reference.numbers, reference.codes
    ref_sq = (ref_num ** 2).sum(axis=1)
    out = np.empty(len(which))
    idx_out = np.empty(len(which), dtype=np.int64)
    block = max(1, _BLOCK_PAIRS // max(len(reference), 1))
    for start in range(0, len(which), block):
        rows = which[start:start + block]
        q_num, q_codes = queries.numbers[rows], queries.codes[rows]
        d2 = ref_sq[None, :] - 2.0 * (q_num @ ref_num.T) + (q_num ** 2).sum(axis=1)[:, None]
        for j in range(ref_codes.shape[1]):
            d2 += q_codes[:, j, None] != ref_codes[None, :, j]
        pick = d2.argmin(axis=1)
        # recompute the winner without cancellation error
        diff = q_num - ref_num[pick]
        exact = (diff ** 2).sum(axis=1) + (q_codes != ref_codes[pick]).sum(axis=1)
        out[start:start + len(rows)] = np.maximum(exact, 0.0)
        idx_out[start:start + len(rows)] = pick
    return out, idx_out
