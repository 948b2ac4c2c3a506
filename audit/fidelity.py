"""Fidelity: how alike the synthetic table is to the real one, column by column, pair by pair, as a whole.

Standard definitions, so the numbers can be checked against other tools (SDMetrics uses the same):
KS complement = 1 - Kolmogorov-Smirnov statistic; TV complement = 1 - total variation distance
(half the L1 distance between frequency vectors); correlation similarity = 1 - |r_real - r_synthetic| / 2;
contingency similarity = 1 - total variation distance between the two joint frequency tables.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .data import MISSING, Encoding, Tables
from .distance import total_variation
from .metric import Metric, clamp01
from .reduction import Reduction, reductions, sample_note, sampled, sampled_both
from .registry import Context, MetricUnit, register

if TYPE_CHECKING:
    from . import AuditResult

BINS = 10
MAX_PAIRS = 300
DETECTION_ROWS = 20_000


def tv_complement(a: pd.Series, b: pd.Series) -> float:
    p = a.value_counts(normalize=True)
    q = b.value_counts(normalize=True)
    return 1 - total_variation(p, q)


def ks_complement(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return 0.0 if len(a) != len(b) else 1.0
    with warnings.catch_warnings():  # "exact calculation unsuccessful": the statistic is exact either way
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(1 - stats.ks_2samp(a, b).statistic)


def column_statistics(t: Tables, seed: int = 0) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per column, real vs synthetic: mean, median, std, distinct, missing share, min, max (numbers and dates).

    Counts, means, standard deviations and extremes merge exactly over the synthetic rows' partitions
    (:mod:`audit.reduction`); a number column's median and distinct count are the sample's when the synthetic rows
    are sampled (``"sampled"`` lists them). A partitioned real table's (``t.real_rows``: ``t.real`` is its sample)
    come from its merged profile, exactly (the plan's median and distinct values)."""
    syn, real = reductions(t)
    sample = sampled(t).synthetic
    out = {}
    for col in t.modelled:
        row = {}
        for label, r in (("real", real), ("synthetic", syn)):
            if col in t.numeric:
                n = r.numbers[col]
                if label == "real" and t.real_rows is not None:  # a partitioned real table: from its merged profile
                    distinct, median = len(r.plan.distinct[col]), r.plan.centre[col] if n.present else None
                else:
                    values = (t.real if label == "real" else sample)[col].dropna()
                    distinct, median = values.nunique(), _f(values.median())
                info: dict[str, Any] = {"distinct": float(distinct), "missing_share": (r.rows - n.present) / max(r.rows, 1),
                                        "mean": r.mean(col), "median": median, "std": r.std(col),
                                        "min": _f(n.low) if n.present else None, "max": _f(n.high) if n.present else None}
                if label == "synthetic" and len(sample) < t.synthetic_count:
                    info["sampled"] = ["distinct", "median"]
            else:
                missing = r.vocabulary[col].get_indexer([MISSING])[0]
                info = {"distinct": float(r.distinct_values(col)),
                        "missing_share": float(r.counts[col][missing] / max(r.rows, 1)) if missing >= 0 else 0.0}
            row[label] = info
        out[col] = row
    return out


def _f(x: float) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def column_shapes(t: Tables) -> Metric:
    syn, real = reductions(t)
    scores = {}
    for col in t.numeric:
        scores[col] = 1 - syn.ks(col, real)
    for col in t.categorical:
        scores[col] = 1 - total_variation(real.shares(col), syn.shares(col))
    return Metric("column_shapes", "fidelity", _mean(scores), _mean(scores),
                  "Average per-column similarity of distributions (KS complement for numbers and dates, TV complement for categories).",
                  details={"per_column": scores})


def histogram_similarity(t: Tables, bins: int = 20) -> Metric:
    """Over the real range in :data:`audit.reduction.HISTOGRAM_BINS` bins (``bins`` is that number)."""
    syn, real = reductions(t)
    scores = {}
    for col in t.numeric:
        r, s = real.numbers[col], syn.numbers[col]
        if r.present == 0 or s.present == 0:
            continue
        scores[col] = 1 - total_variation(r.histogram / r.present, s.histogram / s.present)
    return Metric("histogram_similarity", "fidelity", _mean(scores), _mean(scores),
                  f"Average overlap of {bins}-bin histograms over the real range (values outside count in the edge bins).",
                  details={"per_column": scores})


def _joint(table: np.ndarray) -> np.ndarray:
    """A joint table's frequencies, flattened."""
    return table.ravel() / max(int(table.sum()), 1)


def _pairs(t: Tables, seed: int) -> list[tuple[str, str]]:
    cols = t.modelled
    pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    if len(pairs) > MAX_PAIRS:
        rng = np.random.default_rng(seed)
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), MAX_PAIRS, replace=False))]
    return pairs


def pair_trends(t: Tables, seed: int = 0, pairs: list[tuple[str, str]] | None = None) -> tuple[Metric, Metric, Metric]:
    """Correlation similarity (numbers), contingency similarity (categories and mixed pairs), and their mean,
    over ``pairs`` (default: every pair of modelled columns, at most :data:`MAX_PAIRS` of them).

    Pearson correlations and joint tables merge exactly over the synthetic rows' partitions; the Spearman
    correlations in the details (read by ``dependence_kept``) are the synthetic sample's when it is sampled."""
    t.cache.setdefault("seed", seed)  # the audit's seed chose its pairs (audit.run sets it first)
    corr, cont = {}, {}
    real_corr, syn_corr = {}, {}
    syn, real = reductions(t, None, pairs)
    sample = sampled_both(t)
    ranks = {"real": _Ranks(sample.real), "synthetic": _Ranks(sample.synthetic)}
    for a, b in syn.plan.pairs:
        if a in t.numeric and b in t.numeric:
            rr, rs = real.pearson(a, b), syn.pearson(a, b)
            spearman = {label: r.spearman(a, b) for label, r in ranks.items()}
            if rr is None or rs is None or spearman["real"] is None or spearman["synthetic"] is None:
                continue
            corr[f"{a} ~ {b}"] = 1 - abs(rr - rs) / 2
            real_corr[f"{a} ~ {b}"] = {"pearson": rr, "spearman": spearman["real"]}
            syn_corr[f"{a} ~ {b}"] = {"pearson": rs, "spearman": spearman["synthetic"]}
        else:
            cont[f"{a} ~ {b}"] = 1 - total_variation(_joint(real.joints[(a, b)]), _joint(syn.joints[(a, b)]))
    m_corr = Metric("correlation_similarity", "fidelity", _mean(corr), _mean(corr),
                    "How well pairwise Pearson correlations between numeric columns are kept: 1 - |r_real - r_synthetic| / 2, averaged.",
                    details={"per_pair": corr, "real": real_corr, "synthetic": syn_corr,
                             **({"spearman_on_sample": len(sample.synthetic)} if sample.synthetic_rows is not None else {}),
                             **({"spearman_on_real_sample": len(sample.real)} if sample.real_rows is not None else {})})
    m_cont = Metric("contingency_similarity", "fidelity", _mean(cont), _mean(cont),
                    "How well joint frequencies of category pairs (numbers cut into real deciles) are kept: 1 - total variation distance.",
                    details={"per_pair": cont})
    both = {**corr, **cont}
    m_pairs = Metric("pair_trends", "fidelity", _mean(both), _mean(both),
                     "Average of correlation and contingency similarity over all column pairs.", details={"pairs": len(both)})
    return m_corr, m_cont, m_pairs


class _Ranks:
    """Spearman correlations of number pairs over the rows where both are present (as pandas' ``corr`` does),
    ranking each column once per pattern of missing rows rather than once per pair."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.missing = {c: frame[c].isna().to_numpy() for c in frame.columns}
        self.cache: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {}

    def _column(self, col: str, drop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = (col, np.packbits(drop).tobytes())
        if key not in self.cache:
            values = self.frame[col].to_numpy(float)[~drop]
            self.cache[key] = (values, stats.rankdata(values))
        return self.cache[key]

    def spearman(self, a: str, b: str) -> float | None:
        """None when fewer than 3 rows or a constant column leave nothing to correlate."""
        drop = self.missing[a] | self.missing[b]
        (xa, ra), (xb, rb) = self._column(a, drop), self._column(b, drop)
        if len(xa) < 3 or np.ptp(xa) == 0 or np.ptp(xb) == 0:
            return None
        return float(np.corrcoef(ra, rb)[0, 1])


def mutual_information(t: Tables, seed: int = 0) -> Metric:
    """Normalized mutual information of every pair (numbers in deciles), real vs synthetic matrices compared."""
    t.cache.setdefault("seed", seed)  # the audit's seed chose its pairs (audit.run sets it first)
    diffs, real_mi, syn_mi = {}, {}, {}
    syn, real = reductions(t)
    for a, b in syn.plan.pairs:
        key = f"{a} ~ {b}"
        r, s = _nmi(_pair_table(real, a, b)), _nmi(_pair_table(syn, a, b))
        real_mi[key], syn_mi[key], diffs[key] = r, s, abs(r - s)
    score = None if not diffs else clamp01(1 - float(np.mean(list(diffs.values()))))
    return Metric("mutual_information", "fidelity", score, None if not diffs else float(np.mean(list(diffs.values()))),
                  "1 - mean absolute difference of normalized mutual information between every pair of columns (raw: that difference).",
                  details={"real": real_mi, "synthetic": syn_mi})


def _pair_table(r: Reduction, a: str, b: str) -> np.ndarray:
    """The joint table of a pair (numbers in real deciles), merged over the partitions."""
    return r.joints[(a, b)]


def worst_column_shape(shapes: Metric) -> Metric:
    """The lowest per-column shape score: one column shifted or reshaped beyond use cannot hide in an average."""
    return _worst_column("worst_column_shape", "lowest column shape", shapes.details.get("per_column", {}), "no numeric or category columns",
                         "The lowest per-column shape score (KS or TV complement), here {column!r}: a column whose distribution "
                         "moved away from the real one fails even when the other columns are fine.")


#: Columns whose real entropy is below this (nats) have no variety to lose.
_MIN_ENTROPY = 0.05


def column_variety(t: Tables) -> Metric:
    """Entropy of each synthetic column over the real column's (categories as they are, numbers in real deciles)."""
    per_column = {}
    syn, real = reductions(t)
    for col in t.modelled:
        hr = _entropy(real.code_counts(col).astype(float))
        if hr < _MIN_ENTROPY:
            continue
        per_column[col] = min(1.0, max(0.0, _entropy(syn.code_counts(col).astype(float)) / hr))
    return _worst_column("column_variety", "column variety", per_column, "no column with variety in the real table",
                         "The lowest ratio of a synthetic column's entropy to the real column's, here {column!r} (capped at 1): "
                         "a column collapsed onto one or a few values scores near 0.")


def _worst_column(name: str, label: str, per_column: dict[str, float], none: str, meaning: str) -> Metric:
    """A gate on the lowest per-column score, naming that column (``meaning`` has a ``{column}`` slot); skipped
    with the reason ``none`` when no column has a score."""
    if not per_column:
        return Metric(name, "fidelity", None, None, label, skipped=none)
    worst = min(per_column, key=per_column.get)
    return Metric(name, "fidelity", per_column[worst], per_column[worst], meaning.format(column=worst),
                  details={"column": worst, "per_column": per_column})


#: A pair counts as dependent in the real table when its association is at least this.
STRONG_ASSOCIATION = 0.3


def dependence_kept(t: Tables, correlations: Metric, seed: int = 0, pairs: list[tuple[str, str]] | None = None) -> Metric:
    """How much of the real table's strong pairwise dependence survives: |Spearman| for number pairs,
    bias-corrected Cramer's V (numbers in deciles) for the rest."""
    t.cache.setdefault("seed", seed)  # the audit's seed chose its pairs (audit.run sets it first)
    syn_r, real_r = reductions(t, None, pairs)
    real_rho, syn_rho = correlations.details.get("real", {}), correlations.details.get("synthetic", {})
    kept, strength = {}, {}
    for a, b in syn_r.plan.pairs:
        key = f"{a} ~ {b}"
        if a in t.numeric and b in t.numeric:
            if key not in real_rho:
                continue
            real, syn = abs(real_rho[key]["spearman"]), abs(syn_rho[key]["spearman"])
        else:
            real = _cramers_v(real_r.joints[(a, b)])
            syn = _cramers_v(syn_r.joints[(a, b)])
        if not real >= STRONG_ASSOCIATION:
            continue
        strength[key] = real
        kept[key] = min(1.0, syn / real) if np.isfinite(syn) else 0.0
    if not kept:
        return Metric("dependence_kept", "fidelity", None, None, "dependence kept",
                      skipped=f"no pair of columns with association {STRONG_ASSOCIATION} or more in the real table")
    total = sum(strength.values())
    score = float(sum(kept[k] * strength[k] for k in kept) / total)
    lost = sorted(kept, key=kept.get)[:5]
    spearman = "; Spearman correlations" if sampled_both(t).real_rows is not None else "; synthetic Spearman correlations"
    return Metric("dependence_kept", "fidelity", score, score,
                  f"Share of the real table's strong pairwise association (|Spearman| or bias-corrected Cramer's V of "
                  f"{STRONG_ASSOCIATION} or more) that the synthetic table keeps, weighted by strength; columns shuffled "
                  f"independently score near 0{spearman + sample_note(t) if sample_note(t) else ''}.",
                  details={"per_pair": kept, "real_association": strength, "most_lost": lost})


def _cramers_v(joint: np.ndarray) -> float:
    """Bias-corrected Cramer's V (Bergsma 2013) of a joint table of counts."""
    n = int(joint.sum())
    joint = joint.astype(float)
    joint = joint[joint.sum(axis=1) > 0][:, joint.sum(axis=0) > 0]
    r, k = joint.shape
    if r < 2 or k < 2 or n < 3:
        return 0.0
    expected = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True) / n
    phi2 = float(((joint - expected) ** 2 / expected).sum()) / n
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc, kc = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return float(np.sqrt(phi2 / denom)) if denom > 0 else 0.0


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _nmi(joint: np.ndarray) -> float:
    """Normalized mutual information (arithmetic mean of entropies, as scikit-learn's default) of a joint table of counts."""
    joint = joint.astype(float)
    ha, hb = _entropy(joint.sum(axis=1)), _entropy(joint.sum(axis=0))
    if ha == 0 or hb == 0:
        return 1.0 if ha == hb else 0.0
    mi = ha + hb - _entropy(joint.ravel())
    return float(max(0.0, mi) / ((ha + hb) / 2))


def _detection_features(t: Tables, frame: pd.DataFrame) -> np.ndarray:
    """Numbers as they are (missing stays missing) and categories as codes of their 254 commonest real values
    (the rest share one code): gradient boosting splits categories natively, so a 5,000-value column is one feature."""
    columns = [frame[c].to_numpy(float) for c in t.numeric]
    for c in t.categorical:
        top = t.real[c].value_counts().index[:254]
        codes = pd.Index(top).get_indexer(frame[c]).astype(float)
        codes[codes < 0] = len(top)
        columns.append(codes)
    return np.column_stack(columns) if columns else np.zeros((len(frame), 1))


SMALL_FOR_THREADS = 20_000  # rows per side below which the detector runs on one thread


def detection(t: Tables, encoding: Encoding, seed: int = 0) -> Metric:
    """A classifier tries to tell real rows from synthetic ones; AUC 0.5 means it cannot (on the synthetic sample:
    :func:`audit.reduction.sampled_both`)."""
    t = sampled_both(t)
    rng = np.random.default_rng(seed)
    m = min(len(t.real), len(t.synthetic), DETECTION_ROWS)
    if m < 20:
        return Metric("detection", "fidelity", None, None, "too few rows to train a detector", skipped="fewer than 20 rows")
    r = t.real.iloc[rng.choice(len(t.real), m, replace=False)]
    s = t.synthetic.iloc[rng.choice(len(t.synthetic), m, replace=False)]
    x = np.vstack([_detection_features(t, r), _detection_features(t, s)])
    y = np.r_[np.ones(m), np.zeros(m)]
    categorical = [False] * len(t.numeric) + [True] * len(t.categorical) if t.modelled else [False]
    aucs = []
    # OpenMP threads only pay off on large samples: on small ones they spin-wait, and on a busy machine a
    # 60-row detector took 30 s instead of 0.5 s. Same model, same answer either way.
    with threadpool_limits(limits=1 if m < SMALL_FOR_THREADS else None, user_api="openmp"):
        for train, test in StratifiedKFold(n_splits=3, shuffle=True, random_state=seed).split(x, y):
            # A number missing in every row of a fold (a column with one real value, all missing in the twin) tells
            # nothing, and scikit-learn's binning fails on it: such columns sit the fold out.
            used = ~np.isnan(x[train]).all(axis=0)
            if not used.any():
                aucs.append(0.5)
                continue
            model = HistGradientBoostingClassifier(max_iter=100, random_state=seed,
                                                   categorical_features=[c for c, u in zip(categorical, used) if u])
            model.fit(x[train][:, used], y[train])
            aucs.append(roc_auc_score(y[test], model.predict_proba(x[test][:, used])[:, 1]))
    auc = float(np.mean(aucs))
    return Metric("detection", "fidelity", clamp01(1 - 2 * max(0.0, auc - 0.5)), auc,
                  "A gradient-boosting classifier's cross-validated AUC at telling real from synthetic rows (0.5 = indistinguishable); "
                  f"score = 1 - 2 x (AUC - 0.5){sample_note(t)}.",
                  details={"rows_per_side": m, "fold_aucs": aucs})


def _acf(x: np.ndarray, lags: int) -> np.ndarray:
    x = x - x.mean()
    denom = float((x * x).sum())
    if denom == 0:
        return np.zeros(lags)
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    full = np.fft.irfft(spec * np.conj(spec))[: lags + 1] / denom
    return full[1: lags + 1]


def _pacf(acf: np.ndarray) -> np.ndarray:
    """Partial autocorrelations from autocorrelations (Durbin-Levinson)."""
    lags = len(acf)
    rho = np.r_[1.0, acf]
    pacf = np.zeros(lags)
    phi = np.zeros((lags + 1, lags + 1))
    for k in range(1, lags + 1):
        num = rho[k] - sum(phi[k - 1, j] * rho[k - j] for j in range(1, k))
        den = 1 - sum(phi[k - 1, j] * rho[j] for j in range(1, k))
        phi[k, k] = num / den if den != 0 else 0.0
        for j in range(1, k):
            phi[k, j] = phi[k - 1, j] - phi[k, k] * phi[k - 1, k - j]
        pacf[k - 1] = phi[k, k]
    return pacf


def time_series(t: Tables, time_column: str, lags: int = 14) -> Metric:
    """Autocorrelation and partial autocorrelation of each numeric column, ordered by the time column (on the
    synthetic sample: an ordering does not merge over partitions)."""
    t = sampled_both(t)
    if time_column not in t.numeric:
        return Metric("time_series", "fidelity", None, None, "autocorrelation similarity",
                      skipped=f"--time-column {time_column!r} is not a date/time or numeric column")
    scores, details = {}, {}
    for col in t.numeric:
        if col == time_column:
            continue
        series = []
        for frame in (t.real, t.synthetic):
            ordered = frame[[time_column, col]].dropna().sort_values(time_column, kind="stable")
            # one value per instant: the mean, so rows sharing a time stamp do not look autocorrelated
            series.append(ordered.groupby(time_column)[col].mean().to_numpy(float))
        k = min(lags, len(series[0]) // 4, len(series[1]) // 4)
        if k < 2:
            continue
        acf_r, acf_s = _acf(series[0], k), _acf(series[1], k)
        pacf_r, pacf_s = _pacf(acf_r), _pacf(acf_s)
        diff = 0.5 * (np.abs(acf_r - acf_s).mean() + np.abs(pacf_r - pacf_s).mean())
        scores[col] = clamp01(1 - diff / 2)
        details[col] = {"acf_real": acf_r.tolist(), "acf_synthetic": acf_s.tolist(), "pacf_real": pacf_r.tolist(),
                        "pacf_synthetic": pacf_s.tolist()}
    return Metric("time_series", "fidelity", _mean(scores), _mean(scores),
                  f"Similarity of autocorrelation and partial autocorrelation (lags 1-{lags}) of each numeric column ordered by {time_column}: 1 - mean |difference| / 2{sample_note(t)}.",
                  details={"per_column": scores, "functions": details})


def _mean(values: dict[str, float]) -> float | None:
    v = [x for x in values.values() if x is not None and not np.isnan(x)]
    return float(np.mean(v)) if v else None


# --- the metrics as registered units, in the order of the report ---------------------------------------------
def _pair_metrics(ctx: Context) -> tuple[Metric, Metric, Metric]:
    """Correlation, contingency and pair-trend results: computed once, read by four units."""
    return ctx.shared("pair_trends", lambda: pair_trends(ctx.tables, ctx.seed))


@register
class ColumnShapes(MetricUnit):
    name, section = "column_shapes", "fidelity"
    raw = "mean of per-column KS complement (numbers, dates) / TV complement (categories)"

    def compute(self, ctx: Context) -> Metric:
        return ctx.shared("column_shapes", lambda: column_shapes(ctx.tables))


@register
class WorstColumnShape(MetricUnit):
    name, section, gate = "worst_column_shape", "fidelity", 0.5
    raw = "the lowest per-column shape score, naming the column"

    def compute(self, ctx: Context) -> Metric:
        return worst_column_shape(ctx.shared("column_shapes", lambda: column_shapes(ctx.tables)))


@register
class ColumnVariety(MetricUnit):
    name, section, gate = "column_variety", "fidelity", 0.5
    raw = "the lowest synthetic / real entropy ratio per column (numbers in real deciles), capped at 1"

    def compute(self, ctx: Context) -> Metric:
        return column_variety(ctx.tables)


@register
class HistogramSimilarity(MetricUnit):
    name, section = "histogram_similarity", "fidelity"
    raw = "mean overlap of 20-bin histograms over the real range"

    def compute(self, ctx: Context) -> Metric:
        return histogram_similarity(ctx.tables)


@register
class CorrelationSimilarity(MetricUnit):
    name, section = "correlation_similarity", "fidelity"
    raw = "mean of 1 - |r_real - r_syn| / 2 over numeric pairs (Pearson; Spearman in details)"

    def compute(self, ctx: Context) -> Metric:
        return _pair_metrics(ctx)[0]

    def chart(self, metric: Metric, result: "AuditResult") -> str | None:
        """Pearson correlation matrices of the first 20 number columns: real, synthetic and their difference."""
        from .report import png, pyplot

        t = result.tables
        cols = t.numeric[:20]
        if len(cols) < 2:
            return None
        plt = pyplot()
        real = t.real[cols].corr().to_numpy()
        syn = t.synthetic[cols].corr().to_numpy()
        fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
        for ax, matrix, title in zip(axes, (real, syn, syn - real), ("real", "synthetic", "synthetic - real")):
            im = ax.imshow(np.nan_to_num(matrix), vmin=-1, vmax=1, cmap="RdBu_r")
            ax.set_title(f"Pearson correlation: {title}", fontsize=9)
            ax.set_xticks(range(len(cols)), [c[:10] for c in cols], rotation=60, fontsize=7, ha="right")
            ax.set_yticks(range(len(cols)), [c[:14] for c in cols], fontsize=7)
        fig.colorbar(im, ax=axes, shrink=0.8)
        return f"<h3>Correlations</h3><img src='{png(fig)}' alt='correlation heatmaps' style='max-width:100%'>"


@register
class ContingencySimilarity(MetricUnit):
    name, section = "contingency_similarity", "fidelity"
    raw = ("mean of 1 - TVD of joint frequencies over category pairs and number x category pairs "
           "(numbers in real deciles)")

    def compute(self, ctx: Context) -> Metric:
        return _pair_metrics(ctx)[1]


@register
class PairTrends(MetricUnit):
    name, section = "pair_trends", "fidelity"
    raw = "mean of the two above over all pairs"

    def compute(self, ctx: Context) -> Metric:
        return _pair_metrics(ctx)[2]


@register
class DependenceKept(MetricUnit):
    name, section, gate = "dependence_kept", "fidelity", 0.5
    raw = (f"strength-weighted share of the real table's strong pair association (|Spearman| or bias-corrected "
           f"Cramér's V >= {STRONG_ASSOCIATION}) kept")

    def compute(self, ctx: Context) -> Metric:
        return dependence_kept(ctx.tables, _pair_metrics(ctx)[0], ctx.seed)


@register
class MutualInformation(MetricUnit):
    name, section = "mutual_information", "fidelity"
    raw = "mean |NMI_real - NMI_syn| over pairs"
    scoring = "1 - raw"

    def compute(self, ctx: Context) -> Metric:
        return mutual_information(ctx.tables, ctx.seed)


@register
class Detection(MetricUnit):
    name, section = "detection", "fidelity"
    raw = "cross-validated AUC of a classifier telling real from synthetic rows"
    scoring = "1 - 2 max(0, AUC - 0.5)"

    def compute(self, ctx: Context) -> Metric:
        return detection(ctx.tables, ctx.encoding, ctx.seed)


@register
class TimeSeries(MetricUnit):
    name, section, needs = "time_series", "fidelity", ("time_column",)
    raw = "ACF/PACF similarity per numeric column, ordered by the time column"

    def compute(self, ctx: Context) -> Metric:
        assert ctx.time_column is not None
        return time_series(ctx.tables, ctx.time_column)
