"""Learn a schema from a real table: ``synth fit real.csv`` writes YAML that generates a faithful twin.

The result is the same kind of schema a person writes, so it can be read, reviewed, edited and versioned:

- **marginals**: numbers as a parametric family when one fits (normal, lognormal, gamma, exponential,
  uniform) or else a smoothed empirical quantile function (which keeps point masses such as many zeros);
  integer codes and small counts as weighted values; categories with their frequencies; dates, datetimes
  and times with their range, step, format and hour/weekday/month/year profiles; identifiers as
  ``pattern``/``sequence`` columns and names, emails, phones as Faker columns (never copied);
- **dependence**: fixed combinations (``product`` -> price, calories) as a ``lookup``; exact formulas
  (``amount = price * quantity``) as ``expression`` columns; everything else through a Gaussian copula
  whose target rank correlations are calibrated (NORTA) so that discrete margins still reach them;
- **privacy guards**, on by default and stated in the schema: categories and combinations seen in fewer
  than ``min_count`` rows are left out, numeric and date ranges are cut at the ``tail`` quantiles rather
  than the real minimum and maximum, identifier-like columns are never learned as categories.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": range(1000), "y": ["a", "b"] * 500})
>>> fitter = SchemaFitter(FitConfig(seed=0)).fit(real, name="demo")
>>> sorted(c["name"] for c in fitter.schema_["columns"])
['x', 'y']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special

from .errors import SynthError
from .yamlsafe import dump_yaml
from .tables import DistinctText, arrow_text, datetime_format, identity_provider, temporal_kind


#: Identity providers whose frequent values (shared by at least k rows) may be kept: names, not emails or phones.
NAME_PROVIDERS = ("first_name", "last_name", "name")

#: Rows generated to measure (and correct) what the copula's correlations become after discrete margins.
CALIBRATION_ROWS = 5_000  # pair-trend scores were the same (within 0.001) from 3,000 to 20,000


@dataclass
class FitConfig:
    """How ``synth fit`` learns. Privacy guards: ``min_count`` (k) and ``tail``."""

    min_count: int = 10  # categories, values and combinations seen in fewer rows are left out
    tail: float = 0.005  # numeric/date ranges end at these quantiles, not at the real extremes
    knots: int = 101  # points of an empirical quantile function (fewer for small tables)
    rule_share: float = 0.999  # a formula or fixed combination must hold on this share of rows
    max_lookup_keys: int = 1000
    max_categories: int = 1000
    seed: int = 0
    calibrate: bool = True
    sample_rows: int | None = None
    epsilon: float | None = None  # differentially private fitting with this total budget
    delta: float = 1e-6  # total delta of the (epsilon, delta) guarantee
    dp_seed: int | None = None  # noise seed; None = fresh OS entropy (keep a given seed secret)


@dataclass
class _Learned:
    """What was learned for one column: its schema entry and, if it joins the copula, its ordinal codes."""

    spec: dict[str, Any]
    codes: np.ndarray | None = None  # numbers whose ranks stand for the column in correlations
    kind: str = ""  # numeric | categorical | boolean | temporal | identifier | text | constant
    present: np.ndarray | None = None  # rows with a value in the real table (None: every row)
    copula_codes: np.ndarray | None = None  # for correlations, when the listed order differs from ``codes``


class SchemaFitter:
    """Fit a schema to a DataFrame; ``schema_`` is the plain-data schema, ``to_yaml()`` its text."""

    def __init__(self, config: FitConfig | None = None) -> None:
        self.config = config or FitConfig()

    # --- the whole table ---------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, name: str = "table", progress: Callable[[str], None] | None = None) -> "SchemaFitter":
        cfg = self.config
        step = progress or (lambda _msg: None)
        _check_table(df)
        if cfg.sample_rows is not None and len(df) > cfg.sample_rows:
            df = df.sample(n=cfg.sample_rows, random_state=cfg.seed).reset_index(drop=True)
        if cfg.epsilon is not None:
            from .fit_private import fit_private

            self.schema_ = fit_private(df, _table_name(name), cfg, step)
            return self
        n = len(df)
        learned: dict[str, _Learned] = {}
        for col in df.columns:
            step(f"column {col}")
            learned[str(col)] = learn_column(str(col), df[col], cfg)
        _order_categories(learned)
        step("fixed combinations")
        lookups = _find_lookups(df, learned, cfg)
        _order_lookup_keys(lookups, learned)
        step("formulas")
        formulas = _find_formulas(df, learned, cfg, taken={c for lk in lookups for c in lk["fields"]})
        formulas.update(_find_date_parts(df, learned, cfg, taken={c for lk in lookups for c in lk["fields"]} | set(formulas)))
        determined = {f for lk in lookups for f in lk["fields"]}
        step("conditional structure")
        root = _choose_root(learned, skip=determined | set(formulas), cfg=cfg)
        conditionals = _conditionals(df, learned, root, skip=determined | set(formulas), cfg=cfg) if root else {}
        columns: list[dict[str, Any]] = []
        for col in map(str, df.columns):
            if col in determined:
                continue
            entry = formulas.get(col) or conditionals.get(col) or learned[col].spec
            columns.extend(entry if isinstance(entry, list) else [entry])
            for lk in lookups:
                if lk["key"] == col:
                    columns.append(_lookup_entry(lk))
        schema: dict[str, Any] = {
            "name": _table_name(name),
            "description": (f"Fitted by synth fit from {n:,} rows. Privacy guards: values, categories and combinations "
                            f"seen in fewer than {cfg.min_count} rows left out; ranges cut at the {cfg.tail:.1%} and "
                            f"{1 - cfg.tail:.1%} quantiles; identifiers and rare names regenerated, never copied."),
            "rows": n,
            "seed": cfg.seed,
            "columns": columns,
        }
        order = [str(c) for c in df.columns]
        if [c for c in _written(columns)] != order:
            schema["column_order"] = order
        step("correlations")
        in_copula = {c: learned[c] for c in order if c not in determined and c not in formulas and learned[c].codes is not None}
        groups = _int_codes(learned[root].codes) if root else None  # type: ignore[arg-type]
        ranked = {c: l.codes if l.copula_codes is None else l.copula_codes for c, l in in_copula.items()}
        codes = {c: (_within_groups(v, groups) if c in conditionals else v) for c, v in ranked.items()}
        targets = _rank_correlations(codes)  # type: ignore[arg-type]
        # A conditional column's within-category ranks average one half in every category, so any rank
        # correlation they show with the category itself is an artifact of ties: its shapes per category say it all.
        targets = {pair: r for pair, r in targets.items() if not (root in pair and set(pair) & set(conditionals))}
        if targets:
            schema["correlations"] = [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in targets.items()]
            if cfg.calibrate:
                step("calibrating correlations")
                schema["correlations"] = _calibrate(targets, codes, cfg.seed, root, set(conditionals))  # type: ignore[arg-type]
        self.schema_ = schema
        return self

    def to_yaml(self) -> str:
        header = "# Learned by `synth fit`. Review it, edit it, then: synth generate <this file> --rows N\n"
        return header + dump_yaml(self.schema_)


def _check_table(df: pd.DataFrame) -> None:
    if df.shape[1] == 0 or len(df) == 0:
        raise SynthError("the table is empty: nothing to learn from")
    if df.shape[1] < 2:
        raise SynthError("the table has a single column; fit needs at least two to learn how columns relate")
    dupes = [c for c in df.columns[df.columns.duplicated()]]
    if dupes:
        raise SynthError(f"column name {dupes[0]!r} appears twice in the header")
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if len(empty) == df.shape[1]:
        raise SynthError("every column is empty")


def _table_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.-")
    return cleaned or "table"


def _written(columns: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in columns:
        if c.get("kind") == "lookup":
            out.extend(c["fields"])
        elif not c.get("hidden"):
            out.append(c["name"])
    return out


# --- one column -------------------------------------------------------------------------------
def learn_column(name: str, series: pd.Series, cfg: FitConfig) -> _Learned:
    """Learn one column's schema entry from its values."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        if not np.isnan(numbers).all():
            return _learn_number_column(name, numbers, cfg)
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        present = series.notna().to_numpy()
        if not present.any():
            return _empty_column(name)
        values = series[present]
        if pd.api.types.is_bool_dtype(values):
            learned = _learn_boolean(name, values.to_numpy(dtype=bool))
        else:
            stamps = pd.to_datetime(values)
            midnight = bool((stamps.dt.normalize() == stamps).all())
            learned = _learn_temporal(name, stamps, None, "date" if midnight else "datetime", cfg)
        return _with_nulls(learned, present, 1 - float(present.mean()))
    text = arrow_text(series)
    present = text.is_valid().to_numpy(zero_copy_only=False)
    if not present.any():
        return _empty_column(name)
    return _with_nulls(*_learn_from_text(name, DistinctText.of_arrow(text.drop_null()), present, cfg))


def _empty_column(name: str) -> _Learned:
    return _Learned({"name": name, "kind": "choice", "values": ["?"], "nulls": 1.0,
                     "description": "empty in the real data"}, None, "constant")


def _learn_from_text(name: str, distinct: DistinctText, present: np.ndarray,
                     cfg: FitConfig) -> tuple[_Learned, np.ndarray, float]:
    """A column held as text: booleans, numbers (with a few placeholder words), dates and times, categories,
    identifiers or free text. Returns what was learned, the rows with values, and the empty share."""
    nulls = 1 - float(present.mean())
    lowered = [str(v).lower() for v in distinct.values] if len(distinct.values) <= 4 else None
    if lowered is not None and set(lowered) <= {"true", "false"}:
        truthy = np.array([v == "true" for v in lowered])
        return _learn_boolean(name, distinct.expand(truthy)), present, nulls
    numbers = _parse_numbers(distinct.arrow())
    not_number = np.isnan(numbers)
    numeric_share = distinct.share(~not_number)
    words = distinct.values[not_number]
    # Numbers with a few placeholder words ("N/A", "unknown") are numbers; the words become empty values.
    if ((numeric_share >= cfg.rule_share or (numeric_share >= 0.95 and len(words) <= 20))
            and not distinct.values.str.match(r"^0\d").any()):
        parsed = distinct.expand(numbers)
        learned = _learn_numeric(name, parsed[~np.isnan(parsed)], cfg)
        learned.codes = parsed
        if numeric_share < 1:
            seen = distinct.counts[not_number]
            shown = [repr(w) for w, c in zip(words, seen) if c >= cfg.min_count][:3]
            learned.spec["description"] = (f"{1 - numeric_share:.2%} of real values were not numbers"
                                           + (f" ({', '.join(shown)})" if shown else "") + ": generated as empty")
            nulls = float(((~present).sum() + (1 - numeric_share) * distinct.rows) / len(present))
    else:
        fmt, share = datetime_format(None, distinct)
        if fmt is not None:
            stamps = distinct.expand(pd.to_datetime(distinct.values, format=fmt, errors="coerce").to_numpy())
            ok = ~np.isnat(stamps)
            learned = _learn_temporal(name, pd.Series(stamps[ok]), fmt, temporal_kind(fmt), cfg)
            aligned = np.full(distinct.rows, np.nan)
            aligned[ok] = learned.codes
            learned.codes = aligned
            if share < 1.0:
                learned.spec["description"] = f"{share:.1%} of real values were in format {fmt!r}; the rest in other formats"
        else:
            learned = _learn_text(name, distinct, cfg, len(present))
    return learned, present, nulls


def _learn_number_column(name: str, numbers: np.ndarray, cfg: FitConfig) -> _Learned:
    """A column held as numbers (NaN = missing), not all missing."""
    finite = np.isfinite(numbers)
    if not finite.any():
        return _Learned({"name": name, "kind": "float", "distribution": "weighted", "values": {0: 1}, "nulls": 1.0,
                         "description": "only infinite values in the real data: generated as empty"}, None, "constant")
    learned = _learn_numeric(name, numbers[finite], cfg)
    learned.codes = np.where(finite, numbers, np.nan)
    learned.present = ~np.isnan(numbers)
    infinite = int(np.count_nonzero(~finite & ~np.isnan(numbers)))
    if infinite:  # a schema cannot hold infinity: those values become empty ones, and the schema says how many
        share = infinite / np.count_nonzero(~np.isnan(numbers))
        learned.spec["description"] = f"{share:.2%} of real values were infinite: generated as empty"
    nulls = 1 - float(finite.mean())
    if nulls > 0:
        learned.spec["nulls"] = round(nulls, 4)
    return learned


def _with_nulls(learned: _Learned, present: np.ndarray, nulls: float) -> _Learned:
    """State the missing share, and align the codes (learned from the present values) with every row."""
    learned.present = present
    if nulls > 0:
        learned.spec["nulls"] = round(nulls, 4)
        if learned.codes is not None:
            full = np.full(len(present), np.nan)
            full[present] = learned.codes
            learned.codes = full
    elif learned.codes is not None and len(learned.codes) != len(present):  # pragma: no cover
        raise AssertionError("codes must align with rows")
    return learned


def _learn_boolean(name: str, truthy: np.ndarray) -> _Learned:
    return _Learned({"name": name, "kind": "boolean", "probability": round(float(truthy.mean()), 4)},
                    truthy.astype(float), "boolean")


def _decimals(v: np.ndarray) -> int | None:
    """Smallest number of decimals that all values have (None if they look continuous)."""
    sample = v[: 20_000]
    for d in range(0, 7):
        scaled = sample * 10**d
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1, np.abs(scaled))):
            return d
    return None


def _learn_numeric(name: str, v: np.ndarray, cfg: FitConfig) -> _Learned:
    """A number column's shape from its finite values."""
    n = len(v)
    decimals = _decimals(v)
    is_int = decimals == 0
    ordered = np.sort(v)  # one sort serves the distinct values, the quantiles and the goodness of fit
    first = np.flatnonzero(_run_starts(ordered))
    distinct, counts = ordered[first], np.diff(np.append(first, n))
    kind = "integer" if is_int else "float"
    if len(distinct) == 1:
        return _Learned({"name": name, "kind": kind, "distribution": "weighted", "values": {_num(distinct[0]): 1}},
                        v, "constant")
    # Codes and small counts (few distinct values, each seen often): exact values with their frequencies.
    if len(distinct) <= cfg.max_categories and len(distinct) <= max(20, n // 20):
        keep = counts >= cfg.min_count
        if keep.sum() >= 1 and counts[keep].sum() >= 0.9 * n:
            weights = {_num(x): int(c) for x, c in zip(distinct[keep], counts[keep])}
            spec = {"name": name, "kind": kind, "distribution": "weighted", "values": weights}
            left = int((~keep).sum())
            if left:
                spec["description"] = f"{left} rare values (fewer than {cfg.min_count} rows each) left out"
            return _Learned(spec, v, "numeric")
    lo, hi = _sorted_quantile(ordered, [cfg.tail, 1 - cfg.tail])
    if lo == hi:
        lo, hi = float(ordered[0]), float(ordered[-1])
    spec: dict[str, Any] = {"name": name, "kind": kind}
    parametric = _best_parametric(ordered, lo, hi)
    if parametric is not None:
        spec.update(parametric)
    else:
        k = int(min(cfg.knots, max(11, n // 5)))
        knots = _sorted_quantile(np.clip(ordered, lo, hi), np.linspace(0, 1, k))
        digits = (decimals if decimals is not None else 6) + 1
        spec["distribution"] = "quantiles"
        spec["quantiles"] = [_num(round(float(x), digits)) for x in knots]
    spec["min"], spec["max"] = _num(_round_out(lo, decimals, down=True)), _num(_round_out(hi, decimals, down=False))
    if kind == "float" and decimals is not None:
        spec["round"] = decimals
    if kind == "integer" and spec.get("distribution") == "quantiles" and spec["min"] == spec["max"]:
        spec["max"] = spec["min"] + 1
    return _Learned(spec, v, "numeric")


def _round_out(x: float, decimals: int | None, down: bool) -> float:
    if decimals is None:
        return float(x)
    f = 10**decimals
    return (math.floor(x * f) if down else math.ceil(x * f)) / f


def _num(x: Any) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before it (and at the start)."""
    out = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        out[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=out[1:])
    return out


def _sorted_quantile(ordered: np.ndarray, q: Any) -> np.ndarray:
    """``np.quantile(values, q)`` (its default linear method, bit for bit) from values sorted already."""
    virtual = np.asarray(q, dtype=float) * (len(ordered) - 1)
    below = np.floor(virtual).astype(np.int64)
    a, b = ordered[below], ordered[np.minimum(below + 1, len(ordered) - 1)]
    t = virtual - below
    return np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)  # numpy's lerp, stable at both ends


def _best_parametric(ordered: np.ndarray, lo: float, hi: float) -> dict[str, Any] | None:
    """A named family whose fit is as good as the data can tell (KS within sampling noise), else None.

    ``ordered``: the values, sorted.
    """
    sample = ordered[np.searchsorted(ordered, lo, "left"):np.searchsorted(ordered, hi, "right")]
    if len(sample) < 50:
        return None
    if len(sample) > 5_000:  # an evenly spread subset (a seeded random one would need sorting again)
        sample = sample[np.linspace(0, len(sample) - 1, 5_000).astype(np.int64)]
    threshold = max(0.01, 1.0 / math.sqrt(len(sample)))
    candidates: list[tuple[float, dict[str, Any]]] = []
    steps = np.arange(len(sample) + 1) / len(sample)
    points = np.concatenate(([lo, hi], sample))  # the truncation bounds and the sample in one evaluation

    def consider(cdf: Callable[[np.ndarray], np.ndarray], spec: dict[str, Any]) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            at = cdf(points)
            a, b = at[0], at[1]
            if not b > a:
                return
            fitted = (at[2:] - a) / (b - a)
        ks = float(max(np.max(steps[1:] - fitted), np.max(fitted - steps[:-1])))  # the KS statistic, no p-value
        candidates.append((ks, spec))

    # CDFs written with scipy.special: building frozen scipy.stats objects costs more than evaluating them.
    mean, std = float(sample.mean()), float(sample.std())
    if std > 0:
        consider(lambda x: special.ndtr((x - mean) / std), {"distribution": "normal", "mean": _sig(mean), "std": _sig(std)})
        consider(lambda x: np.clip((x - lo) / (hi - lo), 0, 1), {"distribution": "uniform"})
    if sample.min() > 0:
        logs = np.log(sample)
        mu, sigma = float(logs.mean()), float(logs.std())
        if sigma > 0:
            consider(lambda x: special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma),
                     {"distribution": "lognormal", "mu": _sig(mu), "sigma": _sig(sigma)})
        shape = mean**2 / std**2 if std > 0 else 0
        if shape > 0:
            scale = std**2 / mean
            consider(lambda x: special.gammainc(shape, np.maximum(x, 0) / scale),
                     {"distribution": "gamma", "shape": _sig(shape), "scale": _sig(scale)})
    if sample.min() >= 0 and mean > 0:
        consider(lambda x: -np.expm1(-np.maximum(x, 0) / mean), {"distribution": "exponential", "scale": _sig(mean)})
    if not candidates:
        return None
    ks, spec = min(candidates, key=lambda c: c[0])
    return spec if ks <= threshold else None


def _sig(x: float, digits: int = 5) -> float:
    """Round to significant digits: readable YAML, no spurious precision."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _learn_categorical(name: str, distinct: DistinctText, cfg: FitConfig, n_rows: int) -> _Learned:
    by_count = np.argsort(-distinct.counts, kind="stable")
    keep = by_count[distinct.counts[by_count] >= cfg.min_count]
    if len(keep) == 0:
        keep = by_count[:1]
    labels = distinct.values.to_numpy()
    spec: dict[str, Any] = {"name": name, "kind": "choice",
                            "values": {str(labels[i]): int(distinct.counts[i]) for i in keep}}
    dropped = len(labels) - len(keep)
    if dropped:
        share = 1 - distinct.counts[keep].sum() / distinct.rows
        spec["description"] = f"{dropped} rare categories (fewer than {cfg.min_count} rows, {share:.1%} of rows) left out"
    order = np.full(len(labels), np.nan)
    order[keep] = np.arange(len(keep))
    return _Learned(spec, distinct.expand(order), "categorical")


def _profile(counts: np.ndarray, exposure: np.ndarray, labels: list[Any]) -> dict[Any, float] | None:
    """Rate per slot (count / opportunities), scaled to mean 1; None when flat within 10%."""
    ok = exposure > 0
    rate = np.where(ok, counts / np.maximum(exposure, 1e-12), 0.0)
    if rate[ok].mean() <= 0:
        return None
    rate = rate / rate[ok].mean()
    if rate[ok].max() - rate[ok].min() < 0.1:
        return None
    return {labels[i]: round(float(rate[i]), 3) for i in range(len(labels)) if ok[i]}


def _learn_temporal(name: str, parsed: pd.Series, fmt: str | None, kind: str, cfg: FitConfig) -> _Learned:
    ts = pd.to_datetime(parsed).dt.tz_localize(None) if getattr(parsed.dt, "tz", None) is not None else pd.to_datetime(parsed)
    seconds = ts.astype("datetime64[s]").astype(np.int64).to_numpy()
    spec: dict[str, Any] = {"name": name, "kind": kind}
    if kind == "time":
        tod = seconds % 86400
        lo, hi = np.quantile(tod, [cfg.tail, 1 - cfg.tail]).astype(int)
        step = _step(tod)
        lo, hi = lo // step * step, hi // step * step
        spec.update({"start": _hms(lo), "end": _hms(hi), "step": _step_text(step)})
        hours = np.bincount(tod // 3600, minlength=24)
        exposure = np.array([max(0, min(hi + 1, (h + 1) * 3600) - max(lo, h * 3600)) for h in range(24)], float)
        prof = _profile(hours, exposure, list(range(24)))
        if prof:
            spec["hour_profile"] = prof
        if fmt not in (None, "%H:%M:%S"):
            spec["format"] = fmt
        return _Learned(spec, tod.astype(float), "temporal")
    days = seconds // 86400
    lo_s, hi_s = np.quantile(seconds, [cfg.tail, 1 - cfg.tail]).astype(np.int64)
    if kind == "date":
        lo_d, hi_d = lo_s // 86400, hi_s // 86400
        spec["start"] = str(np.datetime64(int(lo_d), "D"))
        spec["end"] = str(np.datetime64(int(hi_d), "D"))
        if fmt not in (None, "%Y-%m-%d"):
            spec["format"] = fmt
    else:
        step = _step(seconds)
        lo_s, hi_s = lo_s // step * step, hi_s // step * step
        spec["start"] = str(np.datetime64(int(lo_s), "s")).replace("T", " ")
        spec["end"] = str(np.datetime64(int(hi_s), "s")).replace("T", " ")
        spec["step"] = _step_text(step)
        if fmt not in (None, "%Y-%m-%d %H:%M:%S"):
            spec["format"] = fmt
        hours = np.bincount((seconds % 86400) // 3600, minlength=24)
        prof = _profile(hours, np.ones(24), list(range(24))) if step < 86400 else None
        if prof:
            spec["hour_profile"] = prof
        lo_d, hi_d = lo_s // 86400, hi_s // 86400
    grid = np.arange(lo_d, hi_d + 1)
    inside = (days >= lo_d) & (days <= hi_d)
    d_in = days[inside]
    wd = lambda d: (d + 3) % 7  # noqa: E731  (1970-01-01 was a Thursday)
    prof = _profile(np.bincount(wd(d_in), minlength=7), np.bincount(wd(grid), minlength=7).astype(float),
                    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    if prof:
        spec["weekday_profile"] = prof
    month = lambda d: d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12  # noqa: E731
    prof = _profile(np.bincount(month(d_in), minlength=12), np.bincount(month(grid), minlength=12).astype(float),
                    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
    if prof:
        spec["month_profile"] = prof
    year = lambda d: d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970  # noqa: E731
    years = year(grid)
    if years.max() > years.min():
        y0 = years.min()
        prof = _profile(np.bincount(year(d_in) - y0, minlength=years.max() - y0 + 1),
                        np.bincount(years - y0).astype(float), [int(y0 + i) for i in range(years.max() - y0 + 1)])
        if prof:
            spec["year_profile"] = prof
    return _Learned(spec, seconds.astype(float), "temporal")


def _step(seconds: np.ndarray) -> int:
    for step in (86400, 3600, 60, 1):
        if np.all(seconds % step == 0):
            return step
    return 1


def _step_text(step: int) -> str:
    return {86400: "1d", 3600: "1h", 60: "1m"}.get(step, f"{step}s")


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def _parse_numbers(arr: pa.Array) -> np.ndarray:
    """Each string as a float, NaN where it is not a plain decimal number (Arrow's regex engine: no Python loop)."""
    is_number = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
    out = np.full(len(arr), np.nan)
    picked = np.flatnonzero(is_number.to_numpy(zero_copy_only=False))
    if len(picked):
        out[picked] = pc.cast(pc.utf8_trim_whitespace(arr.take(pa.array(picked))), pa.float64()).to_numpy()
    return out


_SHAPE = str.maketrans({**{c: "\\" + c for c in "#?@*\\"}, **{c: "#" for c in "0123456789"},
                        **{chr(o): "?" for o in range(65, 91)}, **{chr(o): "@" for o in range(97, 123)}})


def _template(text: pd.Series) -> pd.Series:
    """Shape of each value: digits -> #, upper -> ?, lower -> @, other characters kept (escaped)."""
    # str.translate per distinct value is the C-level operation pandas' .str.translate wraps, minus its overhead.
    return pd.Series([v.translate(_SHAPE) for v in text.to_numpy(dtype=object)], index=text.index, dtype=object)


def _learn_text(name: str, distinct: DistinctText, cfg: FitConfig, n_rows: int) -> _Learned:
    counts, values = distinct.counts, distinct.values
    common = counts >= cfg.min_count
    distinct_share = len(values) / distinct.rows
    unique = bool(len(values) == distinct.rows)
    identity = identity_provider(distinct)
    # A category set: few distinct values, each seen often, and not people's names/emails.
    if (identity is None and common.sum() <= cfg.max_categories and distinct.share(common) >= 0.9
            and distinct_share < 0.5):
        return _learn_categorical(name, distinct, cfg, n_rows)
    if identity is not None:
        spec = {"name": name, "kind": "faker", "provider": identity}
        if unique:
            spec["unique"] = True
        spec["description"] = "identity-like values: regenerated by Faker, never copied"
        if not unique and identity in NAME_PROVIDERS and distinct.share(common) >= 0.02:
            # Names shared by at least k rows (Lucy, Max) identify nobody: keep their frequencies.
            top = np.argsort(-counts, kind="stable")[: cfg.max_categories]
            top = top[common[top]]
            spec["common"] = {str(values.iloc[i]): int(counts[i]) for i in top}
            spec["common_share"] = round(float(counts[top].sum() / distinct.rows), 4)
            spec["description"] = (f"names seen in at least {cfg.min_count} rows kept with their frequencies; "
                                   "the rest regenerated by Faker, never copied")
        return _Learned(spec, None, "identifier")
    arrow = pa.array(values.to_numpy(dtype=object), pa.string())
    ascii_values = pc.string_is_ascii(arrow).to_numpy(zero_copy_only=False)
    ascii_rows = distinct.share(ascii_values) * distinct.rows
    digits = pc.match_substring_regex(arrow, r"\d").to_numpy(zero_copy_only=False)
    with_digits = counts[ascii_values & digits].sum() / ascii_rows if ascii_rows else 0.0
    if with_digits >= 0.5 and pc.max(pc.utf8_length(arrow)).as_py() <= 40:
        shapes = pd.Series(counts[ascii_values]).groupby(_template(values[ascii_values]).to_numpy()).sum()
        shapes = shapes.sort_values(ascending=False, kind="stable")
        kept = shapes[shapes >= cfg.min_count]
        if len(kept) and kept.sum() >= 0.8 * distinct.rows and len(kept) <= 50:
            spec = {"name": name, "kind": "pattern", "patterns": {str(k): int(c) for k, c in kept.items()}}
            if unique and _patterns_disjoint(list(kept.index)):
                spec["unique"] = True
            spec["description"] = "identifier: regenerated in the same formats, never copied"
            return _Learned(spec, None, "identifier")
    words = (values.str.count(" ") + 1).to_numpy(dtype=float)
    provider = "sentence" if np.average(words, weights=counts) > 3 else "word"
    spec = {"name": name, "kind": "faker", "provider": provider,
            "description": "free text: replaced by Faker text of similar length, never copied"}
    if provider == "sentence":
        spec["args"] = {"nb_words": max(1, int(round(_weighted_median(words, counts))))}
    return _Learned(spec, None, "text")


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def _patterns_disjoint(patterns: list[str]) -> bool:
    from .columns.pattern import _disjoint, _slots

    slots = [_slots(p) for p in patterns]
    return all(_disjoint(slots[i], slots[j]) for i in range(len(slots)) for j in range(i + 1, len(slots)))


# --- dependence between columns ---------------------------------------------------------------
def _find_lookups(df: pd.DataFrame, learned: dict[str, _Learned], cfg: FitConfig) -> list[dict[str, Any]]:
    """Keys (categorical columns) that fix other columns: product -> price, calories, type."""
    candidates = [c for c, l in learned.items()
                  if l.kind in ("categorical", "numeric") and l.spec.get("kind") in ("choice", "integer")
                  and (l.spec.get("kind") == "choice" or l.spec.get("distribution") == "weighted")]
    others = [c for c, l in learned.items() if l.kind in ("categorical", "numeric", "boolean")]
    codes = {c: _factorized(df[c]) for c in set(candidates) | set(others)}
    used: set[str] = set()
    found: list[dict[str, Any]] = []
    scored = []
    for key in candidates:
        card = len(codes[key][1])
        if card < 2 or card > cfg.max_lookup_keys:
            continue
        # A key with `card` values can fix at most card + (1 - rule_share) * n distinct values of another column.
        most = card + (1 - cfg.rule_share) * len(df)
        fields = [b for b in others if b != key and 2 <= len(codes[b][1]) <= most
                  and _majority(codes[key][0], codes[b][0], len(codes[b][1]))[0] >= cfg.rule_share]
        if fields:
            scored.append((len(fields), -card, key, fields))
    for _, _, key, fields in sorted(scored, reverse=True):
        if key in used:
            continue
        fields = [f for f in fields if f not in used and f != key]
        if not fields:
            continue
        key_codes, key_values = codes[key]
        allowed = {str(k) for k in learned[key].spec.get("values", {})}
        keep = [i for i, v in enumerate(key_values) if str(_plain(v)) in allowed]
        if not keep:
            continue
        columns = {key: [_plain(key_values[i]) for i in keep]}
        held = 1.0
        for f in fields:
            share, best = _majority(key_codes, codes[f][0], len(codes[f][1]))
            held = min(held, share)
            values = codes[f][1]
            columns[f] = [_plain(values[best[i]]) if best[i] >= 0 else None for i in keep]
        found.append({"key": key, "fields": fields, "records": pd.DataFrame(columns), "share": held})
        used.update([key, *fields])
    return found


def _factorized(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values, once per column."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _majority(a: np.ndarray, b: np.ndarray, nb: int) -> tuple[float, np.ndarray]:
    """Share of rows whose ``b`` is the most common ``b`` of their ``a``, and that ``b`` for each ``a``.

    A share near 1 means ``a`` fixes ``b`` (the minority rows are the rule's violations).
    """
    ok = (a >= 0) & (b >= 0)
    na = int(a.max()) + 1 if len(a) else 0
    best = np.full(na, -1, dtype=np.int64)
    if not ok.any():
        return 0.0, best
    if na * nb <= 1 << 22:  # the contingency table fits: count it in one pass
        table = _contingency(a[ok], na, b[ok], nb)
        top = table.max(axis=1)
        best = np.where(top > 0, table.argmax(axis=1), -1)  # first b on ties
        return float(top.sum() / ok.sum()), best
    pairs, counts = np.unique(a[ok] * nb + b[ok], return_counts=True)
    groups = pairs // nb
    starts = np.flatnonzero(_run_starts(groups))
    top = np.maximum.reduceat(counts, starts)
    order = np.lexsort((-counts, groups))
    first = order[_run_starts(groups[order])]
    best[groups[first]] = pairs[first] % nb
    return float(top.sum() / ok.sum()), best


def _lookup_entry(lk: dict[str, Any]) -> dict[str, Any]:
    records = []
    for row in lk["records"].to_dict(orient="records"):
        records.append({k: _plain(v) for k, v in row.items()})
    return {"name": f"{lk['key']}_facts", "kind": "lookup", "key": lk["key"], "fields": lk["fields"],
            "records": records,
            "description": f"values that go with each {lk['key']} on {lk['share']:.2%} of real rows (the rest are exceptions)"}


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (np.integer, np.floating)):
        return _num(v)
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return str(v)


def _find_formulas(df: pd.DataFrame, learned: dict[str, _Learned], cfg: FitConfig, taken: set[str]) -> dict[str, dict[str, Any]]:
    """Numeric columns that are exactly ``b * c``, ``b + c``, ``b - c`` or ``b / c`` of two others (after rounding)."""
    numeric = [c for c, l in learned.items() if l.kind == "numeric" and pd.api.types.is_numeric_dtype(df[c])]
    if len(numeric) < 3 or len(numeric) > 40:
        return {}
    numbers = {c: learned[c].codes for c in numeric}  # the parsed values, NaN where missing
    complete = np.flatnonzero(~np.isnan(np.vstack(list(numbers.values()))).any(axis=0))
    if len(complete) < 20:
        return {}
    screen = {c: v[complete[:2000]] for c, v in numbers.items()}  # type: ignore[index]
    found: dict[str, dict[str, Any]] = {}
    ops = {"*": np.multiply, "+": np.add, "-": np.subtract, "/": np.divide}
    position = {c: i for i, c in enumerate(numeric)}
    # Inputs usually come before what is computed from them: try those formulas first.
    for inputs_first in (True, False):
        for a in reversed(numeric):
            if a in taken or a in found:
                continue

            def allowed(x: str, y: str, a: str = a, first: bool = inputs_first) -> bool:
                return not first or (position[x] < position[a] and position[y] < position[a])

            entry = _formula_for(numbers, screen, learned[a].spec, a, numeric, ops, found, cfg, allowed)  # type: ignore[arg-type]
            if entry is not None:
                found[a] = entry
    return found


def _contingency(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> np.ndarray:
    """Counts of each (a, b) pair of codes (no missing values) as an na x nb table, in one pass."""
    return np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb)


def _cramers_v(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> float:
    """Cramer's V of two code arrays (-1 = missing), from their contingency table."""
    ok = (a >= 0) & (b >= 0)
    if ok.sum() < 30:
        return 0.0
    table = _contingency(a[ok], na, b[ok], nb).astype(float)
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


def _int_codes(codes: np.ndarray) -> np.ndarray:
    """Category positions as integers, -1 where missing or left out."""
    return np.where(np.isnan(codes), -1, codes).astype(np.int64)


def _choose_root(learned: dict[str, _Learned], skip: set[str], cfg: FitConfig) -> str | None:
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
            as_ranks[c] = _average_ranks(codes)
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


def _conditionals(df: pd.DataFrame, learned: dict[str, _Learned], root: str, skip: set[str],
                  cfg: FitConfig) -> dict[str, dict[str, Any]]:
    """Per-category marginals of every numeric/category column given ``root`` (rare categories: the overall one)."""
    out: dict[str, dict[str, Any]] = {}
    names = [str(k) for k in learned[root].spec["values"]]
    groups = _int_codes(learned[root].codes)  # type: ignore[arg-type]
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
        value_codes = _value_positions(l)
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
                spec = _learn_numeric(col, values, cfg).spec if l.kind == "numeric" else _learn_boolean(col, values).spec
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


def _value_positions(l: _Learned) -> np.ndarray | None:
    """For a column learned as a list of values (categories, weighted numbers): each row's position in it."""
    if l.codes is None:
        return None
    if l.spec.get("kind") == "choice":
        return _int_codes(l.codes)
    if l.spec.get("distribution") == "weighted":
        keys = np.asarray([float(k) for k in l.spec["values"]])
        order = np.argsort(keys)
        at = np.clip(np.searchsorted(keys[order], l.codes), 0, len(keys) - 1)
        found = keys[order][at] == l.codes
        return np.where(found, order[at], -1)
    return None


def _within_groups(codes: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
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
    new_group = _run_starts(sg)
    new_run = _run_starts(sv) | new_group
    run_start = np.flatnonzero(new_run)
    run_end = np.append(run_start[1:], n)
    run_mid = (run_start + run_end - 1) / 2  # average position of tied values
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    ranked = np.empty(n)
    ranked[order] = (run_mid[np.cumsum(new_run) - 1] - group_start + 1) / np.bincount(sg)[sg]
    out[ok] = ranked
    return out


def _order_categories(learned: dict[str, _Learned]) -> None:
    """List each category set in the order that best lines up with the numbers (a copula sees order only).

    Categories are sorted by the mean, within each category, of the first principal component of the
    numeric columns' normal scores: e.g. penguin species from light to heavy. With no numbers, by frequency.
    """
    numeric = [l.codes for l in learned.values() if l.kind in ("numeric", "temporal") and l.codes is not None]
    reference, rows = _principal_scores(numeric)
    if reference is None:
        return
    for l in learned.values():
        if l.spec.get("kind") == "choice" and l.codes is not None:
            _order_values(l, _int_codes(l.codes), reference, rows)


def _order_lookup_keys(lookups: list[dict[str, Any]], learned: dict[str, _Learned]) -> None:
    """List each lookup key's values in the order of the numbers they fix (products by price, occupations
    by prestige): those numbers leave the copula with the lookup, so the key's order is how they still
    correlate with everything else (prestige with income). Keys that are number codes get that order too."""
    for lk in lookups:
        key = learned[lk["key"]]
        fixed = [learned[f].codes for f in lk["fields"] if learned[f].kind in ("numeric", "temporal")
                 and learned[f].codes is not None]
        positions = _value_positions(key)
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
    ranks = np.column_stack([_average_ranks(c[rows], pct=True) for c in numeric])
    scores = special.ndtri(np.clip(ranks, 0.001, 0.999))
    scores = np.where(np.isnan(scores), 0.0, scores)
    if scores.shape[1] == 1:
        return scores[:, 0], rows
    centred = scores - scores.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[0], rows


def _order_values(l: _Learned, positions: np.ndarray, reference: np.ndarray, rows: np.ndarray) -> None:
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


def _formula_for(numbers: dict[str, np.ndarray], screen: dict[str, np.ndarray], spec: dict[str, Any], a: str,
                 numeric: list[str], ops: dict[str, Any], found: dict[str, Any], cfg: FitConfig,
                 allowed: Callable[[str, str], bool]) -> dict[str, Any] | None:
    """The first ``x op y`` that equals column ``a`` (after its rounding) on ``rule_share`` of rows, as an entry."""
    if "round" in spec or spec["kind"] == "integer":
        decimals = spec.get("round", 0)
    else:
        decimals = _decimals(numbers[a][np.isfinite(numbers[a])])
    tol = 0.5 * 10.0 ** (-(decimals if decimals is not None else 6)) + 1e-9
    target = screen[a]
    # All pairs at once on the first 64 screening rows; only the survivors are checked in full, in the order
    # the pairs are listed (so the first formula found does not depend on how the search is vectorized).
    head = np.vstack([screen[c][:64] for c in numeric])
    candidates = []
    for rank, (sym, op) in enumerate(ops.items()):
        with np.errstate(divide="ignore", invalid="ignore"):
            close = np.abs(op(head[:, None, :], head[None, :, :]) - target[:64]) <= tol
        # Lenient here (a rule may miss a few of these rows); the full check below applies rule_share.
        for xi, yi in zip(*np.nonzero(close.mean(axis=2) >= 0.9)):
            if (sym in "*+" and xi > yi) or (sym in "-/" and xi == yi):
                continue  # x * y is y * x; x - x and x / x are no formulas
            candidates.append((min(xi, yi), max(xi, yi), rank, int(xi > yi), numeric[xi], sym, numeric[yi], op))
    for *_, x, sym, y, op in sorted(candidates, key=lambda t: t[:4]):
        if a in (x, y) or x in found or y in found or not allowed(x, y):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = op(screen[x], screen[y])
        if np.mean(np.abs(target - guess) <= tol) < cfg.rule_share:
            continue
        full = ~(np.isnan(numbers[a]) | np.isnan(numbers[x]) | np.isnan(numbers[y]))
        with np.errstate(divide="ignore", invalid="ignore"):
            made = op(numbers[x][full], numbers[y][full])
        share = float(np.mean(np.abs(numbers[a][full] - made) <= tol))
        if share < cfg.rule_share:
            continue
        expr = f"{x} {sym} {y}" if decimals is None else f"round({x} {sym} {y}, {decimals})"
        entry: dict[str, Any] = {"name": a, "kind": "expression", "expr": expr}
        if spec["kind"] == "integer":
            entry["type"] = "integer"
        entry["description"] = f"{a} = {x} {sym} {y} held on {share:.2%} of real rows"
        if "nulls" in spec:
            entry["nulls"] = spec["nulls"]
        return entry
    return None


def _find_date_parts(df: pd.DataFrame, learned: dict[str, _Learned], cfg: FitConfig, taken: set[str]) -> dict[str, Any]:
    """Columns that are a part of a date column (year, month, day, hour, weekday name): expressions.

    Parts and names are computed once per distinct timestamp and compared through integer codes.
    """
    found: dict[str, Any] = {}
    temporal = [c for c, l in learned.items() if l.spec.get("kind") in ("date", "datetime") and l.codes is not None]
    n = len(df)
    screen = np.arange(n) if n <= 20_000 else np.sort(np.random.default_rng(cfg.seed).choice(n, 20_000, replace=False))
    for t in temporal:
        seconds = learned[t].codes
        assert seconds is not None
        has_t = ~np.isnan(seconds)
        distinct, inverse = np.unique(seconds[has_t], return_inverse=True)
        at = np.full(n, -1, dtype=np.int64)  # row -> its distinct timestamp
        at[has_t] = inverse.ravel()
        stamps = pd.DatetimeIndex(pd.to_datetime(distinct, unit="s"))
        parts: dict[str, np.ndarray] = {
            f"year({t})": stamps.year.to_numpy(), f"month({t})": stamps.month.to_numpy(), f"day({t})": stamps.day.to_numpy(),
            f"weekday({t})": stamps.day_of_week.to_numpy(), f"quarter({t})": stamps.quarter.to_numpy(),
        }
        if learned[t].spec["kind"] == "datetime":
            parts[f"hour({t})"] = stamps.hour.to_numpy()
        days, day_of = np.unique(stamps.normalize().to_numpy(), return_inverse=True)  # names once per day
        names = {f'format({t}, "{f}")': pd.DatetimeIndex(days).strftime(f).to_numpy(dtype=object)[day_of.ravel()]
                 for f in ("%a", "%A", "%b", "%B")}
        for col, l in learned.items():
            if col == t or col in taken or col in found:
                continue
            if l.spec.get("kind") == "integer" and pd.api.types.is_numeric_dtype(df[col]):
                real = df[col].to_numpy(float)
                both = (at >= 0) & ~np.isnan(real)
                if both.sum() < 20:
                    continue
                few = screen[both[screen]]
                rows = np.flatnonzero(both)
                for expr, part in parts.items():
                    if np.mean(part[at[few]] == real[few]) < cfg.rule_share:
                        continue
                    if np.mean(part[at[rows]] == real[rows]) >= cfg.rule_share:
                        found[col] = {"name": col, "kind": "expression", "expr": expr, "type": "integer"}
                        break
            elif l.spec.get("kind") == "choice":
                label, labels = pd.factorize(df[col].astype(str).where(df[col].notna(), None), use_na_sentinel=True)
                label = np.asarray(label, dtype=np.int64)
                both = (at >= 0) & (label >= 0)
                if both.sum() < 20 or _majority(at[both], label[both], len(labels))[0] < cfg.rule_share:
                    continue  # not a function of the timestamp at all
                index = pd.Index(labels)
                for expr, text in names.items():
                    as_label = index.get_indexer(text)  # -1 where that name never appears in the column
                    if np.mean(as_label[at[both]] == label[both]) >= cfg.rule_share:
                        found[col] = {"name": col, "kind": "expression", "expr": expr}
                        break
                else:  # labels of our own (Tues, Thurs): a lookup from the weekday or month number
                    for expr in (f"weekday({t})", f"month({t})"):
                        key = parts[expr][at[both]]
                        share, best = _majority(key, label[both], len(labels))
                        if share >= cfg.rule_share:
                            helper = f"{col}_{expr.split('(')[0]}"
                            records = [{helper: int(k), col: str(labels[b])} for k, b in enumerate(best) if b >= 0]
                            found[col] = [
                                {"name": helper, "kind": "expression", "expr": expr, "type": "integer", "hidden": True},
                                {"name": f"{col}_labels", "kind": "lookup", "key": helper, "fields": [col], "records": records,
                                 "description": f"{col} is a label of {expr} in the real data"},
                            ]
                            break
            if col in found and isinstance(found[col], dict):
                found[col]["description"] = f"{col} = {found[col]['expr']} in the real data"
                if "nulls" in l.spec:
                    found[col]["nulls"] = l.spec["nulls"]
    return found


def _average_ranks(x: np.ndarray, pct: bool = False) -> np.ndarray:
    """Ranks 1..n with ties averaged (NaN stays NaN), like ``Series.rank()`` but sorting only distinct values.

    >>> _average_ranks(np.array([10.0, 5.0, 10.0, np.nan]))
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


def _rank_correlations(codes: dict[str, np.ndarray], floor: float = 0.03) -> dict[tuple[str, str], float]:
    """Spearman correlation of every pair (pairwise complete rows); tiny ones are left out."""
    names = list(codes)
    if len(names) < 2 or len(next(iter(codes.values()))) < 20:  # too few rows to say anything about ranks
        return {}
    ranks = np.column_stack([_average_ranks(np.asarray(v, dtype=float)) for v in codes.values()])
    if np.isnan(ranks).any():
        corr = pd.DataFrame(ranks).corr(method="pearson", min_periods=20).to_numpy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.corrcoef(ranks, rowvar=False)
    out = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) >= floor:
                out[(names[i], names[j])] = float(np.clip(r, -0.99, 0.99))
    return out


def _calibrate(targets: dict[tuple[str, str], float], margins: dict[str, np.ndarray], seed: int,
               root: str | None = None, conditional: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """NORTA ("normal to anything", Cario & Nelson 1997): the copula correlations whose output hits the targets.

    Ties and few distinct values weaken a Gaussian copula's rank correlation once its normal scores go
    through a discrete margin (a two-valued column cannot reach a rank correlation of 1). The output is
    measured by pushing up to ``CALIBRATION_ROWS`` correlated normal rows through each column's margin (the
    empirical distribution of its codes in ``margins``; for a ``conditional`` column, the distribution in
    the row's ``root`` category), and each target is scaled until the output hits it. The same normal
    rows serve every round, so the corrections converge instead of chasing sampling noise.
    """
    from .engine import _psd_cholesky
    from .schema import normal_correlation

    rows = len(next(iter(margins.values()))) if margins else 0
    # The simulation's own error shrinks with its rows; once well below the targets' (about 1/sqrt(rows)),
    # more rows change nothing: small tables need fewer.
    n = int(np.clip(5 * rows, 1_000, CALIBRATION_ROWS))
    rng = np.random.default_rng(seed)
    wanted = {c for pair in targets for c in pair} | ({root} if conditional else set())
    columns = {c: v for c, v in margins.items() if c in wanted and np.count_nonzero(~np.isnan(v)) >= 2}
    tables = _margin_tables(columns, n, rng, root, conditional)
    names = list(tables)
    index = {c: i for i, c in enumerate(names)}
    by_root = root in tables and any(t.shape[0] > 1 for t in tables.values())
    # Root categories are drawn independently of conditional columns (no such targets), so the mixture of
    # per-category margins each conditional column makes is known up front: so are its values' ranks.
    share = None
    if by_root:
        categories = max(t.shape[0] for t in tables.values())
        share = np.bincount(tables[root][0].astype(np.int64), minlength=categories)[:, None] / n
    ranks = {c: _mid_ranks(t, share if t.shape[0] > 1 else None) for c, t in tables.items()}
    white = rng.standard_normal((len(names), n))  # one row per column, as np.corrcoef takes them
    # Whitened, so the rows' own correlation is exactly the identity: what is left to correct is the margins'.
    white -= white.mean(axis=1, keepdims=True)
    if len(names) > 1:
        white = np.linalg.solve(np.linalg.cholesky(np.cov(white)), white)
    current = {pair: r for pair, r in targets.items() if pair[0] in index and pair[1] in index}
    # No use correcting below the targets' own sampling error (a rank correlation's is about 1/sqrt(rows)).
    tolerance = max(0.005, 0.5 / math.sqrt(max(rows, 1)))
    for _ in range(5):
        if not current:
            break
        r = np.eye(len(names))
        for (a, b), rank in current.items():
            r[index[a], index[b]] = r[index[b], index[a]] = normal_correlation(round(rank, 4))
        # Each row of z has mean 0 and variance 1 exactly, so its normal CDF stands in for its rank (no sort).
        slot = np.minimum((special.ndtr(_psd_cholesky(r) @ white) * n).astype(np.int64), n - 1)
        made = np.empty((len(names), n))
        category = tables[root][0, slot[index[root]]].astype(np.int64) if by_root else None
        for i, c in enumerate(names):
            made[i] = ranks[c][category if ranks[c].shape[0] > 1 else 0, slot[i]]
        with np.errstate(divide="ignore", invalid="ignore"):
            realized = np.corrcoef(made)
        off = 0.0
        for (a, b), want in targets.items():
            got = realized[index[a], index[b]] if (a, b) in current else np.nan
            if not np.isfinite(got) or abs(got) < 0.02 or np.sign(got) != np.sign(want):
                continue
            off = max(off, abs(got - want))
            current[(a, b)] = min(0.99, max(-0.99, current[(a, b)] * want / float(got)))
        if off < tolerance:
            break
    current = {pair: current.get(pair, r) for pair, r in targets.items()}
    return [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in current.items()]


def _margin_tables(columns: dict[str, np.ndarray], n: int, rng: np.random.Generator, root: str | None,
                   conditional: frozenset[str] | set[str]) -> dict[str, np.ndarray]:
    """Each column's margin at ``n`` evenly spaced ranks: one row, or one row per ``root`` category for a
    conditional column (its distribution within that category; the pooled one where it has no values)."""
    rows = len(next(iter(columns.values()))) if columns else 0
    sample = np.sort(rng.choice(rows, 50_000, replace=False)) if rows > 50_000 else slice(None)
    groups = _int_codes(columns[root][sample]) if conditional and root in columns else None
    slots = (np.arange(n) + 0.5) / n

    def at_slots(values: np.ndarray) -> np.ndarray:
        q = np.sort(values[~np.isnan(values)])
        return q[(slots * len(q)).astype(np.int64)]

    tables: dict[str, np.ndarray] = {}
    for c, codes in columns.items():
        codes = codes[sample]
        if groups is not None and c in conditional:
            pooled = at_slots(codes)
            tables[c] = np.vstack([at_slots(codes[groups == g]) if np.any(~np.isnan(codes[groups == g])) else pooled
                                   for g in range(groups.max() + 1)])
        else:
            tables[c] = at_slots(codes)[None, :]
    return tables


def _mid_ranks(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Each entry's mid-rank (the weight below its value plus half its ties') when row g of ``values`` has
    weight ``weights[g]`` per entry: ranks of a mixture, without drawing from it."""
    flat = values.ravel()
    w = np.ones(flat.shape) if weights is None else np.broadcast_to(weights, values.shape).ravel()
    order = np.argsort(flat, kind="stable")  # each row is sorted already: a merge of sorted runs
    ordered = flat[order]
    run = np.cumsum(_run_starts(ordered)) - 1
    mass = np.bincount(run, weights=w[order])
    out = np.empty(flat.shape)
    out[order] = ((np.cumsum(mass) - mass / 2) / mass.sum())[run]
    return out.reshape(values.shape)


def _schema_margins(schema: dict[str, Any], learned: dict[str, _Learned], seed: int) -> dict[str, np.ndarray]:
    """Each column's codes in ``CALIBRATION_ROWS`` rows generated from ``schema`` (margins only, no copula).

    For a differentially private fit: calibrating on these instead of the real codes is post-processing of
    the private schema, so it costs no privacy budget.
    """
    from .engine import Plan
    from .schema import Schema

    base = {k: v for k, v in schema.items() if k not in ("column_order", "correlations")}
    base["columns"] = [c for c in schema["columns"] if c["name"] in learned]
    try:
        made = Plan(Schema.from_dict(base), rows=CALIBRATION_ROWS, seed=seed).working_values(0)
    except SynthError:
        return {}
    return {c: _codes_of(made[c], l) for c, l in learned.items() if c in made}


def _codes_of(values: pa.Array, learned: _Learned) -> np.ndarray:
    """Encode generated working values (before formatting) the way the real column was encoded."""
    kind = learned.spec["kind"]
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if kind == "choice":
        encoded = pc.dictionary_encode(pc.cast(values, pa.string()))
        order = {str(k): i for i, k in enumerate(learned.spec["values"])}
        position = np.array([order.get(t, np.nan) for t in encoded.dictionary.to_pylist()] + [np.nan])
        return position[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)]
    if pa.types.is_date32(values.type):
        return pc.cast(values, pa.int32()).to_numpy(zero_copy_only=False).astype(float) * 86400
    if pa.types.is_time32(values.type) or pa.types.is_timestamp(values.type):
        seconds = pc.cast(values, pa.int32() if pa.types.is_time32(values.type) else pa.int64())
        return seconds.to_numpy(zero_copy_only=False).astype(float)
    # Unsafe cast: integers beyond 2**53 only lose precision, which ranks do not notice.
    return pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False)


def fit_table(df: pd.DataFrame, name: str = "table", **options: Any) -> dict[str, Any]:
    """Convenience: ``SchemaFitter(FitConfig(**options)).fit(df, name).schema_``."""
    return SchemaFitter(FitConfig(**options)).fit(df, name=name).schema_
