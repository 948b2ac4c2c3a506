"""Relationship discovery (synth.discover) on built tables with known keys, and on nycflights13 when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth.discover import DiscoveryConfig, children_per_parent, discover, primary_key, read_folder
from synth.errors import SynthError
from synth.io import is_table_folder, read_tables

FLIGHTS = Path("/work/shared/data/nycflights13")


def shop(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Customers, stores, daily city weather and orders, with orphans, decoys and a composite key."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"id": np.arange(1, 301), "segment": rng.choice(["retail", "pro"], 300),
                              "signup_month": rng.integers(1, 13, 300)})
    cities = pd.DataFrame({"code": ["PAR", "LYS", "MRS", "NCE", "BOD", "LIL", "TLS", "NTE"],
                           "name": ["Paris", "Lyon", "Marseille", "Nice", "Bordeaux", "Lille", "Toulouse", "Nantes"]})
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    weather = pd.DataFrame([(c, d) for c in cities.code for d in days], columns=["city", "day"])
    weather["temp"] = rng.normal(12, 5, len(weather)).round(1)
    n = 2000
    customer = rng.integers(1, 301, n)
    orphan = rng.random(n) < 0.1
    customer[orphan] = rng.integers(1000, 2000, orphan.sum())  # 10% orphans: customers deleted since
    orders = pd.DataFrame({
        "order_id": np.arange(10_000, 10_000 + n),
        "customer_id": customer,
        "quantity": rng.integers(1, 11, n),          # decoy: 1..10 is inside customers.id 1..300
        "month": rng.integers(1, 13, n),             # decoy: 1..12 too
        "ship_to": rng.choice(cities.code, n),       # refers to cities.code with no name in common
        "city": rng.choice(cities.code, n),
        "day": rng.choice(days, n),
        "amount": rng.gamma(2, 20, n).round(2),
    })
    return {"customers": customers, "cities": cities, "weather": weather, "orders": orders}


@pytest.fixture(scope="module")
def found():
    return discover(shop())


def test_primary_keys_single_and_composite(found):
    assert found.primary_keys == {"customers": ("id",), "cities": ("code",), "weather": ("city", "day"), "orders": ("order_id",)}


def test_foreign_keys_with_orphans_and_no_decoys(found):
    fks = {str(fk): fk.resolved_share for fk in found.foreign_keys}
    assert set(fks) == {"orders(customer_id) -> customers(id)", "orders(ship_to) -> cities(code)",
                        "orders(city) -> cities(code)", "orders(city, day) -> weather(city, day)",
                        "weather(city) -> cities(code)"}
    real = shop()
    orphans = ~real["orders"].customer_id.isin(real["customers"].id)
    assert fks["orders(customer_id) -> customers(id)"] == pytest.approx(1 - orphans.mean(), abs=1e-6)
    assert 0.85 < fks["orders(customer_id) -> customers(id)"] < 0.95
    assert fks["orders(city, day) -> weather(city, day)"] == 1.0


def test_children_per_parent_summary(found):
    summary = found.children["orders(customer_id) -> customers(id)"]
    assert summary["parents"] == 300 and summary["max"] >= summary["p90"] >= summary["median"] > 0
    counts = children_per_parent(pd.DataFrame({"a": [1, 1, None, 7]}), ("a",), pd.DataFrame({"k": [1.0, 2.0]}), ("k",))
    assert counts.tolist() == [2, 0]


def test_generic_ids_do_not_refer_to_each_other():
    # two tables numbered 1..N: "id" in one is contained in "id" in the other, and means nothing
    a = pd.DataFrame({"id": np.arange(1, 101), "x": np.arange(100) % 7})
    b = pd.DataFrame({"id": np.arange(1, 101), "y": np.arange(100) % 5})
    assert discover({"a": a, "b": b}).foreign_keys == []


def test_self_reference_and_integer_code_by_name():
    staff = pd.DataFrame({"id": np.arange(1, 51), "manager_id": [None] * 5 + list(np.arange(1, 46) % 5 + 1)})
    months = pd.DataFrame({"month": np.arange(1, 13), "name": list("JFMAMJJASOND")})
    sales = pd.DataFrame({"month": np.arange(200) % 12 + 1, "amount": np.arange(200) * 1.5})
    fks = {str(fk) for fk in discover({"staff": staff, "months": months, "sales": sales}).foreign_keys}
    assert fks == {"staff(manager_id) -> staff(id)", "sales(month) -> months(month)"}


def test_no_key_when_nothing_is_unique():
    frame = pd.DataFrame({"a": [1, 1, 2, 2], "b": ["x", "x", "y", "y"], "f": [0.5, 0.5, 1.5, 1.5]})
    assert primary_key("t", frame) == ()
    # the search is bounded: one column at most means no composite key is tried
    assert primary_key("w", shop()["weather"], DiscoveryConfig(max_key_columns=1)) == ()


def test_folder_of_tables_through_io(tmp_path):
    tables = shop()
    tables["customers"].to_csv(tmp_path / "customers.csv", index=False)
    tables["cities"].to_parquet(tmp_path / "cities.parquet")
    tables["weather"].to_csv(tmp_path / "weather.csv.gz", index=False)
    (tmp_path / "orders").mkdir()  # a Parquet dataset sub-folder is one table
    tables["orders"].iloc[:1000].to_parquet(tmp_path / "orders" / "part-0.parquet")
    tables["orders"].iloc[1000:].to_parquet(tmp_path / "orders" / "part-1.parquet")
    (tmp_path / "notes.md").write_text("not a table")
    assert is_table_folder(tmp_path) and not is_table_folder(tmp_path / "orders")
    read = read_folder(tmp_path)
    assert sorted(read) == ["cities", "customers", "orders", "weather"] and len(read["orders"]) == 2000
    assert {str(fk) for fk in discover(read).foreign_keys} == {str(fk) for fk in discover(tables).foreign_keys}
    tables["cities"].to_csv(tmp_path / "cities.csv", index=False)
    with pytest.raises(SynthError, match="two files hold table 'cities'"):
        read_tables(tmp_path)


@pytest.mark.skipif(not FLIGHTS.is_dir(), reason="nycflights13 is not on this machine")
def test_nycflights13():
    relations = discover(read_folder(FLIGHTS))
    assert relations.primary_keys["airlines"] == ("carrier",)
    assert relations.primary_keys["airports"] == ("faa",)
    assert relations.primary_keys["planes"] == ("tailnum",)
    assert relations.primary_keys["weather"] == ("origin", "time_hour")
    fks = {str(fk): fk.resolved_share for fk in relations.foreign_keys}
    assert fks["flights(carrier) -> airlines(carrier)"] == 1.0
    assert fks["flights(origin) -> airports(faa)"] == 1.0
    assert 0.97 < fks["flights(dest) -> airports(faa)"] < 0.98        # some destinations are not in airports
    assert 0.84 < fks["flights(tailnum) -> planes(tailnum)"] < 0.86   # planes lacks some tail numbers
    assert fks["flights(origin, time_hour) -> weather(origin, time_hour)"] > 0.99
    assert not any("year" in fk or "month" in fk or "flight)" in fk for fk in fks)
