"""Order for the copula: category sets are listed in the order that best lines up with the numbers (a copula
sees only order), and a conditioned column joins the copula by its rank within its case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..inference import NUMBER_KINDS
from ..lazy import LazyModule
from .arrays import average_ranks, int_codes, run_starts
from .columns import Learned

if TYPE_CHECKING:
    from scipy import special
else:  # scipy.special's compiled ufuncs, imported when first used without the package (synth.lazy)
    special = LazyModule("scipy.special._ufuncs")


def value_positions(l: Learned) -> np.ndarray | None:
    """For a column learned as a list of values (categories, weighted numbers): each row's position in it."""
    if l.codes is None:
        return None
    if l.spec.get("kind") == "choice":
        return int_codes(l.codes)
    if l.spec.get("distribution") == "weighted":
        keys = np.asarray([float(k) for k in l.spec["values"]])
        order = np.argsort(keys)
        at = np.clip(np.searchsorted(keys[order], l.codes), 0, len(keys) - 1)
        found = keys[order][at] == l.codes
        return np.where(found, order[at], -1)
    return None


def within_groups(codes: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Percentile rank (ties averaged) of each value among rows of its group: a conditional column's copula input."""
    if groups is None:
        return codes
    out = np.full(len(codes), np.nan)
    ok = ~np.isnan(codes)
    if not ok.any():
        return out
    values, g = codes[ok], groups[ok] + 1  # rows of no kept category (-1) rank among themselves
    order = np.lexsort((values, g))
    sv, sg = values[order], g[order]
    n = len(sv)
    new_group = run_starts(sg)
    new_run = run_starts(sv) | new_group
    run_start = np.flatnonzero(new_run)
    run_end = np.append(run_start[1:], n)
    run_mid = (run_start + run_end - 1) / 2  # average position of tied values
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    ranked = np.empty(n)
    ranked[order] = (run_mid[np.cumsum(new_run) - 1] - group_start + 1) / np.bincount(sg)[sg]
    out[ok] = ranked
    return out


def order_categories(learned: dict[str, Learned]) -> None:
    """List each category set in the order that best lines up with the numbers (a copula sees order only).

    Categories are sorted by the mean, within each category, of the first principal component of the
    numeric columns' normal scores: e.g. penguin species from light to heavy. With no numbers, by frequency.
    """
    numeric = [l.codes for l in learned.values() if l.kind in NUMBER_KINDS and l.codes is not None]
    reference, rows = _principal_scores(numeric)
    if reference is None:
        return
    for l in learned.values():
        if l.spec.get("kind") == "choice" and l.codes is not None:
            _order_values(l, int_codes(l.codes), reference, rows)


def order_lookup_keys(lookups: list[dict[str, Any]], learned: dict[str, Learned]) -> None:
    """List each lookup key's values in the order of the numbers they fix (products by price, occupations
    by prestige): those numbers leave the copula with the lookup, so the key's order is how they still
    correlate with everything else (prestige with income). Keys that are number codes get that order too."""
    for lk in lookups:
        key = learned[lk["key"]]
        fixed = [learned[f].codes for f in lk["fields"] if learned[f].kind in NUMBER_KINDS
                 and learned[f].codes is not None]
        positions = value_positions(key)
        reference, rows = _principal_scores(fixed)  # type: ignore[arg-type]
        if reference is None or positions is None:
            continue
        _order_values(key, positions, reference, rows)


def _principal_scores(numeric: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray]:
    """Each row's score on the first principal component of the columns' normal scores (on <= 50,000 rows)."""
    if not numeric:
        return None, np.arange(0)
    n = len(numeric[0])
    rows = np.sort(np.random.default_rng(0).choice(n, 50_000, replace=False)) if n > 50_000 else np.arange(n)
    ranks = np.column_stack([average_ranks(c[rows], pct=True) for c in numeric])
    scores = special.ndtri(np.clip(ranks, 0.001, 0.999))
    scores = np.where(np.isnan(scores), 0.0, scores)
    if scores.shape[1] == 1:
        return scores[:, 0], rows
    centred = scores - scores.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[0], rows


def _order_values(l: Learned, positions: np.ndarray, reference: np.ndarray, rows: np.ndarray) -> None:
    """Re-list ``l``'s values (categories, or weighted numbers) by their rows' mean ``reference`` score.

    ``positions``: each row's index into the listed values (-1: none). A choice column's codes become the
    new positions; a number column keeps its values as codes and gets ``copula_codes`` for correlations.
    """
    names = list(l.spec["values"])
    at = positions[rows]
    count = np.bincount(at[at >= 0], minlength=len(names))
    total = np.bincount(at[at >= 0], weights=reference[at >= 0], minlength=len(names))
    means = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    order = np.argsort(means, kind="stable")
    l.spec["values"] = {names[i]: l.spec["values"][names[i]] for i in order}
    remap = np.empty(len(names))
    remap[order] = np.arange(len(names))
    new = np.where(positions >= 0, remap[np.maximum(positions, 0)], np.nan)
    if l.spec.get("kind") == "choice":
        l.codes = new
    else:
        l.copula_codes = new
