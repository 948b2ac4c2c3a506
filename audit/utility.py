"""Utility: is the synthetic table as useful as the real one for the analyses people run on it?

- TSTR vs TRTR: a random forest trained on synthetic rows and tested on real rows, against one trained on
  real rows and tested on the same real rows (the holdout, or a held-back share of the real table).
- Feature-importance agreement: do both forests rely on the same columns?
- QScore: many random aggregate queries (shares, means, sums by group) answered on both tables.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from .data import Encoding, Tables
from .metric import Metric, clamp01
from .reduction import sampled_both
from .registry import Context, MetricUnit, register

if TYPE_CHECKING:
    from . import AuditResult

MAX_TRAIN_ROWS = 20_000  # rows each forest trains on (a seeded sample above this): stated in the report


def _features(t: Tables, target: str) -> Encoding:
    base = Encoding.fit(t)
    keep = [i for i, c in enumerate(base.numeric) if c != target]
    return Encoding([base.numeric[i] for i in keep], base.centre[keep], base.scale[keep],
                    {k: v for k, v in base.categories.items() if k != target})


def _columns_of(encoding: Encoding) -> list[str]:
    """The source column of each encoded feature, to add importances back up per column."""
    names = list(encoding.numeric)
    for col, cats in encoding.categories.items():
        names += [col] * (len(cats) + 1)
    return names


def train_synthetic_test_real(t: Tables, target: str, seed: int = 0) -> tuple[list[Metric], dict]:
    """TSTR/TRTR metrics, their ratio as the score, and the feature-importance agreement."""
    if target not in t.modelled:
        raise ValueError(f"target {target!r} is not a numeric or categorical column")
    rng = np.random.default_rng(seed)
    real = t.real[t.real[target].notna() & (t.real[target] != "<missing>")] if target in t.categorical else t.real[t.real[target].notna()]
    syn = t.synthetic[t.synthetic[target].notna()] if target in t.numeric else t.synthetic[t.synthetic[target] != "<missing>"]
    if t.holdout is not None:
        test = t.holdout[t.holdout[target].notna()] if target in t.numeric else t.holdout[t.holdout[target] != "<missing>"]
        train_real = real
        test_note = "holdout"
    else:
        order = rng.permutation(len(real))
        cut = int(len(real) * 0.7)
        train_real, test = real.iloc[order[:cut]], real.iloc[order[cut:]]
        test_note = "30% of the real table held back"
    enc = _features(t, target)
    regression = target in t.numeric and t.real[target].nunique() > 15

    def fit(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
        if len(frame) > MAX_TRAIN_ROWS:
            frame = frame.iloc[rng.choice(len(frame), MAX_TRAIN_ROWS, replace=False)]
        x = enc.transform(frame)
        y = frame[target].to_numpy(float) if regression else frame[target].astype(str).to_numpy()
        cls = RandomForestRegressor if regression else RandomForestClassifier
        return cls(n_estimators=60, min_samples_leaf=3, max_features=0.5, n_jobs=2, random_state=seed).fit(x, y)

    x_test = enc.transform(test)
    y_test = test[target].to_numpy(float) if regression else test[target].astype(str).to_numpy()
    results = {}
    models = {"real": fit(train_real), "synthetic": fit(syn)}
    for label, model in models.items():
        model.set_params(n_jobs=1)  # threads would sum the trees' votes in varying order: last-digit noise
        pred = model.predict(x_test)
        if regression:
            results[label] = {"mae": float(metrics.mean_absolute_error(y_test, pred)), "r2": float(metrics.r2_score(y_test, pred))}
        else:
            row = {"accuracy": float(metrics.accuracy_score(y_test, pred)),
                   "f1_macro": float(metrics.f1_score(y_test, pred, average="macro", zero_division=0))}
            proba = model.predict_proba(x_test)
            classes = list(model.classes_)
            truth = y_test[:, None] == np.array(classes)[None, :]
            present = truth.any(axis=0) & ~truth.all(axis=0)
            if present.any():
                row["auroc"] = float(np.mean([metrics.roc_auc_score(truth[:, i], proba[:, i]) for i in np.flatnonzero(present)]))
                row["auprc"] = float(np.mean([metrics.average_precision_score(truth[:, i], proba[:, i]) for i in np.flatnonzero(present)]))
            results[label] = row
    key = "r2" if regression else "f1_macro"
    base = results["real"][key]
    ratio = results["synthetic"][key] / base if base > 0 else (1.0 if results["synthetic"][key] >= base else 0.0)
    tstr = Metric("tstr", "utility", clamp01(ratio), ratio,
                  f"{'R²' if regression else 'macro F1'} of a random forest trained on synthetic rows, over the same for one trained on real rows, both tested on real rows ({test_note}).",
                  details={"task": "regression" if regression else "classification", "target": target,
                           "train_on_real_test_on_real": results["real"], "train_on_synthetic_test_on_real": results["synthetic"],
                           "test_rows": len(test), "train_rows_cap": MAX_TRAIN_ROWS})
    names = _columns_of(enc)
    importances = {}
    for label, model in models.items():
        per_column = pd.Series(model.feature_importances_, index=names).groupby(level=0).sum()
        importances[label] = per_column
    joined = pd.concat(importances, axis=1).fillna(0)
    rho = float(stats.spearmanr(joined["real"], joined["synthetic"]).statistic) if len(joined) > 2 else float("nan")
    agreement = Metric("feature_importance", "utility", None if np.isnan(rho) else clamp01((rho + 1) / 2), rho,
                       "Rank correlation of the columns' importances in the forest trained on real rows and in the one trained on synthetic rows; score = (rho + 1) / 2.",
                       details={"real": joined["real"].to_dict(), "synthetic": joined["synthetic"].to_dict()})
    return [tstr, agreement], results


def qscore(t: Tables, queries: int = 100, seed: int = 0) -> Metric:
    """Random aggregate queries, grouped by a random category column, answered on both tables."""
    rng = np.random.default_rng(seed)
    groups = [c for c in t.categorical if t.real[c].nunique() <= 50] + [c for c in t.numeric if t.real[c].nunique() <= 20]
    values = t.numeric
    if not groups:
        return Metric("qscore", "utility", None, None, "aggregate query agreement", skipped="no low-cardinality column to group by")
    codes: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}  # each group column coded once, shared by both tables

    def coded(g: str) -> tuple[np.ndarray, np.ndarray, int]:
        if g not in codes:
            both, uniques = pd.factorize(pd.concat([t.real[g], t.synthetic[g]], ignore_index=True), use_na_sentinel=False)
            codes[g] = (both[: len(t.real)], both[len(t.real):], len(uniques))
        return codes[g]

    errors = []
    for _ in range(queries):
        g = groups[rng.integers(len(groups))]
        kind = ["share", "mean", "sum"][rng.integers(3)] if values else "share"
        v = values[rng.integers(len(values))] if values else None
        real_codes, syn_codes, size = coded(g)
        answers = []
        for frame, code in ((t.real, real_codes), (t.synthetic, syn_codes)):
            count = np.bincount(code, minlength=size).astype(float)
            present = count > 0
            if kind == "share" or v is None or v == g:
                ans = count / len(code)
            else:
                x = frame[v].to_numpy(float)
                ok = ~np.isnan(x)
                sums = np.bincount(code[ok], weights=x[ok], minlength=size)
                if kind == "mean":
                    seen = np.bincount(code[ok], minlength=size)
                    ans = np.where(seen > 0, sums / np.maximum(seen, 1), np.nan)
                else:
                    total = float(x[ok].sum())
                    ans = sums / (total if total else 1.0)
            answers.append(np.where(present, ans, 0.0 if kind != "mean" else np.nan))
        r, s = answers
        # a group missing from one table counts as 0 there (as an outer join would fill it)
        in_either = ~(np.isnan(r) & np.isnan(s)) & ((np.bincount(real_codes, minlength=size) > 0) | (np.bincount(syn_codes, minlength=size) > 0))
        r, s = np.nan_to_num(r[in_either]), np.nan_to_num(s[in_either])
        scale = max(float(np.max(np.abs(r))) if len(r) else 0.0, 1e-12)
        errors.append(float(np.mean(np.abs(r - s))) / scale if len(r) else 0.0)
    err = float(np.mean(errors))
    return Metric("qscore", "utility", clamp01(1 - err), err,
                  f"{queries} random aggregate queries (group shares, group means, group shares of a sum) on both tables: 1 - mean relative error.",
                  details={"queries": queries, "median_error": float(np.median(errors))})


# --- the metrics as registered units, in the order of the report ---------------------------------------------
def _forests(ctx: Context) -> list[Metric]:
    """The TSTR and feature-importance results: one pair of forests, read by two units."""
    assert ctx.target is not None
    return ctx.shared("forests", lambda: train_synthetic_test_real(sampled_both(ctx.tables), ctx.target, ctx.seed)[0])


@register
class TrainSyntheticTestReal(MetricUnit):
    name, section, needs = "tstr", "utility", ("target",)
    title = "train-on-synthetic/test-on-real"
    raw = (f"R² (regression) or macro F1 (classification) of a random forest trained on synthetic over one trained "
           f"on real, both tested on real rows (holdout, or 30% held back); at most {MAX_TRAIN_ROWS:,} training rows")
    scoring = "ratio, capped at 1"

    def compute(self, ctx: Context) -> Metric:
        return _forests(ctx)[0]

    def chart(self, metric: Metric, result: "AuditResult") -> str | None:
        """The downstream model's scores, trained on real and on synthetic rows."""
        real, syn = metric.details["train_on_real_test_on_real"], metric.details["train_on_synthetic_test_on_real"]
        from .report import fmt

        cells = "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{fmt(v)}</td>" for v in row.values()) + "</tr>"
                        for label, row in (("real", real), ("synthetic", syn)))
        return (f"<p>Downstream model ({metric.details['task']}, target <b>{html.escape(metric.details['target'])}</b>), "
                "tested on real rows:</p><table><tr><th>trained on</th>" + "".join(f"<th>{k}</th>" for k in real) + "</tr>"
                + cells + "</table>")


@register
class FeatureImportance(MetricUnit):
    name, section, needs = "feature_importance", "utility", ("target",)
    title = "feature importance"
    raw = "Spearman rho of per-column importances (real-trained vs synthetic-trained forest)"
    scoring = "(rho + 1) / 2"

    def compute(self, ctx: Context) -> Metric:
        return _forests(ctx)[1]


@register
class QScore(MetricUnit):
    name, section = "qscore", "utility"
    raw = "mean relative error of 100 random aggregate queries (group shares, means, sums)"
    scoring = "1 - raw"

    def compute(self, ctx: Context) -> Metric:
        return qscore(sampled_both(ctx.tables), seed=ctx.seed)
