"""Phone columns keep their real formats and shares, their region, and get valid numbers that are not real ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.errors import SynthError
from synth.fit import FitConfig, SchemaFitter
from synth.fit.phones import phone_format

US_FORMATS = {"(###) ###-####": 0.5, "###-###-####": 0.3, "+1 ### ### ####": 0.15, "###-###-####x###": 0.05}


def _us_numbers(n: int, rng: np.random.Generator) -> list[str]:
    """Valid US numbers written in US_FORMATS at their shares (area codes of big cities, any exchange)."""
    area = rng.choice([212, 312, 415, 617, 713, 206, 305, 404], n)
    exchange, line = rng.integers(200, 999, n), rng.integers(0, 10_000, n)
    forms = rng.choice(list(US_FORMATS), n, p=list(US_FORMATS.values()))
    out = []
    for a, e, l, f in zip(area, exchange, line, forms):
        digits = iter(f"{a}{e}{l:04d}{rng.integers(100, 999)}")
        out.append("".join(next(digits) if ch == "#" else ch for ch in f))
    return out


@pytest.fixture(scope="module")
def us_fit() -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    rng = np.random.default_rng(21)
    real = pd.DataFrame({"phone": _us_numbers(3000, rng), "v": rng.normal(size=3000)})
    real.loc[rng.random(3000) < 0.04, "phone"] = None
    schema = SchemaFitter(FitConfig()).fit(real, name="t").schema_.to_dict()
    twin = synth.generate(synth.Schema.from_dict(schema), rows=6000, seed=3)
    return real, schema, twin


def _phone_entry(schema: dict) -> dict:
    return next(c for c in schema["columns"] if c["name"] == "phone")


def test_a_phone_column_keeps_its_formats_their_shares_and_its_region(us_fit):
    real, schema, twin = us_fit
    spec = _phone_entry(schema)
    assert spec["kind"] == "phone" and spec["region"] == "US", spec
    assert set(spec["formats"]) == set(US_FORMATS)
    values = twin.phone.dropna()
    assert abs(twin.phone.isna().mean() - 0.04) < 0.015
    shares = values.map(lambda v: phone_format(v)[0]).value_counts(normalize=True)
    real_shares = real.phone.dropna().map(lambda v: phone_format(v)[0]).value_counts(normalize=True)
    assert set(shares.index) == set(US_FORMATS)
    assert (abs(shares - real_shares[shares.index]) < 0.03).all(), (shares, real_shares)


def test_twin_phone_numbers_are_valid_and_never_real_ones(us_fit):
    real, _, twin = us_fit
    values = twin.phone.dropna()
    sample = values.sample(400, random_state=1)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(v, "US")) for v in sample)
    # The twin keeps the real table's 8 area codes (~60M valid numbers), so a chance match is possible (~0.3 expected
    # among 6,000 numbers): drawn afresh means no more matches than chance, not none at all.
    assert values.isin(set(real.phone.dropna())).sum() <= 2
    national = values.str.replace(r"x\d+$", "", regex=True).str.replace(r"\D", "", regex=True).str[-10:]
    real_national = real.phone.dropna().str.replace(r"x\d+$", "", regex=True).str.replace(r"\D", "", regex=True).str[-10:]
    assert national.isin(set(real_national)).sum() <= 2  # not even written in another format
    assert national.duplicated().sum() <= 3


def test_numbers_of_another_region_keep_their_prefix_and_grouping():
    rng = np.random.default_rng(22)
    london = [f"020 7{rng.integers(100, 999)} {rng.integers(1000, 9999)}" for _ in range(300)]
    mobile = [f"+44 7{rng.integers(700, 999)} {rng.integers(100000, 999999)}" for _ in range(200)]
    real = pd.DataFrame({"tel": london + mobile, "v": rng.normal(size=500)})
    spec = next(c for c in SchemaFitter(FitConfig()).fit(real, name="t").schema_.to_dict()["columns"] if c["name"] == "tel")
    assert spec["kind"] == "phone" and spec["region"] == "GB", spec
    assert list(spec["formats"]) == ["0## #### ####", "+44 #### ######"]  # (a few of the made-up mobiles are not valid)
    assert spec["formats"]["0## #### ####"] == 300 and spec["formats"]["+44 #### ######"] >= 190
    twin = synth.generate(synth.Schema.from_dict({"name": "t", "columns": [spec]}), rows=1000, seed=2).tel
    assert twin.str.match(r"^(0\d\d \d{4} \d{4}|\+44 \d{4} \d{6})$").all()
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(v, "GB")) for v in twin[:200])


def test_a_fitted_phone_schema_validates_and_generates_from_the_command_line(tmp_path, us_fit):
    real, _, _ = us_fit
    real.to_csv(tmp_path / "real.csv", index=False)
    runner = CliRunner()
    assert runner.invoke(app, ["fit", str(tmp_path / "real.csv"), "--out", str(tmp_path / "s.yaml")]).exit_code == 0
    assert "kind: phone" in (tmp_path / "s.yaml").read_text()
    assert runner.invoke(app, ["validate", str(tmp_path / "s.yaml")]).exit_code == 0
    result = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "t.csv"), "--rows", "500"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "t.csv").phone.dropna().str.match(r"^[(+\d]").all()


def test_phone_numbers_are_the_same_for_any_number_of_workers(tmp_path):
    schema = synth.Schema.from_dict({"name": "t", "seed": 5, "columns": [
        {"name": "p", "kind": "phone", "formats": {"(###) ###-####": 3, "+1##########": 1}}]})
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    synth.write(schema, one, rows=250_000, workers=1)
    synth.write(schema, two, rows=250_000, workers=2)
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("column, message", [
    ({"region": "XX"}, "region 'XX' is not one the phonenumbers package knows"),
    ({"formats": ["###-####"]}, "holds 7 national digits; US numbers have 10"),
])
def test_bad_phone_columns_fail_with_one_line(column, message):
    with pytest.raises(SynthError, match=message) as info:
        synth.generate(synth.Schema.from_dict({"name": "bad", "columns": [{"name": "p", "kind": "phone", **column}]}), rows=5)
    assert "\n" not in str(info.value)


def _area_code_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """70% Chicago 312 and 30% 773 numbers, plus three numbers with an area code each of their own."""
    area = np.where(rng.random(n) < 0.7, 312, 773)
    phones = [f"({a}) {e}-{l:04d}" for a, e, l in zip(area, rng.integers(200, 999, n), rng.integers(0, 10_000, n))]
    phones[:3] = ["(415) 739-8948", "(212) 736-5000", "(646) 234-1234"]
    return pd.DataFrame({"phone": phones, "v": rng.normal(size=n)})


def test_the_area_code_mix_is_learned_and_kept():
    rng = np.random.default_rng(31)
    real = _area_code_table(3000, rng)
    schema = SchemaFitter(FitConfig(min_count=5)).fit(real, name="t").schema_.to_dict()
    spec = _phone_entry(schema)
    assert set(spec["leading"]) == {"312", "773"}, spec  # 415, 212, 646: fewer than k rows each, not written
    assert spec.get("other_leading", 0) < 10
    twin = synth.generate(synth.Schema.from_dict(schema), rows=6000, seed=3).phone
    area = twin.str[1:4]
    assert abs((area == "312").mean() - 0.7) < 0.03 and abs((area == "773").mean() - 0.3) < 0.03
    assert area.isin(["312", "773"]).mean() > 0.99
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(v, "US")) for v in twin.iloc[:300])
    assert twin.isin(set(real.phone)).mean() < 0.002  # drawn afresh: a chance match, never a copy


def test_leading_digits_and_the_regions_own_mix_share_the_rows():
    schema = synth.Schema.from_dict({"name": "t", "columns": [
        {"name": "p", "kind": "phone", "formats": ["##########"], "leading": {"312": 1}, "other_leading": 1}]})
    twin = synth.generate(schema, rows=4000, seed=2).p
    chicago = (twin.str[:3] == "312").mean()
    assert 0.45 < chicago < 0.55  # the other half draws from all US area codes, where 312 is one of hundreds
    assert twin.str[:3].nunique() > 50


@pytest.mark.parametrize("column, message", [
    ({"leading": {"31x": 1}}, "leading digits '31x' must be 1 to 9 digits"),
    ({"leading": {"911": 1}}, "leading digits '911' begin no valid US number"),
    ({"other_leading": 3}, "give leading too"),
    ({"leading": {}}, "at least one"),
])
def test_bad_leading_digits_fail_with_one_line(column, message):
    with pytest.raises(SynthError, match=message) as info:
        synth.generate(synth.Schema.from_dict({"name": "bad", "columns": [{"name": "p", "kind": "phone", **column}]}), rows=5)
    assert "\n" not in str(info.value)
