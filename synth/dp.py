"""Differential-privacy mechanisms for ``synth fit --epsilon``: small pure functions on arrays.

- :func:`noisy_count`: the Laplace mechanism on a count (sensitivity 1).
- :func:`stable_histogram`: counts of the keys present in the data, each plus Laplace noise, kept only above
  a threshold. Releasing only keys that occur is what needs the threshold: a key seen once survives with
  probability at most delta. This is the standard "stability-based histogram"; it is (epsilon, delta)-DP
  under add/remove-one-row neighbours.
- :func:`symlog_bins`: a data-independent binning of the real line (about 2% relative width), so a
  numeric column becomes a histogram over fixed bins without looking at the data's range.
- :func:`noisy_kendall`: Kendall's tau with Laplace noise of scale 4/(n+1)/epsilon, as in DPCopula
  (Li, Xiong and Jiang, 2014); tau becomes a rank correlation of the Gaussian copula.

Randomness must be secret for DP to hold, so noise comes from a generator the caller seeds from the OS
(or from a seed the user keeps to themselves).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

BINS_PER_DECADE = 100
_SMALLEST = 1e-9


def noisy_count(count: float, epsilon: float, rng: np.random.Generator) -> float:
    """``count`` plus Laplace(1/epsilon) noise."""
    return float(count + rng.laplace(0.0, 1.0 / epsilon))


def threshold(epsilon: float, delta: float) -> float:
    """Noisy counts below this are dropped: a key seen once then survives with probability <= delta."""
    return 1.0 + math.log(1.0 / (2.0 * delta)) / epsilon


def stable_histogram(keys: np.ndarray, epsilon: float, delta: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and their noisy counts, keeping only those above :func:`threshold`."""
    distinct, counts = np.unique(keys, return_counts=True)
    noisy = counts + rng.laplace(0.0, 1.0 / epsilon, size=len(counts))
    keep = noisy >= threshold(epsilon, delta)
    return distinct[keep], noisy[keep]


def symlog_bins(x: np.ndarray) -> np.ndarray:
    """Integer bin of each value on a fixed symmetric-log grid (bin 0 holds values within 1e-9 of zero)."""
    magnitude = np.log10(np.maximum(np.abs(x), _SMALLEST) / _SMALLEST)
    index = np.floor(magnitude * BINS_PER_DECADE).astype(np.int64) + 1
    index = np.where(np.abs(x) < _SMALLEST, 0, index)
    return np.sign(x).astype(np.int64) * index


def bin_edges(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge of each symlog bin."""
    index = np.asarray(index, dtype=np.int64)
    size = np.abs(index)
    low = _SMALLEST * 10.0 ** ((size - 1) / BINS_PER_DECADE)
    high = _SMALLEST * 10.0 ** (size / BINS_PER_DECADE)
    low = np.where(size == 0, -_SMALLEST, low)
    high = np.where(size == 0, _SMALLEST, high)
    lo = np.where(index < 0, -high, low)
    hi = np.where(index < 0, -low, high)
    return lo, hi


def quantiles_from_histogram(lo: np.ndarray, hi: np.ndarray, counts: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles of a histogram whose mass is spread evenly within each bin (post-processing)."""
    order = np.argsort(lo)
    lo, hi, counts = lo[order], hi[order], np.maximum(counts[order], 0.0)
    cum = np.concatenate([[0.0], np.cumsum(counts)])
    if cum[-1] <= 0:
        return np.full(len(probs), float(lo[0]) if len(lo) else 0.0)
    cum /= cum[-1]
    out = np.empty(len(probs))
    for k, p in enumerate(probs):
        i = min(int(np.searchsorted(cum, p, side="right")) - 1, len(counts) - 1)
        i = max(i, 0)
        width = cum[i + 1] - cum[i]
        frac = 0.0 if width <= 0 else (p - cum[i]) / width
        out[k] = lo[i] + min(max(frac, 0.0), 1.0) * (hi[i] - lo[i])
    return out


def noisy_kendall(a: np.ndarray, b: np.ndarray, epsilon: float, rng: np.random.Generator) -> float | None:
    """Kendall's tau of the complete pairs plus Laplace(4/(n+1)/epsilon) noise, clipped to [-1, 1]."""
    ok = ~(np.isnan(a) | np.isnan(b))
    n = int(ok.sum())
    if n < 20:
        return None
    tau = stats.kendalltau(a[ok], b[ok]).statistic
    if not np.isfinite(tau):
        return None
    return float(np.clip(tau + rng.laplace(0.0, 4.0 / (n + 1) / epsilon), -1.0, 1.0))


def spearman_from_kendall(tau: float) -> float:
    """The Spearman correlation a Gaussian copula with Kendall's ``tau`` has."""
    r = math.sin(math.pi * tau / 2.0)
    return (6.0 / math.pi) * math.asin(r / 2.0)
