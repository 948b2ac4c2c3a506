"""A parent's text key that many child rows reference is a category, kept; keys of people stay regenerated (issue 14).

Known answers on built tables: a menu whose product names order lines reference (all but one name by at least k
lines), customers whose emails orders reference; and the ``listed`` kind that carries the kept values: its first
rows are the listed values, the other rows fresh keys that never equal one, the same however the rows are chunked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synth
import synth.engine as engine
import synth.multitable as mt
from synth.cli import app
from synth.fit import FitConfig
from synth.fit.keys import kept_rows, names_people
from synth.fit.related import DatabaseFitter

K = 5
MENU = ["Espresso", "Caffe Latte", "Drip Coffee", "Cold Brew", "Green Tea", "Butter Croissant", "Plain Bagel",
        "Cinnamon Roll", "Avocado Toast", "Hot Chocolate", "Rare Special"]


def shop(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    first = ["Ann", "Bob", "Carla", "Dmitri", "Eve", "Farid", "Gina", "Hugo", "Ines", "Jon"]
    customers = pd.DataFrame({"email": [f"{first[i % 10].lower()}{i}@example.com" for i in range(60)],
                              "name": [f"{first[i % 10]} Smith{i}" for i in range(60)],
                              "age": rng.integers(18, 80, 60)})
    products = pd.DataFrame({"product": MENU, "price": rng.uniform(2, 7, len(MENU)).round(2),
                             "type": ["drink"] * 5 + ["food"] * 6})
    weights = np.r_[np.linspace(3, 1, len(MENU) - 1), 0.0]
    n = 900
    product = np.r_[rng.choice(MENU, n - 2, p=weights / weights.sum()), ["Rare Special"] * 2]  # 2 < K lines
    orders = pd.DataFrame({"order_id": np.arange(1, n + 1),
                           "email": customers.email.to_numpy()[np.r_[np.arange(60).repeat(15)]][:n],
                           "product": product, "quantity": rng.integers(1, 4, n)})
    return {"customers": customers, "products": products, "orders": orders}


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return shop()


@pytest.fixture(scope="module")
def fitter(real) -> DatabaseFitter:
    return DatabaseFitter(FitConfig(min_count=K, seed=2)).fit(real, name="shop")


@pytest.fixture(scope="module")
def made(fitter) -> dict[str, pd.DataFrame]:
    return mt.generate_tables(fitter.database_, seed=4)


def column(fitter: DatabaseFitter, table: str, name: str) -> dict:
    return next(e for e in fitter.spec_["tables"][table]["columns"] if e.get("name") == name)


# --- what fit keeps --------------------------------------------------------------------------------------------

def test_product_names_referenced_by_k_rows_are_kept_most_referenced_first(fitter, real):
    entry = column(fitter, "products", "product")
    assert entry["kind"] == "listed"
    counts = real["orders"]["product"].value_counts()
    assert entry["values"] == sorted(counts[counts >= K].index, key=lambda v: (-counts[v], v))
    assert "Rare Special" not in json.dumps(fitter.spec_)  # referenced by 2 < k rows: regenerated, never written


def test_kept_names_keep_their_counts_and_fresh_keys_follow(fitter, real):
    counts = real["orders"]["product"].value_counts()
    refs = next(e for e in fitter.spec_["tables"]["products"]["columns"] if e.get("kind") == "listed" and e.get("hidden"))
    assert refs["values"] == sorted(counts[counts >= K].tolist(), reverse=True)
    assert column(fitter, "products", "product")["rest"]["kind"] in ("faker", "pattern", "uuid")


def test_a_key_of_people_stays_regenerated(fitter, real, made):
    assert column(fitter, "customers", "email")["kind"] != "listed"
    text = json.dumps(fitter.spec_)
    assert not any(e in text for e in real["customers"].email)
    assert not set(made["orders"].email) & set(real["customers"].email)
    assert set(made["orders"].email) <= set(made["customers"].email)


def test_generated_children_hold_the_real_names_in_their_real_shares(made, real):
    got = made["orders"]["product"].value_counts(normalize=True)
    want = real["orders"]["product"].value_counts(normalize=True).drop("Rare Special")
    assert set(made["orders"]["product"]) <= set(made["products"]["product"])  # every reference resolves
    assert "Rare Special" not in set(made["products"]["product"])
    assert 0.5 * (got.reindex(want.index, fill_value=0) - want).abs().sum() < 0.06  # total variation distance


def test_kept_rows_known_answers():
    key = pd.Series(["ATL", "ORD", "BOS", "SEA", "ORD2"])
    # SEA: referenced by k rows as a destination but by 2 as an origin: a count below k would be written, so not kept
    counts = [np.array([40, 12, 3, 10, 0]), np.array([0, 0, 0, 2, 0])]
    assert kept_rows(key, counts, 10).tolist() == [0, 1]
    assert kept_rows(pd.Series([1, 2, 3]), [np.array([50, 50, 50])], 10).tolist() == []  # numbers: running ids
    people = pd.DataFrame({"login": ["x1", "x2"], "email": ["a@b.org", "c@d.org"]})
    assert kept_rows(people.login, [np.array([50, 60])], 10, people).tolist() == []  # an id of a person


def test_person_names_are_told_from_product_names():
    assert names_people(pd.Series(["Latoya Li", "Mr. Glenn Meadows", "Anita Blankenship", "Jon Smith"]))
    assert not names_people(pd.Series(MENU))


def test_a_table_of_people_keeps_its_name_key_regenerated():
    rng = np.random.default_rng(1)
    people = pd.DataFrame({"name": ["Ann Lee", "Bob Stone", "Carla Diaz", "Hugo Brandt"], "age": [30, 41, 52, 63]})
    visits = pd.DataFrame({"visit_id": np.arange(1, 201), "name": rng.choice(people.name, 200), "minutes": rng.integers(5, 60, 200)})
    fitted = DatabaseFitter(FitConfig(min_count=K)).fit({"people": people, "visits": visits})
    assert not any(n in json.dumps(fitted.spec_) for n in people.name)


# --- the listed kind ----------------------------------------------------------------------------------------------

def listed_schema(rows: int, values: list[str], pattern: str) -> synth.Schema:
    return synth.Schema.from_dict({"name": "t", "rows": rows, "columns": [
        {"name": "code", "kind": "listed", "values": values, "rest": {"kind": "pattern", "patterns": [pattern], "unique": True}},
        {"name": "n", "kind": "listed", "values": [7, 8], "rest": {"kind": "integer", "min": 0, "max": 3}}]})


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_listed_keys_come_first_and_fresh_keys_never_repeat_however_chunked(seed, monkeypatch):
    values = [f"{i:02d}" for i in range(0, 60, 3)]  # 20 of a 100-code space: rest codes often equal a listed one
    schema = listed_schema(90, values, "##")
    whole = synth.generate(schema, rows=90, seed=seed)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 7)
    chunked = synth.generate(schema, rows=90, seed=seed)
    assert whole.code.tolist() == chunked.code.tolist()  # keys follow row numbers (chunk size is part of the data)
    assert whole.code.tolist()[:20] == values and whole.code.is_unique
    assert whole.n.tolist()[:2] == [7, 8] and whole.n.iloc[2:].between(0, 3).all()


def test_a_listed_key_is_a_key_other_tables_can_reference():
    db = mt.Database.from_yaml_text("""
tables:
  airports:
    rows: 30
    columns:
      - {name: faa, kind: listed, values: [ATL, ORD], rest: {kind: pattern, patterns: ["???"], unique: true}}
      - {name: w, kind: listed, values: [90, 10], rest: {kind: integer, min: 0, max: 0}, hidden: true}
  flights:
    rows: 2000
    columns:
      - {name: dest, kind: reference, table: airports, key: faa, weight: w}
""")
    made = mt.generate_tables(db, seed=0)
    share = made["flights"].dest.value_counts(normalize=True)
    assert set(share.index) == {"ATL", "ORD"} and abs(share["ATL"] - 0.9) < 0.03


def test_cli_a_listed_column_with_a_bad_rest_is_one_line_of_bad_input(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nrows: 3\ncolumns:\n  - {name: c, kind: listed, values: [a], rest: {kind: nope}}\n")
    result = CliRunner().invoke(app, ["generate", str(path), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "rest" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


# --- the round trip the issue measures ------------------------------------------------------------------------------

def test_cli_round_trip_keeps_the_child_column_shape(real, tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    for name, df in real.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    run = CliRunner().invoke
    assert run(app, ["fit", str(folder), "--out", str(tmp_path / "t.yaml"), "-k", str(K)]).exit_code == 0
    assert run(app, ["generate", str(tmp_path / "t.yaml"), "--out", str(tmp_path / "twin")]).exit_code == 0
    result = run(app, ["audit", str(folder), str(tmp_path / "twin"), "--allow-no-holdout", "--json", str(tmp_path / "a.json")])
    assert result.exit_code in (0, 1), result.output
    report = json.loads((tmp_path / "a.json").read_text())
    shapes = next(m for m in report["tables"]["orders"]["metrics"] if m["name"] == "column_shapes")["details"]["per_column"]
    assert shapes["product"] > 0.9  # invented names scored 0


# --- two keys of one row: one draw ------------------------------------------------------------------------------

def test_two_references_to_the_same_row_are_one_draw_and_agree_in_the_twin():
    real = shop()
    real["products"].insert(0, "product_id", np.arange(1, len(MENU) + 1))
    lines = real["orders"].merge(real["products"][["product", "product_id", "price"]], on="product", how="left")
    real["orders"] = lines[["order_id", "email", "product_id", "product", "price", "quantity"]]
    fitted = DatabaseFitter(FitConfig(min_count=K, seed=2)).fit(real, name="shop")
    assert [r.target for r in fitted.database_.lookups("orders")] == ["products"]  # one draw, by the product's name
    assert column(fitted, "orders", "product_id") == {**column(fitted, "orders", "product_id"),
                                                     "kind": "expression", "expr": "products.product_id"}
    assert "read from another lookup's row" in fitted.spec_["description"]
    made = mt.generate_tables(fitted.database_, seed=1)
    joined = made["orders"].merge(made["products"], on="product_id", suffixes=("", "_p"))
    assert len(joined) == len(made["orders"]) and (joined["product"] == joined["product_p"]).all()
