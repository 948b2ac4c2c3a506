"""Running numbers written without a fixed width: ``INV-9, INV-10, INV-11``, learned as a ``sequence`` in that shape.

Codes that count up without zero padding are sorted by the number inside, not as text (``INV-10`` < ``INV-9``),
and their digits grow in width, so no one fixed-width template holds them. A value is read as text around its
last run of digits (``INV/2024/`` + ``17`` + ``""``); the text around it is the value's *format*. When formats
shared by at least k rows cover most rows (k guard: a rarer format is not written), the widths of the numbers
vary, and within each format the number rises with the row, the column is written as a ``sequence`` in the same
formats and shares, counting on from past the largest real number of each format, with the usual step: the
twin's ids rise as the real ones do and none is a real one. Zero padding to a common width (``17-000003`` ...
``17-1000000``) is kept as ``digits``.

>>> import pandas as pd
>>> from synth.distinct import DistinctText
>>> from synth.fit import FitConfig
>>> ids = pd.Series([f"INV-{n}" for n in range(7, 307)])
>>> spec = counted_numbers("invoice", DistinctText.of(ids), FitConfig(min_count=5), 300)
>>> spec["kind"], spec["prefix"], spec["start"], spec["step"]
('sequence', 'INV-', 307, 1)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns.identifiers import _formats_disjoint
from ..distinct import DistinctText

if TYPE_CHECKING:
    from .config import FitConfig

#: The text before a value's last run of digits, the run, and the text after it (no digit).
_PARTS = r"^(?P<head>.*?)(?P<num>[0-9]+)(?P<tail>[^0-9]*)$"
#: Share of rows the kept formats must cover (as for fixed-width codes).
MIN_COVERED = 0.8
#: Share of steps within a format that must rise (a sorted file with a stray row is still sorted).
MIN_RISING = 0.999
#: Numbers of more digits than this are not counted (int64).
MAX_DIGITS = 18


def counted_numbers(name: str, distinct: DistinctText, cfg: FitConfig, n_rows: int) -> dict[str, Any] | None:
    """A ``sequence`` entry for running numbers of varying width (``INV-9``, ``INV-10``), or None when the
    column is not one: too few rows in formats of k rows, numbers of one width only (fixed-width codes are
    ``pattern`` running numbers), or numbers that do not rise with the row within each format."""
    arrow = pa.array(distinct.values.to_numpy(dtype=object), pa.string())
    parts = pc.extract_regex(arrow, _PARTS)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    if distinct.share(matched) < MIN_COVERED:
        return None
    num = pc.fill_null(parts.field("num"), "")
    width = pc.utf8_length(num).to_numpy(zero_copy_only=False).astype(np.int64)
    if width.max() > MAX_DIGITS:
        return None
    head, tail = pc.fill_null(parts.field("head"), ""), pc.fill_null(parts.field("tail"), "")
    fmt = pc.binary_join_element_wise(head, tail, "{}")  # head{}tail: the format, {} standing for the number
    fmt_text = np.asarray(fmt.to_numpy(zero_copy_only=False), dtype=object)
    braces = pc.or_(pc.match_substring_regex(head, "[{}]"), pc.match_substring_regex(tail, "[{}]")).to_numpy(
        zero_copy_only=False)  # a brace of the real text would read as a second number's place
    usable = matched & ~braces
    rows = pd.Series(distinct.counts[usable]).groupby(fmt_text[usable]).sum().sort_values(ascending=False, kind="stable")
    kept = rows[rows >= cfg.min_count]
    if not len(kept) or kept.sum() < MIN_COVERED * distinct.rows or len(kept) > 50:
        return None
    formats = [str(f) for f in kept.index]
    if not all(_formats_disjoint(a, b) for i, a in enumerate(formats) for b in formats[i + 1:]):
        return None
    which = pd.Index(formats).get_indexer(fmt_text)  # each distinct value's kept format, or -1
    which[~usable] = -1
    inside = which >= 0
    widths = pd.Series(width[inside]).groupby(which[inside]).nunique()
    if widths.max() < 2:
        return None  # one width per format: fixed-width codes, learned as pattern running numbers
    digits = _padding(num, width, inside)
    if digits is False:
        return None
    number = np.zeros(len(width), dtype=np.int64)
    number[inside] = pc.cast(pc.array_filter(num, pa.array(inside)), pa.int64()).to_numpy()
    row_format, row_number = which[distinct.codes], number[distinct.codes]
    starts: dict[str, int] = {}
    steps, weights = [], []
    for k, f in enumerate(formats):
        seq = row_number[row_format == k]
        gaps = np.diff(seq)
        if len(gaps) == 0 or (gaps > 0).mean() < MIN_RISING:
            return None
        gap = float(np.median(gaps[gaps > 0]))
        count = int(kept.iloc[k])
        # Start past the largest real number, rounded up to a round number that hides the exact last one.
        grain = 10 ** max(0, int(math.floor(math.log10(max(1.0, gap * count / 100)))))
        starts[f] = (int(seq.max()) // grain + 1) * grain
        steps.append(gap * count / kept.sum())
        weights.append(count)
    step = max(1, int(round(float(np.average(steps, weights=weights)))))
    if max(starts.values()) + step * max(n_rows, distinct.rows) >= 10**MAX_DIGITS:
        return None
    spec: dict[str, Any] = {"name": name, "kind": "sequence"}
    if len(formats) == 1:
        spec["prefix"], spec["suffix"] = formats[0].split("{}")
        spec["start"] = starts[formats[0]]
        if not spec["suffix"]:
            del spec["suffix"]
    else:
        spec["formats"] = {f: int(c) for f, c in kept.items()}
        spec["start"] = starts
    spec["step"] = step
    if digits:
        spec["digits"] = digits
    shown = ", ".join(repr(f.replace("{}", "N")) for f in formats[:3]) + (", ..." if len(formats) > 3 else "")
    spec["description"] = (f"running numbers of growing width ({shown}): counting on from past the largest real "
                           f"number of each format, never copied; {distinct.share(inside):.1%} of real values in "
                           f"these formats")
    return spec


def _padding(num: pa.Array, width: np.ndarray, inside: np.ndarray) -> int | None | bool:
    """The width numbers are zero-padded to (``17-000003``: 6), None when none is padded, False when the padding
    is irregular (padded numbers of several widths, or an unpadded number narrower than the padded ones)."""
    padded = inside & pc.and_(pc.starts_with(num, "0"), pc.greater(pc.utf8_length(num), 1)).to_numpy(zero_copy_only=False)
    if not padded.any():
        return None
    pad = np.unique(width[padded])
    if len(pad) > 1 or (width[inside] < pad[0]).any():
        return False
    return int(pad[0])
