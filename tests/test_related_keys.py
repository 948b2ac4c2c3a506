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
