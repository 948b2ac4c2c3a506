"""The research prototype bench/bench_privacy_estimand.py (population-baseline privacy tests) on cases whose answer
is known: the estimator recovers a planted share, fresh draws pass, planted copies fail, a coarse table decides nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_privacy_estimand import corrected_share, decide, population_share, statistics  # noqa: E402


@pytest.mark.parametrize("share, base", [(0.0, 0.3), (0.05, 0.0), (0.05, 0.4), (0.2, 0.9)])
def test_population_share_recovers_the_planted_share(share, base):
    # a share of copies always lands on a training row, the rest at the population's rate
    s_syn = share + (1 - share) * base
    estimate, se = population_share(s_syn, 10_000, base, 10_000)
    assert estimate == pytest.approx(share) and 0 < se < 0.1


def test_the_smoothness_correction_is_the_plain_test_when_the_generator_is_as_sharp_as_the_population():
    plain = population_share(0.12, 5000, 0.1, 2000)
    assert corrected_share(0.12, 5000, 0.1, 2000, 0.3, 0.3, 6000)[0] == pytest.approx(plain[0])
    # a generator landing on holdout rows half as often as training rows do: half the baseline, so more is memorised
    assert corrected_share(0.12, 5000, 0.1, 2000, 0.15, 0.3, 6000)[0] == pytest.approx((0.12 - 0.05) / 0.9)


@pytest.mark.parametrize("share, sharpness, base", [(0.05, 0.2, 0.3), (0.0, 0.5, 0.2), (0.03, 1.0, 0.1), (0.1, 1.5, 0.2)])
def test_the_corrected_share_solves_for_the_planted_share_whatever_the_generators_sharpness(share, sharpness, base):
    h_h = 0.25  # how often a population row lands on a holdout row
    s_syn = share + (1 - share) * sharpness * base  # copies always land on a training row, the rest at sharpness x rate
    s_h = share * h_h + (1 - share) * sharpness * h_h  # copies land on holdout rows at the population's rate
    assert corrected_share(s_syn, 10_000, base, 10_000, s_h, h_h, 10_000)[0] == pytest.approx(share)


def _table(n: int, seed: int, levels: int = 3) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    return pd.DataFrame({"x": r.normal(50, 10, n).round(2), "y": r.lognormal(3, 1, n).round(1),
                         "g": r.choice([f"g{i}" for i in range(levels)], n)})


def _verdicts(train: pd.DataFrame, synthetic: pd.DataFrame, hold: pd.DataFrame) -> dict[str, str]:
    return decide(statistics(train, synthetic, hold))["families"]


def test_fresh_draws_pass_and_five_percent_copies_fail_the_population_tests():
    train, hold, fresh = _table(4000, 1), _table(1500, 2), _table(4000, 3)
    assert _verdicts(train, fresh, hold)["pop_small"] == "pass"
    leaky = pd.concat([fresh.iloc[200:], train.iloc[:200]], ignore_index=True)
    assert _verdicts(train, leaky, hold)["pop_small"] == "fail"


def test_a_table_whose_rows_all_repeat_decides_nothing_by_population():
    """Two binary columns: every holdout row equals a training row, so a copy adds nothing a fresh row does not."""
    def table(n: int, seed: int) -> pd.DataFrame:
        r = np.random.default_rng(seed)
        return pd.DataFrame({"a": r.choice(["u", "v"], n), "b": r.choice(["p", "q"], n)})

    train, hold = table(2000, 1), table(600, 2)
    leaky = pd.concat([table(1900, 3), train.iloc[:100]], ignore_index=True)
    assert _verdicts(train, leaky, hold)["pop_small"] == "not verified"


def test_copies_hidden_by_a_smooth_generator_are_found_once_its_smoothness_is_measured():
    """Real numbers are whole (unseen rows often equal a training row); the generator's are not (it never lands on a
    real row by chance). 5% copies then stay below the population's rate of landing on training rows, so the plain
    population test passes them; how rarely the generator lands on holdout rows shows why, and the corrected test fails."""
    def real(n: int, seed: int) -> pd.DataFrame:
        r = np.random.default_rng(seed)
        return pd.DataFrame({"x": r.normal(50, 15, n).round(), "y": r.normal(100, 15, n).round(), "g": r.choice(list("abcd"), n)})

    train, hold = real(6000, 1), real(2000, 2)
    r = np.random.default_rng(3)
    smooth = pd.DataFrame({"x": r.normal(50, 15, 5700).round(3), "y": r.normal(100, 15, 5700).round(3), "g": r.choice(list("abcd"), 5700)})
    leaky = pd.concat([smooth, train.iloc[:300]], ignore_index=True)
    result = decide(statistics(train, leaky, hold))
    assert 0.1 < result["candidates"]["pop_exact"]["s_hold"] < 0.5  # the population often lands on a training row
    # the plain test misses the copies (an estimate far below 0, too uncertain to decide)
    assert result["candidates"]["pop_exact"]["estimate"] < 0.01 and result["families"]["pop_small"] != "fail"
    assert result["candidates"]["dd_exact"]["estimate"] == pytest.approx(0.05, abs=0.015)
    assert result["families"]["dd"] == "fail"
