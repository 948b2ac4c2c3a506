"""How ``synth fit`` learns: the options of :class:`FitConfig`, with the privacy guards' defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FitConfig(BaseModel):
    """How ``synth fit`` learns. Privacy guards: ``min_count`` (k) and ``tail``.

    Every option checks its own range, so a fitter never runs with a value it cannot honour; ``synth fit``
    passes its options straight through and reports a refused one as it reports any bad option.

    >>> FitConfig(min_count=5).tail
    0.0
    >>> FitConfig(tail=0.5)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for FitConfig
    tail
      Input should be less than or equal to 0.2 [type=less_than_equal, input_value=0.5, input_type=float]
    ...
    """

    # Unknown names are mistakes (a typo would otherwise silently fit with the default); ranges hold after
    # assignment too.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    min_count: int = Field(10, ge=1, description="categories, values and combinations seen in fewer rows are left out")
    tail: float = Field(0.0, ge=0.0, le=0.2, description="numeric/date ranges end at these quantiles, if inside the "
                        "min_count-th smallest and largest values (where they always end: never at the real extremes)")
    knots: int = Field(101, ge=2, description="points of an empirical quantile function (fewer for small tables)")
    rule_share: float = Field(0.999, gt=0.0, le=1.0, description="a formula or fixed combination must hold on this share of rows")
    max_lookup_keys: int = Field(1000, ge=1)
    max_categories: int = Field(1000, ge=1)
    seed: int = Field(0, ge=0, lt=2**63, description="written into the schema and used while fitting")
    calibrate: bool = True
    trees: bool = Field(True, description="condition columns on the columns they depend on (decision-tree cases); "
                        "off: one Gaussian copula over all columns")
    sample_rows: int | None = Field(None, ge=1, description="learn from a random sample of this many rows")
    epsilon: float | None = Field(None, ge=0.0001, description="differentially private fitting with this total budget")
    delta: float = Field(1e-6, ge=1e-12, le=0.01, description="total delta of the (epsilon, delta) guarantee")
    dp_seed: int | None = Field(None, ge=0, description="noise seed; None = fresh OS entropy (keep a given seed secret)")
