"""Reading real tables and telling what kind each column is: one home for `synth fit` and `synth audit`.

>>> import pandas as pd
>>> infer_kinds(pd.DataFrame({"n": [1.5, 2.0] * 10, "d": ["2022-01-01", "2022-01-02"] * 10, "c": ["a", "b"] * 10}))
{'n': 'numeric', 'd': 'date', 'c': 'categorical'}

Kinds: ``numeric``, ``boolean``, ``categorical``, ``date``, ``datetime``, ``time``, ``identifier``
(codes and ids, names, emails, phones: values that point at one record) and ``text`` (free text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SynthError
from .lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
else:  # imported on first use: `synth --help` loads this module (through the audit command) but reads no table
    np, pd = LazyModule("numpy"), LazyModule("pandas")
    pa, pc = LazyModule("pyarrow"), LazyModule("pyarrow.compute")

#: Text date/time formats tried in order (the one that parses the most values wins).
DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y",
    "%b %d, %Y", "%H:%M:%S", "%H:%M",
]
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^https?://\S+$")
#: A cheap first look: only values shaped like this are handed to the phone-number parser.
_PHONE = re.compile(r"^[+(]?[\d][\d ()./x-]{6,}$")
#: Regions whose national formats are tried (numbers written with ``+`` and a country code parse in any).
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "BR")
_NAME = re.compile(r"^[A-Z][a-zA-Z'’.-]*(?: [A-Z][a-zA-Z'’.-]*){0,3}$")


def split_holdout(frame: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split into (training rows, holdout rows), each in the table's original order.

    >>> train, hold = split_holdout(pd.DataFrame({"x": range(10)}), 0.2, seed=0)
    >>> len(train), len(hold), sorted(train.x.tolist() + hold.x.tolist()) == list(range(10))
    (8, 2, True)
    """
    if len(frame) < 2:
        raise SynthError("a holdout needs at least 2 rows in the real table")
    n_hold = min(len(frame) - 1, max(1, round(share * len(frame))))
    held = np.zeros(len(frame), dtype=bool)
    held[np.random.default_rng(seed).permutation(len(frame))[:n_hold]] = True
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write rows read by :func:`read_table` back out, whole or not at all (see :mod:`synth.io`)."""
    from .io import write_table

    write_table(frame, path)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table from any address :mod:`synth.io` knows; any problem is one clear :class:`SynthError`."""
    from .io import read_table

    return read_table(path)


@dataclass
class DistinctText:
    """A text column as its distinct values, their counts, and each row's index into them.

    Real columns repeat values (dates, states, products): parsing and testing each distinct value once,
    then weighting by its count, does the same work as going row by row in a fraction of the time.

    >>> d = DistinctText.of(pd.Series(["a", "b", "a"]))
    >>> list(d.values), d.counts.tolist(), d.codes.tolist()
    (['a', 'b'], [2, 1], [0, 1, 0])
    """

    values: pd.Series  # distinct strings, in order of first appearance
    counts: np.ndarray
    codes: np.ndarray  # row -> index into values
    _arrow: pa.Array | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, text: pd.Series) -> "DistinctText":
        """The present (non-missing) values of a column, as text."""
        return cls.of_arrow(arrow_text(text).drop_null())

    @classmethod
    def of_arrow(cls, text: pa.Array) -> "DistinctText":
        """From an Arrow string array without nulls (distinct values in order of first appearance)."""
        encoded = pc.dictionary_encode(text)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        values = pd.Series(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        return cls(values, np.bincount(codes, minlength=len(values)), codes, encoded.dictionary)

    @property
    def rows(self) -> int:
        return int(len(self.codes))

    def share(self, mask: np.ndarray | pd.Series) -> float:
        """Share of rows whose value satisfies ``mask`` (one flag per distinct value)."""
        return float(self.counts[np.asarray(mask, dtype=bool)].sum() / max(1, self.rows))

    def expand(self, per_value: np.ndarray | pd.Series) -> np.ndarray:
        """Per-row array from one entry per distinct value."""
        return np.asarray(per_value)[self.codes]

    def sample(self, k: int, seed: int = 0) -> "DistinctText":
        """At most ``k`` of the rows, drawn at random (a stride could line up with a pattern in row order)."""
        if self.rows <= k:
            return self
        codes = self.codes[np.random.default_rng(seed).choice(self.rows, k, replace=False)]
        counts = np.bincount(codes, minlength=len(self.values))
        used = np.flatnonzero(counts)
        renumber = np.zeros(len(self.values), dtype=np.int64)
        renumber[used] = np.arange(len(used))
        return DistinctText(self.values.iloc[used].reset_index(drop=True), counts[used], renumber[codes])

    def arrow(self) -> pa.Array:
        """The distinct values as an Arrow string array (made once)."""
        if self._arrow is None:
            self._arrow = pa.array(self.values.to_numpy(dtype=object), pa.string())
        return self._arrow

    def share_matching(self, pattern: str) -> float:
        """Share of rows whose value matches the regular expression (Arrow's RE2 engine, each distinct value once)."""
        return self.share(pc.match_substring_regex(self.arrow(), pattern).to_numpy(zero_copy_only=False))

    def mean(self, per_value: np.ndarray | pa.Array) -> float:
        """Row-weighted mean of one number per distinct value."""
        return float(np.average(np.asarray(per_value, dtype=float), weights=self.counts)) if self.rows else 0.0


def arrow_text(series: pd.Series) -> pa.Array:
    """A column as an Arrow string array, missing values as nulls (no copy for pandas' Arrow-backed text)."""
    if isinstance(series.dtype, pd.StringDtype):
        arr = pa.array(series.array)
    else:
        arr = pa.array(series.astype(str).to_numpy(dtype=object), pa.string(), mask=series.isna().to_numpy())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def datetime_format(text: pd.Series | None, distinct: DistinctText | None = None) -> tuple[str | None, float]:
    """The date/time format most values are written in, and the share of all values it parses.

    ``(None, 0.0)`` when no format parses at least 95% of a sample of 2,000 rows.
    """
    distinct = distinct or DistinctText.of(text)
    sample = distinct.sample(2000)
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
    if best is None or best_share < 0.95:
        return None, 0.0
    return best, distinct.share(pd.to_datetime(distinct.values, format=best, errors="coerce").notna())


def temporal_kind(fmt: str) -> str:
    """``date``, ``datetime`` or ``time`` for a strftime format."""
    has_date = re.search(r"%[dmYyb]", fmt) is not None
    has_time = re.search(r"%[HM]", fmt) is not None
    return "datetime" if has_date and has_time else ("date" if has_date else "time")


def identity_provider(text: pd.Series | DistinctText) -> str | None:
    """The Faker provider for identity-like text (email, url, phone_number, first_name, name), or None."""
    distinct = text if isinstance(text, DistinctText) else DistinctText.of(text)
    sample = distinct.sample(1000)
    if sample.share_matching(_EMAIL.pattern) > 0.95:
        return "email"
    if sample.share_matching(_URL.pattern) > 0.95:
        return "url"
    if (sample.share_matching(_PHONE.pattern) > 0.95
            and sample.mean(pc.count_substring_regex(sample.arrow(), r"\d")) >= 7
            and _mostly_phone_numbers(sample)):
        return "phone_number"
    # A name is written with lower-case letters: all-capital words (ATL, JFK) are codes.
    if (len(distinct.values) / max(1, distinct.rows) > 0.05 and sample.share_matching(_NAME.pattern) > 0.9
            and sample.share_matching("[a-z]") > 0.9):
        return "first_name" if sample.mean(pc.count_substring(sample.arrow(), " ")) + 1 < 1.5 else "name"
    return None


def is_phone_number(text: str) -> bool:
    """True when the whole text is a valid phone number written in its country's digit grouping.

    A regular expression cannot tell ``2015-017257`` (a year and a running number) from a phone number, and
    even a parser finds a valid New Jersey number in those digits; what gives an identifier away is its
    grouping, so the parser's strict-grouping check is what decides.

    >>> is_phone_number("(201) 501-7257"), is_phone_number("+44 20 7946 0958"), is_phone_number("2015-017257")
    (True, True, False)
    """
    import phonenumbers  # imported here: only fitting and auditing need it, not generating

    strict = phonenumbers.Leniency.STRICT_GROUPING
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=strict):
            if match.start == 0 and match.end == len(text):
                return True
    return False


def _mostly_phone_numbers(sample: DistinctText, draws: int = 200, share: float = 0.9) -> bool:
    """Whether at least ``share`` of up to ``draws`` distinct values are phone numbers (stops once that is out of reach)."""
    values = sample.values.iloc[:draws].tolist()
    allowed = int(len(values) * (1 - share))
    misses = 0
    for v in values:  # the parser works on one string at a time; the early stop keeps identifiers cheap
        if not is_phone_number(str(v).strip()):
            misses += 1
            if misses > allowed:
                return False
    return True


def infer_kind(series: pd.Series, max_categories: int = 1000) -> str:
    """The kind of one column (see the module docstring)."""
    values = series.dropna()
    if len(values) == 0:
        return "categorical"
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values)
        return "date" if bool((stamps.dt.normalize() == stamps).all()) else "datetime"
    if pd.api.types.is_numeric_dtype(values):
        if values.nunique() <= 2 and set(pd.unique(values)) <= {0, 1}:
            return "boolean"
        return "numeric"
    text = values.astype(str)
    lowered = set(text.str.lower().unique()[:3])
    if len(lowered) <= 2 and lowered <= {"true", "false"}:
        return "boolean"
    if pd.to_numeric(text, errors="coerce").notna().mean() >= 0.999 and not text.str.match(r"^0\d").any():
        return "numeric"
    fmt, _ = datetime_format(text)
    if fmt is not None:
        return temporal_kind(fmt)
    if identity_provider(text) is not None:
        return "identifier"
    distinct = text.nunique()
    counts = text.value_counts()
    if distinct <= max_categories and counts[counts >= 5].sum() >= 0.9 * len(text) and distinct < 0.5 * len(text):
        return "categorical"
    if (text.str.count(" ") + 1).mean() > 3:
        return "text"
    return "identifier"


def infer_kinds(frame: pd.DataFrame, max_categories: int = 1000) -> dict[str, str]:
    """The kind of every column, by name."""
    return {str(c): infer_kind(frame[c], max_categories) for c in frame.columns}
