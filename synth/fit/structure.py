"""Conditional structure: the category column others depend on most (penguin ``species``) becomes the
condition of per-category shapes, and category sets are listed in the order that best lines up with the
numbers (a copula sees only order).
"""

from __future__ import annotations

import math
from typing import Any, TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from ..inference import NUMBER_KINDS
from .arrays import average_ranks, int_codes, run_starts
from .columns import Learned, learn_boolean, learn_numeric
from .rules import contingency

if TYPE_CHECKING:
    from .config import FitConfig


def _cramers_v(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> float:
    """Cramer's V of two code arrays (-1 = missing), from their contingency table."""
    ok = (a >= 0) & (b >= 0)
    if ok.sum() < 30:
        return 0.0
    table = contingency(a[ok], na, b[ok], nb).astype(float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 0.0
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (n * (min(table.shape) - 1)))


def _correlation_ratio(a: np.ndarray, na: int, ranks: np.ndarray) -> float:
    """How much of the variance of ``ranks`` lies between the groups ``a`` (the square root of eta squared)."""
    ok = (a >= 0) & ~np.isnan(ranks)
    if ok.sum() < 30:
        return 0.0
    g, r = a[ok], ranks[ok]
    total = float(((r - r.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    count = np.bincount(g, minlength=na)
    means = np.bincount(g, weights=r, minlength=na) / np.maximum(count, 1)
    between = float((count * (means - r.mean()) ** 2).sum())
    return math.sqrt(min(1.0, between / total))


def choose_root(learned: dict[str, Learned], skip: set[str], cfg: FitConfig) -> str | None:
    """The category column the others depend on most (species, say), if any depends on it clearly."""
    shaped = [c for c, l in learned.items() if c not in skip and l.kind in ("numeric", "categorical", "boolean")
              and l.codes is not None]
    if not shaped:
        return None
    n = len(learned[shaped[0]].codes)  # type: ignore[arg-type]
    rows = np.sort(np.random.default_rng(cfg.seed).choice(n, 50_000, replace=False)) if n > 50_000 else slice(None)
    as_groups: dict[str, tuple[np.ndarray, int]] = {}
    as_ranks: dict[str, np.ndarray] = {}
    for c in shaped:
        l = learned[c]
        codes = l.codes[rows]  # type: ignore[index]
        if l.kind == "numeric":
            as_ranks[c] = average_ranks(codes)
        else:
            k, uniques = pd.factorize(codes, use_na_sentinel=True)
            as_groups[c] = (np.asarray(k, dtype=np.int64), len(uniques))
    best, best_score = None, 0.0
    for c in shaped:
        l = learned[c]
        if l.spec.get("kind") != "choice" or not 2 <= len(l.spec["values"]) <= 60:
            continue
        key, nk = as_groups[c]
        scores = [_cramers_v(key, nk, *as_groups[o]) if o in as_groups else _correlation_ratio(key, nk, as_ranks[o])
                  for o in shaped if o != c]
        score = float(np.mean(scores or [0.0]))
        if score > best_score:
            best, best_score = c, score
    return best if best_score >= 0.15 else None


def conditional_shapes(df: pd.DataFrame, learned: dict[str, Learned], root: str, skip: set[str],
                  cfg: FitConfig) -> dict[str, dict[str, Any]]:
    """Per-category marginals of every numeric/category column given ``root`` (rare categories: the overall one)."""
    out: dict[str, dict[str, Any]] = {}
    names = [str(k) for k in learned[root].spec["values"]]
    groups = int_codes(learned[root].codes)  # type: ignore[arg-type]
    size = np.bincount(groups[groups >= 0], minlength=len(names))
    floor = max(3 * cfg.min_count, 30)
    big = [i for i in np.argsort(-size, kind="stable") if size[i] >= floor]
    if not big:
        return out
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(len(names) + 1))
    members = {i: order[bounds[i]:bounds[i + 1]] for i in big}
    for col, l in learned.items():
        if col == root or col in skip or l.kind not in ("numeric", "categorical", "boolean"):
            continue
        overall = {k: v for k, v in l.spec.items() if k not in ("name", "nulls", "description")}
        present = l.present if l.present is not None else df[col].notna().to_numpy()
        value_codes = value_positions(l)
        cases: dict[str, Any] = {}
        for i in big:
            rows = members[i]
            filled = rows[present[rows]]
            group_nulls = 1 - len(filled) / len(rows)
            if len(filled) < floor:
                if group_nulls > 0:  # too few values for a shape of its own, but its share of empty values counts
                    cases[names[i]] = dict(overall, nulls=round(group_nulls, 4))
                continue
            if value_codes is not None:
                # Same value set as overall (codes stay codes), each (group, value) seen at least k times.
                keys = list(overall["values"])
                v = value_codes[filled]
                counts = np.bincount(v[v >= 0], minlength=len(keys))
                kept = {keys[j]: int(counts[j]) for j in range(len(keys)) if counts[j] >= cfg.min_count}
                if not kept:
                    continue
                case = dict(overall, values=kept)
            else:  # numbers and booleans, from the values parsed once already (the column's codes)
                values = l.codes[filled]  # type: ignore[index]
                values = values[~np.isnan(values)]
                spec = learn_numeric(col, values, cfg).spec if l.kind == "numeric" else learn_boolean(col, values).spec
                case = {k: v for k, v in spec.items() if k not in ("name", "nulls", "description")}
                if case.get("kind") != overall.get("kind"):
                    continue  # e.g. a subgroup that looks integer in a float column: keep the overall shape
            if group_nulls > 0:
                case["nulls"] = round(group_nulls, 4)
            cases[names[i]] = case
        if not cases:
            continue
        default = dict(overall)
        if "nulls" in l.spec:  # rows of the other categories keep the overall share of empty values
            default["nulls"] = l.spec["nulls"]
        entry: dict[str, Any] = {"name": col, "kind": "conditional", "on": root, "cases": cases, "default": default}
        entry["description"] = f"shape learned separately for each {root} seen in at least {floor} rows"
        out[col] = entry
    return out


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
