"""Dates and times in one place: weekday and month names, the text formats real tables use, and parsing.

>>> datetime_format(pd.Series(["01/31/2022", "02/01/2022"] * 5))
('%m/%d/%Y', 1.0)
>>> to_seconds(pd.Series(["11:38:36", None]), "%H:%M:%S", time_of_day=True).tolist()
[41916.0, nan]
>>> WEEKDAYS[weekday(np.array([0]))[0]], MONTHS[month(np.array([40]))[0]]   # day 0 is 1970-01-01
('thu', 'feb')

Schemas (``weekday_profile: {sat: 1.3}``), the fitter and the audit all read and write these names and formats.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from .distinct import DistinctText
from .lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
else:  # the column kinds import this module, and `synth kinds` loads no pandas
    np, pd = LazyModule("numpy"), LazyModule("pandas")
    pa, pc = LazyModule("pyarrow"), LazyModule("pyarrow.compute")

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAY = 86400  # seconds

#: Text date/time formats tried in order (the one that parses the most values wins).
DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y",
    "%b %d, %Y", "%H:%M:%S", "%H:%M",
]


def datetime_format(values: pd.Series | DistinctText, min_share: float = 0.95,
                    sample_rows: int = 2000) -> tuple[str | None, float]:
    """The date/time format most values are written in, and the share of all values it parses.

    ``(None, 0.0)`` when no format parses at least ``min_share`` of a sample of ``sample_rows`` rows.
    """
    distinct = values if isinstance(values, DistinctText) else DistinctText.of(values)
    sample = distinct.sample(sample_rows)
    if sample.share_matching(r"\d") < 1:
        return None, 0.0
    # A 50-value probe rules out most formats (and most columns) before the whole sample is parsed.
    probe = sample.values.iloc[:50]
    if pc.mean(pc.match_substring_regex(pa.array(probe.to_numpy(dtype=object), pa.string()),
                                        r"[-/:., ]")).as_py() < 0.5:  # every known format has a separator
        return None, 0.0
    likely = [f for f in DATE_FORMATS if pd.to_datetime(probe, format=f, errors="coerce").notna().mean() >= 0.5]
    best, best_share = None, 0.0
    for fmt in likely:
        share = sample.share(pd.to_datetime(sample.values, format=fmt, errors="coerce").notna())
        if share > best_share + 1e-9:
            best, best_share = fmt, share
    if best is None or best_share < min_share:
        return None, 0.0
    return best, distinct.share(pd.to_datetime(distinct.values, format=best, errors="coerce").notna())


def parse_datetimes(values: pd.Series, fmt: str | None = None, *, utc: bool = True) -> pd.Series:
    """Values as time-zone-free timestamps, NaT where missing or unreadable.

    Timestamps stay as they are; text is read in ``fmt`` (a strftime format or ``"ISO8601"``), else in the
    format most values are written in (:func:`datetime_format`), else each value on its own (mixed formats and
    offsets). Time-zone-aware values become UTC (``utc=True``: instants compare across zones) or their
    wall-clock time (``utc=False``: as a schema's ``start`` and ``end`` are written).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
    else:
        text = values.astype(str).where(values.notna(), None)
        if fmt is None and text.notna().any():
            fmt, _ = datetime_format(text.dropna().astype(str))
        parsed = (pd.to_datetime(text, format=fmt, errors="coerce") if fmt
                  else pd.to_datetime(text, errors="coerce", format="mixed", utc=True))
    if not pd.api.types.is_datetime64_any_dtype(parsed):  # mixed offsets: normalise to UTC
        parsed = pd.to_datetime(parsed, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None) if utc else parsed.dt.tz_localize(None)
    return parsed


def to_seconds(values: pd.Series, fmt: str | None = None, *, time_of_day: bool = False,
               utc: bool = True) -> pd.Series:
    """Seconds since 1970-01-01 (or since midnight, with ``time_of_day``) as floats, NaN where missing or
    unreadable; read as :func:`parse_datetimes` does."""
    parsed = parse_datetimes(values, fmt, utc=utc)
    seconds = parsed.astype("datetime64[s]").astype("int64").astype(float)
    seconds[parsed.isna().to_numpy()] = np.nan
    if time_of_day:
        seconds = seconds % DAY
    return pd.Series(seconds, index=values.index)


def parse_time_of_day(value: Any) -> int:
    """``"06:30"`` or ``"06:30:15"`` -> seconds after midnight (``"24:00"`` is the end of the day).

    >>> parse_time_of_day("06:30"), parse_time_of_day("24:00")
    (23400, 86400)
    """
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    m = re.match(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$", str(value))
    if not m:
        raise ValueError(f"{value!r} is not a time like '06:30' or '06:30:15'")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 24 or mi > 59 or s > 59 or (h == 24 and (mi or s)):
        raise ValueError(f"{value!r} is not a valid time of day")
    return h * 3600 + mi * 60 + s


def weekday(days: np.ndarray) -> np.ndarray:
    """Index into :data:`WEEKDAYS` of days counted from 1970-01-01 (a Thursday)."""
    return (days + 3) % 7


def month(days: np.ndarray) -> np.ndarray:
    """Index into :data:`MONTHS` (0 = January) of days counted from 1970-01-01."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12


def year(days: np.ndarray) -> np.ndarray:
    """Calendar year of days counted from 1970-01-01."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
