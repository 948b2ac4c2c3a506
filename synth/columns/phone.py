"""Phone numbers: ``phone`` makes valid numbers of one region, written in given formats.

In a format ``#`` is the next digit of the national number; ``#`` after a letter (``x``, ``ext``) is a digit of
an extension; anything else is written as is, so the country code (``+1``) or a trunk prefix (``0``) is part of
the format. ``synth fit`` learns the formats of a real phone column with their shares, and its region.

.. code-block:: yaml

    - name: phone
      kind: phone
      region: US                 # whose numbers (ISO 3166 code, as the phonenumbers package names regions)
      formats: {"(###) ###-####": 60, "###-###-####": 25, "+1 ### ### ####": 10, "###-###-####x###": 5}
      leading: {"312": 60, "773": 30}  # area codes (the national number's first digits) with their weights
      other_leading: 10          # the weight of numbers with any leading digits the region uses

A number is valid as the ``phonenumbers`` package judges it (a fixed-line or mobile number of the region, from
Google's libphonenumber metadata): national numbers are drawn digit by digit, the first digits from the
prefixes that region uses (or from ``leading``), and kept when the region's patterns match them whole (Arrow's RE2,
a chunk at a time). Every draw is keyed by the row number, so a row's number does not depend on the chunking.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa, pc
from .base import ChunkContext, Column, InverseCDF, as_weights, register
from .pattern import _as_strings, _pick, _place

#: Leading digits drawn from the prefixes the region uses (a prefix of this many digits, or the whole number).
PREFIX_DIGITS = 4
#: Completions tried per prefix when learning which prefixes the region uses.
PREFIX_TRIES = 16


def national_digits(fmt: str) -> tuple[list[int], list[int]]:
    """Positions of a format's national-number digits and of its extension digits (``#`` after a letter).

    >>> national_digits("(###) ###-####x##")
    ([1, 2, 3, 6, 7, 8, 10, 11, 12, 13], [15, 16])
    """
    letter = next((i for i, ch in enumerate(fmt) if ch.isascii() and ch.isalpha()), len(fmt))
    hashes = [i for i, ch in enumerate(fmt) if ch == "#"]
    return [i for i in hashes if i < letter], [i for i in hashes if i > letter]


@functools.lru_cache(maxsize=None)
def _region(region: str) -> tuple[int, str, str, tuple[int, ...]]:
    """A region's country code, its general and its fixed-line-or-mobile patterns (whole-match regexes), and the
    lengths of its fixed-line and mobile numbers; ValueError for a region phonenumbers does not know."""
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region.upper())
    if meta is None:
        raise ValueError(f"region {region!r} is not one the phonenumbers package knows (e.g. US, GB, DE, FR, IN)")
    general = f"^(?:{meta.general_desc.national_number_pattern})$"
    typed = f"^(?:{meta.fixed_line.national_number_pattern}|{meta.mobile.national_number_pattern})$"
    lengths = tuple(sorted(set(meta.fixed_line.possible_length) | set(meta.mobile.possible_length)))
    return meta.country_code, general, typed, lengths


def valid_national(numbers: pa.Array, region: str) -> np.ndarray:
    """Whether each national number (digits as text) is a valid fixed-line or mobile number of ``region``.

    >>> valid_national(pa.array(["3127398948", "1127398948", "312739894"]), "US").tolist()
    [True, False, False]
    """
    _, general, typed, _ = _region(region)
    ok = pc.and_(pc.match_substring_regex(numbers, general), pc.match_substring_regex(numbers, typed))
    return ok.to_numpy(zero_copy_only=False)


@functools.lru_cache(maxsize=None)
def _prefixes(region: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The leading digits the region's numbers of ``length`` digits use, with how often a random completion of
    each was valid (weights): drawing a prefix first keeps most draws valid even where few numbers are."""
    digits = min(PREFIX_DIGITS, length)
    prefixes = np.arange(10**digits, dtype=np.int64)
    rng = np.random.default_rng(length)  # fixed: the same prefixes in every process
    rest = rng.integers(0, 10 ** (length - digits), size=(PREFIX_TRIES, len(prefixes))) if length > digits else \
        np.zeros((1, len(prefixes)), dtype=np.int64)
    numbers = prefixes[None, :] * 10 ** (length - digits) + rest
    hits = valid_national(_digit_text(numbers.ravel(), length), region).reshape(numbers.shape).sum(axis=0)
    keep = np.flatnonzero(hits)
    return prefixes[keep], hits[keep].astype(float)


def _begins_valid(region: str, lead: str, length: int) -> bool:
    """Whether some of the ``length``-digit numbers that begin with ``lead`` are valid numbers of ``region``
    (tried on a fixed set of random completions).

    >>> _begins_valid("US", "312", 10), _begins_valid("US", "911", 10)
    (True, False)
    """
    rest = 10 ** (length - len(lead))
    tries = np.random.default_rng(len(lead)).integers(0, rest, size=256)
    return bool(valid_national(_digit_text(int(lead) * rest + tries, length), region).any())


def _digit_text(numbers: np.ndarray, length: int) -> pa.Array:
    """Whole numbers as zero-padded text of ``length`` digits."""
    chars = np.empty((len(numbers), length), dtype=np.uint8)
    rest = numbers.astype(np.int64).copy()
    for j in range(length - 1, -1, -1):
        chars[:, j] = 48 + rest % 10
        rest //= 10
    return _as_strings(chars)


@register
class PhoneColumn(Column):
    """Valid phone numbers of one region in given formats (``(###) ###-####``), drawn afresh."""

    kind_name: ClassVar[str] = "phone"
    chunk_free: ClassVar[bool] = True
    kind: Literal["phone"] = "phone"
    region: str = Field(default="US", description="Whose numbers: a region code as the phonenumbers package names "
                                                  "them (US, GB, DE, ...); numbers are valid fixed-line or mobile ones")
    formats: list[str] | dict[str, float] = Field(
        default_factory=lambda: {"(###) ###-####": 1.0}, min_length=1,
        description="How numbers are written, a list or a mapping format -> weight: # is the next digit of the "
                    "national number, # after a letter (x, ext) an extension digit, anything else as is")

    leading: dict[str, float] | None = Field(
        default=None, description="The national number's leading digits (area codes: {'312': 70, '773': 30}), a "
                                  "mapping digits -> weight; rows not given to one take any leading digits of "
                                  "the region (weight `other_leading`)")
    other_leading: float = Field(default=0.0, ge=0.0, description="With leading: the weight of rows whose numbers "
                                                                  "take any leading digits the region uses")

    _icdf: Any = PrivateAttr(default=None)
    _layout: list[tuple[bytes, list[int], list[int]]] = PrivateAttr(default_factory=list)
    _lead: Any = PrivateAttr(default=None)  # (InverseCDF over the leading digits then "other", their digits)

    @model_validator(mode="after")
    def _check(self) -> "PhoneColumn":
        names = list(self.formats)
        weights = list(self.formats.values()) if isinstance(self.formats, dict) else [1.0] * len(names)
        _, _, _, lengths = _region(self.region)
        self._layout = []
        for fmt in names:
            if not fmt.isascii():
                raise ValueError(f"format {fmt!r} must be ASCII text")
            national, extension = national_digits(fmt)
            if len(national) not in lengths:
                raise ValueError(f"format {fmt!r} holds {len(national)} national digits; {self.region} numbers have "
                                 f"{' or '.join(map(str, lengths))}")
            self._layout.append((fmt.encode("ascii"), national, extension))
        self._icdf = InverseCDF(np.cumsum(as_weights(weights, "format weights")))
        if self.leading is not None:
            self._check_leading(min(len(national) for _, national, _ in self._layout))
        elif self.other_leading:
            raise ValueError("other_leading is the weight of rows outside `leading`: give leading too, or leave it out")
        return self

    def _check_leading(self, shortest: int) -> None:
        """Each leading digits must be digits, shorter than every format's number, and begin valid numbers."""
        names = list(self.leading or {})
        if not names:
            raise ValueError("leading must name at least one set of leading digits")
        for lead in names:
            if not (lead.isascii() and lead.isdigit() and len(lead) < shortest):
                raise ValueError(f"leading digits {lead!r} must be 1 to {shortest - 1} digits (the formats' numbers "
                                 f"have {shortest})")
            if not _begins_valid(self.region, lead, shortest):
                raise ValueError(f"leading digits {lead!r} begin no valid {self.region} number")
        weights = list((self.leading or {}).values()) + [self.other_leading]
        self._lead = (InverseCDF(np.cumsum(as_weights(weights, "leading weights"))), names)

    def trial_reason(self, known: Any, rows: int) -> str | None:
        return None  # the formats and the region were checked; any row count works

    def value_types(self, known: Any) -> dict[str, str | None]:
        return {self.name: "string"}

    def rules(self) -> list[tuple[str, Any]]:
        import re

        name = self.name
        forms = ["".join(r"\d" if ch == "#" else re.escape(ch) for ch in fmt.decode()) for fmt, _, _ in self._layout]
        pattern = "^(?:" + "|".join(forms) + ")$"
        return [(f"{name} follows its formats", lambda f: (f[name].notna() & ~f[name].astype(str).str.match(pattern)).to_numpy())]

    def sample(self, ctx: ChunkContext) -> pa.Array:
        # Every draw is keyed by the row (ChunkContext.row_bits), so a number never depends on the chunking.
        which = _pick(self._icdf, ctx, self.name, "format")
        out = pa.nulls(ctx.n, pa.string())
        for k, (fmt, national, extension) in enumerate(self._layout):
            rows = np.flatnonzero(which == k)
            if len(rows):
                digits = self._numbers(ctx, rows, len(national))
                ext = np.empty((len(rows), len(extension)), dtype=np.uint8)
                for j in range(len(extension)):
                    ext[:, j] = 48 + ctx.row_bits(self.name, f"ext{j}", at=rows) % np.uint64(10)
                out = _place(out, rows, _written(fmt, national, extension, digits, ext))
        return out

    def _numbers(self, ctx: ChunkContext, rows: np.ndarray, length: int) -> np.ndarray:
        """Valid national numbers of ``length`` digits for the chunk's ``rows``, as rows of ASCII digits: each row
        tries (a prefix the region uses, then random digits), attempt after attempt, until the region's patterns
        match; attempt ``a`` of a row is drawn from (seed, column, row, a), so any chunking gives the same numbers."""
        prefixes, weights = _prefixes(self.region, length)
        if not len(prefixes):
            raise ValueError(f"no valid {self.region} numbers of {length} digits were found")
        pick = InverseCDF(np.cumsum(weights))
        # Rows given leading digits keep them in every attempt; the others ("other") draw the region's own.
        given = np.full(len(rows), -1, dtype=np.int64)
        given_tail = np.ones(len(rows), dtype=np.int64)
        if self._lead is not None:
            icdf, names = self._lead
            choice = icdf(ctx.row_random(self.name, "leading", at=rows))
            known = choice < len(names)
            given[known] = np.array([int(x) for x in names], dtype=np.int64)[choice[known]]
            given_tail[known] = np.array([10 ** (length - len(x)) for x in names], dtype=np.int64)[choice[known]]
        tail = np.where(given >= 0, given_tail, 10 ** (length - min(PREFIX_DIGITS, length)))
        numbers = np.zeros(len(rows), dtype=np.int64)
        todo = np.arange(len(rows))
        for attempt in range(1000):  # most draws are valid: a handful of attempts
            at = rows[todo]
            lead = np.where(given[todo] >= 0, given[todo],
                            prefixes[pick(ctx.row_random(self.name, "prefix", str(attempt), at=at))])
            bits = ctx.row_bits(self.name, "digits", str(attempt), at=at)
            rest = (bits % tail[todo].astype(np.uint64)).astype(np.int64)
            drawn = lead * tail[todo] + rest
            ok = valid_national(_digit_text(drawn, length), self.region)
            numbers[todo[ok]] = drawn[ok]
            todo = todo[~ok]
            if not len(todo):
                break
        else:  # pragma: no cover - the prefixes were chosen because their completions are valid
            raise ValueError(f"too few valid {self.region} numbers of {length} digits")
        chars = np.empty((len(rows), length), dtype=np.uint8)
        for j in range(length - 1, -1, -1):
            chars[:, j] = 48 + numbers % 10
            numbers = numbers // 10
        return chars


def _written(fmt: bytes, national: list[int], extension: list[int], digits: np.ndarray, ext: np.ndarray) -> pa.Array:
    """Numbers written in ``fmt``: its literal characters, the national ``digits`` and the extension digits
    ``ext`` (rows of ASCII digits) at their places.

    >>> _written(b"(###) ###-####x#", *national_digits("(###) ###-####x#"),
    ...          np.frombuffer(b"3127398948", np.uint8)[None, :], np.frombuffer(b"7", np.uint8)[None, :]).to_pylist()
    ['(312) 739-8948x7']
    """
    chars = np.empty((len(digits), len(fmt)), dtype=np.uint8)
    chars[:] = np.frombuffer(fmt, dtype=np.uint8)
    chars[:, national] = digits
    if extension:
        chars[:, extension] = ext
    return _as_strings(chars)
