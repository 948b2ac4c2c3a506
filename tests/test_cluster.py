"""--engine dask (synth/cluster.py) on a LocalCluster of 2 worker processes: the same bytes as the local engine,
a worker killed mid-run, an unreachable scheduler, and a dataset that shows under its name only when complete.

Kept small: one module-scoped cluster, a few hundred thousand rows, parts of 70,000 rows (so parts cut across
the engine's 100,000-row chunks, as 1,000,000-row parts would only on bigger runs).
"""

from __future__ import annotations

import filecmp
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.conftest import threaded_client

pytest.importorskip("distributed")

import cloudpickle  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import synth  # noqa: E402
import synth.cluster  # noqa: E402
import synth.sinks  # noqa: E402
from synth.cli import app  # noqa: E402
from synth.engine import Plan  # noqa: E402
from synth.errors import SynthError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COFFEE = ROOT / "schemas" / "coffee.yaml"
ROWS, PART_ROWS = 250_000, 70_000  # 4 parts: 70,000 x 3 and 40,000
PARTS = ["_SUCCESS"] + [f"part-0000{i}.parquet" for i in range(4)]

# The plans below are subclasses defined here: sent to the workers by value, so they need not import this module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def client(dask_client):
    return dask_client  # tests/conftest.py: one LocalCluster of 2 workers for every Dask test module


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    monkeypatch.setattr(synth.sinks, "PART_ROWS", PART_ROWS)  # read by both engines in this process


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict[int, Path]:
    """The local engine's dataset folders and the --workers 1 Parquet file, by row count."""
    folder = tmp_path_factory.mktemp("local")
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth.sinks, "PART_ROWS", PART_ROWS)
        for rows in (ROWS, 0):
            synth.write(COFFEE, f"{folder / f'd{rows}'}/", rows=rows, seed=3)
            out[rows] = folder / f"d{rows}"
        synth.write(COFFEE, folder / "coffee.parquet", rows=ROWS, seed=3, workers=1)
    out[-1] = folder / "coffee.parquet"
    return out


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def test_dask_parts_are_byte_identical_to_the_local_engine_and_read_back_as_the_file(tmp_path, client, local):
    out = tmp_path / "coffee"
    seen = []
    rows = synth.write(COFFEE, f"{out}/", rows=ROWS, seed=3, engine="dask", scheduler=client, progress=seen.append)
    assert rows == ROWS and sorted(seen) == [40_000, 70_000, 70_000, 70_000]
    assert sorted(p.name for p in out.iterdir()) == PARTS
    assert [pq.read_metadata(out / f"part-0000{i}.parquet").num_rows for i in range(4)] == [70_000] * 3 + [40_000]
    assert same_files(out, local[ROWS])  # the same files, byte for byte
    assert pq.read_table(out).equals(pq.read_table(local[-1]))  # read in order: the one-file output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coffee"]  # no temporary folder left


def test_an_empty_table_makes_the_same_one_part_as_the_local_engine(tmp_path, client, local):
    synth.write(COFFEE, f"{tmp_path / 'empty'}/", rows=0, seed=3, engine="dask", scheduler=client)
    assert same_files(tmp_path / "empty", local[0])
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == ["_SUCCESS", "part-00000.parquet"]


class KillOncePlan(Plan):
    """Kills the worker process making chunk 1, once (a marker file remembers), as a lost machine would."""

    marker: str

    def chunk(self, index: int, native: bool = False):
        if index == 1 and not os.path.exists(self.marker):
            Path(self.marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().chunk(index, native)


def test_a_worker_killed_mid_run_is_replaced_and_the_output_is_still_identical(tmp_path, client, local):
    plan = Plan(synth.load_schema(COFFEE), rows=ROWS, seed=3)
    plan.__class__ = KillOncePlan
    plan.marker = str(tmp_path / "killed")
    out = tmp_path / "coffee"
    assert synth.cluster.write_dataset(plan, f"{out}/", scheduler=client) == ROWS
    assert (tmp_path / "killed").exists()  # a worker did die mid-run ...
    assert same_files(out, local[ROWS])  # ... its task ran again elsewhere, with the same bytes; no leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coffee", "killed"]


class FailingPlan(Plan):
    """A schema mistake that shows only in part 2's rows: the task raises."""

    def chunk(self, index: int, native: bool = False):
        if index == 2:
            raise SynthError("coffee.yaml: constraint 'price > 0' cannot be satisfied")
        return super().chunk(index, native)


def test_the_dataset_is_not_visible_under_its_name_until_complete_and_never_after_a_failure(tmp_path, client, local):
    out = tmp_path / "coffee"

    def check(rows: int) -> None:  # called in the client as each part completes: before the commit
        assert not out.exists()
        assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == [".coffee.tmp"]  # only the hidden folder

    synth.write(COFFEE, f"{out}/", rows=ROWS, seed=3, engine="dask", scheduler=client, progress=check)
    assert same_files(out, local[ROWS]) and (out / "_SUCCESS").exists()

    plan = Plan(synth.load_schema(COFFEE), rows=ROWS, seed=4)
    plan.__class__ = FailingPlan
    with pytest.raises(SynthError, match="cannot be satisfied"):  # the task's own error, as the local engine raises it
        synth.cluster.write_dataset(plan, f"{out}/", scheduler=client)
    assert same_files(out, local[ROWS])  # the complete dataset that was there is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coffee"]  # and nothing is left beside it


def test_the_command_starts_its_own_local_cluster_and_writes_the_same_dataset(tmp_path, local, monkeypatch):
    monkeypatch.delenv(synth.cluster.SCHEDULER_ENV, raising=False)
    out = tmp_path / "coffee"
    result = run("generate", str(COFFEE), "-n", str(ROWS), "--seed", "3", "--engine", "dask", "-w", "2",
                 "-o", f"{out}/", "--json")
    assert result.exit_code == 0, result.output
    assert '"rows": 250000' in result.stdout
    assert same_files(out, local[ROWS])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_an_unreachable_scheduler_is_one_line_naming_it_and_exit_2(tmp_path, monkeypatch, how):
    monkeypatch.setattr(synth.cluster, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    args = ["generate", str(COFFEE), "-n", "1000", "--engine", "dask", "-o", f"{tmp_path / 'coffee'}/"]
    if how == "flag":
        args += ["--scheduler", address]
    else:
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == f"error: dask scheduler {address}: cannot connect: no Dask scheduler answered within 1 s\n"
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary folder


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "not an address"], "dask scheduler not an address: cannot connect"),
    (["-o", "coffee.parquet"], "coffee.parquet: --engine dask writes a Parquet dataset folder: end --out with /"),
    (["-o", "sqlite:///shop.db#coffee"], "--engine dask writes a Parquet dataset folder, not a sqlite table"),
    (["-o", "x/", "--if-exists", "fail"], "--if-exists is for database tables"),
    (["-o", "x/", "--engine", "spark"], "--engine 'spark': use one of local, dask"),
])
def test_dask_engine_refusals_are_one_line_and_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run("generate", str(COFFEE), "-n", "1000", "--engine", "dask", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_object_store_dataset_gets_the_same_parts_and_its_marker_last(local):
    """fsspec's memory:// file system stands in for s3:// (a threaded cluster: memory is per process)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    with threaded_client() as client:
        fs.pipe("/bucket/notes/mine.txt", b"mine")
        with pytest.raises(SynthError, match="holds files but no _SUCCESS marker"):
            synth.write(COFFEE, "memory://bucket/notes/", rows=1000, engine="dask", scheduler=client)
        for seed in (4, 3):  # the second run replaces the complete dataset of the first
            synth.write(COFFEE, "memory://bucket/coffee/", rows=ROWS, seed=seed, engine="dask", scheduler=client)
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/bucket/coffee", detail=False))
    assert names == PARTS
    assert all(fs.cat(f"/bucket/coffee/{n}") == (local[ROWS] / n).read_bytes() for n in names)
    assert fs.cat("/bucket/notes/mine.txt") == b"mine"
