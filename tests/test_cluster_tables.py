"""Related tables on Dask (synth/multitable/cluster.py), on a LocalCluster of 2 worker processes: each table read
back equals the local engine's Parquet file, a worker killed mid-run changes nothing, and neither the output nor
its markers show before every table is complete.

Kept small: coffee_shop.yaml with 120 customers in family chunks of 10 root rows (so 12 family chunks, 3 of
the 25-row products table, whose looked-up columns cross chunks), 2 chunks per task and part file.
"""

from __future__ import annotations

import filecmp
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import threaded_client

pytest.importorskip("distributed")

import cloudpickle  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import synth.multitable as mt  # noqa: E402
import synth.multitable.cluster as mc  # noqa: E402
import synth.multitable.engine  # noqa: E402
from synth.cli import app  # noqa: E402
from synth.errors import SynthError  # noqa: E402
from synth.multitable.engine import DatabasePlan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "schemas" / "coffee_shop.yaml"
TABLES = ["customers", "products", "orders", "order_items"]
ROWS, CHUNK, K = {"customers": 120}, 10, 2
PARTS = {"customers": 6, "orders": 6, "order_items": 6, "products": 2}  # 12 and 3 family chunks, 2 per part

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the plans below go to the workers by value


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Family chunks of 10 root rows in this process (the plans are made here, and carry it to the workers)."""
    monkeypatch.setattr(synth.multitable.engine, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(mc, "COUNT_CHUNKS", 4)  # several count tasks per level
    monkeypatch.setattr(mc, "CHUNKS_PER_PART", K)


@pytest.fixture
def client(dask_client):
    return dask_client  # tests/conftest.py: one LocalCluster of 2 workers for every Dask test module


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict:
    """The local engine's files (``--format parquet``) read back, and its rows per table."""
    folder = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth.multitable.engine, "CHUNK_ROWS", CHUNK)
        counts = mt.write_tables(SHOP, folder, rows=ROWS, seed=5, format="parquet")
    return {"counts": counts, **{t: pq.read_table(folder / f"{t}.parquet") for t in TABLES}}


def plan(seed: int = 5) -> DatabasePlan:
    return DatabasePlan(mt.load_database(SHOP), rows=ROWS, seed=seed)


def check_same(out: Path, local: dict) -> None:
    """Every table a complete dataset of its parts, equal row for row to the local engine's file."""
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS"] + sorted(TABLES)
    for table in TABLES:
        names = sorted(p.name for p in (out / table).iterdir())
        assert names == ["_SUCCESS"] + [f"part-{i:05d}.parquet" for i in range(PARTS[table])]
        assert pq.read_table(out / table).equals(local[table]), table


def same_tree(a: Path, b: Path) -> bool:
    compared = filecmp.dircmp(a, b)
    return (not compared.left_only and not compared.right_only and not compared.diff_files
            and all(same_tree(a / d, b / d) for d in compared.common_dirs))


def test_each_table_read_back_equals_the_local_engines_file_and_every_run_writes_the_same_bytes(tmp_path, client, local):
    seen: dict[str, int] = {}
    counts = mc.write_tables(SHOP, f"{tmp_path / 'shop'}/", rows=ROWS, seed=5, scheduler=client,
                             progress=lambda t, n: seen.__setitem__(t, seen.get(t, 0) + n))
    assert counts == local["counts"] == seen and list(counts) == ["customers", "products", "orders", "order_items"]
    assert counts["orders"] > 0 and counts["order_items"] > counts["orders"]
    check_same(tmp_path / "shop", local)
    items, orders = local["order_items"], local["orders"]  # the keys resolve across parts (a real multi-table run)
    assert set(items.column("order_id").to_pylist()) <= set(orders.column("order_id").to_pylist())
    # Again: the same part files byte for byte (determinism of the split, not only of the rows).
    mc.write_tables(plan(), f"{tmp_path / 'again'}/", scheduler=client)
    assert same_tree(tmp_path / "shop", tmp_path / "again")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "shop"]  # no temporary folder left


class KillOncePlan(DatabasePlan):
    """Kills the worker process making customers' family chunk 7, once, as a lost machine would."""

    marker: str

    def family_chunk(self, root, c, native=False):
        if root == "customers" and c == 7 and not os.path.exists(self.marker):
            Path(self.marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().family_chunk(root, c, native)


def test_a_worker_killed_mid_run_is_replaced_and_every_table_is_still_identical(tmp_path, client, local):
    killing = plan()
    killing.__class__ = KillOncePlan
    killing.marker = str(tmp_path / "killed")
    assert mc.write_tables(killing, f"{tmp_path / 'shop'}/", scheduler=client) == local["counts"]
    assert (tmp_path / "killed").exists()  # a worker did die mid-run ...
    check_same(tmp_path / "shop", local)  # ... its task ran again elsewhere; no half-written part left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed", "shop"]


class FailingPlan(DatabasePlan):
    """A schema mistake that shows only in one family chunk's rows: the task raises."""

    def family_chunk(self, root, c, native=False):
        if root == "customers" and c == 9:
            raise SynthError("coffee_shop.yaml: tables.orders: constraint 'date >= customers.signup_date' cannot be satisfied")
        return super().family_chunk(root, c, native)


def test_nothing_shows_under_the_name_until_every_table_is_complete_and_a_failure_leaves_the_old_output(tmp_path, client, local):
    out = tmp_path / "shop"

    def check(table: str, rows: int) -> None:  # in the client as each part completes: before the commit
        assert not out.exists()
        assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == [".shop.tmp"]  # only the hidden folder
        assert not list(tmp_path.glob(".shop.tmp-*/_SUCCESS"))  # the output's marker comes last

    mc.write_tables(SHOP, f"{out}/", rows=ROWS, seed=5, scheduler=client, progress=check)
    check_same(out, local)

    failing = plan(seed=6)
    failing.__class__ = FailingPlan
    with pytest.raises(SynthError, match="cannot be satisfied"):  # the task's own error, as the local engine raises it
        mc.write_tables(failing, f"{out}/", scheduler=client)
    check_same(out, local)  # the complete output that was there is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]  # and nothing is left beside it


def test_the_command_writes_the_tables_on_the_given_scheduler(tmp_path, client, local, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", str(SHOP), "-n", "customers=120", "--seed", "5", "--engine", "dask",
                 "--scheduler", client.scheduler.address, "--format", "parquet", "--json")
    assert result.exit_code == 0, result.output
    assert '"format": "parquet"' in result.stdout and '"out": "coffee_shop"' in result.stdout
    assert f'"orders": {local["counts"]["orders"]}' in result.stdout
    check_same(tmp_path / "coffee_shop", local)  # the schema's name, a folder, by default


@pytest.mark.parametrize("args, message", [
    (["-o", "shop/", "--format", "csv"], "--format csv: --engine dask writes Parquet datasets"),
    (["-o", "shop.parquet"], "shop.parquet: --engine dask writes a Parquet dataset folder: end --out with /"),
    (["-o", "sqlite:///shop.db"], "--engine dask writes a Parquet dataset folder, not a sqlite table"),
    (["-o", "-"], "--out -: --engine dask writes a dataset folder per table"),
    (["-o", "shop/", "--if-exists", "replace"], "--if-exists is for database tables"),
    (["-o", "shop/", "-n", "orders=5"], "the rows of 'orders' follow from the count per customers row"),
])
def test_refusals_are_one_line_and_exit_2_before_any_cluster(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")  # never reached: refused before
    result = run("generate", str(SHOP), "--engine", "dask", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_local_engine_refuses_a_scheduler(tmp_path):
    result = run("generate", str(SHOP), "--scheduler", "tcp://127.0.0.1:9", "-o", f"{tmp_path}/shop/")
    assert result.exit_code == 2 and "--scheduler is for --engine dask" in result.stderr


def test_an_object_store_gets_a_marker_per_table_and_the_outputs_marker_last(local):
    """fsspec's memory:// stands in for s3:// (a threaded cluster: memory is per process)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/shopbucket/notes/mine.txt", b"mine")
    with threaded_client() as client:
        with pytest.raises(SynthError, match="holds files but no _SUCCESS marker"):
            mc.write_tables(SHOP, "memory://shopbucket/notes/", rows=ROWS, scheduler=client)

        def no_commit_yet(table: str, rows: int) -> None:
            assert not fs.exists("/shopbucket/shop/_SUCCESS")

        for seed in (6, 5):  # the second run replaces the complete output of the first
            mc.write_tables(SHOP, "memory://shopbucket/shop/", rows=ROWS, seed=seed, scheduler=client, progress=no_commit_yet)
    files = {p: fs.info(p)["created"] for p in fs.find("/shopbucket/shop")}
    assert max(files, key=files.__getitem__) == "/shopbucket/shop/_SUCCESS"  # written last
    for table in TABLES:
        names = sorted(p.rsplit("/", 1)[-1] for p in files if p.startswith(f"/shopbucket/shop/{table}/"))
        assert names == ["_SUCCESS"] + [f"part-{i:05d}.parquet" for i in range(PARTS[table])]
        with fs.open(f"/shopbucket/shop/{table}/part-00000.parquet", "rb") as f:
            first = pq.read_table(f)
        assert first.equals(local[table].slice(0, first.num_rows))
    assert fs.cat("/shopbucket/notes/mine.txt") == b"mine"
