"""``synth fit --epsilon E``: a schema learned with (epsilon, delta)-differential privacy.

Every number the schema takes from the data goes through a mechanism in :mod:`synth.dp`:

- the row count: a noisy count;
- per column, the share of empty values (a noisy count) and the values: a stability-based histogram
  over categories, whole numbers, fixed symmetric-log bins (other numbers), days (dates), minutes
  (times of day) or value formats (identifiers); shapes, ranges and profiles are then computed from the
  noisy histogram only;
- rank correlations: noisy Kendall's tau for each pair of columns.

The budget is split evenly: ``E / (columns + 2)`` for the row count, for each column, and for all
correlations together (shared by the pairs); ``delta`` is split over the histograms. The schema states
the split. Not protected, and treated as public metadata: column names, their kinds (number, category,
date ...), text formats (``%m/%d/%Y``) and decimals. Structure found by search (lookups, formulas,
conditional columns) is left out in this mode, since choosing it from the data is not private.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pandas as pd

from .. import dp
from ..datetimes import MONTHS, WEEKDAYS, to_seconds, weekday
from ..inference import ColumnKind, Inferred, infer_column
from .columns import Learned, inference_config, plain_number, significant, template
from .copula import calibrate, schema_margins


def fit_private(df: pd.DataFrame, name: str, cfg: Any, step: Callable[[str], None]) -> dict[str, Any]:
    rng = np.random.default_rng(cfg.dp_seed)
    p = df.shape[1]
    eps = cfg.epsilon / (p + 2)
    delta = cfg.delta / max(1, 2 * p)
    rows = max(1, int(round(dp.noisy_count(len(df), eps, rng))))
    columns: list[dict[str, Any]] = []
    learned: dict[str, Learned] = {}
    for col in map(str, df.columns):
        step(f"column {col} (private)")
        spec, codes, kind = _learn_private(col, df[col], eps, delta, rows, cfg, rng)
        columns.append(spec)
        learned[col] = Learned(spec, codes, kind)
    correlations: dict[tuple[str, str], float] = {}
    with_codes = [c for c, l in learned.items() if l.codes is not None]
    pairs = [(a, b) for i, a in enumerate(with_codes) for b in with_codes[i + 1:]]
    step("correlations (private)")
    for a, b in pairs:
        tau = dp.noisy_kendall(_sample(learned[a].codes), _sample(learned[b].codes), eps / len(pairs), rng)
        if tau is not None:
            rho = dp.spearman_from_kendall(tau)
            if abs(rho) >= 0.03:
                correlations[(a, b)] = float(np.clip(rho, -0.99, 0.99))
    schema: dict[str, Any] = {
        "name": name,
        "description": (f"Fitted by synth fit with differential privacy: epsilon = {cfg.epsilon:g}, delta = {cfg.delta:g}. "
                        f"Split: row count {eps:.4g}; each of the {p} columns {eps:.4g} (a quarter for its empty share, "
                        f"the rest for its values); correlations {eps:.4g} shared by {len(pairs)} pairs. Column names, "
                        "kinds and text formats are not protected; lookups, formulas and conditional columns are off."),
        "rows": rows,
        "seed": cfg.seed,
        "columns": columns,
    }
    if correlations:
        schema["correlations"] = [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in correlations.items()]
        if cfg.calibrate:
            # No conditioned columns here (structure found by search is off), so no scores within cases: every
            # column calibrates on its whole margin, as generated from the private schema.
            margins = schema_margins(schema, {c: learned[c] for c in with_codes}, cfg.seed)
            if all(c in margins for pair in correlations for c in pair):
                schema["correlations"] = calibrate(correlations, margins, cfg.seed)
    return schema


def _sample(codes: np.ndarray, limit: int = 200_000) -> np.ndarray:
    """Kendall's tau is O(n log n) but not free: a fixed, data-independent prefix bounds the cost."""
    return codes[:limit].astype(float)


def _learn_private(name: str, series: pd.Series, eps: float, delta: float, rows: int, cfg: Any,
                   rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray | None, str]:
    eps_nulls, eps_values = eps / 4, 3 * eps / 4
    null_share = min(1.0, max(0.0, dp.noisy_count(int(series.isna().sum()), eps_nulls, rng) / rows))
    values = series.dropna()
    found = infer_column(series, inference_config(cfg))
    kind = found.kind
    spec: dict[str, Any] = {"name": name}
    codes: np.ndarray | None = None
    if kind is ColumnKind.NUMERIC:
        numbers = pd.to_numeric(values.astype(str) if not pd.api.types.is_numeric_dtype(values) else values, errors="coerce").dropna().to_numpy(float)
        spec.update(_numeric(numbers, eps_values, delta, cfg, rng))
        codes = pd.to_numeric(series, errors="coerce").to_numpy(float)
    elif kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        text = values.astype(str)
        keys, counts = dp.stable_histogram(text.to_numpy(dtype=object).astype(str), eps_values, delta, rng)
        order = np.argsort(-counts, kind="stable")
        keys, counts = keys[order], counts[order]
        if kind is ColumnKind.BOOLEAN and set(keys) <= {"True", "False", "true", "false"} and len(keys):
            true = float(sum(c for k, c in zip(keys, counts) if k.lower() == "true"))
            spec.update({"kind": "boolean", "probability": round(true / max(counts.sum(), 1e-9), 4)})
            codes = series.astype(str).str.lower().map({"true": 1.0, "false": 0.0}).to_numpy(dtype=float)
        elif len(keys):
            spec.update({"kind": "choice", "values": {str(k): max(1, int(round(c))) for k, c in zip(keys, counts)}})
            position = {str(k): i for i, k in enumerate(keys)}
            codes = series.astype(str).map(position).to_numpy(dtype=float)
        else:
            spec.update(_nothing_released())
    elif kind.is_temporal:
        spec.update(_temporal(values, kind, found.format, eps_values, delta, cfg, rng))
        if spec.get("kind") in ("date", "datetime"):
            codes = to_seconds(series, found.format).to_numpy(dtype=float)
    else:
        spec.update(_identifier(values.astype(str), found, eps_values, delta, rng))
    if null_share > 0.0005 and "nulls" not in spec:
        spec["nulls"] = round(null_share, 4)
    return spec, codes, kind


def _nothing_released() -> dict[str, Any]:
    return {"kind": "choice", "values": ["?"], "nulls": 1.0,
            "description": "no value was common enough to release under the privacy budget"}


def _numeric(v: np.ndarray, eps: float, delta: float, cfg: Any, rng: np.random.Generator) -> dict[str, Any]:
    whole = bool(len(v)) and bool(np.all(v == np.round(v)))
    # Whole-number codes and counts get a bin each; wide-ranging numbers share fixed relative bins.
    exact = whole and len(np.unique(v)) <= 1000
    keys = np.round(v).astype(np.int64) if exact else dp.symlog_bins(v)
    distinct, counts = dp.stable_histogram(keys, eps, delta, rng)
    if len(distinct) == 0:
        return _nothing_released()
    kind = "integer" if whole else "float"
    if exact and len(distinct) <= 20:
        return {"kind": "integer", "distribution": "weighted",
                "values": {int(k): max(1, int(round(c))) for k, c in zip(distinct, counts)}}
    if exact:
        lo, hi = distinct - 0.5, distinct + 0.5
    else:
        lo, hi = dp.bin_edges(distinct)
    k = int(min(cfg.knots, max(11, counts.sum() // 50)))
    knots = dp.quantiles_from_histogram(lo, hi, counts, np.linspace(cfg.tail, 1 - cfg.tail, k))
    out: dict[str, Any] = {"kind": kind, "distribution": "quantiles", "quantiles": [_short(x) for x in knots],
                           "min": _short(knots[0]), "max": _short(knots[-1])}
    if whole:
        out["min"], out["max"] = int(math.floor(knots[0])), int(math.ceil(knots[-1]))
        if out["min"] == out["max"]:
            out["max"] += 1
    return out


def _short(x: float) -> float:
    return plain_number(significant(float(x), 6))


def _temporal(values: pd.Series, kind: ColumnKind, fmt: str | None, eps: float, delta: float, cfg: Any,
              rng: np.random.Generator) -> dict[str, Any]:
    """``fmt``: the text format of the values (None for timestamps)."""
    seconds = to_seconds(values, fmt).dropna().to_numpy().astype(np.int64)
    spec: dict[str, Any] = {"kind": kind.value}
    if kind is ColumnKind.TIME:
        minutes, counts = dp.stable_histogram((seconds % 86400) // 60, eps, delta, rng)
        if len(minutes) == 0:
            return _nothing_released()
        lo, hi = dp.quantiles_from_histogram(minutes.astype(float), minutes + 1.0, counts, np.array([cfg.tail, 1 - cfg.tail]))
        spec.update({"start": _hm(int(lo)), "end": _hm(int(hi)), "step": "1m"})
        hours = np.bincount(minutes // 60, weights=np.maximum(counts, 0), minlength=24)
        spec["hour_profile"] = {h: round(float(w / max(hours.mean(), 1e-9)), 3) for h, w in enumerate(hours)}
        if fmt not in (None, "%H:%M:%S"):
            spec["format"] = fmt
        return spec
    # Dates and datetimes: months (range, year and month shape), weekdays and, for datetimes, hours:
    # histograms over few keys, so each key holds many rows and survives the noise.
    parts = 3 if kind == "datetime" else 2
    day = seconds // 86400
    month_index = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    months, month_counts = dp.stable_histogram(month_index, eps / parts, delta, rng)
    if len(months) == 0:
        return _nothing_released()
    lo, hi = dp.quantiles_from_histogram(months.astype(float), months + 1.0, month_counts, np.array([cfg.tail, 1 - cfg.tail]))
    first_month, last_month = int(lo), int(hi)
    first = int(np.datetime64(first_month, "M").astype("datetime64[D]").astype(np.int64))
    last = int(np.datetime64(last_month + 1, "M").astype("datetime64[D]").astype(np.int64)) - 1
    if kind is ColumnKind.DATE:
        spec.update({"start": str(np.datetime64(first, "D")), "end": str(np.datetime64(last, "D"))})
        if fmt not in (None, "%Y-%m-%d"):
            spec["format"] = fmt
    else:
        spec.update({"start": str(np.datetime64(first, "D")) + " 00:00:00", "end": str(np.datetime64(last, "D")) + " 23:59:59"})
        steps = seconds % 86400
        spec["step"] = "1d" if np.all(steps == 0) else "1s"  # the resolution is format metadata
        if fmt not in (None, "%Y-%m-%d %H:%M:%S"):
            spec["format"] = fmt
        if spec["step"] != "1d":
            hours, hour_counts = dp.stable_histogram(steps // 3600, eps / parts, delta, rng)
            weights = np.zeros(24)
            weights[hours] = np.maximum(hour_counts, 0)
            if weights.sum() > 0:
                spec["hour_profile"] = {h: round(float(w / weights.mean()), 3) for h, w in enumerate(weights)}
    weekdays, weekday_counts = dp.stable_histogram(weekday(day), eps / parts, delta, rng)
    if len(weekdays):
        rate = np.zeros(7)
        rate[weekdays] = np.maximum(weekday_counts, 0)
        if rate.mean() > 0:
            spec["weekday_profile"] = {WEEKDAYS[i]: round(float(rate[i] / rate.mean()), 3) for i in range(7)}
    # month and year shape from the month histogram, per day of exposure
    kept = (months >= first_month) & (months <= last_month)
    per_month = np.zeros(last_month - first_month + 1)
    per_month[months[kept] - first_month] = np.maximum(month_counts[kept], 0)
    span = np.arange(first_month, last_month + 1)
    month_start = lambda m: m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)  # noqa: E731
    days_in = month_start(span + 1) - month_start(span)
    rate = per_month / days_in
    calendar = span % 12
    by_month = np.bincount(calendar, weights=rate, minlength=12) / np.maximum(np.bincount(calendar, minlength=12), 1)
    if by_month.mean() > 0:
        spec["month_profile"] = {MONTHS[i]: round(float(by_month[i] / by_month[by_month > 0].mean()), 3) for i in range(12) if by_month[i] > 0}
    years = span // 12 + 1970
    if years.max() > years.min():
        y = years - years.min()
        by_year = np.bincount(y, weights=rate) / np.maximum(np.bincount(y), 1)
        if by_year.mean() > 0:
            spec["year_profile"] = {int(years.min() + i): round(float(r / by_year.mean()), 3) for i, r in enumerate(by_year)}
    return spec


def _hm(minute: int) -> str:
    minute = max(0, min(minute, 24 * 60 - 1))
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _identifier(text: pd.Series, found: Inferred, eps: float, delta: float, rng: np.random.Generator) -> dict[str, Any]:
    if found.provider is not None:
        return {"kind": "faker", "provider": found.provider, "description": "identity-like values: regenerated by Faker"}
    if found.kind is ColumnKind.IDENTIFIER and text.map(str.isascii).all():
        shapes, counts = dp.stable_histogram(template(text).to_numpy(dtype=object).astype(str), eps, delta, rng)
        if len(shapes):
            return {"kind": "pattern", "patterns": {str(s): max(1, int(round(c))) for s, c in zip(shapes, counts)},
                    "description": "identifier: regenerated in the same formats"}
    return {"kind": "faker", "provider": "sentence" if found.kind is ColumnKind.TEXT else "word",
            "description": "free text: replaced by Faker text"}
