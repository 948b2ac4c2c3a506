"""The privacy tests on a Dask cluster: one task per partition of the synthetic rows, the same answers as here.

The real side is fixed first, on the client (:class:`audit.evidence.Reference`: the encoding, the k-d trees
of the training and holdout rows, the tests' samples), and sent to the workers once (a task of its own, made
from bytes the scheduler keeps, so a lost worker's copy is recomputed). Each partition of the synthetic rows
(whole row groups of a Parquet file, or the part files of a dataset folder) is then one task: the worker reads
it, converts it with the column kinds fixed on the real table, and scans it against the real rows
(:meth:`audit.evidence.Reference.scan`), keeping its per-row distances. The client gathers only the partitions'
summaries (counts, share tables, histograms, minima), merges them exactly, and selects the medians and
quantiles it needs over the partitions' distances in four small rounds (:func:`audit.evidence.order_statistics`).
No synthetic row reaches the client through this path.

    >>> import audit                                                                             # doctest: +SKIP
    >>> engine = DaskEngine("synthetic.parquet", workers=2)   # or scheduler="tcp://host:8786"  # doctest: +SKIP
    >>> result = audit.run(real, synthetic, holdout=holdout, engine=engine)                     # doctest: +SKIP

(Skipped here: it starts a LocalCluster; ``tests/test_audit_cluster.py`` runs it.)
"""

from __future__ import annotations

import pickle
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ContextManager, Iterator, Sequence

import numpy as np

from synth.errors import SynthError
from synth.io.files import row_group_runs

from .evidence import Evidence, Reference, Shard, Summary, _summed
from .reduction import Part, Plan

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

#: Rows per partition (whole row groups): one task each. A Parquet dataset's part files are never joined.
PARTITION_ROWS = 1_000_000


@dataclass(frozen=True)
class Partition:
    """Rows of one Parquet file a task reads: ``row_groups`` of ``path`` (``rows`` rows in all)."""

    path: str
    row_groups: tuple[int, ...]
    rows: int


def partitions(address: str | Path, rows: int = PARTITION_ROWS) -> list[Partition]:
    """The partitions of a Parquet file (consecutive row groups, about ``rows`` rows each, at least one group) or of
    a Parquet dataset folder (each part file cut the same way). Anything else is one line saying what would do.

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.parquet")
    >>> pq.write_table(pa.table({"x": range(10)}), path, row_group_size=3)
    >>> [(p.row_groups, p.rows) for p in partitions(path, rows=5)]
    [((0, 1), 6), ((2, 3), 4)]
    """
    import pyarrow.parquet as pq

    from synth.io import parse_address
    from synth.io.files import first_line
    from synth.io.registry import format_for

    address = parse_address(address)
    if address.scheme != "file" or address.is_stdio:
        raise SynthError(f"{address}: --engine dask reads the synthetic rows from a Parquet file or dataset folder that every "
                         "worker can open (a path on a shared file system)")
    path = Path(address.path)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
        if not files:
            raise SynthError(f"{path}: is a folder without data files (a folder is read as a Parquet dataset)")
    elif not path.exists():
        raise SynthError(f"{path}: no such file")
    elif format_for(address).name != "parquet":
        raise SynthError(f"{path}: --engine dask reads Parquet (a .parquet file or a dataset folder), not "
                         f"{format_for(address).label}: convert it first (synth's own output: --out NAME.parquet or NAME/)")
    else:
        files = [str(path)]
    out = []
    for file in files:
        try:
            meta = pq.ParquetFile(file).metadata
        except (OSError, ValueError) as exc:
            raise SynthError(f"{file}: cannot read as Parquet: {first_line(exc)}") from None
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        out += [Partition(file, groups, count) for groups, count in row_group_runs(sizes, rows)]
    return out


def read_partition(part: Partition, columns: Sequence[str], kinds: dict[str, Any]) -> pd.DataFrame:
    """A partition's rows as :func:`audit.data.align` converts the synthetic table: the real table's columns, in its
    order, with the kinds fixed on the real table."""
    import pyarrow.parquet as pq

    from synth.io.files import first_line
    from synth.io.formats import arrow_frame

    from .data import convert

    try:
        table = pq.ParquetFile(part.path).read_row_groups(list(part.row_groups))
    except (OSError, ValueError) as exc:
        raise SynthError(f"{part.path}: cannot read as Parquet: {first_line(exc)}") from None
    missing = [c for c in columns if c not in table.column_names]
    extra = [c for c in table.column_names if c not in columns]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
        raise SynthError(f"{part.path}: the synthetic table's columns differ from the real table's: {'; '.join(parts)}")
    return convert(arrow_frame(table.select(list(columns))), kinds)


# --- the tasks ------------------------------------------------------------------------------------------------------
def _load(blob: bytes) -> Any:
    return pickle.loads(blob)


def sample_partition(part: Partition, positions: np.ndarray) -> pd.DataFrame:
    """A task: the rows of one partition at ``positions`` (counted from the partition's first row), as read."""
    import pyarrow.parquet as pq

    from synth.io.files import first_line
    from synth.io.formats import arrow_frame

    try:
        table = pq.ParquetFile(part.path).read_row_groups(list(part.row_groups))
    except (OSError, ValueError) as exc:
        raise SynthError(f"{part.path}: cannot read as Parquet: {first_line(exc)}") from None
    return arrow_frame(table.take(positions))


def reduce_partition(plan: Plan, part: Partition) -> Part:
    """A task: one partition's fidelity summary (:meth:`audit.reduction.Plan.scan`); no row leaves the worker."""
    return plan.scan(read_partition(part, plan.columns, plan.kinds))


def scan_partition(reference: Reference, part: Partition) -> Shard:
    """A task: read one partition and scan it against the real rows (its distances stay on the worker)."""
    return reference.scan(read_partition(part, reference.columns, reference.kinds))


def _summary(shard: Shard) -> Summary:
    return shard.summary


def _digit_counts(shard: Shard, requests: list[tuple[str, int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
    return shard.digit_counts(requests)


class DaskShards:
    """Scanned partitions held by the workers: a digit-count request is one small task per partition."""

    def __init__(self, client: Client, futures: list[Any]) -> None:
        self.client, self.futures = client, futures

    def digit_counts(self, requests: Sequence[tuple[str, int, int]]) -> list[np.ndarray]:
        asked = list(requests)
        answers = self.client.gather(self.client.map(_digit_counts, self.futures, [asked] * len(self.futures)))
        return _summed(answers, len(asked))


class DaskEngine:
    """Gather the privacy evidence on a Dask cluster (see the module docstring); give it to :func:`audit.run` as
    ``engine``. ``synthetic``: the synthetic table's address (a Parquet file or dataset folder every worker can
    read, the rows :func:`audit.run` is given); ``scheduler``: an address, a :class:`distributed.Client`, or None
    for ``DASK_SCHEDULER_ADDRESS`` or else a LocalCluster of ``workers`` processes (:func:`synth.cluster.connect`).
    """

    def __init__(self, synthetic: str | Path, scheduler: str | Client | None = None, workers: int = 2,
                 partition_rows: int = PARTITION_ROWS, timeout: float | None = None) -> None:
        from synth.cluster import require_dask

        require_dask()
        self.synthetic, self.scheduler, self.workers = str(synthetic), scheduler, workers
        self.partition_rows, self.timeout = partition_rows, timeout
        self.parts = partitions(synthetic, partition_rows)  # checked before any cluster is started or reached
        self.note = ""
        self._client: Client | None = None

    def _connect(self) -> ContextManager[Client]:
        from synth.cluster import CONNECT_TIMEOUT, connect

        if self._client is not None:
            return nullcontext(self._client)
        return connect(self.scheduler, self.workers, CONNECT_TIMEOUT if self.timeout is None else self.timeout)

    @contextmanager
    def connected(self) -> Iterator[DaskEngine]:
        """Reach the cluster now (or start the LocalCluster), and keep it for :meth:`evidence`: a scheduler that does
        not answer is one line before any table is read, rather than after the fidelity metrics."""
        with self._connect() as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    @property
    def rows(self) -> int:
        """The synthetic rows, from the Parquet metadata."""
        return sum(p.rows for p in self.parts)

    def _shipped(self, client: Client, what: Any, name: str) -> Any:
        """``what`` on the workers, sent once as a task of its own (recomputed from bytes the scheduler keeps if a
        worker is lost)."""
        from dask.base import tokenize

        blob = pickle.dumps(what, protocol=pickle.HIGHEST_PROTOCOL)
        with warnings.catch_warnings():  # meant to travel once, with its task ("large graph")
            warnings.filterwarnings("ignore", message="Sending large graph")
            return client.submit(_load, blob, key=f"audit-{name}-{tokenize(blob, self.parts)}")

    def sample(self, positions: np.ndarray | None) -> pd.DataFrame:
        """The synthetic rows at ``positions`` (sorted, counted over the partitions in order; None: every row), as
        read: one task per partition holding some, concatenated in order on the client."""
        import pandas as pd

        starts = np.cumsum([0] + [p.rows for p in self.parts])
        wanted = [np.arange(p.rows) if positions is None else
                  positions[(positions >= starts[i]) & (positions < starts[i + 1])] - starts[i] for i, p in enumerate(self.parts)]
        keep = [i for i, w in enumerate(wanted) if len(w) or i == 0]
        with self._connect() as client:
            frames = client.gather(client.map(sample_partition, [self.parts[i] for i in keep], [wanted[i] for i in keep]))
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def reduce(self, plan: Plan) -> list[Part]:
        """Every partition's fidelity summary, one task each (the client merges them: :meth:`audit.reduction.Plan.merge`)."""
        with self._connect() as client:
            shipped = self._shipped(client, plan, "plan")
            try:
                parts = client.gather(client.map(reduce_partition, [shipped] * len(self.parts), self.parts))
            finally:
                client.cancel([shipped])
            workers = len(client.scheduler_info().get("workers", {}))
        self.note = (f"The synthetic rows were read on Dask: {len(self.parts):,} partitions of {self.synthetic} ({self.rows:,} rows) "
                     f"on {workers} workers, each summarised for the fidelity metrics; the answers are those of the local audit. "
                     "The sampled metrics ran on this machine, on the synthetic sample.")
        return parts

    def evidence(self, reference: Reference) -> Evidence:
        from dask.base import tokenize

        blob = pickle.dumps(reference, protocol=pickle.HIGHEST_PROTOCOL)
        token = tokenize(blob, self.parts)
        with self._connect() as client:
            with warnings.catch_warnings():  # the index is meant to travel once, with its task ("large graph": tens of MB)
                warnings.filterwarnings("ignore", message="Sending large graph")
                ref = client.submit(_load, blob, key=f"audit-reference-{token}")
            shards = client.map(scan_partition, [ref] * len(self.parts), self.parts,
                                key=[f"audit-scan-{token}-{i}" for i in range(len(self.parts))])
            try:
                summary = Summary.merge(client.gather(client.map(_summary, shards)))
                evidence = Evidence(reference, DaskShards(client, shards), summary)
                evidence.prepare()  # the order statistics, while the partitions' distances are on the workers
            finally:
                client.cancel(shards + [ref])
            workers = len(client.scheduler_info().get("workers", {}))
        evidence.shards = None  # type: ignore[assignment]  # the workers' copies are released
        rows = sum(p.rows for p in self.parts)
        self.note = (f"The synthetic rows were read on Dask: {len(self.parts):,} partitions of {self.synthetic} ({rows:,} rows) "
                     f"on {workers} workers, each summarised for the fidelity metrics and scanned against the real rows' index "
                     "for the privacy tests; the answers are those of the local audit. Utility"
                     + (", attribute inference" if reference.attribute_rows else "") + " and the other sampled metrics "
                     "ran on this machine, on the synthetic sample.")
        evidence.where = f"{len(self.parts)} partitions on Dask"
        return evidence
