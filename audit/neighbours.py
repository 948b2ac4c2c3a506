"""Exact near neighbours on mixed rows (numbers and categories), fast on wide real tables.

The distance between two rows is ``sqrt(sum of squared number differences + number of categories that
differ)``: numbers are robust z-scores (see :class:`audit.data.Encoding`) and each category mismatch
costs 1, whatever the category's cardinality (a Gower-like distance). A 4,000-value category is one
coordinate here, not 4,000 one-hot ones.

The privacy tests only need to know which real rows are *near* a row: a synthetic row that differs from
every real row in a category, or by a robust standard deviation in the numbers, singles out nobody.
So every search here is bounded by a radius below 1, and within it the answers are exact. That bound is
also what makes the search cheap: rows of another category combination are at least 1 away, so category
codes enter a k-d tree as coordinates multiplied by a constant far larger than any number distance, and
a query only ever meets rows of its own combination (scipy's cKDTree, on both cores), pruned at the
radius. Rows farther than the radius are reported as ``inf``.

    >>> import numpy as np
    >>> ref = MixedRows(np.array([[0.0], [3.0], [0.2]]), np.array([[0], [1], [1]]))
    >>> dist, index = nearest(ref, MixedRows(np.array([[0.5], [3.0], [0.0]]), np.array([[0], [1], [2]])))
    >>> dist.round(3).tolist(), index.tolist()
    ([0.5, 0.0, inf], [0, 1, -1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Searches stop here: a row farther than this from every real row shares no category combination with
#: them or is a robust standard deviation away, and identifies nobody.
FAR = 1.0
#: Category codes are multiplied by this: larger than any distance between robust z-scores (clipped to +-50).
_APART = 1e6


@dataclass
class MixedRows:
    """Rows for distances: ``numbers`` (n x p robust z-scores, no missing values) and ``codes`` (n x c
    integer category codes, the same code meaning the same value in every set compared)."""

    numbers: np.ndarray
    codes: np.ndarray

    def __post_init__(self) -> None:
        self.numbers = np.ascontiguousarray(self.numbers, dtype=np.float64)
        self.codes = np.ascontiguousarray(self.codes, dtype=np.int64)
        if self.numbers.ndim != 2 or self.codes.ndim != 2 or len(self.codes) != len(self.numbers):
            raise ValueError("numbers and codes must be 2-d arrays with one row per table row")

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, index: np.ndarray) -> "MixedRows":
        return MixedRows(self.numbers[index], self.codes[index])

    def points(self) -> np.ndarray:
        """Coordinates for a k-d tree: numbers, then codes set so far apart that combinations never mix."""
        return np.hstack([self.numbers, self.codes * _APART])


class NearIndex:
    """A k-d tree over reference rows, asked for the nearest row or the number of rows within a radius < FAR.

    Build it once per reference set and ask it many times.
    """

    def __init__(self, reference: MixedRows, workers: int = 2) -> None:
        from scipy.spatial import cKDTree

        self.size = len(reference)
        self.workers = workers
        points = reference.points()
        self.trivial = points.shape[1] == 0  # no columns to tell rows apart: every row is at distance 0
        self.tree = None if self.trivial or self.size == 0 else cKDTree(points, leafsize=16, balanced_tree=False, compact_nodes=False)

    def _without_search(self, n: int, within: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The answer for ``n`` queries when no tree need be searched (no rows, or no columns), else None."""
        if not 0 < within <= FAR:
            raise ValueError(f"within must be in (0, {FAR}]")
        if self.size == 0:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        if self.trivial:
            return np.zeros(n), np.zeros(n, dtype=np.int64)
        return None

    def nearest(self, queries: MixedRows, within: float = FAR) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest reference row and its index; ``inf`` and -1 when none is closer than ``within``."""
        edge = self._without_search(len(queries), within)
        if edge is not None:
            return edge
        n = len(queries)
        dist, idx = self.tree.query(queries.points(), k=1, workers=self.workers, distance_upper_bound=within)
        found = dist < within
        return np.where(found, dist, np.inf), np.where(found, idx, -1).astype(np.int64)

    def first_nearest(self, queries: MixedRows, within: float = FAR) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`nearest`, but of the rows tied at the nearest distance the one with the smallest index: an answer
        that does not depend on how the tree was built, so shards of the rows merged by (distance, index) give the
        whole index's answer (:mod:`audit.shards`). Equal rows are indexed once (their smallest index), so only
        distinct rows at exactly equal distances are looked up further, k at a time.

        >>> index = NearIndex(MixedRows(np.array([[1.0], [0.0], [1.0], [-1.0]]), np.zeros((4, 1))))
        >>> d, i = index.first_nearest(MixedRows(np.array([[0.9], [0.5], [-0.5]]), np.zeros((3, 1))))
        >>> d.round(2).tolist(), i.tolist()
        ([0.1, 0.5, 0.5], [0, 0, 1])
        """
        edge = self._without_search(len(queries), within)
        if edge is not None:
            return edge
        tree, first = self._distinct()
        m = len(first)
        points = queries.points()
        k = min(2, m)
        dist, idx = tree.query(points, k=[1, 2][:k], workers=self.workers, distance_upper_bound=within)
        d0 = dist[:, 0]
        found = d0 < within
        best = np.where(found, first[np.minimum(idx[:, 0], m - 1)], -1).astype(np.int64)
        todo = np.flatnonzero(found & (dist[:, 1] == d0)) if k == 2 else np.zeros(0, np.int64)
        while len(todo):  # distinct rows at exactly the same distance: ask for more until the last one is farther
            k = min(4 * k, m)
            more_d, more_i = tree.query(points[todo], k=k, workers=self.workers, distance_upper_bound=within)
            at = more_d == d0[todo, None]
            best[todo] = np.where(at, first[np.minimum(more_i, m - 1)], np.iinfo(np.int64).max).min(axis=1)
            todo = todo[at[:, -1]] if k < m else todo[:0]
        return np.where(found, d0, np.inf), best

    def _distinct(self):
        """A tree over the distinct rows and, for each, the smallest index of the rows equal to it (built once)."""
        if getattr(self, "_first", None) is None:
            from scipy.spatial import cKDTree

            points = np.ascontiguousarray(self.tree.data)
            keys = points.view(np.dtype((np.void, points.itemsize * points.shape[1]))).ravel()
            _, first = np.unique(keys, return_index=True)  # the first occurrence: the smallest index
            if len(first) == len(points):
                self._first, self._tree_distinct = np.arange(len(points), dtype=np.int64), self.tree
            else:
                first = np.sort(first)
                self._first = first.astype(np.int64)
                self._tree_distinct = cKDTree(points[first], leafsize=16, balanced_tree=False, compact_nodes=False)
        return self._tree_distinct, self._first

    def count_within(self, queries: MixedRows, radius: np.ndarray | float) -> np.ndarray:
        """How many reference rows lie within ``radius`` (inclusive; one for all or one per query, below FAR).

        Identical queries (coarse tables repeat rows) are asked once and share the answer.
        """
        radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(queries),))
        if np.any(radius >= FAR):
            raise ValueError(f"count_within is exact only for radii below {FAR}")
        if self.size == 0 or len(queries) == 0:
            return np.zeros(len(queries), dtype=np.int64)
        if self.trivial:
            return np.full(len(queries), self.size, dtype=np.int64)
        points = queries.points()
        keyed = np.ascontiguousarray(np.hstack([points, radius[:, None]]))
        _, first, inverse = np.unique(keyed.view(np.dtype((np.void, keyed.dtype.itemsize * keyed.shape[1]))).ravel(),
                                      return_index=True, return_inverse=True)
        slack = radius[first] * (1 + 1e-9) + 1e-12  # equal distances computed from equal numbers are equal; keep ties in
        counts = self.tree.query_ball_point(points[first], r=slack, return_length=True, workers=self.workers)
        return np.asarray(counts, dtype=np.int64)[inverse.ravel()]


def nearest(reference: MixedRows, queries: MixedRows, within: float = FAR) -> tuple[np.ndarray, np.ndarray]:
    """Exact distance from each query row to its nearest reference row closer than ``within`` (else inf), and its index."""
    return NearIndex(reference).nearest(queries, within)


def count_within(reference: MixedRows, queries: MixedRows, radius: np.ndarray | float) -> np.ndarray:
    """How many reference rows lie within ``radius`` (< FAR) of each query row."""
    return NearIndex(reference).count_within(queries, radius)
