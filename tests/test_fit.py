"""synth fit: learned schemas recover known distributions, keep privacy guards, and are deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import re

import pytest
from scipy import stats

import synth
from synth.errors import SynthError
from synth.fit import FitConfig, SchemaFitter, dump_yaml

KNOWN = """
name: known
rows: 20000
seed: 3
columns:
  - {name: height, kind: float, distribution: normal, mean: 170, std: 9, min: 140, max: 200, round: 1}
  - {name: income, kind: float, distribution: lognormal, mu: 10.5, sigma: 0.5, round: 0}
  - {name: kids, kind: integer, distribution: weighted, values: {0: 40, 1: 25, 2: 25, 3: 10}}
  - {name: colour, kind: choice, values: {red: 50, green: 30, blue: 20}}
  - {name: day, kind: date, start: 2021-01-01, end: 2022-12-31, weekday_profile: {sat: 3, sun: 3}}
correlations:
  - {columns: [height, income], rank: 0.6}
"""


def _fit(df: pd.DataFrame, **options) -> dict:
    return SchemaFitter(FitConfig(**options)).fit(df, name="t").schema_.to_dict()


def _regenerate(schema: dict, rows: int, seed: int = 11) -> pd.DataFrame:
    return synth.generate(synth.Schema.from_dict(schema), rows=rows, seed=seed)


@pytest.fixture(scope="module")
def known_pair() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    real = synth.generate(synth.Schema.from_yaml_text(KNOWN))
    schema = _fit(real)
    return real, _regenerate(schema, len(real)), schema


def test_round_trip_recovers_numeric_shapes(known_pair):
    real, twin, _ = known_pair
    for col in ("height", "income"):
        assert stats.ks_2samp(real[col], twin[col]).statistic < 0.03, col


def test_round_trip_recovers_category_and_count_frequencies(known_pair):
    real, twin, _ = known_pair
    for col in ("kids", "colour"):
        a = real[col].astype(str).value_counts(normalize=True)
        b = twin[col].astype(str).value_counts(normalize=True).reindex(a.index, fill_value=0)
        assert (a - b).abs().max() < 0.02, col


def test_round_trip_recovers_rank_correlation(known_pair):
    real, twin, _ = known_pair
    want = stats.spearmanr(real.height, real.income).statistic
    got = stats.spearmanr(twin.height, twin.income).statistic
    assert abs(want - got) < 0.05


@pytest.mark.parametrize("calibrate", [True, False])
def test_calibration_lets_discrete_columns_reach_their_rank_correlations(calibrate):
    # A two-valued or four-valued margin weakens a copula's rank correlation; NORTA calibration makes up for it.
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal(np.zeros(3), [[1, 0.7, 0.5], [0.7, 1, 0.6], [0.5, 0.6, 1]], 20_000)
    real = pd.DataFrame({"flag": np.where(z[:, 0] > 0.3, 6, 1), "level": np.digitize(z[:, 1], [-1, 0, 1]),
                         "x": np.round(np.exp(z[:, 2]), 1)})
    schema = _fit(real, calibrate=calibrate, trees=False)
    assert all(c["kind"] != "conditional" for c in schema["columns"])  # one copula over all three
    twin = _regenerate(schema, len(real))
    worst = (twin.corr("spearman") - real.corr("spearman")).abs().to_numpy().max()
    assert (worst < 0.02) if calibrate else (worst > 0.04)


def test_round_trip_recovers_weekend_profile(known_pair):
    real, twin, schema = known_pair
    day = next(c for c in schema["columns"] if c["name"] == "day")
    assert day["kind"] == "date" and day["weekday_profile"]["sat"] > 2 * day["weekday_profile"]["mon"]
    share = lambda d: (pd.to_datetime(d).dt.day_of_week >= 5).mean()  # noqa: E731
    assert abs(share(real.day) - share(twin.day)) < 0.02


def test_fit_is_deterministic(known_pair):
    real, _, schema = known_pair
    again = _fit(real)
    assert dump_yaml(again) == dump_yaml(schema)


def _coffee(rows: int = 20000) -> pd.DataFrame:
    return synth.generate("schemas/coffee.yaml", rows=rows, seed=5)


def test_fixed_combinations_become_a_lookup_and_amount_a_formula():
    real = _coffee()
    schema = _fit(real)
    lookups = [c for c in schema["columns"] if c["kind"] == "lookup"]
    assert lookups, "product -> price/calories/type should be learned as a lookup"
    covered = {lookups[0]["key"], *lookups[0]["fields"]}
    assert {"product", "price", "calories", "type"} <= covered
    amount = next(c for c in schema["columns"] if c["name"] == "amount")
    assert amount["kind"] == "expression" and "price" in amount["expr"] and "quantity" in amount["expr"]
    twin = _regenerate(schema, 5000)
    assert list(twin.columns) == list(real.columns)
    assert np.allclose(twin.amount, np.round(twin.price * twin.quantity, 2))
    menu = real.drop_duplicates("product").set_index("product")[["price", "calories"]]
    joined = twin.join(menu.add_suffix("_real"), on="product")
    assert (joined.price == joined.price_real).all() and (joined.calories == joined.calories_real).all()


@pytest.mark.parametrize("as_text", [False, True])
def test_numbers_a_lookup_key_fixes_still_correlate_with_the_rest(as_text):
    # Occupation codes (arbitrary numbers or labels) fix prestige; income follows prestige. The lookup takes
    # prestige out of the copula, so the codes must be listed in prestige order for income to keep up.
    rng = np.random.default_rng(1)
    codes = rng.permutation(np.arange(1000, 1060))
    prestige = dict(zip(codes, rng.uniform(20, 80, len(codes)).round(0)))
    occupation = rng.choice(codes, 20_000)
    score = np.array([prestige[c] for c in occupation])
    income = np.exp(9 + 0.03 * score + rng.normal(0, 0.4, len(score))).round(0)
    real = pd.DataFrame({"occupation": [f"job{c}" for c in occupation] if as_text else occupation,
                         "prestige": score, "income": income, "age": rng.integers(18, 70, len(score))})
    schema = _fit(real)
    assert any(c["kind"] == "lookup" and c["key"] == "occupation" for c in schema["columns"])
    twin = _regenerate(schema, len(real))
    want = stats.spearmanr(real.prestige, real.income).statistic
    got = stats.spearmanr(twin.prestige, twin.income).statistic
    assert want > 0.6 and abs(got - want) < 0.05


@pytest.mark.parametrize("as_text", [False, True])
def test_a_lookup_key_held_as_number_codes_keeps_which_codes_go_with_which_category(as_text):
    # Occupations held as census codes (4130, 5940, ...) that men and women hold in different shares; the codes
    # fix prestige. A key is conditioned like a category, so its codes' mix follows gender in the twin, and
    # every code the twin writes is a real one (a smooth shape would make codes between them).
    rng = np.random.default_rng(4)
    codes = rng.permutation(np.arange(4000, 4240, 6))
    prestige = dict(zip(codes, rng.uniform(20, 80, len(codes)).round(0)))
    gender = rng.choice(["Male", "Female"], 20_000)
    lean = rng.dirichlet(np.full(len(codes), 0.7), 2)  # each gender's own mix of the codes
    occupation = np.where(gender == "Male", rng.choice(codes, 20_000, p=lean[0]), rng.choice(codes, 20_000, p=lean[1]))
    real = pd.DataFrame({"gender": gender, "occupation": [f"job{c}" for c in occupation] if as_text else occupation,
                         "prestige": [prestige[c] for c in occupation], "age": rng.integers(18, 70, 20_000)})
    schema = _fit(real)
    assert any(c["kind"] == "lookup" and c["key"] == "occupation" for c in schema["columns"])
    twin = _regenerate(schema, len(real))
    assert set(twin.occupation.dropna()) <= set(real.occupation)

    def joint(df: pd.DataFrame) -> pd.Series:
        return df.groupby(["occupation", "gender"]).size() / len(df)

    both = pd.concat([joint(real), joint(twin)], axis=1).fillna(0)
    assert 0.5 * (both[0] - both[1]).abs().sum() < 0.08  # independent codes: ~0.3


def test_rare_categories_are_left_out_and_the_range_is_cut_at_quantiles():
    rng = np.random.default_rng(0)
    n = 5000
    real = pd.DataFrame({
        "city": rng.choice(["Oslo", "Rome", "Lima"], n).astype(object),
        "salary": rng.normal(50000, 8000, n).round(2),
    })
    real.loc[:2, "city"] = ["Atlantis", "Atlantis", "El Dorado"]  # seen in fewer than k rows
    real.loc[3, "salary"] = 9_999_999.0  # an extreme individual
    schema = _fit(real, min_count=10)
    text = dump_yaml(schema)
    assert "Atlantis" not in text and "El Dorado" not in text
    assert "9999999" not in text
    salary = next(c for c in schema["columns"] if c["name"] == "salary" or c.get("on") == "salary")
    spec = salary if "max" in salary else salary["default"]
    assert spec["max"] < real.salary.max() and spec["min"] > real.salary.min()


def test_identifier_like_columns_are_regenerated_not_copied():
    rng = np.random.default_rng(1)
    n = 3000
    real = pd.DataFrame({
        "email": [f"user{i}@example{i % 7}.com" for i in range(n)],
        "licence": [f"S{100000 + i}" if i % 3 else f"{2000000 + i}" for i in range(n)],
        "name": [f"Anna{chr(97 + i % 26)} Berg{chr(97 + (i // 26) % 26)}" for i in range(n)],
        "score": rng.normal(size=n),
    })
    schema = _fit(real)
    kinds = {c["name"]: c["kind"] for c in schema["columns"]}
    assert kinds["email"] == "faker"
    assert kinds["licence"] == "pattern"
    assert kinds["name"] in ("faker", "pattern")
    twin = _regenerate(schema, n)
    assert not set(twin.email) & set(real.email)
    assert len(set(twin.licence) & set(real.licence)) < 0.05 * n  # same formats, values drawn afresh


def test_names_shared_by_k_rows_keep_their_frequency_and_rare_names_are_never_written():
    rng = np.random.default_rng(2)
    common = ["Lucy", "Charlie", "Luna", "Bella"]
    rare = [f"Zq{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}x" for i in range(3000)]  # each seen once
    names = np.r_[rng.choice(common, 2000, p=[0.4, 0.3, 0.2, 0.1]), rare]
    real = pd.DataFrame({"pet": rng.permutation(names), "age": rng.integers(1, 15, len(names))})
    schema = _fit(real)
    pet = next(c for c in schema["columns"] if c["name"] == "pet")
    assert pet["kind"] == "faker" and set(pet["common"]) == set(common)
    assert abs(pet["common_share"] - 0.4) < 1e-3
    assert not any(r in dump_yaml(schema) for r in rare[:50])
    twin = _regenerate(schema, 20_000)
    assert abs((twin.pet == "Lucy").mean() - 0.16) < 0.01
    assert not set(twin.pet) & set(rare)


def test_numbers_with_placeholder_words_are_numbers_and_the_words_become_empty_values():
    rng = np.random.default_rng(4)
    values = rng.normal(50, 10, 5000).round(1).astype(object)
    values[rng.choice(5000, 150, replace=False)] = "N/A"
    real = pd.DataFrame({"weight": values, "group": rng.choice(["a", "b"], 5000)})
    schema = _fit(real)
    weight = next(c for c in schema["columns"] if c["name"] == "weight" or c.get("on") == "weight")
    spec = weight if weight["kind"] != "conditional" else weight["default"]
    assert spec["kind"] == "float" and abs(weight["nulls"] - 0.03) < 1e-3
    assert "3.00% of real values were not numbers ('N/A')" in weight["description"]
    twin = _regenerate(schema, 5000)
    assert pd.api.types.is_float_dtype(twin.weight) and abs(twin.weight.mean() - 50) < 1


def test_infinite_values_and_integers_beyond_float_precision_still_give_a_valid_schema(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(size=4000)
    x[:40] = np.inf
    real = pd.DataFrame({"x": x, "big": rng.integers(2**60, 2**62, 4000, dtype=np.int64), "y": rng.normal(size=4000)})
    schema = _fit(real)
    entry = next(c for c in schema["columns"] if c["name"] == "x")
    assert "1.00% of real values were infinite" in entry["description"] and abs(entry["nulls"] - 0.01) < 1e-9
    twin = _regenerate(schema, 2000)
    assert np.isfinite(twin.x.dropna()).all() and twin.big.min() >= 2**59


def test_mixed_date_formats_keep_the_main_format_and_state_the_rest():
    days = pd.date_range("2022-01-01", periods=1000, freq="D")
    text = list(days.strftime("%Y-%m-%d"))
    text[:3] = ["01/05/2022", "02/06/2022", "03/07/2022"]
    real = pd.DataFrame({"day": text, "x": np.arange(1000) % 7})
    schema = _fit(real)
    day = next(c for c in schema["columns"] if c["name"] == "day")
    assert day["kind"] == "date" and "format" not in day  # ISO is the default format
    assert "99.7%" in day["description"]


def test_time_and_us_dates_keep_their_text_format():
    rng = np.random.default_rng(2)
    n = 2000
    secs = rng.integers(6 * 3600, 20 * 3600, n)
    real = pd.DataFrame({
        "time": [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in secs],
        "day": pd.Series(pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")).dt.strftime("%m/%d/%Y"),
    })
    twin = _regenerate(_fit(real), 500)
    assert twin.time.astype(str).str.match(r"^\d\d:\d\d:\d\d$").all()
    assert twin.day.astype(str).str.match(r"^\d\d/\d\d/2022$").all()


def test_zero_inflated_numbers_keep_their_share_of_zeros():
    rng = np.random.default_rng(3)
    n = 20000
    x = np.where(rng.random(n) < 0.4, 0.0, rng.lognormal(3, 1, n).round(2))
    real = pd.DataFrame({"spend": x, "group": rng.choice(["a", "b"], n)})
    twin = _regenerate(_fit(real), n)
    assert abs((twin.spend == 0).mean() - 0.4) < 0.02
    assert stats.ks_2samp(real.spend, twin.spend).statistic < 0.03


def test_huge_cardinality_column_is_not_learned_as_categories():
    n = 300_000
    real = pd.DataFrame({"code": [f"K{i:07d}" for i in range(n)], "v": np.arange(n) % 5})
    schema = _fit(real)
    code = next(c for c in schema["columns"] if c["name"] == "code")
    # running codes (K0000000, K0000001 ...): counted up, unique by construction
    assert code["kind"] == "pattern" and (code.get("unique") is True or code.get("increasing") is True)


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame(), "empty"),
    (pd.DataFrame({"a": [1, 2, 3]}), "single column"),
    (pd.DataFrame({"a": [None, None], "b": [None, None]}), "every column is empty"),
])
def test_unusable_tables_get_a_clear_error(frame, message):
    with pytest.raises(SynthError, match=message):
        _fit(frame)


# --- the command line -------------------------------------------------------------------------
from pathlib import Path  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from synth.cli import app  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_cli_fit_then_generate_makes_a_twin(tmp_path):
    real = _coffee(3000)
    real.to_csv(tmp_path / "real.csv", index=False)
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(tmp_path / "real.csv"), "--out", str(tmp_path / "twin.yaml"), "--quiet"])
    assert fitted.exit_code == 0, fitted.output
    made = runner.invoke(app, ["generate", str(tmp_path / "twin.yaml"), "--rows", "500", "--out", str(tmp_path / "twin.csv"), "-q"])
    assert made.exit_code == 0, made.output
    twin = pd.read_csv(tmp_path / "twin.csv")
    assert list(twin.columns) == list(real.columns) and len(twin) == 500


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("a\n1\n2\n", "single column"),
])
def test_cli_fit_bad_tables_exit_2_with_one_line(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    text = result.stderr if hasattr(result, "stderr") else result.output
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text
    assert not (tmp_path / "x.yaml").exists()


def test_cli_fit_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


@pytest.mark.skipif(not (SHARED / "penguins.csv").exists(), reason="shared data not present")
def test_fit_on_penguins_keeps_species_structure():
    real = pd.read_csv(SHARED / "penguins.csv")
    twin = _regenerate(_fit(real), 3000)
    # Gentoo live on Biscoe only, Chinstrap on Dream only: a global copula cannot keep that, conditionals do.
    assert set(twin.loc[twin.species == "Gentoo", "island"].dropna()) == {"Biscoe"}
    assert set(twin.loc[twin.species == "Chinstrap", "island"].dropna()) == {"Dream"}
    # Within-case ranks carry no correlation with the categories the cases split on: no such (tie artifact)
    # target is written.
    schema = _fit(real)
    split_on_species = {c["name"] for c in schema["columns"] if c["kind"] == "conditional"
                        and any("species" in case["when"] for case in c["cases"])}
    assert split_on_species and not [p for p in schema.get("correlations", [])
                                     if "species" in p["columns"] and set(p["columns"]) & split_on_species]
    real_means = real.groupby("species").bill_length_mm.mean()
    twin_means = twin.groupby("species").bill_length_mm.mean()
    assert (real_means - twin_means).abs().max() < 1.0


# --- differential privacy ---------------------------------------------------------------------
def test_private_fit_recovers_a_large_table_and_states_its_budget():
    real = synth.generate(synth.Schema.from_yaml_text(KNOWN), rows=50_000)
    schema = _fit(real, epsilon=2.0, dp_seed=1)
    assert "epsilon = 2" in schema["description"]
    assert abs(schema["rows"] - len(real)) < 200
    twin = _regenerate(schema, 20_000)
    assert stats.ks_2samp(real.height, twin.height.dropna()).statistic < 0.05
    a = real.colour.value_counts(normalize=True)
    b = twin.colour.value_counts(normalize=True).reindex(a.index, fill_value=0)
    assert (a - b).abs().max() < 0.03
    both = twin[["height", "income"]].dropna()
    assert abs(stats.spearmanr(both.height, both.income).statistic - 0.6) < 0.15


def test_private_fit_drops_rare_values_and_small_tables_release_little():
    rng = np.random.default_rng(4)
    real = pd.DataFrame({"city": ["Oslo"] * 3000 + ["Rome"] * 3000 + ["Atlantis"] * 3, "x": rng.normal(size=6003)})
    schema = _fit(real, epsilon=1.0, dp_seed=2)
    assert "Atlantis" not in dump_yaml(schema)
    tiny = pd.DataFrame({"a": ["x", "y"] * 10, "b": np.arange(20.0)})
    spec = _fit(tiny, epsilon=0.5, dp_seed=3)["columns"]
    assert all(c.get("nulls") == 1.0 or c["kind"] != "choice" for c in spec)


def test_private_fit_noise_differs_between_runs_without_a_seed():
    real = synth.generate(synth.Schema.from_yaml_text(KNOWN), rows=20_000)
    first, second = _fit(real, epsilon=1.0), _fit(real, epsilon=1.0)
    assert dump_yaml(first) != dump_yaml(second)  # noise from the OS: not reproducible by anyone else


# --- columns conditioned on several others (decision-tree cases) --------------------------------
def _pizza_sales(rows: int = 12_000, seed: int = 3) -> pd.DataFrame:
    """A price fixed by pizza *and* size (no one column fixes it); XL only for some pizzas."""
    rng = np.random.default_rng(seed)
    pizzas = [f"pizza{i}" for i in range(12)]
    base = np.round(rng.uniform(9, 15, 12), 2)
    extra = {"S": 0.0, "M": 3.5, "L": 6.75, "XL": 9.0}
    combos = [(p, s) for p in range(12) for s in extra if s != "XL" or p % 3 == 0]
    pick = rng.choice(len(combos), rows, p=rng.dirichlet(np.ones(len(combos)) * 5))
    return pd.DataFrame({
        "pizza": [pizzas[combos[i][0]] for i in pick], "size": [combos[i][1] for i in pick],
        "price": [round(base[combos[i][0]] + extra[combos[i][1]], 2) for i in pick],
        "quantity": rng.choice([1, 2, 3], rows, p=[0.9, 0.08, 0.02]),
    })


def test_a_value_fixed_by_two_columns_keeps_one_value_per_combination():
    real = _pizza_sales()
    schema = _fit(real)
    price = next(c for c in schema["columns"] if c["name"] == "price")
    assert price["kind"] == "conditional" and all("when" in case for case in price["cases"])
    # The schema says what it found, and on what share of rows it holds.
    assert re.match(r"fixed by (pizza, size|size, pizza) on 100.0% of rows", price["description"])
    twin = _regenerate(schema, 20_000)
    real_price = real.groupby(["pizza", "size"]).price.first()
    prices_per_combination = twin.groupby(["pizza", "size"]).price.nunique()
    assert (prices_per_combination == 1).mean() > 0.95
    # ... and it is the real price of that combination, on nearly every row.
    joined = twin.join(real_price.rename("real_price"), on=["pizza", "size"])
    assert (joined.price == joined.real_price).mean() > 0.98
    # Pizzas never sold in XL are not invented in XL.
    assert joined.real_price.notna().mean() > 0.99


def test_trees_off_gives_one_copula_and_loses_the_combination():
    real = _pizza_sales()
    twin = _regenerate(_fit(real, trees=False), 20_000)
    assert (twin.groupby(["pizza", "size"]).price.nunique() == 1).mean() < 0.9


def test_a_number_conditioned_on_categories_and_numbers_keeps_its_group_means():
    rng = np.random.default_rng(8)
    n = 20_000
    educ = rng.choice(["school", "college", "degree"], n, p=[0.5, 0.3, 0.2])
    exper = rng.uniform(0, 40, n).round(0)
    # Wages rise with education and, with a peak, with experience: not a monotone (copula) dependence.
    wage = np.exp(2.5 + np.select([educ == "college", educ == "degree"], [0.3, 0.7], 0.0)
                  + 0.04 * exper - 0.001 * exper**2 + rng.normal(0, 0.2, n)).round(2)
    real = pd.DataFrame({"educ": educ, "exper": exper, "wage": wage})
    twin = _regenerate(_fit(real), n)
    real_means = real.groupby("educ").wage.mean()
    assert ((twin.groupby("educ").wage.mean() - real_means).abs() / real_means).max() < 0.03
    band = lambda d: pd.cut(d.exper, [-1, 10, 30, 41])  # noqa: E731
    real_band, twin_band = real.groupby(band(real)).wage.mean(), twin.groupby(band(twin)).wage.mean()
    assert ((twin_band - real_band).abs() / real_band).max() < 0.05


def test_tree_cases_keep_the_privacy_floor():
    real = _pizza_sales()
    cfg = FitConfig(min_count=10)
    from synth.fit.trees import condition_on_trees
    from synth.fit import learn_column

    learned = {c: learn_column(c, real[c], cfg) for c in real}
    found = condition_on_trees(learned, skip=set(), cfg=cfg)
    for name, leaves in found.leaves.items():
        counts = np.bincount(leaves)
        assert counts[counts > 0].min() >= 30  # every case is a group of at least max(3k, 30) rows


def test_held_out_losses_of_a_cut_tree_equal_those_of_trees_grown_that_small():
    from synth.fit.cart import grow_tree
    from synth.fit.trees import _prefix_losses

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    y = np.floor(x[:, 0] * 2) + 0.3 * x[:, 1] + 0.1 * rng.normal(size=4000)
    big = grow_tree(x[:3000], y[:3000], max_leaves=16, min_leaf=20, classes=None)
    for leaves, loss in _prefix_losses(big, x[3000:], y[3000:], categorical=False):
        small = grow_tree(x[:3000], y[:3000], max_leaves=leaves, min_leaf=20, classes=None)
        assert loss == pytest.approx(((small.value[small.apply(x[3000:]), 0] - y[3000:]) ** 2).mean())


@pytest.mark.parametrize("categorical", [False, True])
def test_held_out_losses_taken_while_a_tree_grows_are_those_of_the_grown_tree_cut_back(categorical):
    # synth.fit.trees._grow scores each size as the tree grows through it, and keeps those scores as the cut
    # tree's: the same numbers to the bit, or the size chosen (and the schema) could change.
    from synth.fit.cart import grow_tree
    from synth.fit.trees import LEAF_COUNTS, _loss, _prefix_losses

    rng = np.random.default_rng(1)
    x = rng.normal(size=(5000, 3))
    y = np.floor(x[:, 0] * 3) + 0.5 * x[:, 1] + 0.3 * rng.normal(size=5000)
    if categorical:
        y = np.digitize(y, [-2.0, 0.0, 1.5]).astype(np.int64)
    seen = []

    def record(tree):
        seen.append((len(tree.expanded) + 1, _loss(tree, tree.apply(x[4000:]), y[4000:], categorical)))
        return True

    grown = grow_tree(x[:4000], y[:4000], 64, 20, 4 if categorical else None, record, LEAF_COUNTS)
    assert [k for k, _ in seen] == [2, 4, 8, 16, 32, 64] and len(grown.expanded) + 1 == 64
    assert seen == _prefix_losses(grown, x[4000:], y[4000:], categorical)


def test_the_written_yaml_reads_back_into_the_schema_fit_validated(known_pair):
    """fit validates the learned mapping without writing and re-reading it; this is what makes that safe."""
    from synth.yamlsafe import load_yaml_text

    rng = np.random.default_rng(8)
    n = 3000
    odd = pd.DataFrame({
        "x": np.where(rng.random(n) < 0.01, np.inf, rng.normal(size=n)),
        "big": rng.integers(2**60, 2**62, n, dtype=np.int64),
        "word": rng.choice(["yes", "no", "null", "1e3", "0x1F", "~", "café", "a: b", "- x", "#tag"], n),
        "flag": rng.random(n) < 0.3,
        "at": pd.Timestamp("2024-03-01 08:00") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        "share": rng.choice([0.1, 0.25, 1e-7, 12345.5], n),
    })
    for real in (known_pair[0], _coffee(5000), odd):
        fitter = SchemaFitter(FitConfig()).fit(real, name="t")
        text = fitter.to_yaml()
        assert load_yaml_text(text)[0] == fitter.spec_
        again = synth.Schema.from_yaml_text(text)
        pd.testing.assert_frame_equal(synth.generate(again, rows=500, seed=2),
                                      synth.generate(fitter.schema_, rows=500, seed=2))


def test_what_cases_learn_from_holds_no_left_out_value_and_no_real_extreme():
    """The decision-tree cases learn each group's shape from the column's row values (``Learned.codes``); those
    must already be protected, or a small group's range would end at a value seen once (a real leak before)."""
    from synth.fit.columns import learn_column

    rng = np.random.default_rng(12)
    n = 20000
    carat = pd.Series(np.round(rng.lognormal(-0.3, 0.45, n), 2))  # ~300 values: learned as weighted values
    carat.iloc[:3] = [5.01, 4.5, 4.13]                                # each seen once: left out
    salary = pd.Series(rng.normal(50000, 8000, n).round(2))          # learned as a shape with a range
    salary.iloc[0] = 9_999_999.0
    cut = pd.Series(np.where(carat > 1.0, "big", "small"))        # the cases split on it
    fitter = SchemaFitter(FitConfig()).fit(pd.DataFrame({"cut": cut, "carat": carat}), name="t")
    entry = next(c for c in fitter.spec_["columns"] if c["name"] == "carat")
    assert entry["kind"] == "conditional" and entry["default"]["distribution"] == "weighted"
    kept = {float(v) for v in entry["default"]["values"]}
    written = {float(x) for case in entry["cases"] for x in (list(case.get("values", {})) + case.get("quantiles", [])
                                                            + [case.get("min"), case.get("max")]) if x is not None}
    assert not written & {5.01, 4.5, 4.13} and max(written) <= max(kept)
    learned = learn_column("salary", salary, FitConfig())
    tenth = np.sort(salary.to_numpy())[-10]
    assert learned.codes.max() < salary.max() and not np.isin(np.sort(salary.to_numpy())[-9:], learned.codes).any()
    assert learned.codes.max() > tenth  # a tail, not a pile at the k-th value


def _schooling(n: int = 12_000, seed: int = 5) -> pd.DataFrame:
    """Years of schooling (a few listed values, fractions among them) fixed in range by the level, the level
    by the years; some years are rare in every group of rows the cases split into, yet common overall."""
    rng = np.random.default_rng(seed)
    level = rng.choice([1, 2, 3], n, p=[0.6, 0.2, 0.2])
    low = rng.choice([7.0, 8.5, 9.0, 10.5, 11.0], n, p=[0.01, 0.01, 0.38, 0.4, 0.2])
    years = np.select([level == 1, level == 2], [low, 12.0], rng.choice([13.0, 15.0, 18.0], n))
    age = np.round(rng.uniform(20, 65, n) + (level == 1) * 3)
    income = np.round(rng.lognormal(2 + 0.2 * level + 0.01 * age, 0.3, n), 2)
    return pd.DataFrame({"level": level, "age": age, "income": income, "years": years})


def test_cases_of_listed_values_keep_them_listed_and_keep_values_rare_in_every_case():
    real = _schooling()
    schema = _fit(real)
    years = next(c for c in schema["columns"] if c["name"] == "years")
    assert years["kind"] == "conditional" and years["default"]["distribution"] == "weighted"
    twin = _regenerate(schema, len(real))
    # Every year the twin writes is a listed one (no smooth shape between them), and each level keeps its years.
    assert set(twin.years.unique()) <= set(real.years.unique())
    for lv, group in twin.groupby("level"):
        assert set(group.years.unique()) <= set(real.years[real.level == lv].unique())
    # The level-2 case (every row 12, whole numbers in a column with fractions) is 12 on every row.
    assert (twin.years[twin.level == 2] == 12.0).all()
    # Years rare within each case (7 and 8.5: 1% of rows each) are kept through the pool, at about their share.
    for value in (7.0, 8.5):
        assert abs((twin.years == value).mean() - (real.years == value).mean()) < 0.004


def test_a_case_writes_only_values_it_saw_k_times_or_the_pooled_ones():
    from synth.fit import learn_column
    from synth.fit.trees import condition_on_trees

    real = _schooling()
    cfg = FitConfig(min_count=10)
    learned = {c: learn_column(c, real[c], cfg) for c in real}
    found = condition_on_trees(learned, skip=set(), cfg=cfg)
    leaves = found.leaves["years"]
    entry = found.entries["years"]
    listed = [float(v) for v in entry["default"]["values"]]
    # A value written with a fractional weight came from the pool: the rows rare in their case, summed
    # over the cases, hold it at least k times; a whole-number weight is the case's own count, at least k.
    rare_total = dict.fromkeys(listed, 0)
    for leaf in np.unique(leaves):
        counts = real.years[leaves == leaf].value_counts()
        for v, c in counts.items():
            if c < cfg.min_count:
                rare_total[float(v)] += c
    for case in entry["cases"]:
        for v, w in case["values"].items():
            assert (isinstance(w, int) and w >= cfg.min_count) or rare_total[float(v)] >= cfg.min_count
