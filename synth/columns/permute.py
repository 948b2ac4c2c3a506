"""A keyed pseudo-random permutation of ``0..size-1``, evaluated pointwise and vectorized.

Unique values must not repeat across the whole table, yet chunks are made independently (even on other
machines). So instead of shuffling a list, row ``i`` gets ``permutation(i)``: a bijection on
``0..size-1``, different for every (seed, column), computable for any row without seeing the others.

It is a balanced Feistel network on the smallest even number of bits that covers ``size``, with
cycle-walking (re-apply until the value lands inside the domain), the standard format-preserving
construction. The round function is a 64-bit multiply-xorshift mix, done in numpy.
"""

from __future__ import annotations

import functools

from ..lazy import np
from .base import stable_key

_ROUNDS = 4
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # splitmix64's multipliers (numpy.uint64 at use)


def _mix(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """splitmix64 finaliser of ``x ^ key``: a fast, well-spread 64-bit hash."""
    s30, s27, s31, m1, m2 = _constants()
    with np.errstate(over="ignore"):  # uint64 products wrap around (a scalar would warn)
        z = np.bitwise_xor(x, key, dtype=np.uint64)  # a new array; the rest works in place
        z ^= z >> s30
        z *= m1
        z ^= z >> s27
        z *= m2
        z ^= z >> s31
    return z


@functools.lru_cache(maxsize=None)
def _constants() -> tuple[np.uint64, ...]:
    """splitmix64's shifts and multipliers as numpy scalars, made once (``np`` is a lazy module: each lookup costs)."""
    return np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(_M1), np.uint64(_M2)


def _feistel(x: np.ndarray, half_bits: int, keys: list[np.uint64]) -> np.ndarray:
    mask = np.uint64((1 << half_bits) - 1)
    shift = np.uint64(half_bits)
    left, right = x >> shift, x & mask
    for k in keys:
        left, right = right, left ^ (_mix(right, k) & mask)
    return (left << shift) | right


def permutation(index: np.ndarray, size: int, seed: int, name: str) -> np.ndarray:
    """Map each ``index`` (0 <= index < size) to its image under the (seed, name) permutation."""
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    if size <= 0:
        raise ValueError("permutation size must be positive")
    if size == 1:
        return np.zeros(len(index), dtype=np.int64)
    bits = max(2, int(size - 1).bit_length())
    half_bits = (bits + 1) // 2
    rng = np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, stable_key(name), 0x9E37])
    keys = [np.uint64(k) for k in rng.integers(0, 2**63, size=_ROUNDS, dtype=np.int64)]
    x = _feistel(np.asarray(index, dtype=np.uint64), half_bits, keys)
    outside = x >= np.uint64(size)
    # Cycle-walking: the domain is at most 4x size, so each pass shrinks the stragglers ~4x.
    while outside.any():
        x[outside] = _feistel(x[outside], half_bits, keys)
        outside = x >= np.uint64(size)
    return x.astype(np.int64)


def keyed_hash(index: np.ndarray, seed: int, name: str) -> np.ndarray:
    """A 64-bit hash (uint64) of each ``index`` under the (seed, name) key: randomness that depends only on the
    row number, never on how rows are cut into chunks.

    >>> a = keyed_hash(np.arange(5), 7, "code")
    >>> bool((a[2:4] == keyed_hash(np.array([2, 3]), 7, "code")).all()), bool((a != keyed_hash(np.arange(5), 8, "code")).all())
    (True, True)
    """
    first, second = _hash_keys(seed, name)
    return _mix(_mix(np.asarray(index, dtype=np.uint64), first), second)


@functools.lru_cache(maxsize=4096)
def _hash_keys(seed: int, name: str) -> tuple[np.uint64, np.uint64]:
    """The two 64-bit keys of (seed, name): made once, as small chunks (a child table's) ask for them often."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, stable_key(name), 0x51A7])
    first, second = (np.uint64(k) for k in rng.integers(0, 2**63, size=2, dtype=np.int64))
    return first, second
