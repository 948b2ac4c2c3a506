"""Codes shaped like a template: ``pattern`` (licence numbers, SKUs, plates: ``S######``, ``AB-####``).

In a template ``#`` is a digit, ``?`` an upper-case letter, ``@`` a lower-case letter, ``*`` a digit or
upper-case letter; anything else is written as is (``\\`` before a symbol keeps it literal). Several
templates can be given with weights, e.g. as ``synth fit`` learns them from real identifiers.

.. code-block:: yaml

    - name: license_number
      kind: pattern
      patterns: {"S######": 30, "#######": 70}
      unique: true               # no value repeats (fails early if the templates hold too few)
    - name: case_no
      kind: pattern
      patterns: {"##-######": 1}
      increasing: true           # running numbers: codes count up with the row
      start: "17-005000"         # the first code (one per pattern: a mapping pattern -> code)
      step: 1                    # code numbers per row: 1 counts 17-005000, 17-005001, ...
    - name: tailnum
      kind: pattern
      patterns: {"N###??": 76, "N#####": 17, "N####?": 7}
      sorted: true               # codes rise with the row in text order, all patterns together
      unique: true

A template's codes are numbered in text order (``17-000000`` is code 0 of ``##-######``, ``17-000001``
code 1); with ``increasing`` row ``r`` takes a code number in ``[start + floor(r * step),
start + floor((r + 1) * step))``, so codes rise with the row and never repeat. Every code (its template
too) is drawn from (seed, column, row number) alone, so the output is the same however the rows are cut
into chunks and for any number of workers.

With ``sorted`` the codes of all templates are lined up in text order as one space, each template holding its
weight's share, and row ``r`` of ``N`` takes a code from the ``r``-th of ``N`` equal slices of that space
(:mod:`synth.columns.code_space`): the column rises with the row whatever the row count, the codes are drawn
afresh, and each depends only on (seed, column, row), so any chunking gives the same codes. With ``unique``
too, no code repeats; a table with more rows than the templates hold in their shares is refused before any
row is made.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..lazy import np, pa, pc
from .base import ChunkContext, Column, InverseCDF, PlanContext, as_weights, duplicated, register
from .permute import permutation

_ALPHABETS = {
    "#": b"0123456789",
    "?": b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "@": b"abcdefghijklmnopqrstuvwxyz",
    "*": b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}


def _slots(template: str) -> list[bytes]:
    """Each position's alphabet (a literal is an alphabet of one)."""
    out: list[bytes] = []
    escaped = False
    for ch in template:
        if escaped:
            out.append(ch.encode("utf-8"))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(_ALPHABETS.get(ch, ch.encode("utf-8")))
    return out


def _disjoint(a: list[bytes], b: list[bytes]) -> bool:
    """True when no code fits both templates: other lengths, or a position with no character in common."""
    return len(a) != len(b) or any(not set(x) & set(y) for x, y in zip(a, b))


def _capacity(slots: list[bytes]) -> int:
    cap = 1
    for s in slots:
        if len(s) > 1:
            cap *= len(s)
    return cap


#: Increasing codes are counted in int64; a template with more codes than this cannot count up.
MAX_COUNTED = 2**62
#: A template of at most this many codes draws its code as one 64-bit number modulo its size.
SMALL_SPACE = 2**40


def code_numbers(slots: list[bytes], codes: list[str] | np.ndarray) -> np.ndarray:
    """Each code's number in its template (text order), -1 where a code does not fit the template.

    >>> code_numbers(_slots("##-####"), ["17-000003", "17-0003", "00-0000", "A7-0000"]).tolist()
    [-1, 170003, 0, -1]
    """
    width = len(slots)
    encoded = [str(c).encode("ascii", "replace") for c in codes]
    ok = np.array([len(e) == width for e in encoded], dtype=bool)
    chars = np.frombuffer(b"".join(e for e, good in zip(encoded, ok) if good), dtype=np.uint8).reshape(-1, width)
    number = np.zeros(len(chars), dtype=np.int64)
    fits = np.ones(len(chars), dtype=bool)
    for j, alphabet in enumerate(slots):
        lookup = np.full(256, -1, dtype=np.int64)
        lookup[np.frombuffer(alphabet, dtype=np.uint8)] = np.arange(len(alphabet))
        digit = lookup[chars[:, j]]
        fits &= digit >= 0
        if len(alphabet) > 1:
            number = number * len(alphabet) + np.maximum(digit, 0)
    out = np.full(len(encoded), -1, dtype=np.int64)
    out[np.flatnonzero(ok)] = np.where(fits, number, -1)
    return out


@register
class PatternColumn(Column):
    """Text codes following templates (``#`` digit, ``?`` letter); optionally unique."""

    kind_name: ClassVar[str] = "pattern"
    chunk_free: ClassVar[bool] = True
    kind: Literal["pattern"] = "pattern"
    patterns: list[str] | dict[str, float] = Field(
        min_length=1, description="Templates (# digit, ? upper-case, @ lower-case, * digit or upper-case, \\ literal), "
                                  "a list or a mapping template -> weight (each row picks one)")
    unique: bool = Field(default=False, description="No code repeats (fails early if the templates hold too few)")
    increasing: bool = Field(
        default=False, description="Running numbers: within each template codes rise with the row number (in text "
                                   "order), from `start`, `step` code numbers per row; unique by construction")
    start: str | dict[str, str] | None = Field(
        default=None, description="With increasing: the first code, or a mapping template -> first code "
                                  "(default: each template's first code, 000...)")
    step: float = Field(default=1.0, ge=1.0, description="With increasing: code numbers per row (1: consecutive "
                                                         "codes; a template picked by a share w of rows moves "
                                                         "about step / w per code)")
    sorted: bool = Field(
        default=False, description="Codes rise with the row in text order, all patterns together (one code from each "
                                   "of the table's equal slices of the code space, so the same for any chunking); "
                                   "with unique, no code repeats")

    _templates: list[list[bytes]] = PrivateAttr(default_factory=list)
    _icdf: InverseCDF = PrivateAttr(default=None)
    _starts: list[int] = PrivateAttr(default_factory=list)
    _space: Any = PrivateAttr(default=None)  # the CodeSpace of a sorted column

    @model_validator(mode="after")
    def _check(self) -> "PatternColumn":
        names = list(self.patterns) if isinstance(self.patterns, dict) else self.patterns
        weights = list(self.patterns.values()) if isinstance(self.patterns, dict) else [1.0] * len(names)
        if not all(t.isascii() and t for t in names):
            raise ValueError("patterns must be non-empty ASCII text")
        self._templates = [_slots(t) for t in names]
        self._icdf = InverseCDF(np.cumsum(as_weights(weights, "pattern weights")))
        if self.sorted:
            if self.increasing:
                raise ValueError("sorted and increasing are two ways to order codes: keep one")
            from .code_space import CodeSpace  # here: code_space builds on this module

            self._space = CodeSpace(names, weights)
        elif self.unique:  # sorted codes are one space, unique by construction even where templates overlap
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    if not _disjoint(self._templates[i], self._templates[j]):
                        raise ValueError(f"unique patterns {names[i]!r} and {names[j]!r} can make the same code")
        if self.increasing:
            self._starts = self._check_starts(names)
        elif self.start is not None:
            raise ValueError("start is for increasing codes: add increasing: true, or leave start out")
        return self

    def _check_starts(self, names: list[str]) -> list[int]:
        if isinstance(self.start, str):
            if len(names) != 1:
                raise ValueError("with several patterns, start is a mapping pattern -> first code")
            given = {names[0]: self.start}
        else:
            given = dict(self.start or {})
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(f"start names {unknown[0]!r}, which is not one of the patterns")
        starts = []
        for name, slots in zip(names, self._templates):
            if _capacity(slots) > MAX_COUNTED:
                raise ValueError(f"pattern {name!r} holds too many codes to count up (at most 2^62)")
            code = given.get(name)
            number = 0 if code is None else int(code_numbers(slots, [code])[0])
            if number < 0:
                raise ValueError(f"start code {code!r} does not fit pattern {name!r}")
            starts.append(number)
        return starts

    def rules(self) -> list[tuple[str, Any]]:
        import re

        name = self.name
        alternatives = []
        for slots in self._templates:
            alternatives.append("".join(re.escape(s.decode()) if len(s) == 1 else "[" + re.escape(s.decode()) + "]" for s in slots))
        form = "^(?:" + "|".join(alternatives) + ")$"
        out: list[tuple[str, Any]] = [(f"{name} follows its patterns", lambda f: (f[name].notna() & ~f[name].astype(str).str.match(form)).to_numpy())]
        if self.unique or self.increasing:
            out.append((f"{name} is unique", lambda f: duplicated(f[name])))
        if self.sorted:
            out.append((f"{name} rises with the row", lambda f: _falls(f[name])))
        return out

    def prepare(self, plan: PlanContext) -> None:
        if self.sorted:
            if self.unique and plan.total_rows > self._space.unique_rows:
                raise ValueError(f"sorted unique codes: {plan.total_rows:,} rows need more codes than the patterns "
                                 f"hold in their shares (at most {self._space.unique_rows:,} rows); ask for fewer "
                                 "rows, or widen the patterns")
        elif self.increasing:
            needed = math.floor(plan.total_rows * self.step)
            names = list(self.patterns)
            for name, slots, start in zip(names, self._templates, self._starts):
                if start + needed > _capacity(slots):
                    raise ValueError(f"increasing codes: pattern {name!r} runs out of codes before row "
                                     f"{plan.total_rows:,} (from code {start:,}, {self.step:g} per row, "
                                     f"{_capacity(slots):,} codes); ask for fewer rows or a wider pattern")
        elif self.unique:
            rows = np.diff(self._rows_per_template(plan.total_rows))
            for name, slots, wanted in zip(list(self.patterns), self._templates, rows):
                if wanted > _capacity(slots):
                    raise ValueError(f"unique codes: {plan.total_rows:,} rows give pattern {name!r} {wanted:,} rows "
                                     f"but it holds only {_capacity(slots):,} codes")

    def sample(self, ctx: ChunkContext) -> pa.Array:
        if self.sorted:
            return self._space.draw(ctx.row_numbers(), ctx.total_rows, ctx.seed, self.name, self.unique)
        if self.increasing:
            return self._sample_increasing(ctx)
        if self.unique:
            return self._sample_unique(ctx)
        # Every draw is keyed by the row (ChunkContext.row_bits), so a code never depends on the chunking.
        which = _pick(self._icdf, ctx, self.name, "pattern")
        out = pa.nulls(ctx.n, pa.string())
        bits = ctx.row_bits(self.name, "code")
        for k, slots in enumerate(self._templates):
            rows = np.flatnonzero(which == k)
            if len(rows) == 0:
                continue
            if _capacity(slots) <= SMALL_SPACE:  # one 64-bit draw numbers the code (bias below 2^-24)
                codes = _render_index(slots, (bits[rows] % np.uint64(_capacity(slots))).astype(np.int64))
            else:  # a draw per position
                draws = np.stack([ctx.row_bits(self.name, f"char{j}", at=rows) for j in range(len(slots))], axis=1)
                codes = _render(slots, draws)
            out = _place(out, rows, codes)
        return out

    def _sample_increasing(self, ctx: ChunkContext) -> pa.Array:
        # Row r owns the code numbers [floor(r * step), floor((r + 1) * step)): disjoint, rising ranges (step >= 1),
        # so codes rise and never repeat, and each depends only on its row number and the chunk's seed.
        which = _pick(self._icdf, ctx, self.name, "pattern")  # keyed by the row: the same for any chunking
        rows = ctx.row_numbers()
        if float(self.step).is_integer():
            step = int(self.step)
            low, width = rows * step, np.full(ctx.n, step, dtype=np.int64)
        else:
            low = np.floor(rows * self.step).astype(np.int64)
            width = np.floor((rows + 1) * self.step).astype(np.int64) - low
        if float(self.step) == 1.0:  # each row owns one code number: nothing to draw
            offset = low
        else:
            offset = low + np.minimum((ctx.row_random(self.name, "offset") * width).astype(np.int64), width - 1)
        out = pa.nulls(ctx.n, pa.string())
        for k, slots in enumerate(self._templates):
            picked = np.flatnonzero(which == k)
            if len(picked):
                out = _place(out, picked, _render_index(slots, self._starts[k] + offset[picked]))
        return out

    def _rows_per_template(self, total_rows: int) -> np.ndarray:
        """Row-number bounds: template k takes its weight's share of the table, rounded to whole rows."""
        shares = self._icdf.cum
        return np.concatenate(([0], np.round(shares * total_rows).astype(np.int64)))

    def _sample_unique(self, ctx: ChunkContext) -> pa.Array:
        # A permutation of the table's rows deals each template its weight's share of rows; a second, per
        # template, spreads those rows over its codes without repeats. Both are bijections evaluated per row,
        # so chunks need not see each other.
        bounds = self._rows_per_template(ctx.total_rows)
        dealt = permutation(ctx.row_numbers(), ctx.total_rows, ctx.seed, self.name)
        which = np.searchsorted(bounds, dealt, side="right") - 1
        out = pa.nulls(ctx.n, pa.string())
        for t, slots in enumerate(self._templates):
            rows = np.flatnonzero(which == t)
            if len(rows) == 0:
                continue
            codes = permutation(dealt[rows] - bounds[t], min(_capacity(slots), MAX_COUNTED), ctx.seed, f"{self.name}/{t}")
            out = _place(out, rows, _render_index(slots, codes))
        return out


def _pick(icdf: InverseCDF, ctx: ChunkContext, *keys: str) -> np.ndarray:
    """Each row's bucket of ``icdf`` (a template, a format), drawn from the row alone; no draw for one bucket."""
    if icdf.last == 0:
        return np.zeros(ctx.n, dtype=np.int64)
    return icdf(ctx.row_random(*keys))


def _falls(values: Any) -> np.ndarray:
    """True where a value is below the last value before it (missing values skipped): a break of sorted order."""
    previous = values.ffill().shift()
    return (values.notna() & previous.notna() & (values.astype(str) < previous.astype(str))).to_numpy()


def _render(slots: list[bytes], draws: np.ndarray) -> pa.Array:
    """One code per row of ``draws`` (random integers, one per position)."""
    n = len(draws)
    chars = np.empty((n, len(slots)), dtype=np.uint8)
    for j, alphabet in enumerate(slots):
        table = np.frombuffer(alphabet, dtype=np.uint8)
        chars[:, j] = table[draws[:, j] % len(table)] if len(table) > 1 else table[0]
    return _as_strings(chars)


def _render_index(slots: list[bytes], index: np.ndarray) -> pa.Array:
    """The ``index``-th code of the template in mixed radix: a bijection from 0..capacity-1 to codes."""
    n = len(index)
    chars = np.empty((n, len(slots)), dtype=np.uint8)
    rest = index.astype(np.int64).copy()
    for j in range(len(slots) - 1, -1, -1):
        table = np.frombuffer(slots[j], dtype=np.uint8)
        if len(table) > 1:
            chars[:, j] = table[rest % len(table)]
            rest //= len(table)
        else:
            chars[:, j] = table[0]
    return _as_strings(chars)


def _as_strings(chars: np.ndarray) -> pa.Array:
    width = chars.shape[1]
    flat = np.ascontiguousarray(chars).view(f"S{width}").ravel()
    return pa.array(flat, type=pa.binary(width)).cast(pa.string())


def _place(out: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    mask = np.zeros(len(out), bool)
    mask[rows] = True
    order = np.zeros(len(out), dtype=np.int64)
    order[rows] = np.arange(len(rows))
    spread = values.take(pa.array(order)) if len(values) else out
    return pc.if_else(pa.array(mask), spread, out)
