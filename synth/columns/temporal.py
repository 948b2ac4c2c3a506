"""Time: ``date``, ``time`` and ``datetime`` columns with rate profiles.

Real events are not uniform in time: a coffee shop is busy 7-9am, quiet mid-afternoon, and different on
weekends. Each possible instant (every ``step`` between ``start`` and ``end``, both included) gets a weight
``hour_profile[hour] x weekday_profile[weekday] x month_profile[month] x (1 + trend x years)``, and values
are drawn in proportion to it (inverse CDF over the cumulative weights, so correlations work too).

.. code-block:: yaml

    - name: time
      kind: time
      start: "06:00"
      end: "21:00"
      step: 1m                        # 1s, 30s, 1m, 15m, 1h, 1d ...
      hour_profile: {7: 3, 8: 3.5, 9: 2.5, 14: 0.6, 15: 0.6}   # hours not named weigh 1
    - name: date
      kind: date
      start: 2022-01-01
      end: 2022-12-31
      weekday_profile: {sat: 1.3, sun: 1.2}
      month_profile: {dec: 1.4}
      format: "%m/%d/%Y"              # optional; default ISO (a real date type in Parquet)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..datetimes import DAY as _DAY
from ..datetimes import MONTHS, WEEKDAYS, month, parse_time_of_day, to_seconds, weekday, year
from ..lazy import np, pa, pc
from .base import ArrowArray, ChunkContext, Column, InverseCDF, NDArray, PlanContext, register
_UNITS = {"s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400}
_STEP = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_MAX_DIRECT_STEPS = 4_000_000


def parse_step(value: str | int) -> int:
    """``"1m"`` -> 60 seconds. A bare number means seconds."""
    if isinstance(value, int):
        seconds = value
    else:
        m = _STEP.match(str(value).lower())
        if not m or m.group(2) not in _UNITS:
            raise ValueError(f"step {value!r} is not like '30s', '1m', '1h' or '1d'")
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError("step must be positive")
    return seconds


def _profile(spec: Any, size: int, names: list[str] | None, first: int, what: str) -> np.ndarray:
    """A list of ``size`` weights, or a mapping (by name or number; ranges like ``7-9``); missing keys weigh 1."""
    return np.asarray(_profile_weights(spec, size, names, first, what), float)


def _profile_weights(spec: Any, size: int, names: list[str] | None, first: int, what: str) -> list[float]:
    """:func:`_profile` as a list, without numpy: how a column's validation checks its profiles."""
    if spec is None:
        return [1.0] * size
    if isinstance(spec, list):
        if len(spec) != size:
            raise ValueError(f"{what} as a list needs {size} numbers, got {len(spec)}")
        w = [float(x) for x in spec]
    else:
        w = [1.0] * size
        for key, weight in spec.items():
            for slot in _profile_slots(key, size, names, first, what):
                w[slot] = float(weight)
    if not all(math.isfinite(x) for x in w) or any(x < 0 for x in w) or sum(w) <= 0:
        raise ValueError(f"{what} weights must be non-negative numbers, not all zero")
    return w


def _profile_slots(key: Any, size: int, names: list[str] | None, first: int, what: str) -> list[int]:
    text = str(key).strip().lower()
    if names is not None:
        for i, name in enumerate(names):
            if text[:3] == name and (len(text) == 3 or text.startswith(name)):
                return [i]
    m = re.match(r"^(\d+)\s*(?:-\s*(\d+))?$", text)
    if m:
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if first <= lo <= hi < first + size:
            return [k - first for k in range(lo, hi + 1)]
    valid = f"{first}..{first + size - 1}" + (f" or {', '.join(names)}" if names else "")
    raise ValueError(f"{what}: key {key!r} is not one of {valid}")


def _first_at_or_after(at: int, start: int, step: int) -> int:
    """The first point of the grid ``start, start + step, ...`` at or after ``at``."""
    return start if at <= start else start + -(-(at - start) // step) * step


class _TimeWeighted(Column):
    """Shared machinery: a grid of instants, weights over it, and an optional output format.

    Values stay typed (date, time, timestamp) while the chunk is made, so expressions can use them
    (``hour(time)``, ``date + days(3)``); ``format`` turns them into text only on output.
    """

    accepts_uniforms: ClassVar[bool] = True
    format: str | None = Field(default=None, description="strftime pattern for text output, e.g. '%m/%d/%Y'")
    hour_profile: list[float] | dict[str | int, float] | None = None
    weekday_profile: list[float] | dict[str | int, float] | None = None
    month_profile: list[float] | dict[str | int, float] | None = None
    trend: float = Field(default=0.0, gt=-1.0, description="Yearly growth of the rate: 0.1 = +10% a year")
    year_profile: dict[int, float] | None = Field(default=None, description="Weight per calendar year; years not named weigh 1")

    _cum: InverseCDF = PrivateAttr(default=None)

    @field_validator("format")
    @classmethod
    def _check_format(cls, fmt: str | None) -> str | None:
        if fmt is not None and "%" not in fmt:
            raise ValueError(f"format {fmt!r} has no % directive (e.g. '%Y-%m-%d')")
        return fmt

    def rules(self) -> list[tuple[str, Any]]:
        """Values parse in the column's format and fall between start and end."""
        name, kind = self.name, self.kind
        fmt = self.format or ("%H:%M:%S" if kind == "time" else "ISO8601")
        low, high = self._bounds()

        def seconds(frame: Any) -> tuple[Any, np.ndarray]:
            # wall-clock times, as start and end are written (a timezone column comes back zone-aware)
            secs = to_seconds(frame[name], fmt, time_of_day=kind == "time", utc=False)
            return secs, (frame[name].notna() & secs.isna()).to_numpy()

        return [(f"{name} is a {kind} in its format", lambda f: seconds(f)[1]),
                (f"{name} is between {self.start} and {self.end}",
                 lambda f: ((seconds(f)[0] < low) | (seconds(f)[0] > high)).fillna(False).to_numpy())]

    def _bounds(self) -> tuple[int, int]:
        raise NotImplementedError

    def _check_profiles(self) -> None:
        """The profiles' keys and weights, as :meth:`_weights` reads them (the same messages), without numpy."""
        if self.hour_profile is not None:
            _profile_weights(self.hour_profile, 24, None, 0, "hour_profile")
        if self.weekday_profile is not None:
            _profile_weights(self.weekday_profile, 7, WEEKDAYS, 0, "weekday_profile")
        if self.month_profile is not None:
            _profile_weights(self.month_profile, 12, MONTHS, 1, "month_profile")

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        return {self.name: self.kind}  # date32, time32 or timestamp while the chunk is made; text only on output

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        # Every weight positive (and a rate that never falls) makes every instant's product positive; a zero
        # somewhere may still leave some instant weighed, which only the grid itself tells.
        weights = [w for spec, size, names, first, what in (
            (self.hour_profile, 24, None, 0, "hour_profile"), (self.weekday_profile, 7, WEEKDAYS, 0, "weekday_profile"),
            (self.month_profile, 12, MONTHS, 1, "month_profile")) for w in _profile_weights(spec, size, names, first, what)]
        weights += list((self.year_profile or {}).values())
        if self.trend < 0 or not all(math.isfinite(w) and w > 0 for w in weights):
            return "a profile or trend weighs some instants zero or less"
        return None

    def _weights(self, seconds: np.ndarray, start_seconds: int) -> np.ndarray:
        """Weights of instants given as seconds since the epoch."""
        w = np.ones(len(seconds))
        if self.hour_profile is not None:
            w *= _profile(self.hour_profile, 24, None, 0, "hour_profile")[(seconds % _DAY) // 3600]
        days = seconds // _DAY
        if self.weekday_profile is not None:
            w *= _profile(self.weekday_profile, 7, WEEKDAYS, 0, "weekday_profile")[weekday(days)]
        if self.month_profile is not None:
            w *= _profile(self.month_profile, 12, MONTHS, 1, "month_profile")[month(days)]
        if self.trend:
            w *= 1.0 + self.trend * (seconds - start_seconds) / (365.25 * _DAY)
        if self.year_profile:
            years = year(days)
            table = np.ones(int(years.max() - years.min()) + 1)
            for calendar_year, weight in self.year_profile.items():
                if years.min() <= calendar_year <= years.max():
                    table[calendar_year - years.min()] = weight
            w *= table[years - years.min()]
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("the profiles give zero weight to every value between start and end")
        return w



@register
class DateColumn(_TimeWeighted):
    """Calendar dates from ``start`` to ``end`` (both included), every ``step`` days."""

    kind_name: ClassVar[str] = "date"
    kind: Literal["date"] = "date"
    start: dt.date
    end: dt.date
    step: str | int = "1d"

    _days: NDArray = PrivateAttr(default=None)
    _labels: ArrowArray | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "DateColumn":
        if self.start > self.end:
            raise ValueError(f"start ({self.start}) is after end ({self.end})")
        if parse_step(self.step) % _DAY:
            raise ValueError("a date step is whole days, like '1d' or '7d'")
        if self.hour_profile is not None:
            raise ValueError("hour_profile does not apply to dates; use a time or datetime column")
        self._check_profiles()
        return self

    def _bounds(self) -> tuple[int, int]:
        start = int(np.datetime64(self.start, "D").astype(np.int64)) * _DAY
        return start, int(np.datetime64(self.end, "D").astype(np.int64)) * _DAY + _DAY - 1

    def _grid(self) -> np.ndarray:
        step_days = parse_step(self.step) // _DAY
        return np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1, step_days)

    def prepare(self, plan: PlanContext) -> None:
        self._days = self._grid()
        seconds = self._days.astype(np.int64) * _DAY
        self._cum = InverseCDF(np.cumsum(self._weights(seconds, int(seconds[0]))))
        if self.format:
            self._labels = pa.array([d.strftime(self.format) for d in self._days.astype(dt.date)])

    def sample(self, ctx: ChunkContext) -> pa.Array:
        idx = self._cum(ctx.uniform(self.name))
        return pa.array(self._days[idx].astype(np.int32), pa.int32()).cast(pa.date32())

    def native(self, values: pa.Array) -> pa.Array:
        return values  # date32, whatever the text format

    def finalize(self, values: pa.Array) -> pa.Array:
        if self._labels is None:
            return values
        step_days = parse_step(self.step) // _DAY
        idx = pc.divide(pc.subtract(pc.cast(values, pa.int32()), int(self._days[0].astype(np.int64))), step_days)
        return pa.DictionaryArray.from_arrays(pc.cast(idx, pa.int32()), self._labels)


@register
class TimeColumn(_TimeWeighted):
    """Times of day from ``start`` to ``end`` (both included, default the whole day) every ``step``."""

    kind_name: ClassVar[str] = "time"
    kind: Literal["time"] = "time"
    start: str = "00:00"
    end: str = "23:59:59"
    step: str | int = "1s"

    _grid_s: NDArray = PrivateAttr(default=None)
    _labels: ArrowArray | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "TimeColumn":
        lo, hi = parse_time_of_day(self.start), parse_time_of_day(self.end)
        if lo > hi:
            raise ValueError(f"start ({self.start}) is after end ({self.end})")
        if self.weekday_profile is not None or self.month_profile is not None:
            raise ValueError("weekday/month profiles do not apply to a time of day; use a date or datetime column")
        step = parse_step(self.step)
        self._check_profiles()
        # _weights' check over the grid without making it: the weight of each hour the grid reaches (the rate's
        # trend over less than a day stays positive; a year_profile weighs these times as of 1970).
        hours = _profile_weights(self.hour_profile, 24, None, 0, "hour_profile")
        year = float((self.year_profile or {}).get(1970, 1.0))
        lo, hi = parse_time_of_day(self.start), min(parse_time_of_day(self.end), _DAY - 1)
        reached = [h for h in range(24) if _first_at_or_after(h * 3600, lo, step) <= min(hi, h * 3600 + 3599)]
        weights = [hours[h] * year for h in reached]
        if not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("the profiles give zero weight to every value between start and end")
        return self

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        return None  # validation weighed the whole grid

    def _bounds(self) -> tuple[int, int]:
        return parse_time_of_day(self.start), min(parse_time_of_day(self.end), _DAY - 1)

    def _grid(self) -> np.ndarray:
        lo, hi = parse_time_of_day(self.start), min(parse_time_of_day(self.end), _DAY - 1)
        return np.arange(lo, hi + 1, parse_step(self.step), dtype=np.int64)

    def prepare(self, plan: PlanContext) -> None:
        self._grid_s = self._grid()
        self._cum = InverseCDF(np.cumsum(self._weights(self._grid_s, 0)))
        if self.format:
            base = dt.datetime(2000, 1, 1)
            self._labels = pa.array([(base + dt.timedelta(seconds=int(s))).strftime(self.format) for s in self._grid_s])

    def sample(self, ctx: ChunkContext) -> pa.Array:
        idx = self._cum(ctx.uniform(self.name))
        return pa.array(self._grid_s[idx].astype(np.int32), pa.time32("s"))

    def native(self, values: pa.Array) -> pa.Array:
        # time64 (microseconds): Parquet's TIME type for any step, read back as the same Arrow type.
        return pc.cast(values, pa.time64("us"))

    def finalize(self, values: pa.Array) -> pa.Array:
        if self._labels is None:
            return values
        idx = pc.divide(pc.subtract(pc.cast(values, pa.int32()), int(self._grid_s[0])), parse_step(self.step))
        return pa.DictionaryArray.from_arrays(pc.cast(idx, pa.int32()), self._labels)


@register
class DatetimeColumn(_TimeWeighted):
    """Timestamps from ``start`` to ``end`` (both included) every ``step``, shaped by all three profiles."""

    kind_name: ClassVar[str] = "datetime"
    kind: Literal["datetime"] = "datetime"
    start: dt.datetime
    end: dt.datetime
    step: str | int = "1s"
    timezone: str | None = Field(
        default=None, description="IANA time zone (Europe/Paris) of the wall-clock times: Parquet stores them "
                                  "as instants in that zone (timestamp with time zone); text formats as before")

    _start_s: int = PrivateAttr(default=0)
    _step_s: int = PrivateAttr(default=1)
    _day_cum: InverseCDF | None = PrivateAttr(default=None)
    _tod_cum: InverseCDF | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "DatetimeColumn":
        if self.start > self.end:
            raise ValueError(f"start ({self.start}) is after end ({self.end})")
        if self.timezone is not None:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {self.timezone!r}; use an IANA name like 'Europe/Paris'") from None
        step = parse_step(self.step)
        if self._count() > _MAX_DIRECT_STEPS and _DAY % step:
            raise ValueError("for ranges this long the step must divide a day (1s, 1m, 15m, 1h ...)")
        self._check_profiles()
        return self

    def _epoch(self, value: dt.datetime) -> int:
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return int((value - dt.datetime(1970, 1, 1)).total_seconds())

    def _bounds(self) -> tuple[int, int]:
        return self._epoch(self.start), self._epoch(self.end)

    def _count(self) -> int:
        return (self._epoch(self.end) - self._epoch(self.start)) // parse_step(self.step) + 1

    def prepare(self, plan: PlanContext) -> None:
        self._start_s, self._step_s = self._epoch(self.start), parse_step(self.step)
        if self._count() <= _MAX_DIRECT_STEPS:
            grid = self._start_s + self._step_s * np.arange(self._count(), dtype=np.int64)
            self._cum = InverseCDF(np.cumsum(self._weights(grid, self._start_s)))
            return
        # Long ranges: draw a day, then a time of day (profiles factor into day and time-of-day parts).
        first_day = self._start_s // _DAY
        days = np.arange(first_day, self._epoch(self.end) // _DAY + 1, dtype=np.int64)
        no_hours = self.model_copy(update={"hour_profile": None})
        self._day_cum = InverseCDF(np.cumsum(no_hours._weights(days * _DAY, self._start_s)))
        tod = np.arange(0, _DAY, self._step_s, dtype=np.int64)
        self._tod_cum = InverseCDF(np.cumsum(self._weights(tod, 0) if self.hour_profile is not None else np.ones(len(tod))))

    def _seconds(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self._day_cum is None:
            return self._start_s + self._step_s * self._cum(u)
        first_day = self._start_s // _DAY
        end_s = self._epoch(self.end)
        v = rng.random(len(u))
        out = (first_day + self._day_cum(u)) * _DAY + self._step_s * self._tod_cum(v)
        # Only the first and last (partial) days can fall outside; redraw the time of day for those rows.
        outside = (out < self._start_s) | (out > end_s)
        for _ in range(100):
            if not outside.any():
                break
            day = out[outside] // _DAY * _DAY
            out[outside] = day + self._step_s * self._tod_cum(rng.random(int(outside.sum())))
            outside = (out < self._start_s) | (out > end_s)
        return np.clip(out, self._start_s, end_s)  # a profile that is zero on the edge day's open hours

    def sample(self, ctx: ChunkContext) -> pa.Array:
        seconds = self._seconds(ctx.uniform(self.name), ctx.rng(self.name, "time-of-day"))
        return pa.array(seconds, pa.timestamp("s"))

    def native(self, values: pa.Array) -> pa.Array:
        if self.timezone is None:
            return values
        # Wall-clock times that a daylight-saving change skips or repeats take the earlier instant.
        return pc.assume_timezone(values, timezone=self.timezone, ambiguous="earliest", nonexistent="earliest")

    def finalize(self, values: pa.Array) -> pa.Array:
        if not self.format:
            return values
        # strftime is slow per value; timestamps repeat (whole days, minutes), so format each distinct one once.
        encoded = pc.dictionary_encode(values)
        if len(encoded.dictionary) > len(values) // 2:
            return pc.strftime(values, format=self.format)
        return pc.take(pc.strftime(encoded.dictionary, format=self.format), encoded.indices)
