"""``synth fit`` on a Parquet dataset larger than one machine's memory, partition by partition (locally or on Dask).

What is learned from every row, through summaries that merge (:mod:`synth.fit.summaries`):

- each column's missing share, a category column's categories with their exact counts, a flag's share, a number
  column's exact value counts (at most :data:`~synth.fit.summaries.MAX_COUNTED` distinct values) or else its exact
  counts in fine bins (:class:`~synth.fit.summaries.Bins`), and its ``2 * min_count`` smallest and largest values
  exactly: so a number column's whole marginal (weighted values, parametric family, quantile knots, range) is
  decided as :func:`synth.fit.columns.learn_numeric` decides it on one machine, exactly when its values are
  counted and within its bins' width otherwise (``2 ** (shift - 52)`` of the value, stated in the schema);
- the rank correlations between those columns (pass 2: each partition's mid-ranks under the merged marginals,
  summed per pair as integers and merged).

Every summary merges exactly, so the schema is the same bytes for the same rows, seed and settings however the
dataset is cut into partitions and however many workers merge them (tests/test_fit_dataset.py).

What is learned from a seeded uniform sample of rows (``sample_rows``, default :data:`SAMPLE_ROWS`, drawn per
partition by row number and merged: the same sample for the same seed and any partitioning): every column's kind, whatever needs
whole rows (fixed combinations, formulas, date parts, decision-tree cases and their shapes, category order), the
shapes of dates, times and text columns, and the correlations of conditioned or date columns. The sample is
fitted by :class:`synth.fit.SchemaFitter` with the same privacy guards (a category of the sample needs
``min_count`` sample rows), then the whole-table marginals and correlations replace the sample's.

>>> fitted = DatasetFitter(FitConfig(seed=0)).fit("sales/")                     # doctest: +SKIP
>>> fitted = DatasetFitter(FitConfig(), engine="dask", workers=2).fit("s3://bucket/sales/")  # doctest: +SKIP

(Skipped here: it needs a dataset; ``tests/test_fit_dataset.py`` runs both engines.)
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np
import pandas as pd

from ..errors import SynthError
from . import HEADER, SchemaFitter, _validated
from .columns import _best_parametric, _round_out, learn_numeric, plain_number
from .config import FitConfig
from .summaries import (Checked, ColumnSummary, FormulaRule, LookupRule, RankMap, RankSums, Scorer, TableSummary,
                        order_keys, row_keys, summarize)

if TYPE_CHECKING:
    from distributed import Client

    from ..schema import Schema

#: Rows a partition holds at most (whole row groups; a dataset's part files are never joined): one task each.
PARTITION_ROWS = 1_000_000
#: Rows of the uniform sample that whole-row structure is learned from.
SAMPLE_ROWS = 100_000
#: Rank correlations below this are left out, as on one machine (synth.fit.copula.rank_correlations).
FLOOR = 0.03
#: How many task results a merge task takes at once (a tree of merges: the client receives one result per pass).
FAN_IN = 8


# --- where the rows are ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """Rows of one Parquet file a task reads: ``row_groups`` of ``path`` (``rows`` rows in all, the first of them
    row ``start`` of the table); ``fs``: an fsspec file system for a URL (None: a local path)."""

    path: str
    row_groups: tuple[int, ...]
    rows: int
    fs: Any = None
    start: int = 0


def dataset_parts(address: str | Path, partition_rows: int = PARTITION_ROWS) -> list[Part]:
    """The partitions of a Parquet dataset: a folder of part files, one Parquet file, or an fsspec URL of either
    (``s3://bucket/sales/``). Each file's row groups are cut into runs of about ``partition_rows`` rows. Anything
    else (nothing there, not Parquet, files whose columns differ) is one line naming it.

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.parquet")
    >>> pq.write_table(pa.table({"x": range(10), "y": range(10)}), path, row_group_size=3)
    >>> [(p.row_groups, p.rows, p.start) for p in dataset_parts(path, partition_rows=5)]
    [((0, 1), 6, 0), ((2, 3), 4, 6)]
    """
    import pyarrow.parquet as pq

    from ..io.files import first_line, row_group_runs

    text = str(address)
    fs = None
    if "://" in text and not text.startswith("file://"):
        try:
            import fsspec

            fs, root = fsspec.core.url_to_fs(text)
            is_dir, exists = fs.isdir(root), fs.exists(root)
        except ImportError as exc:  # fsspec names the package to install: "Install s3fs to access S3"
            raise SynthError(f"{text}: {first_line(exc)}") from None
        except (ValueError, OSError) as exc:
            raise SynthError(f"{text}: cannot read: {first_line(exc)}") from None
    else:
        root = text[len("file://"):] if text.startswith("file://") else text
        is_dir, exists = Path(root).is_dir(), Path(root).exists()
    if not exists:
        raise SynthError(f"{text}: no such file or folder")
    if is_dir:
        listed = fs.find(root) if fs is not None else [str(p) for p in Path(root).rglob("*") if p.is_file()]
        files = sorted(str(f) for f in listed if not Path(str(f)).name.startswith(("_", ".")))
        if not files:
            raise SynthError(f"{text}: a folder without data files (a folder is read as a Parquet dataset)")
    else:
        files = [root]
    parts: list[Part] = []
    columns: list[str] | None = None
    for file in files:
        try:
            meta = pq.ParquetFile(fs.open(file, "rb") if fs is not None else file).metadata
        except (OSError, ValueError) as exc:
            # a CSV or JSON table is the usual slip: say what the dask engine reads rather than Arrow's footer detail
            raise SynthError(f"{file}: cannot read as Parquet ({first_line(exc)}); --engine dask fits a Parquet dataset "
                             f"(a folder of part files, one .parquet file or an fsspec URL); without --engine, synth fit "
                             f"reads CSV, JSON Lines and the other formats") from None
        names = list(meta.schema.to_arrow_schema().names)
        if columns is None:
            columns = names
        elif names != columns:
            raise SynthError(f"{file}: its columns differ from {files[0]}'s ({', '.join(names)} against "
                             f"{', '.join(columns)}): not one table")
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        for groups, count in row_group_runs(sizes, partition_rows):
            parts.append(Part(file, groups, count, fs, parts[-1].start + parts[-1].rows if parts else 0))
    return parts


def read_table(part: Part) -> Any:
    """A partition's rows as Arrow reads them (a pyarrow Table), or one line naming the file."""
    import pyarrow.parquet as pq

    from ..io.files import first_line

    try:
        source = part.fs.open(part.path, "rb") if part.fs is not None else part.path
        return pq.ParquetFile(source).read_row_groups(list(part.row_groups))
    except (OSError, ValueError) as exc:
        raise SynthError(f"{part.path}: cannot read as Parquet: {first_line(exc)}") from None


def read_part(part: Part) -> pd.DataFrame:
    """A partition's rows as every reader gives them (:func:`synth.io.formats.arrow_frame`)."""
    from ..io.formats import arrow_frame

    return arrow_frame(read_table(part))


# --- a holdout kept back from the fit ------------------------------------------------------------------------------
#: The holdout's row keys come from another stream than the sample's (the same seed must not tie them together).
HOLDOUT_STREAM = 0x9E3779B97F4A7C15


@dataclass(frozen=True)
class Holdout:
    """Rows kept back from a partitioned fit (``synth fit DATASET --engine dask --holdout-out hold/``): each row
    independently, with probability ``share``, by its key from (seed, row number), so the same rows whatever the
    partitioning. Pass 1 writes each partition's held rows, as read, to part file ``part-NNNNN`` through ``files``
    (:class:`synth.cluster.FolderPartFiles` or :class:`~synth.cluster.StorePartFiles`); neither pass sees them.

    >>> h = Holdout(0.25, seed=0)
    >>> int(h.held(0, 100_000).sum())   # about a quarter
    25370
    >>> bool((h.held(500, 10) == h.held(0, 510)[500:]).all())   # a row's fate depends on its number only
    True
    """

    share: float
    seed: int
    files: Any = None

    def held(self, start: int, n: int) -> np.ndarray:
        """Which of rows ``start .. start + n - 1`` are held out."""
        cut = np.uint64(min(int(self.share * 2.0 ** 64), 2 ** 64 - 1))
        return row_keys(self.seed + HOLDOUT_STREAM, start, n) < cut

    def rows(self, parts: list[Part]) -> int:
        """How many rows of ``parts`` are held out (from their row numbers alone: nothing is read)."""
        return sum(int(self.held(part.start, part.rows).sum()) for part in parts)


def _training(part: Part, holdout: Holdout | None, index: int | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """A partition's rows the fit learns from, and their row numbers (None: all of the partition's, in order);
    with ``index``, the held rows are written as part file ``index`` of the holdout first."""
    if holdout is None:
        return read_part(part), None
    from ..io.formats import arrow_frame

    table = read_table(part)
    held = holdout.held(part.start, table.num_rows)
    if index is not None and holdout.files is not None:
        _write_held(table.filter(held), holdout.files, index)
    kept = ~held
    return arrow_frame(table.filter(kept)), part.start + np.flatnonzero(kept)


def _write_held(table: Any, files: Any, index: int) -> None:
    import pyarrow.parquet as pq

    from ..sinks import part_name

    name = part_name(index)
    sink = files.open(name)
    try:
        pq.write_table(table, sink)
    finally:
        sink.close()
    files.done(name)


# --- the tasks: pure functions of a partition ---------------------------------------------------------------------
def first_pass(part: Part, seed: int, sample_rows: int, min_count: int, holdout: Holdout | None = None,
               index: int | None = None) -> TableSummary:
    """Pass 1 of a partition (a task); with a ``holdout``, its held rows are written (part file ``index``) and left out."""
    frame, rows = _training(part, holdout, index)
    return summarize(frame, part.start, seed, sample_rows, min_count, rows=rows)


def second_pass(scorer: Scorer, part: Part, holdout: Holdout | None = None) -> Checked:
    """Pass 2: the partition's rank sums under the merged marginals and its rows each rule holds on (a task)."""
    return scorer(_training(part, holdout)[0])


def merge_summaries(*parts: TableSummary) -> TableSummary:
    """Pass 1's merge (a task of the tree; the same result for any grouping)."""
    return TableSummary.merge(parts)


def merge_checked(*parts: Checked) -> Checked:
    """Pass 2's merge (a task of the tree; integer sums, the same for any grouping)."""
    return Checked.merge(parts)


def _load(blob: bytes) -> Any:
    return pickle.loads(blob)


# --- engines: where the tasks run ---------------------------------------------------------------------------------
class LocalRunner:
    """The tasks one after another in this process: one partition in memory at a time, merged as it comes."""

    @staticmethod
    def _running(results: Iterable[Any], merge: Callable[..., Any]) -> Any:
        merged = None
        for result in results:
            merged = result if merged is None else merge(merged, result)
        return merged

    def first(self, parts: list[Part], args: tuple, holdout: Holdout | None = None) -> TableSummary:
        return self._running((first_pass(part, *args, holdout, i) for i, part in enumerate(parts)), merge_summaries)

    def second(self, scorer: Scorer, parts: list[Part], holdout: Holdout | None = None) -> Checked:
        return self._running((second_pass(scorer, part, holdout) for part in parts), merge_checked)


class DaskRunner:
    """The tasks on a Dask cluster, one per partition, merged on the workers by a tree of merge tasks (``fan_in``
    results each): the client receives one merged result per pass, so what it holds does not grow with the
    partitions. The merges are exact, so the tree's shape (which depends on nothing but the number of partitions
    here) does not change the result either."""

    def __init__(self, client: Client, fan_in: int = FAN_IN) -> None:
        self.client, self.fan_in = client, fan_in

    def _reduced(self, futures: list[Any], merge: Callable[..., Any], name: str) -> Any:
        level, everything = 0, list(futures)
        try:
            while len(futures) > 1:
                futures = [self.client.submit(merge, *futures[i:i + self.fan_in], key=f"{name}-{level}-{i}")
                           for i in range(0, len(futures), self.fan_in)]
                everything += futures
                level += 1
            return futures[0].result()
        finally:
            self.client.cancel(everything)

    def first(self, parts: list[Part], args: tuple, holdout: Holdout | None = None) -> TableSummary:
        from dask.base import tokenize

        token = tokenize(parts, args, holdout)
        futures = self.client.map(first_pass, parts, *[[a] * len(parts) for a in args], [holdout] * len(parts),
                                  list(range(len(parts))), key=[f"synth-fit-summary-{token}-{i}" for i in range(len(parts))])
        return self._reduced(futures, merge_summaries, f"synth-fit-summary-merge-{token}")

    def second(self, scorer: Scorer, parts: list[Part], holdout: Holdout | None = None) -> Checked:
        from dask.base import tokenize

        blob = pickle.dumps(scorer, protocol=pickle.HIGHEST_PROTOCOL)
        token = tokenize(blob, parts, holdout)
        # The marginals go once, as a task of their own (a lost worker's copy is recomputed from these bytes).
        held = self.client.submit(_load, blob, key=f"synth-fit-scorer-{token}")
        futures = self.client.map(second_pass, [held] * len(parts), parts, [holdout] * len(parts),
                                  key=[f"synth-fit-ranks-{token}-{i}" for i in range(len(parts))])
        try:
            return self._reduced(futures, merge_checked, f"synth-fit-ranks-merge-{token}")
        finally:
            self.client.cancel([held])


# --- the fitter ---------------------------------------------------------------------------------------------------
class DatasetFitter:
    """Learn ``schema_`` from a Parquet dataset partition by partition, scikit-learn style (see the module docstring).

    ``engine``: ``"local"`` (the partitions one after another here) or ``"dask"`` (a task per partition on
    ``scheduler``, an address or a :class:`distributed.Client`; None: ``DASK_SCHEDULER_ADDRESS``, else a
    LocalCluster of ``workers`` processes). After :meth:`fit`: ``schema_``, ``spec_``, ``rows_``, ``parts_``,
    ``sampled_`` (rows in the sample), ``distributed_`` (the columns whose marginal, and the pairs whose
    correlation, come from every row), ``binned_`` (the number columns read from bins, and how far, relative to
    the value, a quantile read from them can be from the exact one) and ``notes_`` (rules found on the sample
    that hold on too few of all rows). ``fan_in``: results per merge task on Dask (any value gives the same
    schema).
    """

    schema_: Schema
    spec_: dict[str, Any]

    def __init__(self, config: FitConfig | None = None, engine: str = "local", scheduler: Any = None,
                 workers: int = 2, partition_rows: int = PARTITION_ROWS, timeout: float | None = None,
                 fan_in: int = FAN_IN) -> None:
        if engine not in ("local", "dask"):
            raise SynthError(f"engine {engine!r}: use 'local' or 'dask'")
        self.config = config or FitConfig()
        self.engine, self.scheduler, self.workers = engine, scheduler, workers
        self.partition_rows, self.timeout, self.fan_in = partition_rows, timeout, max(2, fan_in)

    def fit(self, address: str | Path, name: str | None = None, progress: Callable[[str], None] | None = None,
            holdout_out: str | None = None, holdout_share: float = 0.2) -> "DatasetFitter":
        """Learn ``schema_`` from the dataset at ``address`` (a folder of Parquet parts, a file, an fsspec URL).

        ``holdout_out``: keep back about ``holdout_share`` of the rows (:class:`Holdout`), written there as a Parquet
        dataset (a folder ``hold/`` or an fsspec URL, complete under its name only once the fit is done) for
        ``synth audit --holdout``; ``holdout_rows_`` says how many."""
        cfg = self.config
        if cfg.epsilon is not None:
            raise SynthError("--epsilon is not available for a partitioned fit yet: fit a sample of the rows on one machine")
        if holdout_out is not None and not 0 < holdout_share < 1:
            raise SynthError(f"--holdout-share {holdout_share}: a share between 0 and 1")
        step = progress or (lambda _msg: None)
        if self.engine == "dask":
            from ..cluster import require_dask

            require_dask()
        parts = dataset_parts(address, self.partition_rows)  # checked before a cluster is started or reached
        name = name or Path(str(address).rstrip("/")).stem or "table"
        target = None
        if holdout_out is not None:  # checked before any work
            from ..cluster import dataset_target

            if not (str(holdout_out).endswith("/") or "://" in str(holdout_out)):
                stem = Path(str(holdout_out)).stem or "holdout"
                raise SynthError(f"--holdout-out {holdout_out}: with --engine dask the holdout is a Parquet dataset folder: "
                                 f"end it with / (--holdout-out {stem}/) or give an object store URL (s3://bucket/{stem}/)")
            try:
                target = dataset_target(holdout_out)
            except SynthError as exc:
                raise SynthError(f"--holdout-out {exc.message}", exc.exit_code) from None
        holdout = None if target is None else Holdout(holdout_share, cfg.seed, target.files)
        try:
            if self.engine == "local":
                self._fit(LocalRunner(), parts, name, step, holdout, target)
                return self
            from ..cluster import CONNECT_TIMEOUT, connect

            with connect(self.scheduler, self.workers, CONNECT_TIMEOUT if self.timeout is None else self.timeout) as client:
                self._fit(DaskRunner(client, self.fan_in), parts, name, step, holdout, target)
            return self
        except BaseException:
            if target is not None:
                target.abort()  # no half-written holdout under its name
            raise

    def _fit(self, runner: LocalRunner | DaskRunner, parts: list[Part], name: str, step: Callable[[str], None],
             holdout: Holdout | None = None, target: Any = None) -> None:
        cfg = self.config
        sample_rows = cfg.sample_rows or SAMPLE_ROWS
        step(f"pass 1: summaries of {len(parts)} partitions" + (", holding out rows" if holdout else ""))
        if target is not None:
            target.begin()
        whole = runner.first(parts, (cfg.seed, sample_rows, cfg.min_count), holdout)
        if whole.rows == 0:
            raise SynthError("the table is empty: nothing to learn from")
        step(f"structure from a sample of {len(whole.sample):,} rows")
        fitter = SchemaFitter(cfg.model_copy(update={"sample_rows": None})).fit(whole.sampled_rows(), name=name,
                                                                                progress=step)
        spec = fitter.spec_
        marginal = apply_marginals(spec, whole, cfg, skip=fitter.conditioned_)
        maps = {c: m for c, m in rank_maps(spec, whole, marginal).items() if c in fitter.copula_codes_}
        rules = sample_rules(spec)
        step("pass 2: rank correlations and rules on every row")
        checked = runner.second(Scorer(maps, rules), parts, holdout) if len(maps) >= 2 or rules else None
        self.notes_ = restate_rules(spec, checked.rules if checked else {}, cfg)
        targets, pairs = merged_targets(fitter, checked.sums if checked else None)
        spec.pop("correlations", None)
        if targets:
            from .copula import calibrate

            spec["correlations"] = (calibrate(targets, fitter.copula_codes_, cfg.seed, scores=fitter.copula_scores_)
                                    if cfg.calibrate else
                                    [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in targets.items()])
        spec["rows"] = whole.rows
        sampled = len(whole.sample)
        spec["description"] = spec["description"].replace(
            f"Fitted by synth fit from {sampled:,} rows.",
            f"Fitted by synth fit from {whole.rows:,} rows, partition by partition: {', '.join(marginal) or 'no'} "
            f"column shapes and {len(pairs)} correlations from every row{_binned_text(whole, marginal)}, the rest from "
            f"a uniform sample of {sampled:,} rows (seed {cfg.seed}; the same for any partitioning).")
        if "column_order" in spec:  # keep the key order a plain fit writes: correlations before column_order
            spec["column_order"] = spec.pop("column_order")
        self.schema_ = _validated(spec)
        self.spec_ = spec
        self.rows_, self.parts_, self.sampled_ = whole.rows, len(parts), sampled
        self.distributed_ = {"columns": marginal, "correlations": pairs}
        self.binned_ = {c: whole.columns[c].bins.relative_width for c in marginal  # type: ignore[union-attr]
                        if whole.columns[c].counts is None and whole.columns[c].bins is not None}
        self.holdout_rows_ = 0
        if holdout is not None and target is not None:
            from ..sinks import part_name

            target.commit({part_name(i) for i in range(len(parts))})
            self.holdout_rows_ = holdout.rows(parts)

    def to_yaml(self) -> str:
        """The learned schema's YAML text, under a line saying where it came from."""
        return HEADER + self.schema_.to_yaml()


def _binned_text(whole: TableSummary, columns: Iterable[str]) -> str:
    """What the schema says of the number columns read from bins rather than from exact value counts."""
    binned = {c: whole.columns[c].bins for c in columns if whole.columns[c].counts is None and whole.columns[c].bins}
    if not binned:
        return ""
    width = max(b.relative_width for b in binned.values() if b is not None)
    exact = "exactly" if width == 0 else f"within {width:.1e} of the value"
    return f" ({', '.join(binned)}: quantiles from exact counts in fine bins, {exact})"


# --- marginals from the merged summaries --------------------------------------------------------------------------
def apply_marginals(spec: dict[str, Any], whole: TableSummary, cfg: FitConfig, skip: Iterable[str] = ()) -> list[str]:
    """Put the whole table's marginals in place of the sample's in ``spec`` (in place) for every plain column entry
    whose kind the summaries decide: categories, flags and numbers. Returns the columns so rebuilt. A lookup key
    that pools its rare values as one (``other``, :func:`synth.fit.rules.pool_rare_keys`) keeps the sample's
    marginal: the whole table's counts would list the pooled rows' values, each too rare to write, not the pool."""
    skip = set(skip) | {e["key"] for e in spec["columns"] if e.get("kind") == "lookup" and e.get("other")}
    done = []
    for i, entry in enumerate(spec["columns"]):
        name = entry.get("name")
        summary = whole.columns.get(name) if isinstance(name, str) else None
        if summary is None or name in skip or summary.present == 0:
            continue
        kind = entry.get("kind")
        new: dict[str, Any] | None = None
        if kind == "choice" and not summary.number and summary.counts is not None:
            new = choice_entry(name, summary, cfg, list(entry.get("values", {})))
        elif kind == "boolean" and summary.counts is not None and all(isinstance(k, (bool, np.bool_)) for k in summary.counts):
            new = {"name": name, "kind": "boolean",
                   "probability": round(summary.counts.get(True, 0) / summary.present, 4)}
        elif kind in ("integer", "float") and summary.number and "distribution" in entry and summary.finite:
            new = number_entry(name, summary, cfg, entry)
        if new is None:
            continue
        nulls = summary.nulls / summary.rows
        if nulls > 0:
            new["nulls"] = round(nulls, 4)
        spec["columns"][i] = new
        done.append(name)
    return done


def choice_entry(name: str, summary: ColumnSummary, cfg: FitConfig, order: list[str]) -> dict[str, Any]:
    """A category column from its exact counts: categories seen in at least ``min_count`` rows, in the sample fit's
    order (which lines them up with the numbers), then the others by count."""
    counts = summary.counts
    assert counts is not None
    kept = {str(k): v for k, v in counts.items() if v >= cfg.min_count}
    if not kept:  # as on one machine: the most frequent one stays
        top = max(counts.items(), key=lambda kv: kv[1])
        kept = {str(top[0]): top[1]}
    listed = [k for k in order if k in kept]
    listed += sorted((k for k in kept if k not in set(listed)), key=lambda k: (-kept[k], k))
    listed = listed[: cfg.max_categories]
    spec: dict[str, Any] = {"name": name, "kind": "choice", "values": {k: int(kept[k]) for k in listed}}
    dropped = len(counts) - len(listed)
    if dropped:
        share = 1 - sum(kept[k] for k in listed) / summary.present
        spec["description"] = f"{dropped} rare categories (fewer than {cfg.min_count} rows, {share:.1%} of rows) left out"
    return spec


class _Ordered:
    """A number column's finite values in sorted order, read at positions: exactly from counts, or from the bins'
    exact counts (within a bin, spread evenly between its edges); the ``k - 1`` most extreme on each side as
    :func:`synth.fit.columns.smooth_tails` writes them."""

    def __init__(self, summary: ColumnSummary, k: int) -> None:
        self.n = summary.finite
        n, m, low, high = self.n, k - 1, summary.low, summary.high
        if summary.counts is not None:
            self.values = np.array(sorted(summary.counts), dtype=float)
            self.cum = np.cumsum([summary.counts[v] for v in self.values])
            self.edges = None
        else:
            assert summary.bins is not None
            self.bins = summary.bins
            self.cum = np.cumsum(summary.bins.counts)
            self.edges = summary.bins.edges(float(low[0]), float(high[-1]))
        steps = np.arange(1, m + 1)
        top, inner = float(high[-k]), float(high[-2 * k])
        self.top = top + (top - inner) / k * steps
        bottom, inner = float(low[k - 1]), float(low[2 * k - 1])
        self.bottom = (bottom - (inner - bottom) / k * steps)[::-1]
        if low[0] >= 0:
            self.bottom = np.maximum(self.bottom, 0.0)
        if high[-1] <= 0:
            self.top = np.minimum(self.top, 0.0)
        self.m = m
        self.lo_exact, self.hi_exact = low, high
        assert n >= 2 * k + 1

    def at(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        at = np.searchsorted(self.cum, positions, side="right")
        if self.edges is None:
            out = self.values[at]
        else:
            lo, hi = self.edges[0][at], self.edges[1][at]
            counts = self.bins.counts[at]
            within = positions - (self.cum[at] - counts)  # 0 .. count - 1: the value's place in its bin
            out = np.where(lo == hi, lo, lo + (hi - lo) * (within + 0.5) / counts)
            # The kept extremes are exact: read them there rather than from the bins.
            keep = len(self.lo_exact)
            near_low, near_high = positions < keep, positions >= self.n - keep
            out[near_low] = self.lo_exact[positions[near_low]]
            out[near_high] = self.hi_exact[positions[near_high] - (self.n - keep)]
        m, n = self.m, self.n
        out = out.astype(float)
        out[positions < m] = self.bottom[positions[positions < m]]
        out[positions >= n - m] = self.top[positions[positions >= n - m] - (n - m)]
        return out

    def quantile(self, q: Any) -> np.ndarray:
        """:func:`synth.fit.arrays.sorted_quantile` of the smoothed values."""
        virtual = np.asarray(q, dtype=float) * (self.n - 1)
        below = np.floor(virtual).astype(np.int64)
        a, b = self.at(below), self.at(np.minimum(below + 1, self.n - 1))
        t = virtual - below
        return np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)

    def rank(self, x: float, right: bool) -> int:
        """How many smoothed values are below ``x`` (or at most ``x``): exact from counts; from the bins, exact
        below ``x``'s bin and spread evenly within it."""
        if self.edges is None:
            at = np.searchsorted(self.values, x, side="right" if right else "left")
            return int(self.cum[at - 1]) if at else 0
        key = int(order_keys(np.array([x]))[0]) >> self.bins.shift
        at = int(np.searchsorted(self.bins.bins, key, side="left"))
        below = int(self.cum[at - 1]) if at else 0
        if at == len(self.bins.bins) or self.bins.bins[at] != key:  # x falls between occupied bins
            return below
        lo, hi, count = float(self.edges[0][at]), float(self.edges[1][at]), int(self.bins.counts[at])
        if lo == hi:
            return below + (count if right else 0)
        share = min(max((x - lo) / (hi - lo), 0.0), 1.0)
        return below + int(round(share * count))


def number_entry(name: str, summary: ColumnSummary, cfg: FitConfig, sample_entry: dict[str, Any]) -> dict[str, Any]:
    """A number column's marginal decided as :func:`synth.fit.columns.learn_numeric` decides it, from summaries."""
    n = summary.finite
    if n <= len(summary.low):  # every value is kept exactly: the one-machine function itself
        return learn_numeric(name, summary.low, cfg).spec
    decimals = summary.decimals
    is_int = decimals == 0
    kind = "integer" if is_int else "float"
    counts = summary.counts
    if counts is not None:
        distinct = np.array(sorted(counts), dtype=float)
        times = np.array([counts[v] for v in distinct])
        if len(distinct) == 1:
            return {"name": name, "kind": kind, "distribution": "weighted", "values": {plain_number(distinct[0]): 1}}
        if len(distinct) <= cfg.max_categories and len(distinct) <= max(20, n // 20):
            keep = times >= cfg.min_count
            if keep.sum() >= 1 and times[keep].sum() >= 0.9 * n:
                weights = {plain_number(x): int(c) for x, c in zip(distinct[keep], times[keep])}
                listed = [plain_number(float(v)) for v in sample_entry.get("values", {}) if plain_number(float(v)) in weights]
                order = listed + [v for v in weights if v not in set(listed)]  # the sample fit's order (lookups)
                spec: dict[str, Any] = {"name": name, "kind": kind, "distribution": "weighted",
                                        "values": {v: weights[v] for v in order}}
                from . import columns  # the one-machine fit's tails and words, exactly (counts are exact here)

                spec.update(columns.rare_tails(distinct, times, cfg.min_count, decimals))
                spec.update(columns.left_out(int((~keep).sum()), spec, cfg.min_count))
                return spec
    k = min(cfg.min_count, (n + 1) // 2)
    ordered = _Ordered(summary, k)
    first, last = ordered.at(np.array([0, n - 1]))
    q_lo, q_hi = ordered.quantile([cfg.tail, 1 - cfg.tail])
    lo, hi = float(max(first, q_lo)), float(min(last, q_hi))
    if lo == hi:
        lo, hi = float(first), float(last)
    spec = {"name": name, "kind": kind}
    # The values _best_parametric reads: those within [lo, hi], at most 5,000 evenly spread (as on one machine).
    start, stop = ordered.rank(lo, right=False), ordered.rank(hi, right=True)
    if cfg.tail == 0:
        start, stop = 0, n
    inside = stop - start
    parametric = None
    if inside >= 50:
        positions = start + (np.arange(inside) if inside <= 5_000 else np.linspace(0, inside - 1, 5_000).astype(np.int64))
        parametric = _best_parametric(ordered.at(positions), lo, hi)
    if parametric is not None:
        spec.update(parametric)
    else:
        knots = int(min(cfg.knots, max(11, n // 5)))
        q = np.linspace(0, 1, knots)
        values = np.clip(ordered.quantile(q), lo, hi)  # clipping commutes with the quantiles
        digits = (decimals if decimals is not None else 6) + 1
        spec["distribution"] = "quantiles"
        spec["quantiles"] = [plain_number(round(float(x), digits)) for x in values]
    spec["min"] = plain_number(_round_out(lo, decimals, down=True))
    spec["max"] = plain_number(_round_out(hi, decimals, down=False))
    if kind == "float" and decimals is not None:
        spec["round"] = decimals
    if kind == "integer" and spec.get("distribution") == "quantiles" and spec["min"] == spec["max"]:
        spec["max"] = spec["min"] + 1
    return spec


# --- rules found on the sample, checked on every row ----------------------------------------------------------------
def sample_rules(spec: dict[str, Any]) -> list[LookupRule | FormulaRule]:
    """The fixed combinations (lookups) and ``x op y`` formulas of ``spec``, to count on every partition."""
    rules: list[LookupRule | FormulaRule] = []
    for entry in spec["columns"]:
        if entry.get("kind") == "lookup":
            records = pd.DataFrame(entry["records"], columns=[entry["key"], *entry["fields"]])
            rules.append(LookupRule(entry["name"], entry["key"], list(entry["fields"]), records))
        elif entry.get("kind") == "expression":
            rule = FormulaRule.parse(entry["name"], entry.get("expr", ""))
            if rule is not None:
                rules.append(rule)
    return rules


def restate_rules(spec: dict[str, Any], counts: dict[str, tuple[int, int]], cfg: FitConfig) -> list[str]:
    """State in each rule's description the share of all rows it held on; returns a note for each that holds on
    fewer than ``rule_share`` of them (found on the sample, where it held)."""
    notes = []
    for entry in spec["columns"]:
        if entry.get("name") not in counts:
            continue
        checked, held = counts[entry["name"]]
        share = held / checked if checked else 1.0
        if entry["kind"] == "lookup":
            entry["description"] = (f"values that go with each {entry['key']} on {share:.2%} of the real rows "
                                    f"(all {checked:,} rows of listed values checked; the rest are exceptions)")
        else:
            entry["description"] = (f"{entry['name']} = {entry['expr']} held on {share:.2%} of the real rows "
                                    f"(all {checked:,} checked)")
        if share < cfg.rule_share:
            notes.append(f"{entry['name']}: found on the sample, but holds on only {share:.2%} of all rows "
                         f"(under {cfg.rule_share:.1%}): review it")
    return notes


# --- correlations from every row ----------------------------------------------------------------------------------
def rank_maps(spec: dict[str, Any], whole: TableSummary, columns: Iterable[str]) -> dict[str, RankMap]:
    """How each rebuilt column's values rank under its whole-table marginal: a category by its listed order, a
    number by its value (exactly from counts, else from its bins). Numbers listed out of their order (a lookup
    key ordered by the numbers it fixes) are left to the sample."""
    entries = {e["name"]: e for e in spec["columns"] if "name" in e}
    maps: dict[str, RankMap] = {}
    for c in columns:
        entry, summary = entries[c], whole.columns[c]
        if entry["kind"] == "choice":
            maps[c] = RankMap.from_counts({str(k): v for k, v in (summary.counts or {}).items()}, order=list(entry["values"]))
        elif entry["kind"] == "boolean":
            maps[c] = RankMap.from_counts({float(k): v for k, v in (summary.counts or {}).items()})
        elif entry.get("distribution") == "weighted" and list(entry["values"]) != sorted(entry["values"]):
            continue
        elif summary.counts is not None:
            maps[c] = RankMap.from_counts(summary.counts)
        else:
            maps[c] = RankMap.from_bins(summary)
    return maps


def merged_targets(fitter: SchemaFitter, sums: RankSums | None) -> tuple[dict[tuple[str, str], float], list[tuple[str, str]]]:
    """The copula's target rank correlations: the whole table's for pairs of columns both ranked in pass 2, the
    sample's for the rest (conditioned columns, dates, lookups' keys). Returns the targets and the pairs from pass 2."""
    names = list(fitter.copula_codes_)
    sample = fitter.rank_targets_
    whole = sums.correlations() if sums is not None else None
    index = {c: i for i, c in enumerate(sums.names)} if sums is not None else {}
    targets: dict[tuple[str, str], float] = {}
    pairs: list[tuple[str, str]] = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a in index and b in index and whole is not None:
                if b in fitter.split_on_.get(a, ()) or a in fitter.split_on_.get(b, ()):
                    continue
                pairs.append((a, b))
                r = whole[index[a], index[b]]
                if np.isfinite(r) and abs(r) >= FLOOR:
                    targets[(a, b)] = float(np.clip(r, -0.99, 0.99))
            elif (a, b) in sample:
                targets[(a, b)] = sample[(a, b)]
    return targets, pairs


__all__ = ["DatasetFitter", "Part", "apply_marginals", "choice_entry", "dataset_parts", "number_entry", "read_part"]
