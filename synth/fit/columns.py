"""One column at a time: its shape (marginal) and the codes that stand for it in correlations.

The column's kind comes from :func:`synth.inference.infer_column` (the rules ``synth audit`` uses too). Numbers
get a parametric family or a smoothed quantile function (or exact values with weights for codes and small
counts); text becomes booleans, numbers, dates and times, categories, identifiers (regenerated as patterns or
by Faker, never copied) or free text. Rare values and categories are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from ..columns.distributions import DISTRIBUTIONS
from ..columns.pattern import MAX_COUNTED, _capacity, _disjoint, _render_index, _slots, code_numbers
from ..datetimes import MONTHS, WEEKDAYS, month, parse_datetimes, weekday, year
from ..distinct import DistinctText
from ..inference import ColumnKind, InferenceConfig, Inferred, infer_column
from .arrays import run_starts, sorted_quantile
from .counted import counted_numbers
from .phones import learn_phones

if TYPE_CHECKING:
    from .config import FitConfig


#: Identity providers whose frequent values (shared by at least k rows) may be kept: names, not emails or phones.
NAME_PROVIDERS = ("first_name", "last_name", "name")


@dataclass
class Learned:
    """What was learned for one column: its schema entry and, if it joins the copula, its ordinal codes."""

    spec: dict[str, Any]
    codes: np.ndarray | None = None  # numbers whose ranks stand for the column in correlations
    kind: ColumnKind | None = None  # None: constant or empty, so it takes part in no rule, condition or correlation
    present: np.ndarray | None = None  # rows with a value in the real table (None: every row)
    copula_codes: np.ndarray | None = None  # for correlations, when the listed order differs from ``codes``


def inference_config(cfg: FitConfig) -> InferenceConfig:
    """The kind thresholds of a fit: a category is a column whose values the fit may keep (seen in ``min_count``
    rows), so the privacy k is also the category threshold."""
    return InferenceConfig(min_count=cfg.min_count, max_categories=cfg.max_categories)


def learn_column(name: str, series: pd.Series, cfg: FitConfig) -> Learned:
    """Learn one column's schema entry from its values."""
    found = infer_column(series, inference_config(cfg))
    if not found.present.any():
        return _empty_column(name)
    if found.distinct is not None:  # held as text
        return _with_nulls(*_learn_from_text(name, found, cfg))
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        # 0/1 flags too: a flag held as numbers is written back as the numbers 0 and 1, as in the real table
        return _learn_number_column(name, series.to_numpy(dtype=float, na_value=np.nan), cfg)
    present = found.present
    values = series[present]
    if found.kind is ColumnKind.BOOLEAN:
        learned = learn_boolean(name, values.to_numpy(dtype=bool))
    else:
        learned = _learn_temporal(name, pd.to_datetime(values), None, found.kind, cfg)
    return _with_nulls(learned, present, 1 - float(present.mean()))


def _empty_column(name: str) -> Learned:
    return Learned({"name": name, "kind": "choice", "values": ["?"], "nulls": 1.0,
                     "description": "empty in the real data"}, None, None)


def _learn_from_text(name: str, found: Inferred, cfg: FitConfig) -> tuple[Learned, np.ndarray, float]:
    """A column held as text: booleans, numbers (with a few placeholder words), dates and times, categories,
    identifiers or free text. Returns what was learned, the rows with values, and the empty share."""
    distinct, present = found.distinct, found.present
    assert distinct is not None
    nulls = 1 - float(present.mean())
    if found.kind is ColumnKind.BOOLEAN:
        return learn_boolean(name, distinct.expand((distinct.values.str.lower() == "true").to_numpy())), present, nulls
    if found.kind is ColumnKind.NUMERIC:
        numbers = found.numbers
        assert numbers is not None
        not_number = np.isnan(numbers)
        numeric_share = distinct.share(~not_number)
        # Numbers with a few placeholder words ("N/A", "unknown") are numbers; the words become empty values.
        parsed = distinct.expand(numbers)
        learned = learn_numeric(name, parsed[~np.isnan(parsed)], cfg)
        learned.codes = _protected_rows(learned, parsed, cfg)
        if numeric_share < 1:
            seen = distinct.counts[not_number]
            shown = [repr(w) for w, c in zip(distinct.values[not_number], seen) if c >= cfg.min_count][:3]
            learned.spec["description"] = (f"{1 - numeric_share:.2%} of real values were not numbers"
                                           + (f" ({', '.join(shown)})" if shown else "") + ": generated as empty")
            nulls = float(((~present).sum() + (1 - numeric_share) * distinct.rows) / len(present))
    elif found.kind.is_temporal:
        fmt, share = found.format, found.format_share
        stamps = distinct.expand(parse_datetimes(distinct.values, fmt).to_numpy())
        ok = ~np.isnat(stamps)
        learned = _learn_temporal(name, pd.Series(stamps[ok]), fmt, found.kind, cfg)
        aligned = np.full(distinct.rows, np.nan)
        aligned[ok] = learned.codes
        learned.codes = aligned
        if share < 1.0:
            learned.spec["description"] = f"{share:.1%} of real values were in format {fmt!r}; the rest in other formats"
    else:
        learned = _learn_text(name, found, cfg, len(present))
    return learned, present, nulls


def _learn_number_column(name: str, numbers: np.ndarray, cfg: FitConfig) -> Learned:
    """A column held as numbers (NaN = missing), not all missing."""
    finite = np.isfinite(numbers)
    if not finite.any():
        return Learned({"name": name, "kind": "float", "distribution": "weighted", "values": {0: 1}, "nulls": 1.0,
                         "description": "only infinite values in the real data: generated as empty"}, None, None)
    counted = _row_numbers(name, numbers)
    if counted is not None:
        return counted
    learned = learn_numeric(name, numbers[finite], cfg)
    learned.codes = _protected_rows(learned, np.where(finite, numbers, np.nan), cfg)
    learned.present = ~np.isnan(numbers)
    infinite = int(np.count_nonzero(~finite & ~np.isnan(numbers)))
    if infinite:  # a schema cannot hold infinity: those values become empty ones, and the schema says how many
        share = infinite / np.count_nonzero(~np.isnan(numbers))
        learned.spec["description"] = f"{share:.2%} of real values were infinite: generated as empty"
    nulls = 1 - float(finite.mean())
    if nulls > 0:
        learned.spec["nulls"] = round(nulls, 4)
    return learned


def _with_nulls(learned: Learned, present: np.ndarray, nulls: float) -> Learned:
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


def learn_boolean(name: str, truthy: np.ndarray) -> Learned:
    return Learned({"name": name, "kind": "boolean", "probability": round(float(truthy.mean()), 4)},
                    truthy.astype(float), ColumnKind.BOOLEAN)


def decimals_of(v: np.ndarray) -> int | None:
    """Smallest number of decimals that all values have (None if they look continuous)."""
    sample = v[: 20_000]
    for d in range(0, 7):
        scaled = sample * 10**d
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1, np.abs(scaled))):
            return d
    return None


def _row_numbers(name: str, numbers: np.ndarray, share: float = 0.5) -> Learned | None:
    """A column that counts its rows (1, 2, 3, ... or 1000, 1010, ...) as a ``sequence``: whole numbers, no empty
    value, every step the same way and most (``share``) of the steps equal: deleted rows, or a holdout drawn
    from the table, leave gaps, while a running total's steps vary. The twin counts on from the same first number
    with the usual step, so its ids rise as the real ones do; the row number carries nothing about anyone, so the
    column joins no correlation.

    >>> _row_numbers("id", np.arange(1.0, 101.0)).spec["kind"]
    'sequence'
    >>> _row_numbers("total", np.cumsum(np.arange(1.0, 101.0))) is None  # steps grow: a running total, not a count
    True
    """
    if len(numbers) < 20 or not np.isfinite(numbers).all() or (numbers != np.round(numbers)).any():
        return None
    steps = np.diff(numbers)
    if not ((steps > 0).all() or (steps < 0).all()):
        return None
    values, counts = np.unique(steps, return_counts=True)
    if counts.max() < share * len(steps):
        return None
    step = int(values[np.argmax(counts)])
    gaps = 1 - counts.max() / len(steps)
    text = "row numbers: counting from the first real one" + (f" by {step}" if step != 1 else "")
    if gaps:
        text += f" ({gaps:.1%} of real steps were longer: gaps not kept)"
    return Learned({"name": name, "kind": "sequence", "start": int(numbers[0]), "step": step,
                    "description": text}, None, None)


def learn_numeric(name: str, v: np.ndarray, cfg: FitConfig, range_k: int | None = None,
                  within: tuple[float, float] | None = None) -> Learned:
    """A number column's shape from its finite values.

    For the values of a part of the rows (a case of a conditional column): ``range_k``, where its range ends
    (the k-th smallest and largest value; default ``min_count``), and ``within``, the whole column's range.
    """
    n = len(v)
    decimals = decimals_of(v)
    is_int = decimals == 0
    ordered = np.sort(v)  # one sort serves the distinct values, the quantiles and the goodness of fit
    first = np.flatnonzero(run_starts(ordered))
    distinct, counts = ordered[first], np.diff(np.append(first, n))
    kind = "integer" if is_int else "float"
    if len(distinct) == 1:
        return Learned({"name": name, "kind": kind, "distribution": "weighted", "values": {plain_number(distinct[0]): 1}},
                        v, None)
    # Codes and small counts (few distinct values, each seen often): exact values with their frequencies.
    if len(distinct) <= cfg.max_categories and len(distinct) <= max(20, n // 20):
        keep = counts >= cfg.min_count
        if keep.sum() >= 1 and counts[keep].sum() >= 0.9 * n:
            weights = {plain_number(x): int(c) for x, c in zip(distinct[keep], counts[keep])}
            spec = {"name": name, "kind": kind, "distribution": "weighted", "values": weights}
            spec.update(rare_tails(distinct, counts, cfg.min_count, decimals) if range_k is None else {})
            spec.update(left_out(int((~keep).sum()), spec, cfg.min_count))
            return Learned(spec, v, ColumnKind.NUMERIC)
    ordered = smooth_tails(ordered, min(cfg.min_count if range_k is None else range_k, (n + 1) // 2))
    lo, hi = range_ends(ordered, cfg, 1)
    if lo == hi:
        lo, hi = float(ordered[0]), float(ordered[-1])
    if within is not None:
        lo, hi = min(max(lo, within[0]), within[1]), max(min(hi, within[1]), within[0])
    spec: dict[str, Any] = {"name": name, "kind": kind}
    parametric = _best_parametric(ordered, lo, hi)
    if parametric is not None:
        spec.update(parametric)
    else:
        k = int(min(cfg.knots, max(11, n // 5)))
        knots = sorted_quantile(np.clip(ordered, lo, hi), np.linspace(0, 1, k))
        digits = (decimals if decimals is not None else 6) + 1
        spec["distribution"] = "quantiles"
        spec["quantiles"] = [plain_number(round(float(x), digits)) for x in knots]
    spec["min"], spec["max"] = plain_number(_round_out(lo, decimals, down=True)), plain_number(_round_out(hi, decimals, down=False))
    if kind == "float" and decimals is not None:
        spec["round"] = decimals
    if kind == "integer" and spec.get("distribution") == "quantiles" and spec["min"] == spec["max"]:
        spec["max"] = spec["min"] + 1
    return Learned(spec, v, ColumnKind.NUMERIC)


def rare_tails(distinct: np.ndarray, counts: np.ndarray, k: int, decimals: int | None) -> dict[str, Any]:
    """The ``tails`` of a column of listed values: the rows whose values lie beyond the outermost ones seen in
    at least ``k`` rows, spread evenly past them (``distinct``: the values, sorted; ``counts``: their rows).

    Those rare values are never written, and a side with fewer than ``k`` such rows gets no tail: a tail ends where :func:`smooth_tails` ends the column (past the
    k-th most extreme value at the spacing between the k-th and the 2k-th), on the column's grid of decimals,
    and a step further out if that end happens to be a rare value itself. So the twin's range reaches about
    as far as the real one (a weekly 80 or 90 hours, aircraft built before 1985), where cutting the rare values
    ended it early: a table binned on its own range (SDMetrics' pair trends) then bins the twin on other edges.

    >>> hours = np.array([0.0, 20, 40, 60, 72, 80, 90]); rows = np.array([50, 40, 300, 30, 1, 9, 2])
    >>> rare_tails(hours, rows, 10, 0)
    {'tails': [{'beyond': 60, 'to': 98, 'weight': 12}]}
    """
    n, kept = int(counts.sum()), np.flatnonzero(counts >= k)
    if decimals is None or len(kept) == 0 or n < 2 * k + 1:
        return {}
    step = 10.0 ** -decimals
    cum = np.cumsum(counts)
    at = lambda i: float(distinct[np.searchsorted(cum, i, side="right")])  # noqa: E731  (the i-th smallest value)
    rare = set(distinct[counts < k].tolist())
    tails = []
    for sign, edge, beyond in ((-1, kept[0], slice(None, kept[0])), (1, kept[-1], slice(kept[-1] + 1, None))):
        weight = int(counts[beyond].sum())
        if weight < k:  # fewer than k rows past the listed values: even their count is a small cell, left out
            continue
        # smooth_tails' last value: k - 1 steps of the mean gap between the k-th and 2k-th most extreme values
        kth, inner = (at(k - 1), at(2 * k - 1)) if sign < 0 else (at(n - k), at(n - 2 * k))
        end = kth + sign * abs(kth - inner) / k * (k - 1)
        if sign < 0 and distinct[0] >= 0:
            end = max(end, 0.0)  # no negative values where none were (counts, prices)
        if sign > 0 and distinct[-1] <= 0:
            end = min(end, 0.0)
        end = (math.floor(end / step + 1e-9) if sign < 0 else math.ceil(end / step - 1e-9)) * step
        end = round(end, decimals)
        while end in rare:  # the end names no value fewer than k rows hold
            end = round(end + sign * step, decimals)
        start = float(distinct[edge])
        if sign * (end - start) <= 0:
            continue
        tail: dict[str, Any] = {"beyond": plain_number(start), "to": plain_number(end), "weight": weight}
        if decimals:
            tail["step"] = plain_number(step)
        tails.append(tail)
    return {"tails": tails} if tails else {}


def left_out(left: int, spec: dict[str, Any], k: int) -> dict[str, Any]:
    """The description of a listed column's rare values: left out, or spread in its tails."""
    if not left:
        return {}
    text = f"{left} rare values (fewer than {k} rows each) left out"
    if spec.get("tails"):
        spread = " and ".join(f"{t['weight']} row{'s' if t['weight'] != 1 else ''} past {t['beyond']} spread evenly "
                              f"up to {t['to']}" for t in spec["tails"])
        text += f"; those beyond the listed ones kept as tails ({spread})"
    return {"description": text}


def drop_tails(learned: Learned) -> None:
    """Leave out a listed column's tails: its numbers are a key's codes (a lookup's), and a tail's numbers would
    look nothing up."""
    spec = learned.spec
    if spec.pop("tails", None) is not None and "description" in spec:
        spec["description"] = spec["description"].split("; those beyond the listed ones")[0]


def _protected_rows(learned: Learned, values: np.ndarray, cfg: FitConfig) -> np.ndarray:
    """Each row's value as the later steps may see it: a number column's extremes as :func:`smooth_tails` wrote them.

    The decision-tree cases learn their shapes from these, so a case never holds a real value beyond the
    column's k-th smallest or largest, even where its own range is wider.
    """
    if learned.spec.get("distribution") == "weighted":  # its cases keep to its kept values (synth.fit.trees)
        return values
    present = np.flatnonzero(~np.isnan(values))
    order = present[np.argsort(values[present], kind="stable")]
    out = values.astype(float, copy=True)
    smoothed = smooth_tails(values[order], min(cfg.min_count, (len(order) + 1) // 2))
    decimals = decimals_of(values[order])  # a case must still read as the column's kind (integer, 2 decimals, ...)
    out[order] = smoothed if decimals is None else np.round(smoothed, decimals)
    return out


def smooth_tails(ordered: np.ndarray, k: int) -> np.ndarray:
    """``ordered`` with its ``k - 1`` most extreme values on each side replaced by values that continue inward spacing.

    No real value beyond the k-th smallest or largest is written, yet the twin keeps a tail rather than a pile of
    values at the k-th: beyond the k-th largest value the values go on at the mean gap between the k-th and the
    2k-th largest. Only values at or inside the k-th are read, so one extreme person moves nothing, and a bounded
    column (a share, a percentage) is never carried far past its end. Too few values (fewer than 2k + 1): the
    tail is cut at the k-th value.

    >>> smooth_tails(np.arange(30.0), 4)[-4:].tolist(), smooth_tails(np.arange(30.0), 4)[:4].tolist()
    ([26.0, 27.0, 28.0, 29.0], [0.0, 1.0, 2.0, 3.0])
    >>> v = np.arange(30.0); v[-1] = 1e9                     # an extreme person moves nothing
    >>> smooth_tails(v, 4)[-4:].tolist()
    [26.0, 27.0, 28.0, 29.0]
    >>> smooth_tails(np.array([0.0] * 3 + list(range(1, 40, 2))), 4)[:4].tolist()  # no negatives where none were
    [0.0, 0.0, 0.0, 1.0]
    """
    n, m = len(ordered), k - 1
    if m < 1:
        return ordered
    out = ordered.astype(float, copy=True)
    if n < 2 * k + 1:
        out[:m], out[n - m:] = ordered[m], ordered[n - k]
        return out
    steps = np.arange(1, m + 1)
    top, inner = float(ordered[n - k]), float(ordered[n - 2 * k])
    out[n - m:] = top + (top - inner) / k * steps
    bottom, inner = float(ordered[k - 1]), float(ordered[2 * k - 1])
    out[:m] = (bottom - (inner - bottom) / k * steps)[::-1]
    # A column with no negative values (counts, prices, weights) gets none, and one with no positive values none.
    if ordered[0] >= 0:
        out[:m] = np.maximum(out[:m], 0.0)
    if ordered[-1] <= 0:
        out[n - m:] = np.minimum(out[n - m:], 0.0)
    return out


def range_ends(ordered: np.ndarray, cfg: FitConfig, k: int | None = None) -> tuple[float, float]:
    """Where a learned range ends: at the ``min_count``-th smallest and largest values (values beyond are
    held by fewer than k rows, so they are left out as a rare category is), and within the ``tail`` quantiles.

    >>> from synth.fit import FitConfig
    >>> range_ends(np.arange(1000.0), FitConfig(min_count=10, tail=0.0))
    (9.0, 990.0)
    """
    n = len(ordered)
    k = min(cfg.min_count if k is None else k, (n + 1) // 2)
    q_lo, q_hi = sorted_quantile(ordered, [cfg.tail, 1 - cfg.tail])
    return float(max(ordered[k - 1], q_lo)), float(min(ordered[n - k], q_hi))


def _round_out(x: float, decimals: int | None, down: bool) -> float:
    if decimals is None:
        return float(x)
    f = 10**decimals
    return (math.floor(x * f) if down else math.ceil(x * f)) / f


def plain_number(x: Any) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _best_parametric(ordered: np.ndarray, lo: float, hi: float) -> dict[str, Any] | None:
    """A registered family whose fit is as good as the data can tell (KS within sampling noise), else None.

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

    for family in DISTRIBUTIONS.values():  # each family's estimate; those without one give None
        fitted = family.fit(sample, lo, hi)
        if fitted is not None:
            params = {k: significant(v) for k, v in fitted.parameters().items()}
            consider(fitted.cdf, {"distribution": family.name, **params})
    if not candidates:
        return None
    ks, spec = min(candidates, key=lambda c: c[0])
    return spec if ks <= threshold else None


def significant(x: float, digits: int = 5) -> float:
    """Round to significant digits: readable YAML, no spurious precision."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _learn_categorical(name: str, distinct: DistinctText, cfg: FitConfig, n_rows: int) -> Learned:
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
    return Learned(spec, distinct.expand(order), ColumnKind.CATEGORICAL)


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


def _learn_temporal(name: str, parsed: pd.Series, fmt: str | None, kind: ColumnKind, cfg: FitConfig) -> Learned:
    ts = pd.to_datetime(parsed).dt.tz_localize(None) if getattr(parsed.dt, "tz", None) is not None else pd.to_datetime(parsed)
    seconds = ts.astype("datetime64[s]").astype(np.int64).to_numpy()
    spec: dict[str, Any] = {"name": name, "kind": kind.value}
    if kind is ColumnKind.TIME:
        tod = seconds % 86400
        lo, hi = np.asarray(range_ends(np.sort(tod), cfg)).astype(int)
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
        return Learned(spec, tod.astype(float), kind)
    days = seconds // 86400
    lo_s, hi_s = np.asarray(range_ends(np.sort(seconds), cfg)).astype(np.int64)
    if kind is ColumnKind.DATE:
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
    prof = _profile(np.bincount(weekday(d_in), minlength=7), np.bincount(weekday(grid), minlength=7).astype(float),
                    WEEKDAYS)
    if prof:
        spec["weekday_profile"] = prof
    prof = _profile(np.bincount(month(d_in), minlength=12), np.bincount(month(grid), minlength=12).astype(float),
                    MONTHS)
    if prof:
        spec["month_profile"] = prof
    years = year(grid)
    if years.max() > years.min():
        y0 = years.min()
        prof = _profile(np.bincount(year(d_in) - y0, minlength=years.max() - y0 + 1),
                        np.bincount(years - y0).astype(float), [int(y0 + i) for i in range(years.max() - y0 + 1)])
        if prof:
            spec["year_profile"] = prof
    return Learned(spec, seconds.astype(float), kind)


def _step(seconds: np.ndarray) -> int:
    for step in (86400, 3600, 60, 1):
        if np.all(seconds % step == 0):
            return step
    return 1


def _step_text(step: int) -> str:
    return {86400: "1d", 3600: "1h", 60: "1m"}.get(step, f"{step}s")


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


_SHAPE = str.maketrans({**{c: "\\" + c for c in "#?@*\\"}, **{c: "#" for c in "0123456789"},
                        **{chr(o): "?" for o in range(65, 91)}, **{chr(o): "@" for o in range(97, 123)}})


def template(text: pd.Series) -> pd.Series:
    """Shape of each value: digits -> #, upper -> ?, lower -> @, other characters kept (escaped)."""
    # str.translate per distinct value is the C-level operation pandas' .str.translate wraps, minus its overhead.
    return pd.Series([v.translate(_SHAPE) for v in text.to_numpy(dtype=object)], index=text.index, dtype=object)


def _learn_text(name: str, found: Inferred, cfg: FitConfig, n_rows: int) -> Learned:
    """Categories, identity-like values (Faker), codes (patterns) or free text (Faker text)."""
    distinct, identity = found.distinct, found.provider
    assert distinct is not None
    if found.kind is ColumnKind.CATEGORICAL:
        return _learn_categorical(name, distinct, cfg, n_rows)
    counts, values = distinct.counts, distinct.values
    common = counts >= cfg.min_count
    unique = bool(len(values) == distinct.rows)
    if identity == "phone_number":
        phones = learn_phones(name, distinct, cfg)  # the real formats and region; else Faker's numbers, below
        if phones is not None:
            return Learned(phones, None, found.kind)
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
        return Learned(spec, None, found.kind)
    arrow = pa.array(values.to_numpy(dtype=object), pa.string())
    ascii_values = pc.string_is_ascii(arrow).to_numpy(zero_copy_only=False)
    ascii_rows = distinct.share(ascii_values) * distinct.rows
    digits = pc.match_substring_regex(arrow, r"\d").to_numpy(zero_copy_only=False)
    with_digits = counts[ascii_values & digits].sum() / ascii_rows if ascii_rows else 0.0
    # Codes: mostly with digits (S124529, 2015-017257), or capitals and digits without spaces (JFK, 04G).
    code_like = counts[ascii_values & pc.match_substring_regex(arrow, r"^[A-Z0-9][A-Z0-9/._-]*$").to_numpy(
        zero_copy_only=False)].sum() / ascii_rows if ascii_rows else 0.0
    if (with_digits >= 0.5 or code_like >= 0.9) and pc.max(pc.utf8_length(arrow)).as_py() <= 40:
        spec = learn_codes(name, distinct, ascii_values, cfg, n_rows)
        if spec is not None:
            if (spec["kind"] == "pattern" and unique and not spec.get("increasing") and not spec.get("sorted")
                    and _patterns_disjoint(list(spec["patterns"]))):
                spec["unique"] = True
            return Learned(spec, None, found.kind)
    words = (values.str.count(" ") + 1).to_numpy(dtype=float)
    provider = "sentence" if found.kind is ColumnKind.TEXT else "word"
    spec = {"name": name, "kind": "faker", "provider": provider,
            "description": "free text: replaced by Faker text of similar length, never copied"}
    if provider == "sentence":
        spec["args"] = {"nb_words": max(1, int(round(_weighted_median(words, counts))))}
    return Learned(spec, None, found.kind)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def _patterns_disjoint(patterns: list[str]) -> bool:
    slots = [_slots(p) for p in patterns]
    return all(_disjoint(slots[i], slots[j]) for i in range(len(slots)) for j in range(i + 1, len(slots)))


#: Codes drawn at random may keep a format's constant characters (``INV``, ``-X``) as literals only while a
#: drawn code stays this unlikely to equal a real one: fewer literals mean more codes to draw from.
MAX_REPLAY = 0.001


def _tokens(shape: str) -> list[str]:
    """A template split into one token per character position (``\\#`` is one token)."""
    out, i = [], 0
    while i < len(shape):
        step = 2 if shape[i] == "\\" else 1
        out.append(shape[i:i + step])
        i += step
    return out


def _literal(ch: str) -> str:
    return "\\" + ch if ch in "#?@*\\" else ch


@dataclass
class _Format:
    """One value format of an identifier column: its template, its rows and its distinct values."""

    template: str
    rows: int
    members: np.ndarray  # indexes into the column's distinct values

    def with_literals(self, values: np.ndarray, letters_only: bool) -> str:
        """The template with the positions where every value has the same character written as that character."""
        chars = np.frombuffer("".join(values[self.members]).encode("ascii"), dtype=np.uint8)
        chars = chars.reshape(len(self.members), -1)
        constant = (chars == chars[:1]).all(axis=0)
        tokens = _tokens(self.template)
        for j in np.flatnonzero(constant):
            ch = chr(chars[0, j])
            if tokens[j] in ("?", "@") or (tokens[j] == "#" and not letters_only):
                tokens[j] = _literal(ch)
        return "".join(tokens)


def learn_codes(name: str, distinct: DistinctText, ascii_values: np.ndarray, cfg: FitConfig,
                n_rows: int) -> dict[str, Any] | None:
    """An identifier column as a ``pattern``: its formats with their row shares, running numbers counting up,
    codes sorted (``sorted``) when the real ones rise in text order; or as a ``sequence`` when the codes are
    running numbers of growing width (``INV-9``, ``INV-10``: :mod:`synth.fit.counted`).

    None when no few formats cover most rows. Codes are never copied: running numbers continue past the largest
    real code; random codes (sorted or not) keep constant characters as literals only while a drawn code is
    unlikely (``MAX_REPLAY``) to be a real one.
    """
    counted = counted_numbers(name, distinct, cfg, n_rows)  # INV-9, INV-10, ...: rising, of growing width
    if counted is not None:
        return counted
    values = distinct.values.to_numpy(dtype=object)
    shape_of = np.full(len(values), None, dtype=object)
    shape_of[ascii_values] = template(distinct.values[ascii_values]).to_numpy()
    by_shape = pd.Series(distinct.counts[ascii_values]).groupby(shape_of[ascii_values]).sum()
    by_shape = by_shape.sort_values(ascending=False, kind="stable")
    kept = by_shape[by_shape >= cfg.min_count]
    if not (len(kept) and kept.sum() >= 0.8 * distinct.rows and len(kept) <= 50):
        return None
    formats = [_Format(str(t), int(c), np.flatnonzero(shape_of == t)) for t, c in kept.items()]
    spec: dict[str, Any] = {"name": name, "kind": "pattern"}
    in_order = rises_in_text_order(values, distinct.codes)
    # Running numbers of several formats rise within each format, not across them: a sorted column of several
    # formats is drawn from one code space in text order instead (below).
    running = None if in_order and len(formats) > 1 else _running_numbers(formats, values, distinct, n_rows)
    if running is not None:
        spec.update(running)
        spec["description"] = ("running numbers: counting up in the same formats from past the largest real "
                               "code, never copied")
        return spec
    patterns: dict[str, int] = {}
    replay = 0.0
    for f in formats:
        for literal in ("all", "letters", "none"):
            t = f.template if literal == "none" else f.with_literals(values, literal == "letters")
            chance = len(f.members) / _capacity(_slots(t))
            if chance <= MAX_REPLAY or literal == "none":
                break
        patterns[t] = patterns.get(t, 0) + f.rows
        replay = max(replay, chance)
    spec["patterns"] = patterns
    drawn = f"a drawn code equals a real one with chance {replay:.2%} at most"
    spec["description"] = f"identifier: codes drawn afresh in the same formats, never copied ({drawn})"
    if in_order:
        spec.update(_sorted_codes(patterns, drawn, unique=len(values) == distinct.rows))
    return spec


def rises_in_text_order(values: np.ndarray, row_value: np.ndarray) -> bool:
    """Whether a column's values (``values[row_value]``, row by row) rise in text order, ties allowed, at 99.9%
    of the steps or more (a sorted file with a stray row is still a sorted file).

    >>> rises_in_text_order(np.array(["04G", "06A", "AAF"], dtype=object), np.array([0, 1, 1, 2]))
    True
    >>> rises_in_text_order(np.array(["N2", "N10"], dtype=object), np.array([0, 1]))  # numeric, not text order
    False
    """
    if len(row_value) < 2:
        return False
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(values.astype(str), kind="stable")] = np.arange(len(values))
    return bool((np.diff(rank[row_value]) >= 0).mean() >= 0.999)


def _sorted_codes(patterns: dict[str, int], drawn: str, unique: bool) -> dict[str, Any]:
    """The ``sorted`` (and ``unique``) settings of a sorted code column, with its description; when the formats
    hold too many codes to keep in order, none, and the description says so."""
    from ..columns.code_space import CodeSpace

    try:
        space = CodeSpace(list(patterns), list(patterns.values()))
    except ValueError as exc:
        return {"description": (f"identifier: codes drawn afresh in the same formats, never copied ({drawn}); the "
                                f"real codes are sorted, these are not: {exc}")}
    out: dict[str, Any] = {"sorted": True}
    text = ("sorted codes: drawn afresh in the same formats, one from each equal slice of the code space in text "
            f"order, so they rise with the row as the real ones do ({drawn})")
    if unique:
        out["unique"] = True
        text += f"; distinct for up to {space.unique_rows:,} rows"
    out["description"] = text
    return out


def _running_numbers(formats: list[_Format], values: np.ndarray, distinct: DistinctText,
                     n_rows: int) -> dict[str, Any] | None:
    """``increasing``, ``start`` and ``step`` when every format's codes rise with the row (running numbers)."""
    total = sum(f.rows for f in formats)
    row_value = distinct.codes
    starts: dict[str, str] = {}
    first: dict[str, int] = {}
    steps, weights = [], []
    for f in formats:
        # Constant digits stay counted, so running numbers carry into them (INV/2024/99999 -> INV/2025/00000).
        t = f.with_literals(values, letters_only=True)
        slots = _slots(t)
        if _capacity(slots) > MAX_COUNTED or f.rows < 2:
            return None
        numbers = np.full(len(values), -1, dtype=np.int64)
        numbers[f.members] = code_numbers(slots, values[f.members])
        in_rows = numbers[row_value]
        in_rows = in_rows[in_rows >= 0]
        gaps = np.diff(in_rows)
        if len(gaps) == 0 or (gaps > 0).mean() < 0.999:
            return None
        gap = float(np.median(gaps[gaps > 0]))
        share = f.rows / total
        # Start past the largest real code, rounded up to a round number that hides the exact last code.
        grain = 10 ** max(0, int(math.floor(math.log10(max(1.0, gap * f.rows / 100)))))
        start = (int(in_rows.max()) // grain + 1) * grain
        steps.append(gap * share)
        weights.append(f.rows)
        if start >= _capacity(slots):
            return None  # past the last code there is none (INV-99999): the text would wrap around to INV-00000
        starts[t], first[t] = _code_text(slots, start), start
    step = max(1.0, float(np.average(steps, weights=weights)))
    step = float(round(step)) if step >= 10 or abs(step - round(step)) < 0.05 else round(step, 2)
    for t, number in first.items():
        if number + math.floor(n_rows * step) > _capacity(_slots(t)):
            return None  # no room to count a table this size past the real codes
    out: dict[str, Any] = {"patterns": {t: f.rows for t, f in zip(starts, formats)}, "increasing": True}
    out["start"] = next(iter(starts.values())) if len(starts) == 1 else starts
    out["step"] = plain_number(step)
    return out


def _code_text(slots: list[bytes], number: int) -> str:
    return _render_index(slots, np.array([number], dtype=np.int64)).to_pylist()[0]
