"""How ``synth fit`` learns: the options of :class:`FitConfig`, with the privacy guards' defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FitConfig:
    """How ``synth fit`` learns. Privacy guards: ``min_count`` (k) and ``tail``."""

    min_count: int = 10  # categories, values and combinations seen in fewer rows are left out
    tail: float = 0.005  # numeric/date ranges end at these quantiles, not at the real extremes
    knots: int = 101  # points of an empirical quantile function (fewer for small tables)
    rule_share: float = 0.999  # a formula or fixed combination must hold on this share of rows
    max_lookup_keys: int = 1000
    max_categories: int = 1000
    seed: int = 0
    calibrate: bool = True
    sample_rows: int | None = None
    epsilon: float | None = None  # differentially private fitting with this total budget
    delta: float = 1e-6  # total delta of the (epsilon, delta) guarantee
    dp_seed: int | None = None  # noise seed; None = fresh OS entropy (keep a given seed secret)
