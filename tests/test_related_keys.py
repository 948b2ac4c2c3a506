"""Composite foreign keys and orphans (issue 14): a reference over two columns resolves, a stated share of keys
points at no row (never at a written one), the audit compares the resolved share with the real tables', and
``synth fit`` learns both."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.discover import parent_positions
from synth.multitable import Database, DatabasePlan, generate_tables

WEATHER = """
seed: 4
tables:
  airports:
    rows: 6
    columns:
      - {name: faa, kind: uuid}
  weather:
    rows: 400
    columns:
      - {name: origin, kind: reference, table: airports, key: faa}
      - {name: hour, kind: integer, min: 0, max: 99}
      - {name: temp, kind: float, min: 0, max: 30}
  planes:
    rows: 300
    columns:
      - {name: tailnum, kind: uuid}
      - {name: n, kind: integer, distribution: poisson, lam: 6, hidden: true}
      - {name: seats, kind: integer, min: 10, max: 300}
      - {name: flights, kind: aggregate, expr: count(flights)}
  flights:
    columns:
      - {name: id, kind: sequence}
      - {name: tailnum, kind: reference, table: planes, count: n, orphans: 0.15}
      - {name: weather, kind: reference, table: weather, columns: [origin, time_hour], key: [origin, hour], orphans: 0.05}
      - {name: warm, kind: expression, expr: weather.temp > 15}
      - {name: pax, kind: expression, expr: planes.seats - 3}
"""


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def db() -> Database:
    return Database.from_yaml_text(WEATHER)


@pytest.fixture(scope="module")
def tables(db) -> dict[str, pd.DataFrame]:
    return generate_tables(db, rows={"planes": 3000}, seed=1)


def resolved(tables, child, columns, parent, keys) -> np.ndarray:
    return parent_positions(tables[child], columns, tables[parent], keys) >= 0


def test_a_composite_reference_is_one_foreign_key_over_two_columns(db):
    assert "flights(origin, time_hour) -> weather(origin, hour)" in [str(fk) for fk in db.foreign_keys]
    assert [c for c in db.tables["flights"].output_columns] == ["id", "tailnum", "origin", "time_hour", "warm", "pax"]


def test_composite_keys_resolve_but_for_the_stated_orphans(tables):
    ok = resolved(tables, "flights", ("origin", "time_hour"), "weather", ("origin", "hour"))
    assert abs(ok.mean() - 0.95) < 0.01
    # a resolving row reads the weather row its key names (the first one, when the generated key repeats)
    flights, weather = tables["flights"], tables["weather"]
    first = weather.drop_duplicates(["origin", "hour"]).set_index(["origin", "hour"]).temp
    temp = first.reindex(pd.MultiIndex.from_frame(flights.loc[ok, ["origin", "time_hour"]])).to_numpy()
    assert (flights.warm[ok].to_numpy() == (temp > 15)).all()
    # orphans are fresh keys: their airport still exists (the phantom weather row's own reference resolves)
    assert flights.origin.isin(tables["airports"].faa).all()


def test_parent_orphans_are_the_stated_share_with_keys_no_parent_has(tables):
    flights, planes = tables["flights"], tables["planes"]
    ok = resolved(tables, "flights", ("tailnum",), "planes", ("tailnum",))
    assert abs((~ok).mean() - 0.15) < 0.02
    assert flights.tailnum.notna().all() and flights.id.tolist() == list(range(1, len(flights) + 1))
    # the written planes count only their own flights; orphans come in groups (a missing plane has several)
    assert planes.flights.sum() == ok.sum()
    assert flights.tailnum[~ok].nunique() < (~ok).sum()


def test_orphans_are_the_same_for_any_chunking_or_workers(db):
    one = DatabasePlan(db, rows={"planes": 3000}, seed=2).tables()
    many = DatabasePlan(db, rows={"planes": 3000}, seed=2, chunk_rows=700).tables(workers=2)
    again = DatabasePlan(db, rows={"planes": 3000}, seed=2, chunk_rows=700).tables()
    assert all(many[t].equals(again[t]) for t in one)
    assert one["planes"].num_rows == many["planes"].num_rows == 3000


BAD = {
    "key_list_without_columns": ("{name: w, kind: reference, table: weather, key: [origin, hour]}",
                                 r"key: a list of key columns goes with 'columns'"),
    "key_count": ("{name: w, kind: reference, table: weather, columns: [origin, hour], key: [origin]}",
                  r"key: 1 key columns for 2 columns"),
    "composite_parent": ("{name: w, kind: reference, table: weather, columns: [origin, hour], count: {distribution: poisson, lam: 1}}",
                         r"count: a reference over several columns is a lookup for now"),
    "unknown_key": ("{name: w, kind: reference, table: weather, columns: [origin, time]}",
                    r"table 'weather' has no column 'time'"),
    "orphans_of_one": ("{name: w, kind: reference, table: weather, columns: [origin, hour], orphans: 1}",
                       r"orphans"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_composite_references_get_one_line_and_exit_2(case, tmp_path):
    entry, pattern = BAD[case]
    text = WEATHER.split("  planes:")[0] + f"  flights:\n    rows: 10\n    columns:\n      - {entry}\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("generate", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and re.search(pattern, lines[0]), lines
    assert not (tmp_path / "out").exists()


def test_orphans_that_cannot_be_fresh_are_refused_in_one_line(tmp_path):
    text = WEATHER.replace("max: 99", "max: 2")  # 6 airports x 3 hours: 400 rows take every key
    path = tmp_path / "tight.yaml"
    path.write_text(text)
    result = run("generate", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "no key outside table 'weather'" in result.stderr and "Traceback" not in result.output


# --- the audit: integrity against the real share, composite keys, aggregate rules ----------------------------------

from types import SimpleNamespace  # noqa: E402

from audit.related import Link, ReferentialIntegrity, run_related  # noqa: E402
from synth.discover import AggregateRule, discover_aggregates  # noqa: E402
from synth.relations import ForeignKey  # noqa: E402

FK = ForeignKey("flights", ("tailnum",), "planes", ("tailnum",))


def fleet(planes: int, orphan_planes: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planes and their flights; ``orphan_planes`` more planes fly but are missing from the planes table."""
    rng = np.random.default_rng(seed)
    tail = np.array([f"N{seed}-{i}" for i in range(planes + orphan_planes)])
    flights = pd.DataFrame({"tailnum": np.repeat(tail, rng.poisson(20, len(tail)))})
    return flights, pd.DataFrame({"tailnum": tail[:planes]})


def integrity(real, synthetic):
    return ReferentialIntegrity().compute(SimpleNamespace(link=Link(FK, real, synthetic)))


def test_integrity_compares_with_the_real_share_of_orphans():
    real = fleet(850, 150, seed=1)  # 15% of flights have no plane row
    alike = integrity(real, fleet(850, 150, seed=2))
    assert alike.details["verdict"] == "pass" and alike.score > 0.95
    assert alike.details["real_resolved_share"] == pytest.approx(0.85, abs=0.02)
    whole = integrity(real, fleet(1000, 0, seed=3))  # resolving more often than the real tables is never worse
    assert whole.raw == 1.0 and whole.score == 1.0 and whole.details["verdict"] == "pass"
    broken = integrity(real, fleet(500, 500, seed=4))  # half the flights dangle
    assert broken.details["verdict"] == "fail" and broken.raw < 0.6 and broken.score < 0.7


def test_one_shared_dangling_key_is_not_excused_as_chance():
    real = fleet(1000, 0, seed=1)
    flights, planes = fleet(1000, 0, seed=2)
    flights.loc[flights.index[::4], "tailnum"] = "N-gone"  # a quarter of the flights under one missing plane
    assert integrity(real, (flights, planes)).details["verdict"] == "fail"


def shop_tables(seed: int, orders: int = 300) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 5, orders)
    items = pd.DataFrame({"order_id": np.repeat(np.arange(1, orders + 1), n), "amount": rng.integers(1, 2000, n.sum()) / 100})
    totals = np.bincount(items.order_id, weights=items.amount, minlength=orders + 1)[1:].round(2)
    return {"orders": pd.DataFrame({"id": np.arange(1, orders + 1), "items": n, "total": totals,
                                    "day": rng.integers(1, 29, orders)}),
            "items": items.assign(day=lambda f: 0)}


def test_discovery_finds_sums_and_counts_but_not_chance_or_copies():
    tables = shop_tables(1)
    tables["items"]["day"] = tables["orders"].day.to_numpy()[tables["items"].order_id - 1]  # a copy of the order's day
    fk = ForeignKey("items", ("order_id",), "orders", ("id",))
    found = sorted(str(r) for r in discover_aggregates(tables, [fk]))
    assert found == ["orders.items = count(items)", "orders.total = sum(items.amount)"]


def test_aggregate_rules_hold_on_good_tables_and_fail_on_broken_ones():
    real, good = shop_tables(1), shop_tables(2)
    fk = ForeignKey("items", ("order_id",), "orders", ("id",))
    broken = {**good, "orders": good["orders"].assign(total=lambda f: f.total.where(f.index % 10 != 0, f.total + 1))}
    policy = __import__("audit").Policy(require_holdout=False)
    passed = run_related(real, good, relations=[fk], policy=policy)
    rules = {m.name: m for m in passed.links[str(fk)].metrics if m.name.startswith("aggregate: ")}
    assert set(rules) == {"aggregate: orders.items = count(items)", "aggregate: orders.total = sum(items.amount)"}
    assert all(m.score == 1.0 and m.details["verdict"] == "pass" for m in rules.values()) and passed.passed
    failed = run_related(real, broken, relations=[fk], policy=policy,
                         aggregates=[AggregateRule(fk, "total", "sum", "amount", round=2)])
    [m] = [m for m in failed.links[str(fk)].metrics if m.name.startswith("aggregate: ")]
    assert m.details["verdict"] == "fail" and m.raw == pytest.approx(0.9, abs=0.01)
    assert any("orders.total = sum(items.amount) holds on 90.0% of the synthetic rows" in f for f in failed.failures)


def test_a_min_that_follows_from_other_structure_is_not_a_rule_the_audit_discovers():
    """A product's price is the smallest amount of its items (some have quantity 1): true of the real rows, but no
    rule a data model states, so a twin whose smallest amounts differ is not failed for it; a declared one is."""
    def shop(seed: int) -> dict[str, pd.DataFrame]:
        rng = np.random.default_rng(seed)
        price = rng.integers(200, 600, 20) / 100
        product = rng.integers(0, 20, 3000)
        quantity = np.where(np.arange(3000) < 20, 1, rng.integers(1 + (seed > 1), 4, 3000))
        product[:20] = np.arange(20)
        return {"products": pd.DataFrame({"id": np.arange(20), "price": price}),
                "items": pd.DataFrame({"product_id": product, "amount": (price[product] * quantity).round(2)})}
    real, twin = shop(1), shop(2)
    twin["items"].loc[:19, "amount"] = twin["items"].amount[:20] * 2  # no item of quantity 1 in the twin
    fk = ForeignKey("items", ("product_id",), "products", ("id",))
    assert "products.price = min(items.amount)" in [str(r) for r in discover_aggregates(real, [fk])]
    policy = __import__("audit").Policy(require_holdout=False)
    found = run_related(real, twin, relations=[fk], policy=policy)
    assert not [m for m in found.links[str(fk)].metrics if m.name.startswith("aggregate: ")]
    declared = run_related(real, twin, relations=[fk], policy=policy, aggregates=[AggregateRule(fk, "price", "min", "amount")])
    [m] = [m for m in declared.links[str(fk)].metrics if m.name.startswith("aggregate: ")]
    assert m.details["verdict"] == "fail" and not declared.passed


@pytest.fixture(scope="module")
def folders(tmp_path_factory, db):
    base = tmp_path_factory.mktemp("audit")
    out = {}
    for name, seed in (("real", 1), ("syn", 2)):
        tables = generate_tables(db, rows={"planes": 120, "weather": 150, "airports": 6}, seed=seed)
        folder = base / name
        folder.mkdir()
        for t, frame in tables.items():
            frame.to_csv(folder / f"{t}.csv", index=False)
        out[name] = folder
    broken = base / "broken"
    broken.mkdir()
    for path in out["syn"].iterdir():
        frame = pd.read_csv(path)
        if path.stem == "planes":
            frame.loc[::5, "flights"] += 1
        frame.to_csv(broken / path.name, index=False)
    out["broken"] = broken
    schema = base / "schema.yaml"
    schema.write_text(WEATHER)
    out["schema"] = schema
    return out


def test_cli_audits_a_composite_key_and_the_schema_s_aggregates(folders, tmp_path):
    report = tmp_path / "r.json"
    result = run("audit", str(folders["real"]), str(folders["syn"]), "--schema", str(folders["schema"]),
                 "--allow-no-holdout", "--json", str(report))
    out = result.output.replace("\n", " ")
    assert "flights(origin, time_hour) -> weather(origin, hour): real resolved" in out
    assert "aggregate: planes.flights = count(flights): holds on 100.0% of the synthetic rows, 100.0% of the real; pass" in out
    import json

    data = json.loads(report.read_text())
    links = data["relations"]["links"]
    composite = next(m for m in links["flights(origin, time_hour) -> weather(origin, hour)"]["metrics"] if m["name"] == "referential_integrity")
    assert composite["details"]["real_resolved_share"] < 1 and composite["details"]["verdict"] == "pass"
    assert "referential integrity" not in " ".join(data["failures"]) and "aggregate" not in " ".join(data["failures"])


def test_cli_fails_when_an_aggregate_rule_breaks(folders):
    result = run("audit", str(folders["real"]), str(folders["broken"]), "--schema", str(folders["schema"]), "--allow-no-holdout")
    assert result.exit_code == 1
    out = result.output.replace("\n", " ")
    assert "planes.flights = count(flights) holds on 80.0% of the synthetic rows (24 broken), 100.0% of the real ones" in out
