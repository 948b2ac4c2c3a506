"""Tables in, one aligned and typed view out, encoded once for every metric that needs numbers.

Column kinds come from :func:`synth.inference.infer_kinds` on the real table (the same rules ``synth fit``
uses), overridable by the caller. Dates, datetimes and times become seconds, so they are compared like
numbers; identifiers and free text are left out of distances and models and checked for replay instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synth.datetimes import to_seconds
from synth.errors import SynthError
from synth.inference import CATEGORY_KINDS, NUMBER_KINDS, RECORD_KINDS, ColumnKind, infer_kinds

from .neighbours import MixedRows

MISSING = "<missing>"
TOP_CATEGORIES = 30


@dataclass
class Tables:
    """Real, synthetic and (optional) holdout rows with the same columns, numbers as floats, categories as text."""

    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None
    kinds: dict[str, ColumnKind]
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # derived views, computed once
    #: When ``synthetic`` is a sample (an engine's, or :func:`audit.reduction.sampled`), how many rows it was drawn from.
    synthetic_rows: int | None = None
    #: When ``real`` is a sample (a partitioned real table's, :class:`audit.cluster.DaskEngine`, or
    #: :func:`audit.reduction.sampled`), how many rows it was drawn from.
    real_rows: int | None = None

    @property
    def synthetic_count(self) -> int:
        """How many synthetic rows are audited (more than ``len(synthetic)`` when that is a sample)."""
        return len(self.synthetic) if self.synthetic_rows is None else self.synthetic_rows

    @property
    def real_count(self) -> int:
        """How many real rows are audited (more than ``len(real)`` when that is a sample)."""
        return len(self.real) if self.real_rows is None else self.real_rows

    @property
    def numeric(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in NUMBER_KINDS]

    @property
    def categorical(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in CATEGORY_KINDS]

    @property
    def identifiers(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k in RECORD_KINDS]

    @property
    def modelled(self) -> list[str]:
        """Columns that take part in statistics, models and distances."""
        return self.numeric + self.categorical


def kinds_from_schema(schema: object) -> dict[str, ColumnKind]:
    """Column kinds a schema declares, so the audit treats the data as the schema that made it does
    (expressions, lookups and conditionals are left to inference)."""
    out = {}
    for col in getattr(schema, "columns", []):
        kind = ColumnKind.of_schema_kind(col.kind)
        if kind is not None and not col.hidden:
            for name in col.output_names():
                out[name] = kind
    return out


def align(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None = None,
          kinds: dict[str, str] | None = None) -> Tables:
    """Check the columns match, infer kinds, and convert values once: :func:`align_real`, then :func:`with_synthetic`.

    >>> t = align(pd.DataFrame({"n": [1, 2], "c": ["a", "b"]}), pd.DataFrame({"n": ["3", "x"], "c": [1.0, None]}))
    >>> t.synthetic["n"].tolist(), t.synthetic["c"].tolist()
    ([3.0, nan], ['1', '<missing>'])
    """
    check_columns(real, synthetic)
    return with_synthetic(align_real(real, holdout, kinds), synthetic)


def align_real(real: pd.DataFrame, holdout: pd.DataFrame | None = None, kinds: dict[str, str] | None = None) -> Tables:
    """The real side aligned alone (kinds inferred on ``real``, values converted), its synthetic side still empty:
    what an engine that reads the synthetic rows elsewhere needs first (:func:`audit.run`), before
    :func:`with_synthetic` adds the rows it brings back.

    >>> t = align_real(pd.DataFrame({"n": [1, 2], "c": ["a", "b"]}))
    >>> len(t.synthetic), list(t.synthetic.columns), t.kinds["n"].value
    (0, ['n', 'c'], 'numeric')
    """
    if len(real) == 0:
        raise SynthError("the real and synthetic tables must both have rows")
    if holdout is not None:
        _check_columns("holdout", real, holdout)
    inferred = infer_kinds(real)
    valid = {kind.value for kind in ColumnKind}
    for col, kind in (kinds or {}).items():
        if kind not in valid:
            raise SynthError(f"kind {kind!r} for column {col!r} is not one of {', '.join(sorted(valid))}")
    if kinds:
        unknown = [c for c in kinds if c not in inferred]
        if unknown:
            raise SynthError(f"kind given for unknown column {unknown[0]!r}")
        inferred.update({col: ColumnKind(kind) for col, kind in kinds.items()})
    columns = list(real.columns)
    converted = convert(real[columns], inferred)
    converted_holdout = None
    if holdout is not None:
        converted_holdout = convert(holdout[columns], inferred)
        _check_readable("holdout", holdout, converted_holdout, inferred)
    return Tables(converted, converted.iloc[:0], converted_holdout, inferred)


def with_synthetic(t: Tables, synthetic: pd.DataFrame) -> Tables:
    """``t`` with ``synthetic`` as its synthetic side, checked and converted with the kinds fixed on the real table
    (a new :class:`Tables`; ``t``'s cache is not carried over)."""
    if len(synthetic) == 0:
        raise SynthError("the real and synthetic tables must both have rows")
    _check_columns("synthetic", t.real, synthetic)
    columns = list(t.real.columns)
    converted = convert(synthetic[columns], t.kinds)
    _check_readable("synthetic", synthetic, converted, t.kinds)
    return Tables(t.real, converted, t.holdout, t.kinds, synthetic_rows=t.synthetic_rows, real_rows=t.real_rows)


def check_columns(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    """Both tables have rows, and the synthetic table has the real table's columns: else one line saying what differs."""
    if len(real) == 0 or len(synthetic) == 0:
        raise SynthError("the real and synthetic tables must both have rows")
    _check_columns("synthetic", real, synthetic)


def _check_columns(label: str, real: pd.DataFrame, frame: pd.DataFrame) -> None:
    missing = [c for c in real.columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in real.columns]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
        raise SynthError(f"the {label} table's columns differ from the real table's: {'; '.join(parts)}")


def _check_readable(label: str, raw: pd.DataFrame, frame: pd.DataFrame, kinds: dict[str, ColumnKind]) -> None:
    """A number column the real table has that the other table mostly cannot be read as is one line, not a metric."""
    for col in frame.columns:
        if kinds[str(col)] in NUMBER_KINDS:
            present = raw[col].notna().to_numpy()
            unreadable = present & frame[col].isna().to_numpy()
            if present.sum() and unreadable.sum() > 0.5 * present.sum():
                raise SynthError(f"column {col!r} is {kinds[str(col)]} in the real table but mostly not in the {label} table "
                                 f"({unreadable.sum():,} of {present.sum():,} values cannot be read as {kinds[str(col)]})")


def convert(frame: pd.DataFrame, kinds: dict[str, ColumnKind]) -> pd.DataFrame:
    """Values as the audit compares them (numbers as floats, dates and times as seconds, categories as text), value
    by value: a table converted in partitions gives the rows of the table converted whole."""
    out = {}
    for col in frame.columns:
        kind = kinds[str(col)]
        values = frame[col]
        if kind == "numeric":
            out[col] = pd.to_numeric(values, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
        elif kind in NUMBER_KINDS:  # dates and times as seconds
            out[col] = to_seconds(values, time_of_day=kind is ColumnKind.TIME)
        else:
            out[col] = _as_text(values)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _as_text(values: pd.Series) -> pd.Series:
    """Category values as text, the same whichever way a file was read: a column of whole numbers that came
    back as floats (a zip code column without its 98115-1234 rows) reads "98115", as in the real table, not "98115.0"."""
    text = values.astype(str)
    if pd.api.types.is_float_dtype(values):
        floats = pd.Series(True, index=values.index)
    elif values.dtype == object:  # frames put together in memory can mix 98115.0 (float) and "98115" (text)
        floats = values.map(type).isin((float, np.float64))
    else:
        floats = None
    if floats is not None and floats.any():
        v = pd.to_numeric(values.where(floats), errors="coerce").to_numpy(float)
        whole = floats.to_numpy() & np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2**53)
        text = text.where(~whole, pd.Series(np.where(whole, v, 0), index=values.index).astype(np.int64).astype(str))
    return text.where(values.notna(), MISSING).astype(object)


@dataclass
class Encoding:
    """How rows become vectors for distances and models: fixed from the real table."""

    numeric: list[str]
    centre: np.ndarray
    scale: np.ndarray
    categories: dict[str, list[str]]
    vocabulary: dict[str, pd.Index] | None = None  # every value of each category column, for exact codes

    @classmethod
    def fit(cls, tables: Tables) -> "Encoding":
        real = tables.real
        numeric = tables.numeric
        centre = np.array([np.nanmedian(real[c]) if real[c].notna().any() else 0.0 for c in numeric])
        scale = []
        for c in numeric:
            q1, q3 = np.nanpercentile(real[c], [25, 75]) if real[c].notna().any() else (0.0, 0.0)
            s = (q3 - q1) / 1.349  # IQR of a normal is 1.349 sd: a robust sd
            if not s > 0:
                s = float(np.nanstd(real[c])) or 1.0
            scale.append(s)
        categories = {c: real[c].value_counts().index[:TOP_CATEGORIES].tolist() for c in tables.categorical}
        # the real rows' values only: a value no real row has (code -1) differs from every real value, which is all
        # a distance to a real row asks; so the codes do not depend on which synthetic rows this process holds
        frames = [f for f in (tables.real, tables.holdout) if f is not None]
        vocabulary = {c: pd.Index(pd.unique(np.concatenate([f[c].to_numpy(object) for f in frames]))) for c in tables.categorical}
        return cls(numeric, np.array(centre, float), np.array(scale, float), categories, vocabulary)

    def mixed(self, frame: pd.DataFrame, drop: tuple[str, ...] = (), relative: bool = False) -> MixedRows:
        """Rows for exact mixed distances: robust z-scores (missing = the real median) and exact category codes.

        Unlike :meth:`transform`, every category value keeps its own code (two different rare values differ).
        With ``relative``, numbers are ``sign(x) log(1 + |x|)`` instead, so a distance of 0.01 in a column is
        a 1% change of its value, whatever its spread (a year moved by 0.5% is 10 years, 12 robust standard
        deviations; relative to itself it moved 0.5%); missing values sit far from every number.
        """
        numeric = [c for c in self.numeric if c not in drop]
        if numeric and relative:
            x = frame[numeric].to_numpy(float)
            numbers = np.nan_to_num(np.sign(x) * np.log1p(np.abs(x)), nan=-1e3)
        elif numeric:
            keep = [self.numeric.index(c) for c in numeric]
            x = (frame[numeric].to_numpy(float) - self.centre[keep]) / self.scale[keep]
            numbers = np.nan_to_num(np.clip(x, -50, 50), nan=0.0)
        else:
            numbers = np.zeros((len(frame), 0))
        vocabulary = self.vocabulary or {c: pd.Index(cats) for c, cats in self.categories.items()}
        columns = [c for c in vocabulary if c not in drop]
        codes = np.zeros((len(frame), len(columns)), np.int64)
        for j, col in enumerate(columns):
            codes[:, j] = vocabulary[col].get_indexer(frame[col])  # values outside the vocabulary share -1
        return MixedRows(numbers, codes)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Numbers as robust z-scores (missing = the real median), categories one-hot scaled so a mismatch is 1 apart."""
        parts = []
        if self.numeric:
            x = (frame[self.numeric].to_numpy(float) - self.centre) / self.scale
            parts.append(np.nan_to_num(np.clip(x, -50, 50), nan=0.0))
        weight = 1 / np.sqrt(2)
        for col, cats in self.categories.items():
            codes = _category_codes(frame[col], cats)
            block = np.zeros((len(frame), len(cats) + 1), dtype=float)
            block[np.arange(len(frame)), codes] = weight
            parts.append(block)
        return np.hstack(parts).astype(np.float32) if parts else np.zeros((len(frame), 1), np.float32)


def _category_codes(values: pd.Series, categories: list[Any]) -> np.ndarray:
    """Each value's position among ``categories``; every other value (rarer ones, missing) shares the last slot."""
    codes = pd.Index(categories).get_indexer(values).astype(np.int64)
    codes[codes < 0] = len(categories)
    return codes
