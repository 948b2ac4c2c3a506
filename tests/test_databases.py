"""Databases as sources and sinks: SQLite and DuckDB (embedded) and PostgreSQL (a real throwaway server, see
tests/pg_cluster.py), through the same addresses, the same commands and the same one-line errors.

Known answers: what is written reads back the same; a failed or interrupted write leaves the old table and
no staging table; --if-exists does what it says; the catalog's foreign keys come back as declared.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sqlite3
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.errors import SynthError
from synth.io import open_sink, parse_address, read_catalog, read_table, write_table
from synth.io.db import DatabaseURL, DatabaseWriter
from synth.io.registry import store_for
from synth.relations import ForeignKey
from tests.pg_cluster import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"
ENGINES = ["sqlite", "duckdb", "postgresql"]


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.output
    return lines[0]


class Db:
    """One database of one engine for a test: ``url(table)`` addresses a table in it, ``sql`` runs a statement."""

    def __init__(self, engine: str, base: str) -> None:
        self.engine, self.base = engine, base

    def url(self, table: str | None = None) -> str:
        return self.base + (f"#{table}" if table else "")

    def tables(self) -> list[str]:
        store = store_for(parse_address(self.base))
        with store.connection(DatabaseURL.parse(self.base)) as conn:
            return store.tables(conn)

    def sql(self, statement: str) -> None:
        store = store_for(parse_address(self.base))
        with store.connection(DatabaseURL.parse(self.base)) as conn:
            store.begin(conn)
            for part in statement.split(";"):
                if part.strip():
                    store.execute(conn, part)
            conn.commit()


@pytest.fixture(scope="module")
def pg_database(pg_cluster):
    """A fresh database of the session's server for this module."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(pg_cluster.url(), autocommit=True) as conn:  # CREATE DATABASE runs outside a transaction
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
    return pg_cluster.url(name)


@pytest.fixture(params=ENGINES)
def db(request, tmp_path) -> Db:
    if request.param == "sqlite":
        return Db("sqlite", f"sqlite:///{tmp_path / 'shop.db'}")
    if request.param == "duckdb":
        return Db("duckdb", f"duckdb:///{tmp_path / 'shop.duckdb'}")
    base = request.getfixturevalue("pg_database")
    db = Db("postgresql", base)
    for table in db.tables():  # tables of earlier tests of this module
        db.sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    return db


def coffee(rows: int = 2500, seed: int = 3) -> pd.DataFrame:
    return synth.generate(COFFEE, rows=rows, seed=seed)


# --- writing and reading back -------------------------------------------------------------------------------

def test_generate_then_read_back_gives_the_generated_table(db):
    assert run("generate", str(COFFEE), "-n", "2500", "-s", "3", "-o", db.url("coffee"), "-q").exit_code == 0
    back = read_table(db.url("coffee"))
    made = coffee()
    assert list(back.columns) == list(made.columns) and len(back) == 2500
    assert back.id.tolist() == made.id.tolist()
    assert back["product"].tolist() == made["product"].astype(str).tolist()
    assert back.price.astype(float).tolist() == pytest.approx(made.price.astype(float).tolist())
    assert back.amount.astype(float).tolist() == pytest.approx(made.amount.astype(float).tolist())
    assert pd.to_datetime(back.date).dt.date.tolist() == made.date.dt.date.tolist()
    assert [str(t)[:5] for t in back.time] == made.time.astype(str).tolist()


def test_sql_types_match_the_data(db):
    table = pa.table({
        "n": pa.array([1, None], pa.int64()), "small": pa.array([1, 2], pa.int16()), "x": [1.5, None],
        "price": pa.array([decimal.Decimal("2.50"), decimal.Decimal("10.25")], pa.decimal128(8, 2)),
        "s": ["a", None], "b": [True, False], "d": [dt.date(2024, 1, 31), None],
        "t": pa.array([dt.time(9, 30), dt.time(23, 59, 1)], pa.time64("us")),
        "ts": [dt.datetime(2024, 1, 31, 12, 0), None]})
    with open_sink(db.url("typed")) as sink:
        sink.write(table)
    declared = _declared_types(db, "typed")
    expected = {"sqlite": ["BIGINT", "SMALLINT", "REAL", "NUMERIC(8, 2)", "TEXT", "BOOLEAN", "DATE", "TIME", "TIMESTAMP"],
                "duckdb": ["BIGINT", "SMALLINT", "DOUBLE", "DECIMAL(8,2)", "VARCHAR", "BOOLEAN", "DATE", "TIME", "TIMESTAMP"],
                "postgresql": ["bigint", "smallint", "double precision", "numeric(8,2)", "text", "boolean", "date",
                               "time without time zone", "timestamp without time zone"]}[db.engine]
    assert declared == expected
    back = read_table(db.url("typed"))
    assert back.price.astype(float).tolist() == [2.5, 10.25] and back.s.tolist()[0] == "a"
    assert [str(v)[:8] for v in back.t] == ["09:30:00", "23:59:01"]


def _declared_types(db: Db, table: str) -> list[str]:
    if db.engine == "sqlite":
        with sqlite3.connect(db.base.removeprefix("sqlite:///")) as con:
            return [row[2] for row in con.execute(f"PRAGMA table_info({table})")]
    query = ("SELECT data_type FROM information_schema.columns WHERE table_name = 'typed' ORDER BY ordinal_position"
             if db.engine == "duckdb" else
             "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 "
             "ORDER BY attnum")
    return read_table(db.url(), query=query).iloc[:, 0].tolist()


def test_fit_reads_a_table_and_a_query(db, tmp_path):
    write_table(coffee(800), db.url("coffee"))
    result = run("fit", db.url("coffee"), "-o", str(tmp_path / "t.yaml"), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 800 and summary["real"] == str(parse_address(db.url("coffee")))
    query = run("fit", db.url(), "--query", "SELECT product, price, quantity FROM coffee WHERE quantity > 1",
                "-o", str(tmp_path / "q.yaml"), "--json")
    assert query.exit_code == 0, query.output
    assert json.loads(query.stdout)["rows"] == int((coffee(800).quantity > 1).sum())


# --- --if-exists and atomic swaps ---------------------------------------------------------------------------

def test_if_exists_fail_is_the_default_and_replace_and_append_do_what_they_say(db):
    write_table(pd.DataFrame({"a": [1, 2, 3]}), db.url("t"))
    line = one_error_line(run("generate", str(COFFEE), "-n", "10", "-o", db.url("t")))
    assert line.endswith("#t: table t already exists; use --if-exists replace or append")
    assert read_table(db.url("t")).a.tolist() == [1, 2, 3]
    write_table(pd.DataFrame({"a": [7]}), db.url("t"), if_exists="append")
    assert read_table(db.url("t")).a.tolist() == [1, 2, 3, 7]
    assert run("generate", str(COFFEE), "-n", "10", "-o", db.url("t"), "--if-exists", "replace", "-q").exit_code == 0
    assert read_table(db.url("t")).shape == (10, 11)
    assert db.tables() == ["t"]  # no staging table left


def test_appending_rows_of_another_shape_is_one_line_and_changes_nothing(db):
    write_table(pd.DataFrame({"a": [1, 2]}), db.url("t"))
    line = one_error_line(run("generate", str(COFFEE), "-n", "10", "-o", db.url("t"), "--if-exists", "append"))
    assert "cannot append to table t" in line
    assert read_table(db.url("t")).a.tolist() == [1, 2] and db.tables() == ["t"]


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failed_or_interrupted_write_leaves_the_old_table_and_no_staging_table(db, failure):
    write_table(pd.DataFrame({"a": [1, 2]}), db.url("t"))
    with pytest.raises(failure):
        with open_sink(db.url("t"), if_exists="replace") as sink:
            sink.write(pa.table({"a": [9, 9, 9]}))
            sink.write(pa.table({"a": [9]}))
            raise failure()
    assert read_table(db.url("t")).a.tolist() == [1, 2] and db.tables() == ["t"]


def test_a_failed_first_write_leaves_no_table(db):
    with pytest.raises(RuntimeError), open_sink(db.url("fresh")) as sink:
        sink.write(pa.table({"a": [1]}))
        raise RuntimeError("a bug in the middle of a run")
    assert "fresh" not in (db.tables() if db.engine == "postgresql" or Path(db.base.split(":///")[1]).exists() else [])


def test_a_type_the_database_cannot_hold_is_one_line_naming_the_column(db):
    with pytest.raises(SynthError, match=r"column 'tags' holds list<item: int64>, which .* cannot hold"):
        with open_sink(db.url("t")) as sink:
            sink.write(pa.table({"id": [1], "tags": [[1, 2]]}))
    assert "t" not in (db.tables() if db.engine == "postgresql" or Path(db.base.split(":///")[1]).exists() else [])


# --- several tables in one transaction ------------------------------------------------------------------------

def test_related_tables_are_written_together_with_their_keys_and_read_back_with_them(db):
    store = store_for(parse_address(db.url()))
    writer = DatabaseWriter(store, DatabaseURL.parse(db.url()), "fail")
    fk = ForeignKey("orders", ("customer_id",), "customers", ("id",))
    orders = writer.table("orders", primary_key=["id"], foreign_keys=[fk])
    customers = writer.table("customers", primary_key=["id"])
    orders.write(pa.table({"id": [10, 11, 12], "customer_id": [1, 2, 1]}))
    customers.write(pa.table({"id": [1, 2], "city": ["Oslo", "Lima"]}))
    assert db.tables() == []  # nothing visible before the commit
    writer.commit()
    catalog = read_catalog(db.url())
    assert sorted(catalog.tables) == ["customers", "orders"] and catalog.foreign_keys == [fk]
    assert catalog.tables["orders"].customer_id.tolist() == [1, 2, 1]


def test_the_catalog_lists_every_table_and_declared_foreign_key(db):
    db.sql("CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT); CREATE TABLE b (k1 INTEGER, k2 INTEGER, PRIMARY KEY (k1, k2));"
           "CREATE TABLE c (id INTEGER, a_id INTEGER REFERENCES a (id), p INTEGER, q INTEGER, FOREIGN KEY (p, q) REFERENCES b (k1, k2));"
           "INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (1, 2); INSERT INTO c VALUES (5, 1, 1, 2)")
    catalog = read_catalog(db.url())
    assert sorted(catalog.tables) == ["a", "b", "c"]
    assert sorted(map(str, catalog.foreign_keys)) == ["c(a_id) -> a(id)", "c(p, q) -> b(k1, k2)"]


# --- bad input: one line, exit 2 -----------------------------------------------------------------------------

def test_reading_without_a_table_names_the_tables_there(db, tmp_path):
    write_table(pd.DataFrame({"a": [1]}), db.url("orders"))
    # (the command line reads a database without a table as the whole database: synth fit, synth audit)
    with pytest.raises(SynthError) as caught:
        read_table(db.url())
    assert "name the table to read" in caught.value.message and caught.value.message.endswith("its tables: orders")


@pytest.mark.parametrize("args, message", [
    (("#nosuch",), "nosuch"),
    (("", "--query", "SELEC * FROM t"), "syntax error"),
])
def test_an_unknown_table_or_a_bad_query_is_one_line(db, tmp_path, args, message):
    write_table(pd.DataFrame({"a": [1, 2]}), db.url("t"))
    line = one_error_line(run("fit", db.url() + args[0], *args[1:], "-o", str(tmp_path / "x.yaml")))
    assert line.startswith("error: " + db.url().replace(PASSWORD.replace("#", "%23"), "***")[:10]) and message in line
    assert PASSWORD not in line


def test_a_missing_database_file_is_one_line_and_creates_nothing(tmp_path):
    for scheme, name in (("sqlite", "no.db"), ("duckdb", "no.duckdb")):
        line = one_error_line(run("fit", f"{scheme}:///{tmp_path / name}#t", "-o", str(tmp_path / "x.yaml")))
        assert line.endswith(f"no such database file {tmp_path / name}")
    assert list(tmp_path.iterdir()) == []


def test_a_table_and_a_query_together_or_a_query_on_a_file_are_refused(tmp_path):
    (tmp_path / "r.csv").write_text("a,b\n1,2\n")
    assert "--query needs a database address" in one_error_line(run("fit", str(tmp_path / "r.csv"), "--query", "SELECT 1"))
    write_table(pd.DataFrame({"a": [1]}), f"sqlite:///{tmp_path / 's.db'}#t")
    assert "either a table" in one_error_line(run("fit", f"sqlite:///{tmp_path / 's.db'}#t", "--query", "SELECT 1"))


def test_sqlite_columns_that_mix_storage_classes_are_read_whole(tmp_path):
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE m (n, s, ok INTEGER)")
        con.executemany("INSERT INTO m VALUES (?, ?, ?)", [(i, i, i) for i in range(3000)] + [(1.5, "x", 1)])
    back = read_table(f"sqlite:///{path}#m")
    assert back.n.iloc[-1] == 1.5 and back.n.iloc[0] == 0.0 and back.s.iloc[-1] == "x" and back.s.iloc[0] == "0"
    assert back.ok.dtype == "int64"


# --- PostgreSQL: credentials, never echoed -----------------------------------------------------------------------

def test_a_wrong_password_is_one_line_without_the_password(pg_cluster, tmp_path):
    url = pg_cluster.url(password="Wr0ng-Secret") + "#t"
    line = one_error_line(run("fit", url, "-o", str(tmp_path / "x.yaml")))
    assert "password authentication failed" in line and "Wr0ng-Secret" not in line and "***" in line
    debug = run("generate", str(COFFEE), "-n", "5", "-o", url, "--debug")  # not even in the traceback
    assert debug.exit_code == 2 and "Traceback" in debug.stderr and "Wr0ng-Secret" not in debug.stderr


def test_an_unreachable_server_is_one_line(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    line = one_error_line(run("fit", f"postgresql://u:Secret-77@127.0.0.1:{port}/db#t", "-o", str(tmp_path / "x.yaml")))
    assert "Connection refused" in line and "Secret-77" not in line


def test_the_password_from_an_environment_variable_or_pgpassword_and_json_shows_no_password(pg_cluster, tmp_path):
    bare = pg_cluster.url(password=None)
    env = {"SHOP_DB_PW": PASSWORD}
    result = run("generate", str(COFFEE), "-n", "50", "-o", f"{bare}?table=pw_env&password_env=SHOP_DB_PW", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["out"] == f"{bare}?table=pw_env&password_env=SHOP_DB_PW"
    result = run("generate", str(COFFEE), "-n", "50", "-o", f"{bare}#pw_libpq", "--json", env={"PGPASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    result = run("generate", str(COFFEE), "-n", "50", "-o", pg_cluster.url() + "#pw_url", "--json")
    assert result.exit_code == 0 and PASSWORD not in result.output and '"out": "postgresql://synth:***@' in result.stdout
    assert "NOT_SET" in one_error_line(run("fit", f"{bare}?table=t&password_env=NOT_SET"))


def test_a_schema_qualified_table(pg_cluster, pg_database):
    Db("postgresql", pg_database).sql("CREATE SCHEMA IF NOT EXISTS sales")
    write_table(pd.DataFrame({"a": [1, 2]}), f"{pg_database}?table=sales.orders")
    assert read_table(f"{pg_database}#sales.orders").a.tolist() == [1, 2]
    assert "sales.orders" in read_catalog(pg_database).tables


def test_a_big_table_read_in_parallel_page_ranges_gives_the_rows_of_one_scan(pg_database, monkeypatch):
    from synth.io.db import postgresql

    write_table(coffee(20_000), f"{pg_database}#big")
    Db("postgresql", pg_database).sql("DELETE FROM big WHERE id % 7 = 0")  # holes in the pages
    whole = read_table(f"{pg_database}#big")
    assert len(whole) == 20_000 - 20_000 // 7
    monkeypatch.setattr(postgresql, "PAGES_PER_READ", 20)  # ~200 pages: several ranges
    monkeypatch.setattr(postgresql, "PARALLEL_READS", 3)
    pd.testing.assert_frame_equal(read_table(f"{pg_database}#big"), whole)
    ordered = read_table(pg_database, query="SELECT * FROM big ORDER BY ctid")
    pd.testing.assert_frame_equal(whole, ordered)


# --- addresses, files, and the other commands --------------------------------------------------------------------

@pytest.mark.parametrize("text, target, schema, table", [
    ("sqlite:///shop.db#orders", "shop.db", None, "orders"),
    ("sqlite:////abs/shop.db?table=orders", "/abs/shop.db", None, "orders"),
    ("duckdb:///data/shop.duckdb#sales.orders", "data/shop.duckdb", "sales", "orders"),
    ("postgresql://bob:p%40ss@db:5433/shop?sslmode=disable&table=orders", "postgresql://bob:p%40ss@db:5433/shop?sslmode=disable", None, "orders"),
    ("postgres://bob@db/shop", "postgresql://bob@db/shop", None, None),
])
def test_a_database_url_is_taken_apart_as_sqlalchemy_users_expect(text, target, schema, table):
    url = DatabaseURL.parse(text)
    assert (url.target, url.schema, url.table) == (target, schema, table)
    assert "p%40ss" not in url.shown and "p@ss" not in repr(url) + repr(parse_address(text))


def test_a_table_named_twice_differently_or_a_bad_if_exists_is_one_line(tmp_path):
    assert "named twice" in one_error_line(run("fit", f"sqlite:///{tmp_path / 'x.db'}?table=a#b"))
    assert "--if-exists 'sometimes'" in one_error_line(
        run("generate", str(COFFEE), "-n", "5", "-o", str(tmp_path / "x.csv"), "--if-exists", "sometimes"))


def test_if_exists_on_files_fail_refuses_and_append_is_for_tables(tmp_path):
    out = tmp_path / "c.csv"
    out.write_text("a\n1\n")
    assert "already exists" in one_error_line(run("generate", str(COFFEE), "-n", "5", "-o", str(out), "--if-exists", "fail"))
    assert "append needs a database table" in one_error_line(
        run("generate", str(COFFEE), "-n", "5", "-o", str(out), "--if-exists", "append"))
    assert out.read_text() == "a\n1\n"
    assert run("generate", str(COFFEE), "-n", "5", "-o", str(out), "-q").exit_code == 0  # files: replaced by default


def test_audit_and_a_schema_catalog_read_database_tables(tmp_path):
    real, fake = f"sqlite:///{tmp_path / 'r.db'}#coffee", f"duckdb:///{tmp_path / 'f.duckdb'}#coffee"
    write_table(coffee(600, seed=1), real)
    write_table(coffee(600, seed=2), fake)
    result = run("audit", real, fake, "--allow-no-holdout", "-q", "--json", str(tmp_path / "r.json"))
    assert result.exit_code in (0, 1) and json.loads((tmp_path / "r.json").read_text())["summary"]
    write_table(pd.DataFrame({"sku": ["00123", "00777"], "price": [2.5, 4.5]}), f"sqlite:///{tmp_path / 'm.db'}#menu")
    schema = synth.Schema.from_yaml_text(f"columns:\n  - {{name: m, kind: catalog, source: 'sqlite:///{tmp_path / 'm.db'}#menu'}}\n")
    frame = synth.generate(schema, rows=50)
    assert set(frame.sku.astype(str)) == {"00123", "00777"}


def test_the_password_from_a_pgpass_file(pg_cluster, tmp_path, monkeypatch):
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_cluster.port}:*:synth:{PASSWORD.replace(':', chr(92) + ':')}\n")
    passfile.chmod(0o600)  # libpq ignores a password file others can read
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    write_table(pd.DataFrame({"a": [1]}), pg_cluster.url(password=None) + "#pgpass_t", if_exists="replace")
    assert read_table(pg_cluster.url(password=None) + "#pgpass_t").a.tolist() == [1]


def test_the_table_is_the_same_for_any_number_of_workers(tmp_path):
    urls = [f"sqlite:///{tmp_path / f'w{n}.db'}#coffee" for n in (1, 2)]
    for n, url in zip((1, 2), urls):
        assert run("generate", str(COFFEE), "-n", "250000", "-s", "9", "-w", str(n), "-o", url, "-q").exit_code == 0
    pd.testing.assert_frame_equal(read_table(urls[0]), read_table(urls[1]))


def test_ctrl_c_during_a_write_to_postgresql_leaves_the_old_table(pg_database):
    import os
    import signal
    import subprocess
    import sys
    import time

    write_table(pd.DataFrame({"a": [1, 2]}), f"{pg_database}#kept")
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "generate", str(COFFEE), "-n", "5000000",
                             "-o", f"{pg_database}#kept", "--if-exists", "replace"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # start-up, then chunks going in
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted: nothing was written under the output name"
    assert PASSWORD not in stderr
    assert read_table(f"{pg_database}#kept").a.tolist() == [1, 2]
    assert not [t for t in Db("postgresql", pg_database).tables() if t.startswith("_synth_staging")]


def test_every_common_arrow_type_goes_in_and_comes_back(db):
    columns = {"u8": pa.array([1, None], pa.uint8()), "u32": pa.array([7, 1], pa.uint32()), "u64": pa.array([1, 2], pa.uint64()),
               "f16": pa.array([1.5, None], pa.float16()), "f32": pa.array([2.5, 1], pa.float32()),
               "lstr": pa.array(["x", None], pa.large_string()), "t32": pa.array([dt.time(1, 2), None], pa.time32("s")),
               "d64": pa.array([dt.date(2020, 1, 2), None], pa.date64()), "tsns": pa.array([dt.datetime(2020, 1, 1, 5), None], pa.timestamp("ns")),
               "tstz": pa.array([dt.datetime(2020, 1, 1), None], pa.timestamp("us", tz="UTC")), "bin": pa.array([b"x", None]),
               "null": pa.array([None, None]), "cat": pa.array(["a", "b"]).dictionary_encode()}
    if db.engine != "sqlite":  # SQLite has no interval type
        columns["dur"] = pa.array([dt.timedelta(seconds=5), None])
    with open_sink(db.url("types")) as sink:
        sink.write(pa.table(columns))
    back = read_table(db.url("types"))
    assert list(back.columns) == list(columns)
    assert back.u32.tolist() == [7, 1] and back.f32.tolist() == [2.5, 1.0] and back.cat.tolist() == ["a", "b"]
    assert str(back.d64.iloc[0])[:10] == "2020-01-02" and str(back.tsns.iloc[0]).replace("T", " ")[:16] == "2020-01-01 05:00"
    if db.engine == "sqlite":
        with pytest.raises(SynthError, match="column 'dur' holds duration"):
            write_table(pd.DataFrame({"dur": [pd.Timedelta(seconds=5)]}), db.url("d"))


def test_audit_reads_query_rows_on_both_sides(tmp_path):
    real, fake = f"sqlite:///{tmp_path / 'r.db'}", f"duckdb:///{tmp_path / 'f.duckdb'}"
    write_table(coffee(800, seed=1), real + "#coffee")
    write_table(coffee(800, seed=2), fake + "#coffee")
    report = tmp_path / "r.json"
    result = run("audit", real, fake, "--query", "SELECT * FROM coffee WHERE quantity = 1",
                 "--synthetic-query", "SELECT * FROM coffee WHERE quantity = 1", "--allow-no-holdout", "-q", "--json", str(report))
    assert result.exit_code in (0, 1), result.output
    rows = json.loads(report.read_text())["inputs"]
    ones = int((coffee(800, seed=1).quantity == 1).sum())
    assert rows["real_rows"] == ones < 800  # the query's rows, not the table's
    line = one_error_line(run("audit", real, fake, "--query", "SELEC 1", "--synthetic-query", "SELECT 1", "--allow-no-holdout"))
    assert line.startswith(f"error: {real}") and "syntax error" in line
    line = one_error_line(run("audit", real + "#coffee", fake + "#coffee", "--query", "SELECT 1", "--allow-no-holdout"))
    assert "give either a table (#coffee) or --query, not both" in line


def test_a_relative_database_path_in_a_schema_is_beside_the_schema(tmp_path, monkeypatch):
    folder = tmp_path / "schemas"
    folder.mkdir()
    write_table(pd.DataFrame({"sku": ["00123", "00777"], "price": [2.5, 4.5]}), f"sqlite:///{folder / 'menu.db'}#menu")
    entry = "{name: m, kind: catalog, source: 'sqlite:///menu.db#menu'}"
    (folder / "one.yaml").write_text(f"name: one\nrows: 20\ncolumns:\n  - {entry}\n")
    (folder / "two.yaml").write_text(f"name: two\ntables:\n  shop:\n    rows: 20\n    columns:\n      - {entry}\n")
    monkeypatch.chdir(tmp_path)  # not the schemas' folder: a path relative to here would not be found
    assert set(synth.generate(folder / "one.yaml").sku.astype(str)) == {"00123", "00777"}
    import synth.multitable as mt

    assert set(mt.generate_tables(folder / "two.yaml")["shop"].sku.astype(str)) == {"00123", "00777"}
