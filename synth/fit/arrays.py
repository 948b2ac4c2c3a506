"""Pure functions on arrays that several fitting steps share: runs, ranks, quantiles, category codes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before it (and at the start)."""
    out = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        out[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=out[1:])
    return out


def sorted_quantile(ordered: np.ndarray, q: Any) -> np.ndarray:
    """``np.quantile(values, q)`` (its default linear method, bit for bit) from values sorted already."""
    virtual = np.asarray(q, dtype=float) * (len(ordered) - 1)
    below = np.floor(virtual).astype(np.int64)
    a, b = ordered[below], ordered[np.minimum(below + 1, len(ordered) - 1)]
    t = virtual - below
    return np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)  # numpy's lerp, stable at both ends


def int_codes(codes: np.ndarray) -> np.ndarray:
    """Category positions as integers, -1 where missing or left out."""
    return np.where(np.isnan(codes), -1, codes).astype(np.int64)


def average_ranks(x: np.ndarray, pct: bool = False) -> np.ndarray:
    """Ranks 1..n with ties averaged (NaN stays NaN), like ``Series.rank()`` but sorting only distinct values.

    >>> average_ranks(np.array([10.0, 5.0, 10.0, np.nan]))
    array([2.5, 1. , 2.5, nan])
    """
    out = np.full(len(x), np.nan)
    ok = ~np.isnan(x)
    codes, uniques = pd.factorize(x[ok], sort=True)
    counts = np.bincount(codes, minlength=len(uniques))
    upto = np.cumsum(counts)
    ranks = (upto - (counts - 1) / 2.0)[codes]
    out[ok] = ranks / max(1, len(codes)) if pct else ranks
    return out
