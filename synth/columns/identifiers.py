"""Identifiers: ``sequence`` (1, 2, 3 ... or ``2015-000001``) and ``uuid`` (random version-4 UUIDs).

.. code-block:: yaml

    - name: id
      kind: sequence       # start: 1, step: 1
    - name: order_no
      kind: sequence
      start: 1
      prefix: "2015-"      # with prefix/digits/suffix the values are text: 2015-000001
      digits: 6
    - name: invoice
      kind: sequence       # several formats: {} is the number; each row picks one (weights), numbers rise in each
      formats: {"INV-{}": 70, "CR-{}": 30}
      start: {"INV-{}": 1300, "CR-{}": 120}
      step: 2
    - name: session
      kind: uuid

Row ``r`` holds the number ``start + step * r``; with ``formats`` a row's format is drawn from (seed, column, row)
alone, so every value is the same however the rows are cut into chunks, and the numbers of each format rise
with the row, never repeating (formats whose values could coincide are refused).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..lazy import np, pa, pc
from .base import ChunkContext, Column, duplicated, register


@register
class SequenceColumn(Column):
    """Row numbers: ``start``, ``start + step``, ... Unique by construction; the same however the work is split."""

    kind_name: ClassVar[str] = "sequence"
    random: ClassVar[bool] = False  # the row number decides the value
    chunk_free: ClassVar[bool] = True
    kind: Literal["sequence"] = "sequence"
    start: int | dict[str, int] = Field(default=1, description="The first number; with formats, a mapping format -> "
                                                               "first number (a format left out starts at 1)")
    step: int = Field(default=1, description="Difference between consecutive values; not zero")
    prefix: str = ""
    suffix: str = ""
    digits: int | None = Field(default=None, ge=1, le=30, description="Zero-pad the number to this many digits")
    formats: dict[str, float] | None = Field(
        default=None, description="Text formats with weights, {} standing for the number ({'INV-{}': 70, "
                                  "'CR-{}': 30}): each row picks one; numbers rise within each")

    _pick: Any = PrivateAttr(default=None)  # the InverseCDF over the formats

    @field_validator("step")
    @classmethod
    def _nonzero(cls, step: int) -> int:
        if step == 0:
            raise ValueError("step must not be zero")
        return step

    @model_validator(mode="after")
    def _check_formats(self) -> "SequenceColumn":
        if self.formats is None:
            if isinstance(self.start, dict):
                raise ValueError("start is a mapping format -> first number only with formats")
            return self
        if self.prefix or self.suffix:
            raise ValueError("formats hold the text around the number: leave prefix and suffix out")
        names = list(self.formats)
        for name in names:
            if name.count("{}") != 1 or "{" in name.replace("{}", "") or "}" in name.replace("{}", ""):
                raise ValueError(f"format {name!r} must hold {{}} (the number) once, and no other braces")
        starts = self.start if isinstance(self.start, dict) else {}
        unknown = sorted(set(starts) - set(names))
        if unknown:
            raise ValueError(f"start names {unknown[0]!r}, which is not one of the formats")
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if not _formats_disjoint(names[i], names[j]):
                    raise ValueError(f"formats {names[i]!r} and {names[j]!r} can make the same value")
        from .base import InverseCDF, as_weights

        self._pick = InverseCDF(np.cumsum(as_weights(self.formats.values(), "format weights")))
        return self

    def _starts(self) -> list[int]:
        """Each format's first number (the one start for every format when start is a number)."""
        if isinstance(self.start, dict):
            return [self.start.get(name, 1) for name in (self.formats or {})]
        return [self.start] * len(self.formats or {1: 1})

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        return [(f"{name} is unique", lambda f: duplicated(f[name]))]

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        if self.prefix or self.suffix or self.digits or self.formats:
            return {self.name: "string"}
        # within +-2**53 for any row count a run could reach (2**42 rows at 1024 a step)
        start = self._starts()[0]
        return {self.name: "integer" if abs(start) <= 2**52 and abs(self.step) <= 1024 else "int64"}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        # The last value must be a 64-bit integer (numpy makes them; past that it would fail).
        for start in self._starts():
            last = start + self.step * max(rows - 1, 0)
            if not (-2**63 <= start < 2**63 and -2**63 <= last < 2**63):
                return "its numbers go beyond 64 bits"
        return None

    def sample(self, ctx: ChunkContext) -> pa.Array:
        if self.formats:
            return self._sample_formats(ctx)
        numbers = pa.array(self.start + self.step * ctx.row_numbers())
        if not (self.prefix or self.suffix or self.digits):
            return numbers
        return self._written(numbers, self.prefix, self.suffix)

    def _written(self, numbers: pa.Array, prefix: str, suffix: str) -> pa.Array:
        text = pc.cast(numbers, pa.string())
        if self.digits:
            text = pc.utf8_lpad(text, width=self.digits, padding="0")
        return pc.binary_join_element_wise(prefix, text, suffix, "")

    def _sample_formats(self, ctx: ChunkContext) -> pa.Array:
        # The format is drawn from (seed, column, row) alone: the same for any chunking, like the number.
        which = self._pick(ctx.row_random(self.name, "format"))
        rows = ctx.row_numbers()
        out = pa.nulls(ctx.n, pa.string())
        for k, (name, start) in enumerate(zip(self.formats or {}, self._starts())):
            mask = which == k
            if mask.any():
                prefix, suffix = name.split("{}")
                text = self._written(pa.array(start + self.step * rows), prefix, suffix)
                out = pc.if_else(pa.array(mask), text, out)
        return out


def _formats_disjoint(a: str, b: str) -> bool:
    """True when no value of format ``a`` (text around a run of digits) can be a value of format ``b``.

    >>> _formats_disjoint("INV-{}", "CR-{}"), _formats_disjoint("A{}", "A{}B"), _formats_disjoint("A{}", "A1{}")
    (True, True, False)
    """
    (pa_, sa), (pb, sb) = a.split("{}"), b.split("{}")
    if pa_[: len(pb)] != pb[: len(pa_)] or sa[::-1][: len(sb)] != sb[::-1][: len(sa)]:
        return True  # the text before (or after) the number differs where both have some
    # One prefix (suffix) extends the other: a value of both needs the extra text to be digits of the number.
    extra = pa_[len(pb):] + pb[len(pa_):] + sa[: max(0, len(sa) - len(sb))] + sb[: max(0, len(sb) - len(sa))]
    return not extra.replace("-", "").isdigit() if extra else False


@register
class UuidColumn(Column):
    """Random version-4 UUIDs in the usual 8-4-4-4-12 hex form, from the seeded generator."""

    kind_name: ClassVar[str] = "uuid"
    chunk_free: ClassVar[bool] = True
    kind: Literal["uuid"] = "uuid"

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        return {self.name: "string"}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        return None

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        form = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
        return [(f"{name} is unique", lambda f: duplicated(f[name])),
                (f"{name} is a UUID", lambda f: (f[name].notna() & ~f[name].astype(str).str.match(form)).to_numpy())]

    def sample(self, ctx: ChunkContext) -> pa.Array:
        # 128 bits keyed by the row (ChunkContext.row_bits): a key never depends on the chunking, as a child
        # table's chunks vary in size.
        halves = [ctx.row_bits(self.name, half).astype(">u8") for half in ("high", "low")]
        raw = np.stack(halves, axis=1).view(np.uint8).reshape(ctx.n, 16).copy()
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        hexed = np.frombuffer(binascii.hexlify(raw.tobytes()), dtype="S1").reshape(ctx.n, 32)
        out = np.full((ctx.n, 36), b"-", dtype="S1")
        for dst, src in ((slice(0, 8), slice(0, 8)), (slice(9, 13), slice(8, 12)), (slice(14, 18), slice(12, 16)),
                         (slice(19, 23), slice(16, 20)), (slice(24, 36), slice(20, 32))):
            out[:, dst] = hexed[:, src]
        flat = np.ascontiguousarray(out).view("S36").ravel()
        return pa.array(flat, type=pa.binary(36)).cast(pa.string())
