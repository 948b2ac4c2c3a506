"""Privacy: does the synthetic table give away the real rows it was made from?

The reference is a holdout: real rows the generator never saw. Synthetic data that is merely realistic
is as close to holdout rows as to training rows; data that memorised its training rows is closer to
them. Every figure has a 95% interval. Distances are exact nearest neighbours on the full tables
(k-d / ball trees from scikit-learn, queried in chunks so memory stays bounded) over the encoding of
:mod:`audit.data`: robust z-scores for numbers and dates, one-hot for categories scaled so that a
category mismatch costs 1 (a Gower-like mixed distance).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from .data import Encoding, Rows, Tables
from .metric import Metric, clamp01, wilson

CHUNK = 20_000


BRUTE_LIMIT = 1e9  # reference x query pairs below which one BLAS matrix product per chunk beats grouped trees
MAX_GROUPS = 5_000


def nearest(reference: "Rows | np.ndarray", queries: "Rows | np.ndarray", k: int = 1) -> np.ndarray:
    """Distances from each query row to its k nearest reference rows: exact, in chunks.

    Up to a few billion pairs: chunks of ``|q|² + |r|² - 2 q·r`` by matrix product (BLAS). Beyond that,
    rows are grouped by their categories: within a group only the numbers differ, and a k-d tree over
    those few dimensions answers fast; any row of another group is at least 1 away (one category
    differs), so a within-group answer of at most 1 is exact. Rows whose answer is farther are searched
    again over all rows with a tree on the full encoding.
    """
    ref_full = reference.full() if isinstance(reference, Rows) else reference
    q_full = queries.full() if isinstance(queries, Rows) else queries
    k = min(k, len(ref_full))
    if k <= 2 and float(len(ref_full)) * len(q_full) <= BRUTE_LIMIT:
        return _brute(ref_full.astype(np.float32), q_full.astype(np.float32), k)
    if isinstance(reference, Rows) and isinstance(queries, Rows):
        grouped = _grouped(reference, queries, k)
        if grouped is not None:
            unsure = grouped[:, k - 1] > 1.0
            if unsure.any():
                grouped[unsure] = _tree(ref_full, q_full[unsure], k)
            return grouped
    return _tree(ref_full, q_full, k)


def _tree(reference: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    algorithm = "kd_tree" if reference.shape[1] <= 30 else "ball_tree"
    index = NearestNeighbors(n_neighbors=k, algorithm=algorithm, n_jobs=2).fit(reference)
    out = np.empty((len(queries), k), dtype=np.float64)
    for start in range(0, len(queries), CHUNK):
        out[start:start + CHUNK] = index.kneighbors(queries[start:start + CHUNK], return_distance=True)[0]
    return out


def _grouped(reference: "Rows", queries: "Rows", k: int) -> np.ndarray | None:
    from sklearn.neighbors import KDTree

    both = np.vstack([reference.codes, queries.codes])
    if both.shape[1] == 0:
        return None
    _, keys = np.unique(both, axis=0, return_inverse=True)
    keys = keys.ravel()
    ref_keys, q_keys = keys[: len(reference)], keys[len(reference):]
    groups = np.unique(q_keys)
    if len(groups) > MAX_GROUPS:
        return None
    ref_order = np.argsort(ref_keys, kind="stable")
    ref_sorted = ref_keys[ref_order]
    q_order = np.argsort(q_keys, kind="stable")
    q_sorted = q_keys[q_order]
    out = np.full((len(queries), k), np.inf)
    for g in groups:
        r = ref_order[np.searchsorted(ref_sorted, g, "left"):np.searchsorted(ref_sorted, g, "right")]
        q = q_order[np.searchsorted(q_sorted, g, "left"):np.searchsorted(q_sorted, g, "right")]
        if len(r) == 0:
            continue
        kk = min(k, len(r))
        if reference.numbers.shape[1] == 0:
            out[q, :kk] = 0.0
            continue
        out[q, :kk] = KDTree(reference.numbers[r]).query(queries.numbers[q], k=kk)[0]
    return out


def _brute(reference: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact k (<= 2) nearest distances: candidates by float32 matrix products, distances recomputed exactly."""
    ref_sq = (reference ** 2).sum(axis=1)
    rows = max(1, int(20_000_000 // max(len(reference), 1)))  # ~80 MB of float32 per chunk
    out = np.empty((len(queries), k), dtype=np.float64)
    ref64 = reference.astype(np.float64)
    for start in range(0, len(queries), rows):
        q = queries[start:start + rows]
        d2 = q @ reference.T
        d2 *= -2.0
        d2 += ref_sq[None, :]
        picks = []
        for _ in range(k):
            idx = d2.argmin(axis=1)
            picks.append(idx)
            d2[np.arange(len(q)), idx] = np.inf
        q64 = q.astype(np.float64)
        exact = np.stack([np.sqrt(((q64 - ref64[idx]) ** 2).sum(axis=1)) for idx in picks], axis=1)
        exact.sort(axis=1)
        out[start:start + rows] = exact
    return out


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()


def exact_matches(t: Tables) -> Metric:
    """Synthetic rows identical to a real row, against how often holdout rows repeat a training row."""
    real = _row_hashes(t.real)
    syn = _row_hashes(t.synthetic)
    copied = np.isin(syn, real)
    rate = float(copied.mean())
    baseline = float(np.isin(_row_hashes(t.holdout), real).mean()) if t.holdout is not None else 0.0
    excess = max(0.0, rate - baseline)
    return Metric("exact_matches", "privacy", clamp01(1 - excess / 0.05), rate,
                  "Share of synthetic rows that are exact copies of a real row (raw), beyond the share of holdout rows that repeat one by chance; 5 points above that baseline scores 0.",
                  ci=wilson(rate * len(syn), len(syn)), details={"copied_rows": int(copied.sum()), "holdout_baseline": baseline})


class Distances:
    """Nearest-neighbour distances computed once and shared by the distance-based metrics."""

    def __init__(self, t: Tables, encoding: Encoding, seed: int = 0) -> None:
        self.train = encoding.rows(t.real)
        self.syn = encoding.rows(t.synthetic)
        self.hold = encoding.rows(t.holdout) if t.holdout is not None else None
        rng = np.random.default_rng(seed)
        two = nearest(self.train, self.syn, k=2)
        self.syn_to_train, self.syn_second = two[:, 0], two[:, -1]
        self.syn_to_hold = self.hold_to_train = None
        if self.hold is None:
            # Baseline without a holdout: how far real rows are from their nearest *other* real row.
            sample = rng.choice(len(self.train), min(len(self.train), 50_000), replace=False)
            self.train_to_train = nearest(self.train, self.train.take(sample), k=2)[:, -1]
            return
        # Equal-size reference sets, so "closer to train" is 50% when nothing was memorised.
        m = min(len(self.train), len(self.hold))
        if m == len(self.train):
            self.syn_to_train_eq = self.syn_to_train
        else:
            self.syn_to_train_eq = nearest(self.train.take(rng.choice(len(self.train), m, replace=False)), self.syn, k=1)[:, 0]
        hold = self.hold if m == len(self.hold) else self.hold.take(rng.choice(len(self.hold), m, replace=False))
        self.syn_to_hold = nearest(hold, self.syn, k=1)[:, 0]
        self.hold_to_train = nearest(self.train, self.hold, k=2)
        self.train_to_train = self.hold_to_train[:, 0]


def dcr(d: Distances) -> Metric:
    """Distance to closest record: closer to training than to holdout rows? (about 50% is safe)."""
    if d.syn_to_hold is None:
        ratio = float(np.median(d.syn_to_train) / max(np.median(d.train_to_train), 1e-12))
        return Metric("dcr", "privacy", clamp01(ratio), ratio,
                      "Without a holdout: median distance from synthetic rows to their closest real row, over the median distance between real rows and their closest other real row (1 or more: synthetic rows are no closer to real rows than real rows are to each other).",
                      details={"synthetic_to_real_median": float(np.median(d.syn_to_train)),
                               "real_to_real_median": float(np.median(d.train_to_train)),
                               "histogram": _hist({"synthetic to real": d.syn_to_train, "real to other real": d.train_to_train})})
    closer = (d.syn_to_train_eq < d.syn_to_hold).astype(float) + 0.5 * (d.syn_to_train_eq == d.syn_to_hold)
    share = float(closer.mean())
    ci = wilson(closer.sum(), len(closer))
    return Metric("dcr", "privacy", clamp01(1 - max(0.0, ci[0] - 0.5) / 0.2), share,
                  "Share of synthetic rows closer to a training row than to any holdout row (equal-size sets): about 50% is safe; the score falls as the interval's lower end rises above 50%.",
                  ci=ci, details={"synthetic_to_train_median": float(np.median(d.syn_to_train_eq)),
                                  "synthetic_to_holdout_median": float(np.median(d.syn_to_hold)),
                                  "histogram": _hist({"synthetic to train": d.syn_to_train_eq, "synthetic to holdout": d.syn_to_hold})})


def nndr(d: Distances) -> Metric:
    """Nearest-neighbour distance ratio: near 0 means a synthetic row sits on one real row in particular."""
    ratio = d.syn_to_train / np.maximum(d.syn_second, 1e-12)
    ratio[(d.syn_to_train == 0) & (d.syn_second == 0)] = 1.0
    if d.hold_to_train is not None:
        base_ratio = d.hold_to_train[:, 0] / np.maximum(d.hold_to_train[:, -1], 1e-12)
        base_ratio[(d.hold_to_train[:, 0] == 0) & (d.hold_to_train[:, -1] == 0)] = 1.0
        base = float(np.median(base_ratio))
        reference = "holdout rows"
    else:
        base, reference = 1.0, "1"
    med = float(np.median(ratio))
    return Metric("nndr", "privacy", clamp01(med / max(base, 1e-12)), med,
                  f"Median ratio of the distances from a synthetic row to its closest and second-closest real rows (raw), relative to the same ratio for {reference}.",
                  details={"baseline_median": base})


def neighbours_privacy(d: Distances) -> Metric:
    """Share of synthetic rows within a small radius of a real row (radius: 5th percentile of real-to-real gaps)."""
    base = d.hold_to_train[:, 0] if d.hold_to_train is not None else d.train_to_train
    radius = float(np.quantile(base, 0.05))
    within = d.syn_to_train <= radius
    share = float(within.mean())
    ci = wilson(within.sum(), len(within))
    return Metric("neighbours_privacy", "privacy", clamp01(1 - max(0.0, ci[0] - 0.05) / 0.2), share,
                  "Share of synthetic rows closer to a real row than 95% of real (holdout) rows are to their nearest training row; about 5% is expected by chance.",
                  ci=ci, details={"radius": radius})


def membership_inference(t: Tables, d: Distances, seed: int = 0) -> Metric:
    """An attacker scores each real record by its distance to the nearest synthetic row: members closer?"""
    if d.hold is None:
        return Metric("membership_inference", "privacy", None, None, "membership inference attack",
                      skipped="needs a holdout: real rows the generator never saw, to compare members with non-members")
    rng = np.random.default_rng(seed)
    m = min(len(d.train), len(d.hold), 50_000)
    members = d.train.take(rng.choice(len(d.train), m, replace=False))
    others = d.hold.take(rng.choice(len(d.hold), m, replace=False))
    both = Rows(np.vstack([members.numbers, others.numbers]), np.vstack([members.codes, others.codes]), members.sizes)
    dist = nearest(d.syn, both, k=1)[:, 0]
    scores = -dist
    labels = np.r_[np.ones(m), np.zeros(m)]
    auc = _auc(scores, labels)
    se = _hanley_mcneil(auc, m, m)
    ci = (max(0.0, auc - 1.96 * se), min(1.0, auc + 1.96 * se))
    return Metric("membership_inference", "privacy", clamp01(1 - 2 * max(0.0, ci[0] - 0.5)), auc,
                  "AUC of telling training records from holdout records by their distance to the nearest synthetic row (0.5 = no better than a coin).",
                  ci=ci, details={"records_per_side": m})


def attribute_inference(t: Tables, encoding: Encoding, sensitive: list[str], seed: int = 0) -> Metric:
    """Knowing a real record's other columns, how often does its closest synthetic row reveal the secret?"""
    if not sensitive:
        return Metric("attribute_inference", "privacy", None, None, "attribute inference attack", skipped="no --sensitive column given")
    if t.holdout is None:
        return Metric("attribute_inference", "privacy", None, None, "attribute inference attack",
                      skipped="needs a holdout to tell what the synthetic data leaks from what any realistic data would reveal")
    rng = np.random.default_rng(seed)
    per_column = {}
    worst = None
    for col in sensitive:
        known = [c for c in t.modelled if c != col]
        if not known:
            continue
        enc = Encoding(encoding.numeric, encoding.centre, encoding.scale, encoding.categories)
        keep = [i for i, c in enumerate(enc.numeric) if c != col]
        enc = Encoding([enc.numeric[i] for i in keep], enc.centre[keep], enc.scale[keep],
                       {k: v for k, v in enc.categories.items() if k != col})
        m = min(len(t.real), len(t.holdout), 20_000)
        train = t.real.iloc[rng.choice(len(t.real), m, replace=False)]
        hold = t.holdout.iloc[rng.choice(len(t.holdout), m, replace=False)]
        index = NearestNeighbors(n_neighbors=1).fit(enc.transform(t.synthetic))
        secret = t.synthetic[col].to_numpy()
        rates = {}
        for label, frame in (("train", train), ("holdout", hold)):
            guess = secret[index.kneighbors(enc.transform(frame), return_distance=False)[:, 0]]
            truth = frame[col].to_numpy()
            if col in t.numeric:
                tol = 0.1 * (encoding.scale[encoding.numeric.index(col)] if col in encoding.numeric else 1.0)
                hit = np.abs(guess.astype(float) - truth.astype(float)) <= tol
            else:
                hit = guess == truth
            rates[label] = float(np.mean(hit))
        gap = rates["train"] - rates["holdout"]
        se = math.sqrt(sum(r * (1 - r) / m for r in rates.values()))
        per_column[col] = {"train_hit_rate": rates["train"], "holdout_hit_rate": rates["holdout"], "advantage": gap,
                           "ci95": [gap - 1.96 * se, gap + 1.96 * se]}
        if worst is None or gap > worst[0]:
            worst = (gap, (gap - 1.96 * se, gap + 1.96 * se))
    if worst is None:
        return Metric("attribute_inference", "privacy", None, None, "attribute inference attack", skipped="no other columns to infer from")
    return Metric("attribute_inference", "privacy", clamp01(1 - max(0.0, worst[1][0]) / 0.1), worst[0],
                  "How much better an attacker guesses a training record's secret column from its closest synthetic row than a holdout record's (raw: the largest advantage over the sensitive columns).",
                  ci=worst[1], details={"per_column": per_column})


#: A real identifier value seen in fewer training rows than this points at few records; replaying it is a leak.
RARE_IDENTIFIER_ROWS = 10


def identifier_replay(t: Tables, columns: list[str]) -> Metric:
    """Real identifier values (emails, names, licence numbers) that reappear in the synthetic data."""
    if not columns:
        return Metric("identifier_replay", "privacy", None, None, "identifier replay", skipped="no identifier-like columns")
    per_column = {}
    worst = 0.0
    for col in columns:
        values = t.real[col][t.real[col] != "<missing>"]
        counts = values.value_counts()
        # Only values that point at few records can identify anyone: a name shared by k or more rows
        # (a pet called Lucy) is a frequency, not a person.
        rare = set(counts.index[counts < RARE_IDENTIFIER_ROWS])
        syn = t.synthetic[col][t.synthetic[col] != "<missing>"]
        replayed = syn.isin(rare)
        share = float(replayed.mean()) if len(syn) else 0.0
        base = 0.0
        if t.holdout is not None:
            hold = t.holdout[col][t.holdout[col] != "<missing>"]
            base = float(hold.isin(rare).mean()) if len(hold) else 0.0
        per_column[col] = {"replayed_share": share, "holdout_baseline": base, "replayed_values": int(replayed.sum())}
        worst = max(worst, share - base)
    return Metric("identifier_replay", "privacy", clamp01(1 - max(0.0, worst) / 0.05), worst,
                  f"Share of synthetic identifier values (names, emails, codes) that are real values seen in fewer than {RARE_IDENTIFIER_ROWS} training rows, beyond how often holdout values do so by chance (raw: the largest excess).",
                  details={"per_column": per_column})


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    pos = labels == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _hanley_mcneil(auc: float, n1: int, n0: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    return math.sqrt(max(0.0, (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) / (n1 * n0)))


def _hist(series: dict[str, np.ndarray], bins: int = 30) -> dict[str, object]:
    top = max(float(np.quantile(v, 0.99)) for v in series.values()) or 1.0
    edges = np.linspace(0, top, bins + 1)
    return {"edges": edges.tolist(), **{k: np.histogram(np.clip(v, 0, top), edges)[0].tolist() for k, v in series.items()}}
