"""Related tables on a Dask cluster: every family chunk a task, written as one Parquet dataset folder per table.

How the multi-table engine (:mod:`synth.multitable.engine`) makes rows decides what a task can be. A *family
chunk* (root rows ``c*R .. (c+1)*R`` and, below them, exactly their children's and grandchildren's rows) is
made in one piece: a child's rows take their parents' keys and columns from the parent chunk's values in
memory, and the parent's aggregates (``sum(order_items.amount)``) are computed from the child chunk before the
parent chunk is finished. So a task makes a family chunk (or ``chunks_per_part`` of them) and writes one part
file per table of the family; splitting parent and child into tasks of their own would send the parent's
columns down and the aggregates back up through the cluster, for the same work. What must come first:

1. *families looked up by others* (``products``, read by ``order_items.product_id``): their tasks hand the
   looked-up columns (keys, weights, columns read through the reference) back to the client, which sends them
   with the plan of the families that use them (:meth:`DatabasePlan.family_order`);
2. *the count pass*, level by level: a child's rows per family chunk, then a running sum gives where each
   chunk's rows start (a ``sequence`` id is global). Each level is one task per :data:`COUNT_CHUNKS` family
   chunks returning a few integers; the client sums, then the next level (grandchildren) runs;
3. the family chunks, each writing ``TABLE/part-NNNNN.parquet`` for every table of its family.

Task ``p`` of a family writes part ``p`` of each of its tables: family chunks ``p*k .. (p+1)*k`` (``k`` =
``chunks_per_part``), so the parts are the same for any cluster, and read in order each table equals the
local engine's file (``synth generate --out shop/ --format parquet``) row for row. Every table's folder gets
its own ``_SUCCESS`` once its parts are checked, and the output's ``_SUCCESS`` is written last (see
:func:`synth.cluster.tables_target` for folders and object stores).

>>> import pathlib, tempfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "shop"
>>> write_tables("schemas/coffee_shop.yaml", f"{out}/", rows={"customers": 500}, workers=1)  # doctest: +SKIP
{'customers': 500, 'products': 25, 'orders': ..., 'order_items': ...}

(Skipped here: it starts a LocalCluster of worker processes; ``tests/test_cluster_tables.py`` runs it.)
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .. import sinks
from ..cluster import CONNECT_TIMEOUT, Tables, connect, part_count, require_dask, tables_target

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client, Future

    from .engine import DatabasePlan
    from .schema import Database

#: Family chunks counted by one task of the count pass (a count task makes only the count columns: cheap, so
#: several go together to keep the scheduler's load down).
COUNT_CHUNKS = 10
#: Family chunks per task and part file by default (one: "each chunk a task"; a family chunk of coffee_shop.yaml
#: is 100,000 customers and their ~2M order and item rows).
CHUNKS_PER_PART = 1


@dataclass(frozen=True)
class FamilyPart:
    """What a family task hands back: rows and bytes of each table's part, and the looked-up columns of its
    chunks (only for a family that other tables look up; small: keys, weights and the columns read)."""

    part: int
    rows: dict[str, int]
    bytes: dict[str, int]
    kept: list[dict[str, dict[str, Any]]] = field(default_factory=list)


# --- the tasks ----------------------------------------------------------------------------------------------------
def count_chunks(plan: DatabasePlan, root: str, level: int, first: int, last: int) -> list[dict[str, int]]:
    """The rows of level ``level``'s tables in family chunks ``first .. last``: a task of the count pass."""
    below = plan.levels(root)[level]
    return [plan.count_chunk(root, c, below) for c in range(first, last)]


class _FamilyWriter:
    """One part file per table of a family, fed the family chunks' tables (a dict per chunk).

    Each file through the Parquet writer the local engine's files use; through :class:`synth.sinks._Background`,
    so writing overlaps making the next family chunk, as on one machine.
    """

    native = True

    def __init__(self, files: dict[str, sinks.PartFiles], tables: list[str], name: str) -> None:
        from ..io import FORMATS

        self.name, self.files = name, files
        self.open: dict[str, tuple[pa.NativeFile, Any]] = {}
        for table in tables:
            stream = files[table].open(name)
            self.open[table] = (stream, FORMATS["parquet"].writer(stream))

    def write(self, made: dict[str, pa.Table]) -> None:
        for table, chunk in made.items():
            self.open[table][1].write(chunk)

    def close(self) -> None:
        for table, (stream, writer) in self.open.items():
            writer.close()
            stream.close()
            self.files[table].done(self.name)

    def abort(self) -> None:
        for stream, _ in self.open.values():
            if not stream.closed:
                stream.close()


def write_family_part(plan: DatabasePlan, files: dict[str, sinks.PartFiles], root: str, part: int,
                      chunks_per_part: int) -> FamilyPart:
    """Make family chunks ``part*k .. (part+1)*k`` of ``root`` and write part ``part`` of each family table."""
    from ..cluster import _size

    tables = plan.db.descendants(root)
    first = part * chunks_per_part
    last = min(first + chunks_per_part, plan.chunks(root))
    name = sinks.part_name(part)
    parts = _FamilyWriter(files, tables, name)
    writer = sinks._Background(parts)  # type: ignore[arg-type]
    rows = {t: 0 for t in tables}
    kept: list[dict[str, dict[str, Any]]] = []
    try:
        for c in range(first, last):
            made, looked_up = plan.family_chunk(root, c, native=True)
            writer.write(made)  # type: ignore[arg-type]
            for table, chunk in made.items():
                rows[table] += chunk.num_rows
            if looked_up:
                kept.append(looked_up)
        writer.close()
    except BaseException:
        writer.abort()
        parts.abort()
        raise
    return FamilyPart(part, rows, {t: _size(files[t], name) for t in tables}, kept)


def _load_plan(blob: bytes) -> DatabasePlan:
    """The plan on a worker, from bytes the scheduler keeps (recomputed on another worker if this one is lost)."""
    return pickle.loads(blob)


# --- the client ---------------------------------------------------------------------------------------------------
def write_tables(db: Database | DatabasePlan | str | Path, out: str | Path, rows: dict[str, int] | None = None,
                 seed: int | None = None, scheduler: str | Client | None = None, workers: int = 1,
                 progress: Callable[[str, int], None] | None = None, max_requests: int | None = None,
                 timeout: float | None = None, chunks_per_part: int | None = None) -> dict[str, int]:
    """Write every table of a multi-table schema on a Dask cluster, one dataset folder per table under ``out``
    (``shop/`` or ``s3://bucket/shop/``); returns the rows written per table (parents first).

    ``db``: a schema (or its file), or a :class:`DatabasePlan` (``rows``, ``seed``, ``max_requests`` are then
    the plan's). ``scheduler``, ``workers``, ``timeout``: as :func:`synth.cluster.write_dataset`.
    ``progress(table, rows)`` is called as each part completes. ``chunks_per_part``: family chunks
    (:data:`synth.engine.CHUNK_ROWS` root rows each) per task and part file (default :data:`CHUNKS_PER_PART`):
    more makes fewer, bigger tasks; the rows are the same, their cut into part files is not.
    """
    from . import _as_database
    from .engine import DatabasePlan

    require_dask()
    chunks_per_part = chunks_per_part or CHUNKS_PER_PART
    if chunks_per_part < 1:
        raise ValueError("chunks_per_part must be 1 or more")
    plan = db if isinstance(db, DatabasePlan) else DatabasePlan(_as_database(db), rows=rows, seed=seed,
                                                                max_requests=max_requests)
    target = tables_target(out, plan.db.order)  # checked before a cluster is started or reached
    try:
        with connect(scheduler, workers, CONNECT_TIMEOUT if timeout is None else timeout) as client:
            target.begin()
            written = _run(client, plan, target, chunks_per_part, progress)
        target.commit()
    except BaseException:
        target.abort()
        raise
    return {t: written[t] for t in plan.db.order}


def _run(client: Client, plan: DatabasePlan, target: Tables, k: int,
         progress: Callable[[str, int], None] | None) -> dict[str, int]:
    from distributed import as_completed

    written: dict[str, int] = {}
    futures: list[Future] = []
    try:
        with client.as_current():  # as_completed finds its client here; the caller's default is left alone
            for root in plan.db.family_order():
                plan.begin_family(root)
                chunks = plan.chunks(root)
                for level, below in enumerate(plan.levels(root)):
                    plan_future, token = _send(client, plan, target)
                    firsts = list(range(0, chunks, COUNT_CHUNKS))
                    futures = client.map(count_chunks, [plan_future] * len(firsts), [root] * len(firsts),
                                         [level] * len(firsts), firsts, [min(f + COUNT_CHUNKS, chunks) for f in firsts],
                                         key=[f"synth-count-{token}-{root}-{level}-{f}" for f in firsts])
                    plan.end_level(below, [n for group in client.gather(futures) for n in group])
                plan.end_family(root)
                plan_future, token = _send(client, plan, target)
                parts = list(range(part_count(chunks, k)))
                futures = client.map(write_family_part, [plan_future] * len(parts), [target.files] * len(parts),
                                     [root] * len(parts), parts, [k] * len(parts),
                                     key=[f"synth-family-{token}-{root}-{p}" for p in parts])
                kept: dict[int, list] = {}
                for future in as_completed(futures):
                    done: FamilyPart = future.result()  # a task's error (a constraint that cannot be met) raises here
                    kept[done.part] = done.kept
                    for table, n in done.rows.items():
                        written[table] = written.get(table, 0) + n
                        if progress is not None:
                            progress(table, n)
                for table in plan.db.descendants(root):
                    target.commit_table(table, {sinks.part_name(p) for p in parts})
                for p in parts:  # in chunk order, as one process keeps them
                    for looked_up in kept[p]:
                        plan.keep(looked_up)
                plan.kept_done(root)
    except BaseException:
        client.cancel(futures)
        raise
    return written


def _send(client: Client, plan: DatabasePlan, target: Tables) -> tuple[Future, str]:
    """The plan as it is now, as a task of its own (a lost worker's copy is recomputed), and its token."""
    import cloudpickle  # a plan holds compiled expressions (closures), which plain pickle refuses
    from dask.base import tokenize

    blob = cloudpickle.dumps(plan)
    token = tokenize(blob, target.files)  # two runs of one plan to two places: tasks of their own
    return client.submit(_load_plan, blob, key=f"synth-tables-plan-{token}"), token
