"""The real rows cut into shards by rows, each indexed on its own, answering exactly as one index over them all.

The privacy tests ask the real rows two things about each synthetic row: its nearest real row (distance, and which
row: synthetic rows decided by the same real row move together in the tests' standard errors) and how many real
rows lie within a radius. Both merge exactly over shards of the real rows: counts add up, and the nearest row is
the nearest of the shards' nearest, ties going to the smallest row index (:meth:`audit.neighbours.NearIndex.first_nearest`
answers so within a shard, whatever its tree looks like). The merge (:func:`closer`) is associative and
commutative, so shards can be merged in any order or tree: one shard (the whole table), several here one after
another, or one Dask task per (synthetic partition, real shard) merged in pairs on the workers (:mod:`audit.cluster`).

A shard's k-d tree is built where it is first asked (a worker, or this process) and never pickled: what travels
is its encoded rows. When to cut: :data:`REAL_SHARD_ROWS` rows per shard by default (see its comment), or
``--real-shard-rows`` with ``synth audit --engine dask``.

    >>> from audit.neighbours import NearIndex
    >>> rng = np.random.default_rng(0)
    >>> rows = MixedRows(rng.integers(0, 4, (50, 2)) * 0.1, rng.integers(0, 2, (50, 1)))
    >>> queries = MixedRows(rng.integers(0, 4, (20, 2)) * 0.1, rng.integers(0, 2, (20, 1)))
    >>> whole = NearIndex(rows).first_nearest(queries)
    >>> shards = cut(rows, 16)
    >>> [len(s.rows) for s in shards], [s.offset for s in shards]
    ([16, 16, 16, 2], [0, 16, 32, 48])
    >>> merged = nearest_over(shards, queries)
    >>> bool(np.array_equal(merged[0], whole[0]) and np.array_equal(merged[1], whole[1]))
    True
    >>> bool(np.array_equal(count_over(shards, queries, 0.15), NearIndex(rows).count_within(queries, 0.15)))
    True
"""

from __future__ import annotations

from functools import reduce
from typing import Sequence

import numpy as np
import pandas as pd

from .neighbours import FAR, MixedRows, NearIndex

#: Real rows per shard unless told otherwise. A shard's k-d tree costs about 3x its encoded rows (8 bytes per
#: column per row) plus 40 bytes per row: ~200 MB for 1,000,000 rows of 20 columns, counting the distinct-row
#: tree; each task holds one shard's tree and one synthetic partition (1,000,000 rows by default), so a worker of
#: 2 GB holds either comfortably. Real sets up to this size stay one shard, as before.
REAL_SHARD_ROWS = 1_000_000

#: The nearest real row to each query: distances (inf: none within the bound) and row indices (-1: none).
Nearest = tuple[np.ndarray, np.ndarray]


class RealShard:
    """Rows ``offset .. offset + len(rows)`` of one real set (training, holdout, ...), encoded; its index is built
    on first use and stays out of pickles. ``hashes``: the rows' hashes, counted for exact copies (optional)."""

    def __init__(self, rows: MixedRows, offset: int, hashes: np.ndarray | None = None) -> None:
        self.rows, self.offset = rows, offset
        self.hash_counts = None if hashes is None else pd.Series(hashes).value_counts()
        self._index: NearIndex | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_index": None}  # the tree is rebuilt where the shard lands

    @property
    def index(self) -> NearIndex:
        if self._index is None:
            self._index = NearIndex(self.rows)
        return self._index

    def release(self) -> None:
        """Drop the tree (rebuilt if asked again)."""
        self._index = None

    def nearest(self, queries: MixedRows, within: float = FAR) -> Nearest:
        """Each query's nearest row here (global row index; ties: the smallest), as :meth:`NearIndex.first_nearest`."""
        d, i = self.index.first_nearest(queries, within)
        return d, np.where(i >= 0, i + self.offset, -1)

    def count_within(self, queries: MixedRows, radius: np.ndarray | float) -> np.ndarray:
        """Rows here within ``radius`` (below FAR) of each query."""
        return self.index.count_within(queries, radius)

    def copies(self, hashes: np.ndarray) -> np.ndarray:
        """Rows here equal to each hashed query row (exact copies)."""
        assert self.hash_counts is not None, "a shard cut without its rows' hashes"
        return self.hash_counts.reindex(hashes, fill_value=0).to_numpy()


def cut(rows: MixedRows, shard_rows: int | None = REAL_SHARD_ROWS, hashes: np.ndarray | None = None) -> list[RealShard]:
    """``rows`` as shards of ``shard_rows`` consecutive rows (None: one shard); always at least one shard."""
    n = len(rows)
    size = max(n, 1) if shard_rows is None else max(int(shard_rows), 1)
    starts = range(0, max(n, 1), size)
    return [RealShard(rows.take(np.arange(a, min(a + size, n))), a, None if hashes is None else hashes[a:a + size])
            for a in starts]


def closer(a: Nearest, b: Nearest) -> Nearest:
    """The nearer of two answers for the same queries, ties to the smaller row index: exact, in any order.

    >>> d, i = closer((np.array([0.5, 0.2, np.inf]), np.array([3, 7, -1])), (np.array([0.4, 0.2, np.inf]), np.array([9, 2, -1])))
    >>> d.tolist(), i.tolist()
    ([0.4, 0.2, inf], [9, 2, -1])
    """
    (da, ia), (db, ib) = a, b
    take_b = (db < da) | ((db == da) & (ib >= 0) & ((ia < 0) | (ib < ia)))
    return np.where(take_b, db, da), np.where(take_b, ib, ia)


def nearest_over(shards: Sequence[RealShard], queries: MixedRows, within: float = FAR) -> Nearest:
    """The nearest row over every shard, exactly as one index over all their rows would answer."""
    return reduce(closer, (shard.nearest(queries, within) for shard in shards))


def count_over(shards: Sequence[RealShard], queries: MixedRows, radius: np.ndarray | float) -> np.ndarray:
    """Rows of every shard within ``radius`` of each query."""
    return sum((shard.count_within(queries, radius) for shard in shards), np.zeros(len(queries), np.int64))


def copies_over(shards: Sequence[RealShard], hashes: np.ndarray) -> np.ndarray:
    """Rows of every shard equal to each hashed query row."""
    return sum((shard.copies(hashes) for shard in shards), np.zeros(len(hashes), np.int64))
