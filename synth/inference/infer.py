"""What kind a column is: one function for ``synth fit``, ``synth audit`` and the private fit.

>>> kinds = infer_kinds(pd.DataFrame({"n": [1.5, 2.0] * 10, "d": ["2022-01-01", "2022-01-02"] * 10, "c": ["a", "b"] * 10}))
>>> kinds == {"n": "numeric", "d": "date", "c": "categorical"}   # ColumnKind members are strings
True

The rules, in order (thresholds from :class:`InferenceConfig`):

1. no values: categorical (there is nothing to tell; the audit still compares the missing shares);
2. true/false values, and numbers that are only 0 and 1: boolean;
3. timestamps: date when all are at midnight, else datetime;
4. numbers, and text that is numbers but for a few placeholder words (``N/A``): numeric, unless some value
   starts with a zero (``00123`` is a code);
5. text in one date/time format: date, datetime or time;
6. emails, URLs, phone numbers, people's names: identifier;
7. few distinct values, each seen often: categorical;
8. more than a few words a value: text; anything else (codes, ids, rare words): identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..datetimes import datetime_format
from ..distinct import DistinctText, arrow_text, parse_numbers
from ..lazy import LazyModule
from .config import InferenceConfig
from .identity import identity_provider
from .vocabulary import ColumnKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc
else:
    np, pd, pc = LazyModule("numpy"), LazyModule("pandas"), LazyModule("pyarrow.compute")

DEFAULTS = InferenceConfig()


@dataclass
class Inferred:
    """A column's kind, and what was read on the way to it (so that the fitter does not read it again)."""

    kind: ColumnKind
    present: np.ndarray  # rows with a value
    distinct: DistinctText | None = None  # held as text: the present values, each distinct one once
    numbers: np.ndarray | None = None  # numeric held as text: each distinct value as a number, NaN for a word
    format: str | None = None  # date, datetime or time held as text: the strftime format ...
    format_share: float = 1.0  # ... and the share of values it reads
    provider: str | None = None  # identity-like identifier: the Faker provider (email, name ...)


def infer_column(series: pd.Series, config: InferenceConfig = DEFAULTS) -> Inferred:
    """A column's kind (the rules in the module docstring)."""
    present = series.notna().to_numpy()
    if not present.any():
        return Inferred(ColumnKind.CATEGORICAL, present)
    if pd.api.types.is_bool_dtype(series.dtype):
        return Inferred(ColumnKind.BOOLEAN, present)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(series[present])
        midnight = bool((stamps.dt.normalize() == stamps).all())
        return Inferred(ColumnKind.DATE if midnight else ColumnKind.DATETIME, present)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)[present]
        # 0/1 is a flag: the audit compares its frequencies and predicts it as a class (the fitter writes it as 0/1)
        flag = bool(np.isin(numbers, (0.0, 1.0)).all())
        return Inferred(ColumnKind.BOOLEAN if flag else ColumnKind.NUMERIC, present)
    distinct = DistinctText.of_arrow(arrow_text(series).drop_null())
    return _infer_text(distinct, present, config)


def _infer_text(distinct: DistinctText, present: np.ndarray, config: InferenceConfig) -> Inferred:
    values = distinct.values
    if len(values) <= config.max_boolean_spellings and set(values.str.lower()) <= {"true", "false"}:
        return Inferred(ColumnKind.BOOLEAN, present, distinct)
    numbers = parse_numbers(distinct.arrow())
    words = np.isnan(numbers)
    share = distinct.share(~words)
    if ((share >= config.number_share
         or (share >= config.number_share_with_words and words.sum() <= config.max_placeholder_words))
            and distinct.share_matching(r"^0\d") == 0):
        return Inferred(ColumnKind.NUMERIC, present, distinct, numbers=numbers)
    fmt, fmt_share = datetime_format(distinct, config.format_share, config.format_sample)
    if fmt is not None:
        return Inferred(temporal_kind(fmt), present, distinct, format=fmt, format_share=fmt_share)
    if len(values) == 1:  # one value, however few rows: a constant category, never an identifier
        return Inferred(ColumnKind.CATEGORICAL, present, distinct)
    provider = identity_provider(distinct, config)
    if provider is not None:
        return Inferred(ColumnKind.IDENTIFIER, present, distinct, provider=provider)
    if is_categorical(distinct, config):
        return Inferred(ColumnKind.CATEGORICAL, present, distinct)
    return Inferred(ColumnKind.TEXT if words_per_value(distinct) > config.sentence_words else ColumnKind.IDENTIFIER,
                    present, distinct)


def is_categorical(distinct: DistinctText, config: InferenceConfig = DEFAULTS) -> bool:
    """Few distinct values, each seen often: values seen in at least ``min_count`` rows cover most rows.

    >>> is_categorical(DistinctText.of(pd.Series(list("ab") * 10 + ["c"])))
    True
    """
    common = distinct.counts >= config.min_count
    return bool(common.sum() <= config.max_categories and distinct.share(common) >= config.category_share
                and len(distinct.values) / max(1, distinct.rows) < config.max_distinct_share)


def words_per_value(distinct: DistinctText) -> float:
    """Words per value (spaces plus one), averaged over rows."""
    return distinct.mean(pc.count_substring(distinct.arrow(), " ").to_numpy(zero_copy_only=False) + 1)


def temporal_kind(fmt: str) -> ColumnKind:
    """``date``, ``datetime`` or ``time`` for a strftime format.

    >>> temporal_kind("%m/%d/%Y"), temporal_kind("%H:%M"), temporal_kind("%Y-%m-%d %H:%M")
    (<ColumnKind.DATE: 'date'>, <ColumnKind.TIME: 'time'>, <ColumnKind.DATETIME: 'datetime'>)
    """
    has_date = re.search(r"%[dmYyb]", fmt) is not None
    has_time = re.search(r"%[HM]", fmt) is not None
    return ColumnKind.DATETIME if has_date and has_time else (ColumnKind.DATE if has_date else ColumnKind.TIME)


def infer_kind(series: pd.Series, config: InferenceConfig = DEFAULTS) -> ColumnKind:
    """The kind of one column."""
    return infer_column(series, config).kind


def infer_kinds(frame: pd.DataFrame, config: InferenceConfig = DEFAULTS) -> dict[str, ColumnKind]:
    """The kind of every column, by name."""
    return {str(c): infer_kind(frame[c], config) for c in frame.columns}
