"""Identifiers: ``sequence`` (1, 2, 3 ... or ``2015-000001``) and ``uuid`` (random version-4 UUIDs).

.. code-block:: yaml

    - name: id
      kind: sequence       # start: 1, step: 1
    - name: order_no
      kind: sequence
      start: 1
      prefix: "2015-"      # with prefix/digits/suffix the values are text: 2015-000001
      digits: 6
    - name: session
      kind: uuid
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..lazy import np, pa, pc
from .base import ChunkContext, Column, duplicated, register


@register
class SequenceColumn(Column):
    """Row numbers: ``start``, ``start + step``, ... Unique by construction; the same however the work is split."""

    kind_name: ClassVar[str] = "sequence"
    random: ClassVar[bool] = False  # the row number decides the value
    kind: Literal["sequence"] = "sequence"
    start: int = 1
    step: int = Field(default=1, description="Difference between consecutive values; not zero")
    prefix: str = ""
    suffix: str = ""
    digits: int | None = Field(default=None, ge=1, le=30, description="Zero-pad the number to this many digits")

    @field_validator("step")
    @classmethod
    def _nonzero(cls, step: int) -> int:
        if step == 0:
            raise ValueError("step must not be zero")
        return step

    def rules(self) -> list[tuple[str, Any]]:
        name = self.name
        return [(f"{name} is unique", lambda f: duplicated(f[name]))]

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        if self.prefix or self.suffix or self.digits:
            return {self.name: "string"}
        # within +-2**53 for any row count a run could reach (2**42 rows at 1024 a step)
        return {self.name: "integer" if abs(self.start) <= 2**52 and abs(self.step) <= 1024 else "int64"}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        # The last value must be a 64-bit integer (numpy makes them; past that it would fail).
        last = self.start + self.step * max(rows - 1, 0)
        return None if -2**63 <= self.start < 2**63 and -2**63 <= last < 2**63 else "its numbers go beyond 64 bits"

    def sample(self, ctx: ChunkContext) -> pa.Array:
        numbers = pa.array(self.start + self.step * ctx.row_numbers())
        if not (self.prefix or self.suffix or self.digits):
            return numbers
        text = pc.cast(numbers, pa.string())
        if self.digits:
            text = pc.utf8_lpad(text, width=self.digits, padding="0")
        return pc.binary_join_element_wise(self.prefix, text, self.suffix, "")


@register
class UuidColumn(Column):
    """Random version-4 UUIDs in the usual 8-4-4-4-12 hex form, from the seeded generator."""

    kind_name: ClassVar[str] = "uuid"
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
        raw = ctx.rng(self.name).integers(0, 256, size=(ctx.n, 16), dtype=np.uint8)
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
        hexed = np.frombuffer(binascii.hexlify(raw.tobytes()), dtype="S1").reshape(ctx.n, 32)
        out = np.full((ctx.n, 36), b"-", dtype="S1")
        for dst, src in ((slice(0, 8), slice(0, 8)), (slice(9, 13), slice(8, 12)), (slice(14, 18), slice(12, 16)),
                         (slice(19, 23), slice(16, 20)), (slice(24, 36), slice(20, 32))):
            out[:, dst] = hexed[:, src]
        flat = np.ascontiguousarray(out).view("S36").ravel()
        return pa.array(flat, type=pa.binary(36)).cast(pa.string())
