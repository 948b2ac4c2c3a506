"""synth fit keeps names with the category they go with (pet names by species), and never writes a rare one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synth
from synth.fit import FitConfig, SchemaFitter

CAT_NAMES = ["Luna", "Felix", "Kitty", "Tiger", "Cleo", "Simba"]
DOG_NAMES = ["Max", "Rex", "Buddy", "Rocky", "Duke", "Bear"]
SHARED = ["Lucy", "Charlie"]


def _pets(rows: int = 4000, seed: int = 0, tied: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    species = rng.choice(["Cat", "Dog"], rows, p=[0.4, 0.6])
    own = np.where(species == "Cat", rng.choice(CAT_NAMES, rows), rng.choice(DOG_NAMES, rows))
    names = own if tied else rng.choice(CAT_NAMES + DOG_NAMES, rows)
    names = np.where(rng.random(rows) < 0.2, rng.choice(SHARED, rows), names).astype(object)
    rare = rng.random(rows) < 0.15  # each seen once or twice: never to be written
    names[rare] = [f"Zq{chr(97 + i // 52 % 26)}{chr(97 + i // 2 % 26)}" for i in range(int(rare.sum()))]
    return pd.DataFrame({"species": species, "animal_name": names, "weight": rng.gamma(3.0, 2.0, rows).round(1)})


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, SchemaFitter]:
    real = _pets()
    return real, SchemaFitter(FitConfig(min_count=10)).fit(real, name="pets")


def test_names_become_cases_by_the_category_they_go_with(fitted):
    _, fitter = fitted
    entry = next(c for c in fitter.spec_["columns"] if c["name"] == "animal_name")
    assert entry["kind"] == "conditional" and entry["on"] == "species"
    drawn = {case: {n for n, w in entry["cases"][case]["common"].items() if w > 0} for case in ("Cat", "Dog")}
    assert drawn["Cat"] <= set(CAT_NAMES + SHARED) and drawn["Dog"] <= set(DOG_NAMES + SHARED)
    # Every common name is listed in every case (weight 0 where never drawn): Faker must not make one either.
    assert set(entry["cases"]["Cat"]["common"]) == set(entry["cases"]["Dog"]["common"]) == set(entry["default"]["common"])
    assert entry["default"]["kind"] == "faker"  # rows whose species is not listed: the column's plain shape


def test_the_twin_gives_each_species_its_own_names_and_no_rare_name(fitted):
    real, fitter = fitted
    twin = synth.generate(fitter.schema_, rows=4000, seed=1)
    cats = twin.loc[twin.species == "Cat", "animal_name"].astype(str)
    dogs = twin.loc[twin.species == "Dog", "animal_name"].astype(str)
    assert cats.isin(DOG_NAMES).mean() < 0.01 and cats.isin(CAT_NAMES).mean() > 0.5
    assert dogs.isin(CAT_NAMES).mean() < 0.01 and dogs.isin(DOG_NAMES).mean() > 0.5
    counts = real.animal_name.value_counts()
    assert not set(twin.animal_name.astype(str)) & set(counts[counts < 10].index)  # never a name seen < k times
    text = fitter.to_yaml()
    assert "Zq" not in text


def test_names_the_category_says_nothing_about_stay_one_column():
    fitter = SchemaFitter(FitConfig(min_count=10)).fit(_pets(tied=False), name="pets")
    entry = next(c for c in fitter.spec_["columns"] if c["name"] == "animal_name")
    assert entry["kind"] == "faker" and entry["common"]
