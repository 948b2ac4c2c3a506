"""Generating on a Dask cluster: each part file of a Parquet dataset is one Dask task, written by the worker.

The engine's chunks are already independent (chunk ``i`` draws only from (seed, ``i``)), and a dataset's part
files are cut by row count (:data:`synth.sinks.PART_ROWS` rows each), so part ``p`` is a pure function of the
plan and ``p``. A task makes the chunks that cover its rows and writes them through the very writer the local
engine uses (:class:`synth.sinks.Parts`, positioned at part ``p``): the parts are byte-identical to
``synth generate --out DIR/`` on one machine, and a task that Dask reruns (a worker lost) writes the same file
with the same bytes. The client only collects each part's name, rows and bytes; then it writes ``_SUCCESS``.

Where the dataset goes (:func:`dataset_target`):

- a local (or shared, NFS-like) folder, ``coffee/``: workers write into the hidden temporary folder that
  :class:`synth.sinks.DatasetFolder` makes (each part to a hidden name first, renamed when whole, so a worker
  that Dask gave up on but that is still running cannot mix its bytes into a rerun's file); the client
  removes what lost tasks left behind, checks that every part is there, writes ``_SUCCESS`` and renames the
  folder into place. A reader never sees a half-written dataset under the name;
- an object store through fsspec (``s3://bucket/coffee/`` with ``s3fs`` installed, ``gs://`` with ``gcsfs``,
  ...): object stores have no atomic rename (a "rename" copies every object), so parts are written under
  their final names and the ``_SUCCESS`` object written last *is* the commit, as for Spark and Dask: readers
  must wait for it. A complete dataset already there is replaced in place, its ``_SUCCESS`` deleted first.

>>> import pathlib, tempfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "coffee"
>>> write_dataset("schemas/coffee.yaml", f"{out}/", rows=1000, seed=1, workers=1)  # doctest: +SKIP
1000

(Skipped here: it starts a LocalCluster of worker processes; ``tests/test_cluster.py`` runs it.)
"""

from __future__ import annotations

import logging
import os
import pickle
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Union

from .errors import SynthError
from .io import check_writable, parse_address
from .io.files import first_line
from . import sinks

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client
    from fsspec import AbstractFileSystem

    from .engine import Plan
    from .schema import Schema

#: How long to wait for a scheduler given by --scheduler or DASK_SCHEDULER_ADDRESS before giving up (seconds).
CONNECT_TIMEOUT = 5.0
#: Where an address for the cluster comes from when none is given (Dask's own setting of the same name).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


@dataclass(frozen=True)
class PartWritten:
    """What a task hands back to the client: a few numbers, never rows."""

    part: int
    rows: int
    bytes: int


# --- where the parts go -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FolderPartFiles:
    """Part files into a folder every worker sees (a local disk for a LocalCluster, or a shared file system).

    Each part goes to a hidden name of the writing process first and is renamed when whole: a rerun's file
    and a lost worker's late bytes never mix.
    """

    folder: str

    def open(self, name: str) -> pa.NativeFile:
        import pyarrow as pa

        return pa.OSFile(str(sinks.temporary_name(Path(self.folder) / name)), "wb")

    def done(self, name: str) -> None:
        final = Path(self.folder) / name
        os.replace(sinks.temporary_name(final), final)


@dataclass(frozen=True)
class StorePartFiles:
    """Part files as objects of an fsspec file system: an object appears only when its upload completes."""

    fs: AbstractFileSystem
    root: str

    def open(self, name: str) -> pa.NativeFile:
        import pyarrow as pa

        return pa.PythonFile(self.fs.open(f"{self.root}/{name}", "wb"), mode="w")

    def done(self, name: str) -> None:
        pass


class FolderDataset:
    """A dataset folder on this machine's file system: :class:`synth.sinks.DatasetFolder`, written by workers."""

    def __init__(self, path: Path) -> None:
        self.folder = sinks.DatasetFolder(path)
        self.files = FolderPartFiles(str(self.folder.tmp.resolve()))

    def begin(self) -> None:
        pass  # the hidden folder is there already; a dataset at the name stays until the rename

    def written(self) -> set[str]:
        return {p.name for p in self.folder.tmp.iterdir() if not p.name.startswith(".")}

    def commit(self, expected: set[str]) -> None:
        for leftover in self.folder.tmp.glob(".*"):  # a part file begun by a worker that was lost
            leftover.unlink(missing_ok=True)
        _check_parts(self.written(), expected, str(self.folder.path))
        self.folder.commit()

    def abort(self) -> None:
        self.folder.abort()


class StoreDataset:
    """A dataset under a prefix of an object store (fsspec): parts under their final names, ``_SUCCESS`` last."""

    def __init__(self, fs: AbstractFileSystem, root: str, shown: str) -> None:
        self.fs, self.root, self.shown = fs, root.rstrip("/"), shown
        self.files = StorePartFiles(fs, self.root)
        try:
            there = self._listed()
        except OSError as exc:
            raise SynthError(f"{shown}: cannot write: {first_line(exc)}") from None
        if there and sinks.SUCCESS not in there:
            raise SynthError(f"{shown}: cannot write a dataset folder: it holds files but no _SUCCESS marker "
                             "(not a dataset written whole); not replacing it")
        self.replaced = sorted(there)

    def begin(self) -> None:
        """Once the cluster is reached: a complete dataset there is no longer complete (its marker goes first),
        then gone, so that no reader takes a mix of old and new parts for a dataset."""
        if self.replaced:
            self.fs.rm(f"{self.root}/{sinks.SUCCESS}")
            self.fs.rm([f"{self.root}/{name}" for name in self.replaced if name != sinks.SUCCESS])

    def _listed(self) -> set[str]:
        if not self.fs.exists(self.root):
            return set()
        return {str(p).rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False)}

    def written(self) -> set[str]:
        return self._listed()

    def commit(self, expected: set[str]) -> None:
        _check_parts(self.written(), expected, self.shown)
        with self.fs.open(f"{self.root}/{sinks.SUCCESS}", "wb"):
            pass  # last: the marker is the commit

    def abort(self) -> None:
        try:
            if self.fs.exists(self.root):
                self.fs.rm(self.root, recursive=True)
        except OSError:
            pass  # nothing a reader could take for a dataset is there: no _SUCCESS was written


def _check_parts(written: set[str], expected: set[str], shown: str) -> None:
    missing = sorted(expected - written)
    if missing:
        raise SynthError(f"{shown}: {len(missing)} of {len(expected)} part files are not where this machine can see "
                         f"them ({missing[0]} ...): with a remote cluster, write to a folder every machine shares or "
                         "to an object store (s3://...)")


Dataset = Union[FolderDataset, StoreDataset]


def dataset_target(out: str | Path) -> Dataset:
    """Where ``out`` puts a dataset written by a cluster, checked before any work: a local folder (``coffee/``)
    or an fsspec URL (``s3://bucket/coffee/``). Anything else is one line saying what would do."""
    where = _where(out)
    return FolderDataset(where) if isinstance(where, Path) else StoreDataset(*where)


def _where(out: str | Path) -> Path | tuple[AbstractFileSystem, str, str]:
    """``out`` checked for a dataset folder: a local path, or an fsspec file system, its root and how to show it."""
    address = parse_address(out)
    if address.scheme == "file":
        if address.is_stdio or not address.is_folder:
            raise SynthError(f"{out}: --engine dask writes a Parquet dataset folder: end --out with / "
                             f"(--out {address.stem or 'data'}/) or give an object store URL (s3://bucket/{address.stem}/)")
        check_writable(address)
        return Path(address.path)
    from .io import STORES

    if address.scheme in STORES:
        raise SynthError(f"{address}: --engine dask writes a Parquet dataset folder, not a {address.scheme} table; "
                         "use the local engine for databases")
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(str(out))
    except ImportError as exc:  # fsspec names the package to install: "Install s3fs to access S3"
        raise SynthError(f"{address}: {first_line(exc)}") from None
    except (ValueError, OSError) as exc:
        raise SynthError(f"{address}: {first_line(exc)}") from None
    return fs, root, str(address)


# --- several related tables: one dataset folder per table inside the output's folder ------------------------------
class FolderTables:
    """Related tables into a local (or shared) folder: ``shop/customers/part-00000.parquet``, ...

    The whole output is one :class:`synth.sinks.DatasetFolder` (hidden until complete, then renamed into place);
    inside it each table is a dataset folder of its own with its ``_SUCCESS``, and the output's ``_SUCCESS`` is
    written last, so a reader sees every table complete or no output at all.
    """

    def __init__(self, path: Path, tables: list[str]) -> None:
        self.folder = sinks.DatasetFolder(path)
        self.shown = str(self.folder.path)
        self.files: dict[str, sinks.PartFiles] = {}
        for table in tables:
            (self.folder.tmp / table).mkdir()
            self.files[table] = FolderPartFiles(str((self.folder.tmp / table).resolve()))

    def begin(self) -> None:
        pass  # a complete output at the name stays until the rename

    def commit_table(self, table: str, expected: set[str]) -> None:
        """Every part of ``table`` is written: check them (this machine sees them all) and mark the table complete."""
        folder = self.folder.tmp / table
        for leftover in folder.glob(".*"):  # a part file begun by a worker that was lost
            leftover.unlink(missing_ok=True)
        _check_parts({p.name for p in folder.iterdir()}, expected, f"{self.shown}/{table}")
        (folder / sinks.SUCCESS).write_bytes(b"")

    def commit(self) -> None:
        self.folder.commit()  # the output's _SUCCESS, then the rename

    def abort(self) -> None:
        self.folder.abort()


class StoreTables:
    """Related tables under a prefix of an object store: parts under their final names, each table's
    ``_SUCCESS`` once its parts are all there, the output's ``_SUCCESS`` last (the commit readers wait for)."""

    def __init__(self, fs: AbstractFileSystem, root: str, shown: str, tables: list[str]) -> None:
        self.whole = StoreDataset(fs, root, shown)  # refuses a prefix holding objects but no _SUCCESS
        self.fs, self.root, self.shown = fs, self.whole.root, shown
        self.files = {t: StorePartFiles(fs, f"{self.root}/{t}") for t in tables}

    def begin(self) -> None:
        """A complete output already there: its ``_SUCCESS`` goes first (no reader takes a mix for complete)."""
        if self.whole.replaced:
            self.fs.rm(f"{self.root}/{sinks.SUCCESS}")
            self.fs.rm(f"{self.root}/", recursive=True)

    def commit_table(self, table: str, expected: set[str]) -> None:
        root = f"{self.root}/{table}"
        there = {str(p).rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(root, detail=False)} if self.fs.exists(root) else set()
        _check_parts(there, expected, f"{self.shown.rstrip('/')}/{table}")
        with self.fs.open(f"{root}/{sinks.SUCCESS}", "wb"):
            pass

    def commit(self) -> None:
        with self.fs.open(f"{self.root}/{sinks.SUCCESS}", "wb"):
            pass  # last: the marker is the commit

    def abort(self) -> None:
        self.whole.abort()


Tables = Union[FolderTables, StoreTables]


def tables_target(out: str | Path, tables: list[str]) -> Tables:
    """Where ``out`` puts related tables written by a cluster (one dataset folder per table), checked before
    any work: a local folder (``shop/``) or an fsspec URL (``s3://bucket/shop/``)."""
    where = _where(out)
    return FolderTables(where, tables) if isinstance(where, Path) else StoreTables(*where, tables)


# --- the tasks ----------------------------------------------------------------------------------------------------
def part_count(rows: int, part_rows: int) -> int:
    """How many part files ``rows`` rows make (an empty table still makes one, with the columns' types).

    >>> part_count(2_500_000, 1_000_000), part_count(0, 1_000_000)
    (3, 1)
    """
    return max(1, -(-rows // part_rows))


def write_part(plan: Plan, files: sinks.PartFiles, part: int, part_rows: int) -> PartWritten:
    """Make the rows of part ``part`` (the chunks covering them) and write its file: a Dask task.

    The same :class:`synth.sinks.Parts` writer as the local engine's, fed the same slices of the same chunks,
    so the file is the one ``synth generate --out DIR/`` writes.
    """
    from .engine import CHUNK_ROWS
    from .io import FORMATS

    start = part * part_rows
    stop = min(start + part_rows, plan.rows)
    first = start // CHUNK_ROWS
    last = max(first + 1, -(-stop // CHUNK_ROWS))  # one (empty) chunk when there are no rows
    parts = sinks.Parts(files, FORMATS["parquet"].writer, part_rows, first=part)
    writer = sinks._Background(parts)  # writing overlaps making the next chunk, as on one machine
    rows = 0
    try:
        for index in range(first, last):
            table = plan.chunk(index, native=True)
            low = max(start - index * CHUNK_ROWS, 0)
            high = min(stop - index * CHUNK_ROWS, table.num_rows)
            writer.write(table.slice(low, max(high - low, 0)))
            rows += max(high - low, 0)
        writer.close()
    except BaseException:
        writer.abort()
        parts.abort()
        raise
    return PartWritten(part, rows, _size(files, sinks.part_name(part)))


def _size(files: sinks.PartFiles, name: str) -> int:
    try:
        if isinstance(files, FolderPartFiles):
            return os.path.getsize(Path(files.folder) / name)
        if isinstance(files, StorePartFiles):
            return int(files.fs.size(f"{files.root}/{name}") or 0)
    except OSError:
        pass
    return 0


def _load_plan(blob: bytes) -> Plan:
    """The plan on a worker. A task of its own, made from bytes the scheduler keeps: a worker that held it
    and was lost is replaced by recomputing it, which a scattered object could not be."""
    return pickle.loads(blob)  # cloudpickle's bytes: plain pickle reads them (by-value parts included)


# --- the cluster ------------------------------------------------------------------------------------------------
def require_dask() -> None:
    """One line naming the extra to install when Dask or fsspec is missing (they are optional)."""
    import importlib.util

    missing = [name for name in ("dask", "distributed", "fsspec") if importlib.util.find_spec(name) is None]
    if missing:
        raise SynthError(f"--engine dask needs {', '.join(missing)}: pip install 'synth[dask]'")


@contextmanager
def connect(scheduler: str | Client | None = None, workers: int = 1,
            timeout: float = CONNECT_TIMEOUT) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` (an address, or a :class:`distributed.Client` used as it is), else to
    ``DASK_SCHEDULER_ADDRESS``, else to a LocalCluster of ``workers`` processes started for this run.

    A scheduler that does not answer within ``timeout`` seconds is one line naming its address.
    """
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address is not None:
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TimeoutError) as exc:
            reason = first_line(exc)
            if not isinstance(exc, ValueError):
                reason = f"no Dask scheduler answered within {timeout:g} s"
            raise SynthError(f"dask scheduler {address}: cannot connect: {reason}") from None
        try:
            yield client
        finally:
            client.close()
        return
    # One thread per worker process: the chunks are numpy/Arrow work that holds the GIL part of the time.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"})
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.close()


def write_dataset(schema: Schema | Plan | str | Path, out: str | Path, rows: int | None = None,
                  seed: int | None = None, scheduler: str | Client | None = None, workers: int = 1,
                  progress: Callable[[int], None] | None = None, max_requests: int | None = None,
                  timeout: float | None = None, part_rows: int | None = None) -> int:
    """Write the table as a Parquet dataset at ``out`` on a Dask cluster, one task per part file; returns the rows.

    ``schema``: a schema (or its file), or a :class:`synth.engine.Plan` already made (``rows``, ``seed`` and
    ``max_requests`` are then the plan's). ``scheduler``: an address (``tcp://host:8786``) or a
    :class:`distributed.Client`; None: the ``DASK_SCHEDULER_ADDRESS`` environment variable, else a LocalCluster
    of ``workers`` processes. ``timeout``: seconds to wait for a scheduler (default :data:`CONNECT_TIMEOUT`).
    ``progress`` is called with each part's rows as it completes (in any order). The parts are byte-identical
    to :func:`synth.write` to the same folder address with the local engine.
    """
    from . import _as_schema
    from .engine import Plan

    require_dask()
    if isinstance(schema, Plan):
        plan = schema
    else:
        plan = Plan(_as_schema(schema), rows=rows, seed=seed, max_requests=max_requests)
    part_rows = part_rows or sinks.PART_ROWS
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    target = dataset_target(out)  # checked before a cluster is started or reached
    try:
        with connect(scheduler, workers, timeout) as client:
            written = _run(client, plan, target, part_rows, progress)
        target.commit({sinks.part_name(p) for p in range(part_count(plan.rows, part_rows))})
    except BaseException:
        target.abort()
        raise
    return written


def _run(client: Client, plan: Plan, target: Dataset, part_rows: int, progress: Callable[[int], None] | None) -> int:
    from dask.base import tokenize
    from distributed import as_completed

    import cloudpickle  # a plan holds compiled expressions (closures), which plain pickle refuses

    target.begin()
    blob = cloudpickle.dumps(plan)
    token = tokenize(blob, part_rows, target.files)
    plan_future = client.submit(_load_plan, blob, key=f"synth-plan-{token}")
    # One batch (client.map: a single message for 100,000 parts), in order: Dask runs them roughly first-in
    # first-out, so parts complete roughly in order.
    parts = list(range(part_count(plan.rows, part_rows)))
    futures = client.map(write_part, [plan_future] * len(parts), [target.files] * len(parts), parts,
                         [part_rows] * len(parts), key=[f"synth-part-{token}-{part}" for part in parts])
    written = 0
    try:
        with client.as_current():  # as_completed finds its client here; the caller's default is left alone
            for future in as_completed(futures):
                done: PartWritten = future.result()  # a task's error (a constraint that cannot be met) raises here
                written += done.rows
                if progress is not None:
                    progress(done.rows)
    except BaseException:
        client.cancel(futures + [plan_future])
        raise
    return written

