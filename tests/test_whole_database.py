"""Whole databases: `synth fit DB-URL` (no table) learns every table with the keys the catalog declares, and
`synth generate SCHEMA --out DB-URL` writes every table back with its keys (SQLite, DuckDB and a real
throwaway PostgreSQL server, see tests/pg_cluster.py).

Known answers: a declared foreign key whose name discovery could not guess is the one learned; a key that is
not declared is discovered; the generated database has no orphan rows and declares its keys; bad input is
one line with exit 2 and no password.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.io import parse_address, read_catalog
from synth.io.db import DatabaseURL, DatabaseWriter
from synth.io.registry import store_for
from synth.relations import ForeignKey
from tests.pg_cluster import PASSWORD

ENGINES = ["sqlite", "duckdb", "postgresql"]
#: Declared: `placed_by` is no name discovery ties to customers (not id-like); items.order_id is left undeclared.
DECLARED = [ForeignKey("orders", ("placed_by",), "customers", ("id",))]


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.output
    return lines[0]


def shop_tables(seed: int = 0) -> dict[str, pa.Table]:
    """customers (60) -> orders (1-6 each) -> items (1-4 each), with columns that depend on the parent."""
    rng = np.random.default_rng(seed)
    n_c = 60
    segment = rng.choice(["retail", "pro"], n_c)
    n_orders = rng.integers(1, 7, n_c)
    placed_by = np.repeat(np.arange(1, n_c + 1), n_orders)
    n_o = len(placed_by)
    n_items = rng.integers(1, 5, n_o)
    order_id = np.repeat(np.arange(1, n_o + 1), n_items)
    return {
        "customers": pa.table({"id": np.arange(1, n_c + 1), "segment": segment, "city": rng.choice(["Oslo", "Lima", "Pune"], n_c)}),
        "orders": pa.table({"id": np.arange(1, n_o + 1), "placed_by": placed_by,
                            "channel": rng.choice(["web", "shop"], n_o), "total": np.round(rng.gamma(3, 20, n_o), 2)}),
        "items": pa.table({"id": np.arange(1, len(order_id) + 1), "order_id": order_id,
                           "qty": rng.integers(1, 5, len(order_id))}),
    }


def write_shop(url: str) -> None:
    """The shop written through DatabaseWriter, orders' key declared, items' left for discovery."""
    writer = DatabaseWriter(store_for(parse_address(url)), DatabaseURL.parse(url), "replace")
    tables = shop_tables()
    sinks = {"customers": writer.table("customers", ["id"]), "orders": writer.table("orders", ["id"], DECLARED),
             "items": writer.table("items", ["id"])}
    for name, sink in sinks.items():
        sink.write(tables[name])
    writer.commit()


def create_pg_database(cluster) -> str:
    import adbc_driver_postgresql.dbapi as pg

    name = f"w_{uuid.uuid4().hex[:8]}"
    with pg.connect(cluster.url(), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")  # outside a transaction
    return cluster.url(name)


@pytest.fixture(scope="module")
def pg_shop(pg_cluster) -> str:
    url = create_pg_database(pg_cluster)
    write_shop(url)
    return url


@pytest.fixture(params=ENGINES)
def shop(request, tmp_path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("pg_shop")
    url = f"sqlite:///{tmp_path / 'shop.db'}" if request.param == "sqlite" else f"duckdb:///{tmp_path / 'shop.duckdb'}"
    write_shop(url)
    return url


def test_the_catalog_reads_declared_primary_and_foreign_keys(shop):
    catalog = read_catalog(shop)
    assert sorted(catalog.tables) == ["customers", "items", "orders"]
    assert catalog.foreign_keys == DECLARED
    assert catalog.primary_keys == {"customers": ("id",), "orders": ("id",), "items": ("id",)}
    assert len(catalog.tables["items"]) == len(shop_tables()["items"])


def test_fit_of_a_whole_database_uses_declared_keys_and_discovers_the_rest(shop, tmp_path):
    out = tmp_path / "shop.yaml"
    result = run("fit", shop, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tables"] == {"customers": 60, "items": len(shop_tables()["items"]), "orders": len(shop_tables()["orders"])}
    assert summary["parents"] == {"orders": "orders(placed_by) -> customers(id)",  # declared: discovery cannot name it
                                  "items": "items(order_id) -> orders(id)"}  # undeclared: discovered
    assert PASSWORD not in result.stdout and all("***" in r or "://" in r for r in summary["real"])
    text = out.read_text()
    assert "placed_by" in text and "kind: reference" in text


def test_without_declared_keys_the_same_database_learns_no_placed_by_parent(tmp_path):
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    writer = DatabaseWriter(store_for(parse_address(url)), DatabaseURL.parse(url), "fail")
    for name, table in shop_tables().items():
        writer.table(name).write(table)
    writer.commit()
    result = run("fit", url, "--out", str(tmp_path / "s.yaml"), "--json")
    assert result.exit_code == 0, result.output
    assert "orders" not in json.loads(result.stdout)["parents"]  # the known answer the declared key changes


def test_postgresql_database_fit_then_generate_into_another_database_keeps_every_reference(pg_shop, pg_cluster, tmp_path):
    schema = tmp_path / "shop.yaml"
    assert run("fit", pg_shop, "--out", str(schema), "-q").exit_code == 0
    target = create_pg_database(pg_cluster)
    result = run("generate", str(schema), "--out", target, "--rows", "customers=80", "--seed", "3", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert PASSWORD not in result.stdout and summary["format"] == "database" and summary["tables"]["customers"] == 80
    made = read_catalog(target)
    assert sorted(made.tables) == ["customers", "items", "orders"]
    assert sorted(map(str, made.foreign_keys)) == ["items(order_id) -> orders(id)", "orders(placed_by) -> customers(id)"]
    assert made.primary_keys["customers"] == ("id",) and made.primary_keys["orders"] == ("id",)
    assert set(made.tables["orders"].placed_by) <= set(made.tables["customers"].id)
    assert set(made.tables["items"].order_id) <= set(made.tables["orders"].id)
    assert len(made.tables["items"]) > len(made.tables["orders"]) > 80
    # Again: the tables are there, so the default refuses (one line, nothing changed); replace swaps all three.
    line = one_error_line(run("generate", str(schema), "--out", target, "--rows", "customers=10", "-q"))
    assert "already exists; use --if-exists replace or append" in line and PASSWORD not in line
    assert len(read_catalog(target).tables["customers"]) == 80
    again = run("generate", str(schema), "--out", target, "--rows", "customers=10", "--if-exists", "replace", "-q")
    assert again.exit_code == 0, again.output
    replaced = read_catalog(target)
    assert len(replaced.tables["customers"]) == 10 and len(replaced.foreign_keys) == 2


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_embedded_databases_are_generated_with_their_keys(engine, tmp_path):
    source = f"sqlite:///{tmp_path / 'src.db'}"
    write_shop(source)
    assert run("fit", source, "--out", str(tmp_path / "s.yaml"), "-q").exit_code == 0
    target = f"{engine}:///{tmp_path / ('out.db' if engine == 'sqlite' else 'out.duckdb')}"
    result = run("generate", str(tmp_path / "s.yaml"), "--out", target, "--rows", "customers=40", "-q")
    assert result.exit_code == 0, result.output
    made = read_catalog(target)
    assert len(made.foreign_keys) == 2 and set(made.tables["items"].order_id) <= set(made.tables["orders"].id)


def test_bad_whole_database_input_is_one_line_without_the_password(pg_cluster, tmp_path):
    out = str(tmp_path / "s.yaml")
    missing = pg_cluster.url("no_such_db")
    line = one_error_line(run("fit", missing, "--out", out))
    assert "no_such_db" in line and PASSWORD not in line and "***" in line
    wrong = pg_cluster.url(password="wrong-Pw#9")
    line = one_error_line(run("fit", wrong, "--out", out))
    assert "password authentication failed" in line and "wrong-Pw" not in line
    empty = create_pg_database(pg_cluster)
    assert one_error_line(run("fit", empty, "--out", out)).endswith("the database has no tables")
    assert not Path(out).exists()
    line = one_error_line(run("generate", str(Path(__file__).parents[1] / "schemas" / "coffee_shop.yaml"),
                              "--out", "postgresql://synth:sEcret9@127.0.0.1:1/db", "-q"))
    assert "127.0.0.1:1" in line and "sEcret9" not in line


def test_audit_of_two_whole_databases_checks_the_declared_references(tmp_path):
    real = f"sqlite:///{tmp_path / 'real.db'}"
    write_shop(real)
    assert run("fit", real, "--out", str(tmp_path / "s.yaml"), "-q").exit_code == 0
    twin = f"duckdb:///{tmp_path / 'twin.duckdb'}"
    assert run("generate", str(tmp_path / "s.yaml"), "--out", twin, "--rows", "customers=60", "-q").exit_code == 0
    report = tmp_path / "r.json"
    result = run("audit", real, twin, "--allow-no-holdout", "-q", "--json", str(report))
    assert result.exit_code in (0, 1), result.output
    links = json.loads(report.read_text())["relations"]["links"]
    assert {"orders(placed_by) -> customers(id)", "items(order_id) -> orders(id)"} <= set(links)
    line = one_error_line(run("audit", real, twin, "--synthetic-query", "SELECT 1", "--allow-no-holdout"))
    assert "--query and --synthetic-query are for one table" in line
    line = one_error_line(run("audit", real, twin, "--query", "SELECT * FROM orders", "--allow-no-holdout"))
    assert "SYNTHETIC is several tables" in line and "REAL" in line
