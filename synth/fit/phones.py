"""A real phone column's formats and region, for the ``phone`` kind: ``(312) 739-8948`` stays ``(ddd) ddd-dddd``.

Each distinct value (up to ``MAX_PARSED``, drawn at random) is parsed by the ``phonenumbers`` package; a value
that is a valid number gives its format: the national number's digits become ``#``, an extension's digits too
(after its ``x`` or ``ext``), and everything else, a country code or trunk prefix included, is kept as written.
Formats shared by fewer than k rows are left out, as rare categories are; the region is the one most rows'
numbers belong to. The leading digits (the destination code: an area code ``312``) are kept with their shares
where at least k rows share them; the rest take any leading digits the region uses. Numbers are never kept:
the twin's are drawn afresh (:mod:`synth.columns.phone`).

>>> import pandas as pd
>>> from synth.distinct import DistinctText
>>> from synth.fit import FitConfig
>>> values = pd.Series(["(312) 739-8948", "(415) 555-2671", "+1 212 736 5000"] * 10 + ["212-736-5000x12"] * 10)
>>> spec = learn_phones("phone", DistinctText.of(values), FitConfig(min_count=5))
>>> spec["region"], spec["formats"]
('US', {'(###) ###-####': 20, '+1 ### ### ####': 10, '###-###-####x##': 10})
>>> spec["leading"]
{'212': 20, '312': 10, '415': 10}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..distinct import DistinctText
from ..inference.identity import PHONE_REGIONS

if TYPE_CHECKING:
    from .config import FitConfig

#: Distinct values parsed (the parser works one string at a time): enough to see every format of k rows or more.
MAX_PARSED = 2000
#: Share of the real rows the kept formats of the main region must cover, else the column is left to Faker.
MIN_COVERED = 0.8


def phone_format(text: str) -> tuple[str, str] | None:
    """``(format, region)`` of a phone number as written, or None when it is not a valid number of a known region.

    >>> phone_format("(312) 739-8948"), phone_format("+44 20 7946 0958"), phone_format("020 7946 0958")
    (('(###) ###-####', 'US'), ('+44 ## #### ####', 'GB'), ('0## #### ####', 'GB'))
    >>> phone_format("312-739-8948 ext. 42"), phone_format("17-000003")
    (('###-###-#### ext. ##', 'US'), None)
    """
    found = parse_phone(text)
    return None if found is None else found[:2]


def parse_phone(text: str) -> tuple[str, str, str] | None:
    """``(format, region, leading digits)`` of a phone number as written: the leading digits are the national
    number's destination code (an area code: ``312``, London's ``20``), empty where the region has none.

    >>> parse_phone("(312) 739-8948"), parse_phone("020 7946 0958")
    (('(###) ###-####', 'US', '312'), ('0## #### ####', 'GB', '20'))
    """
    import phonenumbers

    if "#" in text or not text.isascii():
        return None
    parsed = None
    for region in ((None,) if text.startswith("+") else PHONE_REGIONS):
        try:
            candidate = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(candidate):
            parsed = candidate
            break
    if parsed is None:
        return None
    national = "0" * (parsed.number_of_leading_zeros or 1 if parsed.italian_leading_zero else 0) + str(parsed.national_number)
    tail = national + (parsed.extension or "")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    written = "".join(text[i] for i in digits)
    if not written.endswith(tail):
        return None
    kept = len(written) - len(tail)  # a country code or trunk prefix, written as is
    out = list(text)
    for i in digits[kept:]:
        out[i] = "#"
    lead = national[: phonenumbers.length_of_national_destination_code(parsed)]
    return "".join(out), phonenumbers.region_code_for_number(parsed), lead


def learn_phones(name: str, distinct: DistinctText, cfg: FitConfig) -> dict[str, Any] | None:
    """A ``phone`` entry (region and formats with their row counts) for a column of phone numbers, or None
    when too few rows are valid numbers of one region in formats shared by k rows."""
    if len(distinct.values) > MAX_PARSED:
        picked = np.sort(np.random.default_rng(0).choice(len(distinct.values), MAX_PARSED, replace=False))
    else:
        picked = np.arange(len(distinct.values))
    counts = distinct.counts[picked]
    found = [parse_phone(str(v).strip()) for v in distinct.values.iloc[picked]]
    rows: dict[tuple[str, str], int] = {}
    leads: dict[tuple[str, str], int] = {}  # (region, leading digits) -> rows
    for got, count in zip(found, counts):
        if got is not None:
            rows[got[:2]] = rows.get(got[:2], 0) + int(count)
            leads[got[1:]] = leads.get(got[1:], 0) + int(count)
    if not rows:
        return None
    by_region: dict[str, int] = {}
    for (_, region), count in rows.items():
        by_region[region] = by_region.get(region, 0) + count
    region = max(by_region, key=lambda r: by_region[r])
    scale = distinct.rows / counts.sum()  # rows each parsed row stands for
    formats = {fmt: round(count * scale) for (fmt, r), count in sorted(rows.items(), key=lambda kv: -kv[1])
               if r == region and count * scale >= cfg.min_count}
    covered = sum(formats.values()) / distinct.rows
    if covered < MIN_COVERED:
        return None
    from ..columns.phone import national_digits, _region

    lengths = _region(region)[3]
    formats = {f: c for f, c in formats.items() if len(national_digits(f)[0]) in lengths}
    if not formats:
        return None
    spec = {"name": name, "kind": "phone", "region": region, "formats": formats,
            "description": (f"phone numbers: valid {region} numbers drawn afresh in the real formats "
                            f"({sum(formats.values()) / distinct.rows:.1%} of real values), never copied")}
    spec.update(_leading(region, leads, scale, [len(national_digits(f)[0]) for f in formats], cfg))
    return spec


def _leading(region: str, leads: dict[tuple[str, str], int], scale: float, lengths: list[int],
             cfg: FitConfig) -> dict[str, Any]:
    """``leading`` and ``other_leading`` of the region's numbers: each destination code (area code) seen in at
    least k rows with its rows; rarer ones (and numbers without one) are left to the region's own mix, as
    ``other_leading``. Nothing when no code is seen in k rows."""
    from ..columns.phone import _begins_valid

    total = sum(c for (r, _), c in leads.items() if r == region) * scale
    kept = {lead: round(c * scale) for (r, lead), c in sorted(leads.items(), key=lambda kv: (-kv[1], kv[0][1]))
            if r == region and lead and c * scale >= cfg.min_count
            and all(len(lead) < n and _begins_valid(region, lead, n) for n in lengths)}
    if not kept:
        return {}
    out: dict[str, Any] = {"leading": kept}
    other = round(total - sum(kept.values()))
    if other > 0:
        out["other_leading"] = other
    return out
