"""The thresholds that decide a column's kind, in one place.

>>> InferenceConfig().min_count, InferenceConfig(min_count=5).min_count
(10, 5)

``synth audit`` uses the defaults; ``synth fit`` passes its privacy k (``--min-count``) and category limit, so
that a column it would keep as a category is one whose values it may keep.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InferenceConfig:
    """Thresholds of :func:`synth.inference.infer_column` (defaults: what ``synth fit`` and ``synth audit`` use)."""

    #: A category: values seen in at least ``min_count`` rows each cover ``category_share`` of the rows, there are at
    #: most ``max_categories`` such values, and fewer distinct values than ``max_distinct_share`` of the rows.
    min_count: int = 10
    category_share: float = 0.9
    max_categories: int = 1000
    max_distinct_share: float = 0.5
    #: Numbers written as text: at least ``number_share`` of the rows are numbers, or ``number_share_with_words``
    #: with at most ``max_placeholder_words`` other distinct values (``N/A``, ``unknown``: they become empty values).
    number_share: float = 0.999
    number_share_with_words: float = 0.95
    max_placeholder_words: int = 20
    #: True/false written as text: at most this many distinct spellings (true, True, TRUE, false ...).
    max_boolean_spellings: int = 4
    #: Dates and times written as text: one format reads this share of a sample of ``format_sample`` rows.
    format_share: float = 0.95
    format_sample: int = 2000
    #: Free text rather than an identifier: more words than this per value on average.
    sentence_words: float = 3.0
    #: Identity text (emails, URLs, phone numbers) when this share of a sample has its shape; names (written with
    #: lower-case letters) when ``name_share`` of the sample does and distinct values are over ``name_distinct_share``
    #: of the rows; a phone number also needs ``phone_parsed_share`` of up to 200 values to parse as one.
    identity_share: float = 0.95
    name_share: float = 0.9
    name_distinct_share: float = 0.05
    phone_parsed_share: float = 0.9
