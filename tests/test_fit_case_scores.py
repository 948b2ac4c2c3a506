"""A conditioned column joins the copula by its score within its case (synth/fit/copula.py, synth/fit/__init__.py).

Known answer: a flag whose share differs by case (10% yes in group A, 90% in B) and a number that rises with the
flag *within* each group (the two share a latent normal; the number does not depend on the group). The fit
conditions the flag on the group and leaves the number to the copula, so the copula alone must carry their
within-group correlation. The engine draws the flag at the copula's uniform within the row's group, so the
target is the correlation of the flag's within-group score, not of that score re-ranked over the whole table
(which mixes the groups' shares of "yes" into the order and asked for about half the real correlation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import synth
from synth.fit import FitConfig, SchemaFitter
from synth.fit.copula import calibrate, rank_correlations
from synth.fit.dataset import DatasetFitter

ROWS = 12_000


def _flag_and_number(n: int = ROWS, rho: float = 0.4, seed: int = 1) -> pd.DataFrame:
    from scipy.special import ndtri

    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B"], n)
    latent = rng.standard_normal(n)
    share_yes = np.where(group == "A", 0.1, 0.9)
    flag = latent > ndtri(1 - share_yes)  # yes for the top share of the latent within each group
    x = rho * latent + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    return pd.DataFrame({"group": group, "flag": np.where(flag, "yes", "no"), "x": np.round(x, 3)})


def _within_group_rho(df: pd.DataFrame) -> dict[str, float]:
    """Spearman's rho of the flag and the number within each group."""
    return {g: float(d["x"].rank().corr((d["flag"] == "yes").rank())) for g, d in df.groupby("group")}


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return _flag_and_number()


def _entry(schema: synth.Schema, name: str) -> dict:
    return next(c for c in schema.to_dict()["columns"] if c.get("name") == name)


def test_a_conditioned_flag_keeps_its_within_case_correlation_with_a_number(real):
    fitter = SchemaFitter(FitConfig(seed=0)).fit(real, name="flags")
    # What the test is about: the flag's cases are the groups, the number is the copula's alone.
    flag, x = _entry(fitter.schema_, "flag"), _entry(fitter.schema_, "x")
    assert flag["kind"] == "conditional" and sorted(c["when"]["group"] for c in flag["cases"]) == ["A", "B"]
    assert x["kind"] == "float"
    twin = synth.generate(fitter.schema_, rows=ROWS, seed=3)
    want, got = _within_group_rho(real), _within_group_rho(twin)
    assert min(want.values()) > 0.2  # a correlation worth keeping
    for g in want:  # sampling error of each rho is about 0.013; re-ranked scores gave about half of it
        assert abs(got[g] - want[g]) < 0.04, (g, want, got)


def test_the_dataset_fit_keeps_it_too(real, tmp_path):
    folder = tmp_path / "flags"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(real)), 2)):
        pq.write_table(pa.Table.from_pandas(real.iloc[part], preserve_index=False), folder / f"part-{i}.parquet")
    fitted = DatasetFitter(FitConfig(seed=0)).fit(folder)
    twin = synth.generate(fitted.schema_, rows=ROWS, seed=3)
    want, got = _within_group_rho(real), _within_group_rho(twin)
    for g in want:
        assert abs(got[g] - want[g]) < 0.04, (g, want, got)


def test_scores_are_correlated_as_they_are_not_re_ranked():
    # Two cases of a flag: 10% and 90% "yes". Scores are each value's mid-percentile within its case.
    case = np.repeat([0, 1], 1000)
    yes = np.concatenate([np.arange(1000) >= 900, np.arange(1000) >= 100])
    score = np.where(case == 0, np.where(yes, 0.95, 0.45), np.where(yes, 0.55, 0.05))
    partner = score + np.random.default_rng(0).normal(0, 0.3, 2000)
    as_is = rank_correlations({"flag": score, "x": partner}, scores={"flag": case})
    re_ranked = rank_correlations({"flag": score, "x": partner})
    ranks_x = pd.Series(partner).rank().to_numpy()
    assert as_is[("flag", "x")] == pytest.approx(np.corrcoef(score, ranks_x)[0, 1], abs=1e-12)
    assert abs(re_ranked[("flag", "x")] - as_is[("flag", "x")]) > 0.01  # the two really differ here


def test_a_scored_flag_is_calibrated_within_its_cases_and_seeded(real):
    fitter = SchemaFitter(FitConfig(seed=0)).fit(real, name="flags")
    args = (fitter.rank_targets_, fitter.copula_codes_, 0)
    assert calibrate(*args, scores=fitter.copula_scores_) == calibrate(*args, scores=fitter.copula_scores_)
    # A flag that is 10% or 90% "yes" within its case is coarser there than over the table: its target is
    # raised more than the pooled margin would say.
    scored = calibrate(*args, scores=fitter.copula_scores_)[0]["rank"]
    pooled = calibrate(*args)[0]["rank"]
    assert scored > pooled > fitter.rank_targets_[("flag", "x")]
