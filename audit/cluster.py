"""The audit on a Dask cluster: the fidelity summaries and the privacy tests, the same answers as here.

The real side is fixed first, on the client (:class:`audit.reduction.Plan`; :class:`audit.evidence.Reference`:
the encoding, the tests' samples, the real rows cut into shards, :mod:`audit.shards`), and sent to the workers
once, each real shard on its own (tasks made from bytes the scheduler keeps, so a lost worker's copy is
recomputed; a shard's k-d tree is built on the worker). Each partition of the synthetic rows (whole row groups
of a Parquet file, or the part files of a dataset folder) is read once, by one task, which takes its rows of the
audit's sample (they come back to the client) and converts it with the column kinds fixed on the real table; from it, one task summarises it for the fidelity metrics, and the privacy
steps run as one task per (real set, real shard): nearest rows, then counts within radii, each merged in pairs,
then its summary, keeping its per-row distances on the worker (:meth:`DaskEngine.scan`). Parts and summaries
merge in pairs on the workers (:func:`tree_reduce`), so the client receives one of each, and it selects the
medians and quantiles it needs over the partitions' distances in four small rounds
(:func:`audit.evidence.order_statistics`). No synthetic row reaches the client through this path.

With ``real`` (a Parquet file or dataset folder) and no holdout, the real rows are read by the workers too
(:func:`audit.run` is given ``real=None``): the client takes a seeded sample of them by position
(:meth:`DaskEngine.real_sample`; the column kinds are inferred on it), one task per real partition profiles it
(:class:`audit.reduction.Profile`, merged in pairs: the plan follows exactly, :meth:`audit.reduction.Plan.from_profile`),
and one per real partition summarises it with that plan (:meth:`DaskEngine.real_scan`, merged in pairs), so the
client holds the two samples and merged summaries only. With a holdout the privacy tests' reference reads every
real row, so the client reads the real table whole (:meth:`DaskEngine.real_sample` of every row).

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

from .evidence import Evidence, Queries, Reference, Shard, Summary, _summed, row_hashes
from .reduction import REAL_DISTINCT_LIMIT, Part, Plan, Profile
from .shards import REAL_SHARD_ROWS, Nearest, RealShard, closer

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


def is_parquet(address: str | Path) -> bool:
    """True when ``address`` is a Parquet file or a folder (read as a Parquet dataset) on this file system: a table
    that :func:`partitions` can cut for the workers.

    >>> is_parquet("real.parquet"), is_parquet("real.csv"), is_parquet("postgresql://me@db/shop#orders")
    (True, False, False)
    """
    from synth.io import parse_address
    from synth.io.registry import format_for

    try:
        parsed = parse_address(address)
        if parsed.scheme != "file" or parsed.is_stdio:
            return False
        return Path(parsed.path).is_dir() or format_for(parsed).name == "parquet"
    except SynthError:
        return False


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


def same_columns(parts: Sequence[Partition]) -> None:
    """The part files of one table have the same columns, in any order (from their Parquet metadata), else one line
    naming the first that differs: a table read in partitions takes its columns from the first."""
    import pyarrow.parquet as pq

    files = list(dict.fromkeys(p.path for p in parts))
    first = pq.read_schema(files[0]).names if files else []
    for file in files[1:]:
        names = pq.read_schema(file).names
        missing, extra = [c for c in first if c not in names], [c for c in names if c not in first]
        if missing or extra:  # another order is fine: each part's columns are taken by name
            said = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
            raise SynthError(f"{file}: its columns differ from those of {files[0]}: {'; '.join(said)}")


def _read_table(part: Partition) -> Any:
    """A partition's rows as Arrow reads them (a pyarrow Table), or one line naming the file."""
    import pyarrow.parquet as pq

    from synth.io.files import first_line

    try:
        return pq.ParquetFile(part.path).read_row_groups(list(part.row_groups))
    except (OSError, ValueError) as exc:
        raise SynthError(f"{part.path}: cannot read as Parquet: {first_line(exc)}") from None


def _converted(part: Partition, table: Any, columns: Sequence[str], kinds: dict[str, Any], label: str = "the synthetic table's") -> pd.DataFrame:
    from synth.io.formats import arrow_frame

    from .data import convert

    missing = [c for c in columns if c not in table.column_names]
    extra = [c for c in table.column_names if c not in columns]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + ([f"extra {', '.join(map(repr, extra))}"] if extra else [])
        raise SynthError(f"{part.path}: {label} columns differ from the real table's: {'; '.join(parts)}")
    return convert(arrow_frame(table.select(list(columns))), kinds)


def read_partition(part: Partition, columns: Sequence[str], kinds: dict[str, Any]) -> pd.DataFrame:
    """A partition's rows as :func:`audit.data.align` converts the synthetic table: the real table's columns, in its
    order, with the kinds fixed on the real table."""
    return _converted(part, _read_table(part), columns, kinds)


def read_and_sample(part: Partition, columns: Sequence[str], kinds: dict[str, Any],
                    positions: np.ndarray | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A task: one read of a partition for both its scans (:func:`read_partition`) and its rows of the audit's
    sample at ``positions`` as read (None: none wanted here; :func:`sample_partition`)."""
    from synth.io.formats import arrow_frame

    table = _read_table(part)
    sample = None if positions is None else arrow_frame(table.take(positions))
    return _converted(part, table, columns, kinds), sample


def _frame(read: tuple[pd.DataFrame, pd.DataFrame | None]) -> pd.DataFrame:
    return read[0]


def _sample_of(read: tuple[pd.DataFrame, pd.DataFrame | None]) -> pd.DataFrame | None:
    return read[1]


# --- the tasks ------------------------------------------------------------------------------------------------------
def _load(blob: bytes) -> Any:
    return pickle.loads(blob)


def sample_partition(part: Partition, positions: np.ndarray) -> pd.DataFrame:
    """A task: the rows of one partition at ``positions`` (counted from the partition's first row), as read."""
    from synth.io.formats import arrow_frame

    return arrow_frame(_read_table(part).take(positions))


def _plan_scan(plan: Plan, frame: pd.DataFrame) -> Part:
    """A task: one partition's fidelity summary (:meth:`audit.reduction.Plan.scan`); no row leaves the worker."""
    return plan.scan(frame)


def _queries(reference: Reference, frame: pd.DataFrame) -> Queries:
    """A task: one partition encoded for the real side's indexes (it stays on the worker)."""
    return reference.queries(frame)


def _nearest(reference: Reference, side: str, shard: RealShard, q: Queries) -> Nearest:
    return reference.nearest_in(side, shard, q)


def _counts(reference: Reference, side: str, shard: RealShard, q: Queries, found: dict[str, Nearest]) -> list[np.ndarray]:
    return reference.counts_in(side, shard, q, found)


def _added(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    return [x + y for x, y in zip(a, b)]


def _by_side(sides: list[str], *answers: Any) -> dict[str, Any]:
    return dict(zip(sides, answers))


def _finish(reference: Reference, q: Queries, found: dict[str, Nearest], counts: dict[str, list[np.ndarray]]) -> Shard:
    return reference.finish(q, found, counts)


def _summary(shard: Shard) -> Summary:
    return shard.summary


def _merged(a: Summary, b: Summary) -> Summary:
    return Summary.merge([a, b])


def _combined(plan: Plan, a: Part, b: Part) -> Part:
    return plan.combine(a, b)


def _real_profile(part: Partition, columns: Sequence[str], kinds: dict[str, Any], numeric: Sequence[str],
                  categorical: Sequence[str]) -> Profile:
    """A task: one partition of the real rows profiled (:class:`audit.reduction.Profile`); no row leaves the worker."""
    return Profile.of(_converted(part, _read_table(part), columns, kinds, "this part's"), numeric, categorical)


def _profiles_combined(limit: int | None, a: Profile, b: Profile) -> Profile:
    return a.combine(b, limit)


def _real_scan(plan: Plan, part: Partition, hashes: np.ndarray | None) -> tuple[Part, np.ndarray | None]:
    """A task: one partition of the real rows summarised for the fidelity metrics (:meth:`Plan.scan`, as the synthetic
    partitions are) and, given the synthetic sample's row ``hashes``, which of them equal one of its rows."""
    frame = _converted(part, _read_table(part), plan.columns, plan.kinds, "this part's")
    return plan.scan(frame), None if hashes is None else np.isin(hashes, row_hashes(frame))


def _real_combined(plan: Plan, a: tuple[Part, np.ndarray | None], b: tuple[Part, np.ndarray | None]) -> tuple[Part, np.ndarray | None]:
    return plan.combine(a[0], b[0]), None if a[1] is None else a[1] | b[1]  # type: ignore[operator]


def _digit_counts(shard: Shard, requests: list[tuple[str, int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
    return shard.digit_counts(requests)


def _digits_added(a: list[tuple[np.ndarray, np.ndarray]], b: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for total in _summed([a, b], len(a)):
        present = np.flatnonzero(total)
        out.append((present, total[present]))
    return out


def tree_reduce(client: Client, futures: list[Any], merge: Any, *args: Any) -> Any:
    """One future for ``futures`` merged in pairs on the workers, level by level (``merge(*args, a, b)``: exact
    and associative), so this process never holds more than the final answer.

    >>> from distributed import Client                                                        # doctest: +SKIP
    >>> with Client(processes=False) as c: c.gather(tree_reduce(c, c.map(abs, [-1, 2, -3]), max))  # doctest: +SKIP
    3
    """
    futures = list(futures)
    while len(futures) > 1:
        pairs = [client.submit(merge, *args, a, b) for a, b in zip(futures[::2], futures[1::2])]
        futures = pairs + futures[len(pairs) * 2:]
    return futures[0]


class DaskShards:
    """Scanned partitions held by the workers: a digit-count request is one small task per partition."""

    def __init__(self, client: Client, futures: list[Any]) -> None:
        self.client, self.futures = client, futures

    def digit_counts(self, requests: Sequence[tuple[str, int, int]]) -> list[np.ndarray]:
        asked = list(requests)
        answers = self.client.map(_digit_counts, self.futures, [asked] * len(self.futures), pure=False)
        return _summed([self.client.gather(tree_reduce(self.client, answers, _digits_added))], len(asked))


class DaskEngine:
    """Gather the privacy evidence on a Dask cluster (see the module docstring); give it to :func:`audit.run` as
    ``engine``. ``synthetic``: the synthetic table's address (a Parquet file or dataset folder every worker can
    read, the rows :func:`audit.run` is given); ``scheduler``: an address, a :class:`distributed.Client`, or None
    for ``DASK_SCHEDULER_ADDRESS`` or else a LocalCluster of ``workers`` processes (:func:`synth.cluster.connect`).
    """

    def __init__(self, synthetic: str | Path, scheduler: str | Client | None = None, workers: int = 2,
                 partition_rows: int = PARTITION_ROWS, timeout: float | None = None,
                 real_shard_rows: int | None = REAL_SHARD_ROWS, real: str | Path | None = None,
                 real_distinct_limit: int | None = REAL_DISTINCT_LIMIT) -> None:
        from synth.cluster import require_dask

        require_dask()
        if real_shard_rows is not None and real_shard_rows < 1:
            raise SynthError("--real-shard-rows must be at least 1")
        self.synthetic, self.scheduler, self.workers = str(synthetic), scheduler, workers
        self.partition_rows, self.timeout, self.real_shard_rows = partition_rows, timeout, real_shard_rows
        self.parts = partitions(synthetic, partition_rows)  # checked before any cluster is started or reached
        #: With ``real`` (a Parquet file or dataset folder every worker can open): the real rows' partitions, which
        #: the workers profile and summarise (:meth:`real_profile`, :meth:`real_scan`); :func:`audit.run` is then
        #: given ``real=None`` and this process holds a sample of them (:meth:`real_sample`).
        self.real = None if real is None else str(real)
        self.real_parts = [] if real is None else partitions(real, partition_rows)
        same_columns(self.real_parts)  # the sample's columns are the first part's
        self.real_distinct_limit = real_distinct_limit
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

    @property
    def real_rows(self) -> int:
        """The real rows (with ``real``), from the Parquet metadata."""
        return sum(p.rows for p in self.real_parts)

    def _wanted(self, positions: np.ndarray | None, parts: Sequence[Partition] | None = None) -> list[np.ndarray | None]:
        """Per partition (of ``parts``, default the synthetic rows'), its rows among ``positions`` (sorted, counted over
        the partitions in order; None: every row), counted from its first row; None for a partition holding none (but
        the first, so a sample has columns)."""
        parts = self.parts if parts is None else parts
        starts = np.cumsum([0] + [p.rows for p in parts])
        wanted = [np.arange(p.rows) if positions is None else
                  positions[(positions >= starts[i]) & (positions < starts[i + 1])] - starts[i] for i, p in enumerate(parts)]
        return [w if len(w) or i == 0 else None for i, w in enumerate(wanted)]

    @staticmethod
    def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame:
        import pandas as pd

        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def sample(self, positions: np.ndarray | None) -> pd.DataFrame:
        """The synthetic rows at ``positions`` (sorted, counted over the partitions in order; None: every row), as
        read: one task per partition holding some, concatenated in order on the client. (:meth:`scan` with
        ``sample=True`` takes them in the read it makes anyway.)"""
        return self._sample(self.parts, positions)

    def real_sample(self, positions: np.ndarray | None) -> pd.DataFrame:
        """The real rows at ``positions`` (as :meth:`sample` takes the synthetic ones; None: every row, the whole real
        table in this process)."""
        return self._sample(self.real_parts, positions)

    def _sample(self, parts: Sequence[Partition], positions: np.ndarray | None) -> pd.DataFrame:
        wanted = self._wanted(positions, parts)
        keep = [i for i, w in enumerate(wanted) if w is not None]
        with self._connect() as client:
            frames = client.gather(client.map(sample_partition, [parts[i] for i in keep], [wanted[i] for i in keep], pure=False))
        return self._concatenated(frames)

    def real_profile(self, columns: Sequence[str], kinds: dict[str, Any], numeric: Sequence[str],
                     categorical: Sequence[str]) -> Profile:
        """The real rows' :class:`audit.reduction.Profile` (what :meth:`audit.reduction.Plan.from_profile` needs): one
        task per real partition, merged in pairs on the workers, so this process receives the merged profile only
        (each number column's distinct values and counts, at most ``real_distinct_limit`` of them; each category
        column's values and counts)."""
        with self._connect() as client:
            profiles = client.map(_real_profile, self.real_parts, columns=list(columns), kinds=kinds, numeric=list(numeric),
                                  categorical=list(categorical), pure=False)
            return client.gather(tree_reduce(client, profiles, _profiles_combined, self.real_distinct_limit))

    def real_scan(self, plan: Plan, hashes: np.ndarray | None = None) -> tuple[Part, np.ndarray | None]:
        """The real rows summarised for the fidelity metrics (one :class:`Part`, merged in pairs on the workers, as the
        synthetic rows' are) and, given the synthetic sample's row ``hashes``, which of those rows equal a real row."""
        with self._connect() as client:
            shipped = self._shipped(client, plan, "real-plan")
            try:
                scans = [client.submit(_real_scan, shipped, part, hashes, pure=False) for part in self.real_parts]
                return client.gather(tree_reduce(client, scans, _real_combined, shipped))
            finally:
                shipped.release()

    def reduce(self, plan: Plan) -> list[Part]:
        """Every partition's fidelity summary, one task each, merged in pairs on the workers (:meth:`Plan.combine`):
        one :class:`Part` comes back, whatever the number of partitions (:meth:`audit.reduction.Plan.merge` finishes)."""
        return self.scan(plan, None)[0]

    def evidence(self, reference: Reference) -> Evidence:
        """The privacy evidence alone (see :meth:`scan`)."""
        return self.scan(None, reference)[1]  # type: ignore[return-value]

    def scan(self, plan: Plan | None, reference: Reference | None, sample: bool = False,
             positions: np.ndarray | None = None) -> tuple[list[Part], Evidence | None, pd.DataFrame | None]:
        """Read each partition once, on the workers, for the fidelity summaries (``plan``) and the privacy evidence
        (``reference``), either of them None to skip it, and, with ``sample``, for the rows at ``positions`` (as
        :meth:`sample` gives them; None: every row), which come back to this process: (parts, evidence, sample).

        Per partition: one task reads it; one summarises it for ``plan``; one encodes it for the real side's
        indexes; one task per (real set, real shard) finds its rows' nearest real rows in that shard, merged in pairs
        (:func:`audit.shards.closer`); one per shard counts the real rows within the tests' radii, added in pairs;
        one finishes its privacy summary. Fidelity parts (:meth:`audit.reduction.Plan.combine`) and privacy
        summaries merge in pairs on the workers: this process gets one of each. The partitions' distances stay on
        the workers for the order statistics (:meth:`audit.evidence.Evidence.prepare`), then are released."""
        from dask.base import tokenize

        columns, kinds = (plan.columns, plan.kinds) if plan is not None else (reference.columns, reference.kinds)  # type: ignore[union-attr]
        light = None if reference is None else reference.light()
        token = tokenize(pickle.dumps((plan, light), protocol=pickle.HIGHEST_PROTOCOL), self.parts, self.real_shard_rows)
        parts: list[Part] = []
        evidence, rows = None, None
        with self._connect() as client:
            held: list[Any] = []
            try:
                wanted = self._wanted(positions) if sample else [None] * len(self.parts)
                reads = [client.submit(read_and_sample, part, columns, kinds, w, key=f"audit-read-{token}-{i}-{tokenize(w)}")
                         for i, (part, w) in enumerate(zip(self.parts, wanted))]
                frames = [client.submit(_frame, read, key=f"audit-frame-{token}-{i}") for i, read in enumerate(reads)]
                taken = [client.submit(_sample_of, reads[i]) for i, w in enumerate(wanted) if w is not None]
                del reads  # each read's frame and sample stay on the worker while a task needs them
                merged = None
                if plan is not None:
                    shipped_plan = self._shipped(client, plan, "plan")
                    held.append(shipped_plan)
                    summaries = [client.submit(_plan_scan, shipped_plan, frame, key=f"audit-fidelity-{token}-{i}")
                                 for i, frame in enumerate(frames)]
                    merged = tree_reduce(client, summaries, _combined, shipped_plan)
                    del summaries  # each released once merged
                finished = []
                if reference is not None:
                    ref = self._shipped(client, light, "reference")
                    shipped = {side: [self._shipped(client, shard, f"shard-{side}-{j}") for j, shard in enumerate(shards)]
                               for side, shards in reference.sides.items()}
                    held += [ref] + [f for futures in shipped.values() for f in futures]
                    sides = list(reference.sides)
                    for i, frame in enumerate(frames):
                        q = client.submit(_queries, ref, frame, key=f"audit-queries-{token}-{i}")
                        found = client.submit(_by_side, sides, *[
                            tree_reduce(client, [client.submit(_nearest, ref, side, shard, q) for shard in shipped[side]], closer)
                            for side in sides])
                        counts = client.submit(_by_side, sides, *[
                            tree_reduce(client, [client.submit(_counts, ref, side, shard, q, found) for shard in shipped[side]], _added)
                            for side in sides])
                        finished.append(client.submit(_finish, ref, q, found, counts, key=f"audit-scan-{token}-{i}"))
                        del q, found, counts, frame  # the scheduler keeps them while a task needs them, no longer
                    held += finished
                del frames  # read once, released when the tasks above have what they need
                if taken:
                    rows = self._concatenated(client.gather(taken))
                    del taken
                if merged is not None:
                    parts = [client.gather(merged)]
                if reference is not None:
                    summary = client.gather(tree_reduce(client, [client.submit(_summary, f) for f in finished], _merged))
                    evidence = Evidence(reference, DaskShards(client, finished), summary)
                    evidence.prepare()  # the order statistics, while the partitions' distances are on the workers
            finally:  # released, not cancelled: the scheduler forgets them once no future or task needs them
                for future in held:
                    future.release()
            workers = len(client.scheduler_info().get("workers", {}))
        if evidence is not None:
            evidence.shards = None  # type: ignore[assignment]  # the workers' copies are released
            evidence.where = f"{len(self.parts)} partitions on Dask"
        uses = ["sampled for the metrics that do not merge"] * sample + ["summarised for the fidelity metrics"] * (plan is not None)
        if reference is not None:
            real = (f"the real rows' index in {len(reference.sides['train'])} training and {len(reference.sides['hold'])} holdout "
                    f"shards (of up to {reference.shard_rows:,} rows)" if reference.shard_rows is not None else "the real rows' index")
            uses.append(f"scanned against {real} for the privacy tests")
        self.note = (f"The synthetic rows were read on Dask: {len(self.parts):,} partitions of {self.synthetic} ({self.rows:,} rows) "
                     f"on {workers} workers, each read once, {', '.join(uses[:-1]) + ' and ' * (len(uses) > 1) + uses[-1]}; the answers are those of the local audit. "
                     + ("Utility" + (", attribute inference" if reference.attribute_rows else "") + " and the other sampled metrics"
                        if reference is not None else "The sampled metrics") + " ran on this machine, on the synthetic sample.")
        return parts, evidence, rows
