"""Dependence the trees of ``synth fit`` keep beyond one column's cases (issue 17: train-on-synthetic utility).

- A number ranked closely with an earlier number (price with carat) takes that number's cases: the copula ties
  their ranks within the same rows, so the twin keeps the tight dependence inside every group.
- Cases of a category with many values (breeds) keep the values rare in each case but common over all, from the
  pool, where they weigh a row or more; values rare over all stay out (the privacy guard).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synth
from synth.fit import FitConfig, SchemaFitter, learn_column
from synth.fit.trees import condition_on_trees


def _spearman(a: pd.Series, b: pd.Series) -> float:
    return float(a.rank().corr(b.rank()))


@pytest.fixture(scope="module")
def gems() -> pd.DataFrame:
    """size by grade; depth a loose echo of size; value = size times a rate by grade, plus a little noise.
    value's own cases would split on depth (size is left to the copula): rows cut unlike size's cases."""
    rng = np.random.default_rng(3)
    n = 6000
    grade = rng.choice(["a", "b", "c"], n)
    size = rng.lognormal(np.select([grade == "a", grade == "b"], [0.0, 0.5], 1.0), 0.6)
    depth = np.log(size) + rng.normal(0, 0.5, n)
    rate = np.select([grade == "a", grade == "b"], [10.0, 14.0], 20.0)
    value = size * rate * np.exp(rng.normal(0, 0.05, n))
    return pd.DataFrame({"grade": grade, "size": np.round(size, 3), "depth": np.round(depth, 3),
                         "value": np.round(value, 2)})


@pytest.fixture(scope="module")
def gems_twin(gems) -> tuple[dict, pd.DataFrame]:
    fitter = SchemaFitter(FitConfig(seed=0)).fit(gems, name="gems")
    columns = {c["name"]: c for c in fitter.spec_["columns"]}
    return columns, synth.generate(fitter.schema_, rows=len(gems), seed=1)


def test_a_number_ranked_with_an_earlier_one_takes_its_cases(gems_twin):
    columns, _ = gems_twin
    size, value = columns["size"], columns["value"]
    assert size["kind"] == value["kind"] == "conditional"
    assert [c["when"] for c in value["cases"]] == [c["when"] for c in size["cases"]]
    assert {k for c in size["cases"] for k in c["when"]} == {"grade"}


def test_the_twin_keeps_the_tight_dependence_inside_every_group(gems, gems_twin):
    _, twin = gems_twin
    for g in ("a", "b", "c"):
        real_rho = _spearman(gems.loc[gems.grade == g, "size"], gems.loc[gems.grade == g, "value"])
        twin_rho = _spearman(twin.loc[twin.grade == g, "size"], twin.loc[twin.grade == g, "value"])
        assert real_rho > 0.9
        assert twin_rho > real_rho - 0.015, (g, real_rho, twin_rho)  # own cases (by depth): 0.03 below


def test_a_number_keeps_its_own_cases_when_they_say_more():
    """value by grade *and* cut, size by grade only: cases by both say more of value than size's by grade."""
    rng = np.random.default_rng(3)
    n = 6000
    grade, cut = rng.choice(["a", "b", "c"], n), rng.choice(["fair", "good"], n)
    size = rng.lognormal(np.select([grade == "a", grade == "b"], [0.0, 0.5], 1.0), 0.8)
    value = size * np.select([grade == "a", grade == "b"], [10.0, 14.0], 20.0) * np.where(cut == "good", 1.6, 1.0)
    real = pd.DataFrame({"grade": grade, "cut": cut, "size": np.round(size, 3), "value": np.round(value, 2)})
    columns = {c["name"]: c for c in SchemaFitter(FitConfig(seed=0)).fit(real, name="gems").spec_["columns"]}
    assert {k for c in columns["size"]["cases"] for k in c["when"]} == {"grade"}
    assert {k for c in columns["value"]["cases"] for k in c["when"]} == {"grade", "cut"}


def test_a_number_ranked_with_one_that_has_no_cases_has_none_either():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, 4000)
    real = pd.DataFrame({"kind": rng.choice(["p", "q"], 4000), "x": np.round(x, 3),
                         "y": np.round(2 * x + rng.normal(0, 0.1, 4000), 3)})
    cfg = FitConfig()
    learned = {c: learn_column(c, real[c], cfg) for c in real}
    found = condition_on_trees(learned, skip=set(), cfg=cfg)
    assert "x" not in found.entries and "y" not in found.entries


@pytest.fixture(scope="module")
def pets() -> pd.DataFrame:
    """Two species of 5,000 rows; each has 3 common breeds, 20 breeds with 8 rows in each species (16 in all:
    rare in each case, common over all) and 5 breeds with 4 rows in each (8 in all: rare over all)."""
    rows = []
    for species, common in (("dog", ["lab", "pug", "boxer"]), ("cat", ["tabby", "siamese", "persian"])):
        shared = [f"shared{i}" for i in range(20)] * 8 + [f"scarce{i}" for i in range(5)] * 4
        rest = 5000 - len(shared)
        rows += [(species, b) for b in shared] + [(species, common[i % 3]) for i in range(rest)]
    frame = pd.DataFrame(rows, columns=["species", "breed"])
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_breeds_rare_in_each_case_but_common_over_all_stay_in_the_cases(pets):
    cfg = FitConfig()
    learned = {c: learn_column(c, pets[c], cfg) for c in pets}
    entry = condition_on_trees(learned, skip=set(), cfg=cfg).entries["breed"]
    assert [c["when"] for c in entry["cases"]] in ([{"species": "cat"}, {"species": "dog"}],
                                                   [{"species": "dog"}, {"species": "cat"}])
    for case in entry["cases"]:
        listed = set(case["values"])
        assert {f"shared{i}" for i in range(20)} <= listed  # 8 rows in the case, 16 over all: from the pool
        assert not any(v.startswith("scarce") for v in listed)  # 8 rows over all: fewer than k, never written
        assert not ({"lab", "tabby"} <= listed)  # a species' common breeds stay its own


def test_the_twin_of_many_breeds_keeps_their_shares(pets):
    fitter = SchemaFitter(FitConfig(seed=0)).fit(pets, name="pets")
    twin = synth.generate(fitter.schema_, rows=len(pets), seed=2)
    shared = twin["breed"].str.startswith("shared").mean()
    assert shared == pytest.approx(pets["breed"].str.startswith("shared").mean(), abs=0.01)
    assert not twin["breed"].str.startswith("scarce").any()
