"""The privacy tests' evidence, gathered partition by partition of the synthetic rows and merged exactly.

What the tests need from the real rows is fixed first, once (:class:`Reference`: the encoding, k-d trees over
the training and holdout rows, the population's landing rates (:class:`Landing`: how often holdout rows land on
training rows and training rows on holdout rows, per radius), and every sample the tests draw, in a fixed order).
Then each partition of synthetic rows is scanned on its own (:meth:`Reference.scan`, a :class:`Shard`), and the
shards' summaries merge by integer sums and minima (:meth:`Summary.merge`): row counts (how many synthetic rows
land within each radius of a training row and of a holdout row), histograms on fixed bins, minima of distances,
and *share tables*, ``(cluster, training rows, holdout rows) -> synthetic rows``, from which the attribution
estimates of the reported tests follow (:func:`share_from_table`). The tests finish from the merged summary in
a canonical (sorted) order, and order statistics (a median of distances) are selected exactly over the shards
(:func:`order_statistics`: a radix select, four rounds of 16-bit digit counts, whatever the number of rows).
So the answers do not depend on how the synthetic rows were cut: one partition (the local audit) or many
(:mod:`audit.cluster`, one Dask task per partition) give the same numbers, bit for bit.

    >>> import numpy as np, pandas as pd
    >>> from audit.data import Encoding, align
    >>> rng = np.random.default_rng(0)
    >>> def table(n): return pd.DataFrame({"size": rng.choice(list("SML"), n), "price": rng.normal(3, 0.5, n).round(2)})
    >>> t = align(table(200), table(300), table(100))
    >>> ref = Reference(t, Encoding.fit(t))
    >>> whole = Evidence(ref, [ref.scan(t.synthetic)])
    >>> cut = Evidence(ref, [ref.scan(t.synthetic.iloc[i:i + 70]) for i in range(0, 300, 70)])
    >>> whole.summary.counts == cut.summary.counts and whole.summary.tables["near_copies"].equals(cut.summary.tables["near_copies"])
    True
    >>> bool(whole.median("capped_train") == cut.median("capped_train") == np.median(whole.shards[0].values["capped_train"]))
    True
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from functools import reduce
from typing import Protocol, Sequence

import numpy as np
import pandas as pd

from .data import MISSING, Encoding, Tables
from .neighbours import FAR, MixedRows, NearIndex
from .shards import REAL_SHARD_ROWS, Nearest, RealShard, closer, cut

#: Near copies: numbers within this many robust standard deviations (root mean square over the numeric columns),
#: and at most half of FAR.
NEAR_RADIUS = 0.1
#: Relative near copies: every number within this share of a real row's value (root mean square over the columns).
RELATIVE_RADIUS = 0.01
#: ... and at most the distance within which this share of unseen rows land on a training row (beyond equal ones).
RELATIVE_LANDING = 0.10
#: A real identifier value seen in fewer rows of a set than this points at few records; replaying it is a leak.
RARE_IDENTIFIER_ROWS = 10
#: Training rows sampled to measure what a copy scores (kappa).
KAPPA_ROWS = 20_000
#: Records per side for the membership attack.
MEMBERSHIP_RECORDS = 25_000
#: Records per side for the attribute attack.
ATTRIBUTE_RECORDS = 20_000
#: Holdout rows (a seeded sample beyond this) whose distance to the closest training row sets the population's
#: landing rates.
BASELINE_ROWS = 50_000
#: Bins of the closest-record picture (equal, from 0 to FAR).
HISTOGRAM_BINS = 30

_KEYS = ["cluster", "c_train", "c_hold"]


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row; the aligned tables give every column the same type in every table (and partition)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def copy_score(c_train: np.ndarray, c_hold: np.ndarray, p: float) -> float:
    """kappa: the mean score of training rows themselves (their counts include themselves), i.e. of a copy."""
    return float(np.mean(c_train / np.maximum(c_train + c_hold, 1) - p))


# --- share tables: the sufficient statistics of the memorised-share estimate ---------------------------------------
def share_table(c_train: np.ndarray, c_hold: np.ndarray, clusters: np.ndarray) -> pd.DataFrame:
    """Synthetic rows by (cluster, training rows, holdout rows that explain them), rows no real row explains left out.

    >>> share_table(np.array([1, 0, 1, 2]), np.array([0, 0, 0, 1]), np.array([7, 8, 7, 9])).to_dict("list")
    {'cluster': [7, 9], 'c_train': [1, 2], 'c_hold': [0, 1], 'rows': [2, 1]}
    """
    c_train, c_hold = np.asarray(c_train, np.int64), np.asarray(c_hold, np.int64)
    seen = (c_train + c_hold) > 0
    frame = pd.DataFrame({"cluster": np.asarray(clusters)[seen], "c_train": c_train[seen], "c_hold": c_hold[seen]})
    return frame.groupby(_KEYS, sort=True).size().rename("rows").reset_index()


def merge_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Share tables of several partitions as one (rows added up), sorted: the same table however the rows were cut."""
    if len(tables) == 1:
        return tables[0]
    both = pd.concat(tables, ignore_index=True)
    return both.groupby(_KEYS, sort=True)["rows"].sum().reset_index()


def share_from_table(table: pd.DataFrame, rows: int, p: float, pool: int, kappa: float) -> tuple[float, float]:
    """Estimated memorised share and its standard error, from a (sorted) share table over ``rows`` synthetic rows.

    Each synthetic row scores ``u = c_train / c - p`` (0 when no real row explains it); the estimate is
    ``mean(u) / kappa``. Its standard error comes from the hypergeometric variance of a random split, with the
    rows of one cluster moving together (their standard deviations add up). Sums are exact (``math.fsum``) or
    taken in the table's sorted order, so the answer is a function of the table alone.
    """
    if rows == 0 or len(table) == 0:
        return 0.0, 0.0
    ct, ch = table["c_train"].to_numpy(float), table["c_hold"].to_numpy(float)
    n = table["rows"].to_numpy(float)
    c = ct + ch
    u = n * (ct / c - p)
    # the share of training rows among c pooled rows, when the split is random: hypergeometric
    sd = n * np.sqrt(p * (1 - p) * np.maximum(pool - c, 0) / max(pool - 1, 1) / c)
    cluster = table["cluster"].to_numpy()
    starts = np.flatnonzero(np.r_[True, cluster[1:] != cluster[:-1]])
    per_cluster = np.add.reduceat(sd, starts)
    return math.fsum(u) / rows / kappa, math.sqrt(math.fsum(per_cluster ** 2)) / rows / kappa


# --- the real side ----------------------------------------------------------------------------------------------
@dataclass
class IdentifierCounts:
    """An identifier column's real values: how many training and holdout rows carry each, and what a replay scores."""

    train: pd.Series
    hold: pd.Series
    kappa: float


def _landing_radius(distances: np.ndarray, share: float = 0.05) -> float:
    """The ``share`` quantile (the 5th percentile by default) of the holdout rows' distances to the closest training
    row, counted beyond those at distance 0 (on a table where 14% of unseen rows equal a training row, a radius of 0 would see exact copies only);
    inf when fewer than that are found at all (searches bounded by a radius answer inf beyond it).

    >>> _landing_radius(np.r_[np.zeros(10), np.arange(1.0, 91.0)])   # 10% at 0: the 15th percentile
    5.0
    """
    if not len(distances):
        return 0.0
    level = min(1.0, float(np.mean(distances == 0)) + share)
    return float(np.quantile(np.minimum(distances, np.finfo(float).max), level, method="lower"))


@dataclass(frozen=True)
class Landing:
    """How often real rows *land* within ``radius`` of a real row of the other set: the population's rates that
    :func:`audit.privacy.landing_share` compares a synthetic table's with.

    ``hold_on_train`` of ``hold_rows`` holdout rows are within ``radius`` of a training row: how often a row of the
    population, never seen by the generator, lands on a training row by chance. ``train_on_hold`` of
    ``train_rows`` training rows (a sample) are within ``radius`` of a holdout row: how often a *copy* of a training
    row lands on a holdout row, the scale against which the synthetic rows' own rate of landing on holdout rows
    measures how sharp or smooth the generator is.

    >>> Landing.of(0.0, np.array([0.0, 0.5, np.inf, 0.0]), np.array([0.2, 0.0]))
    Landing(radius=0.0, hold_on_train=2, hold_rows=4, train_on_hold=1, train_rows=2)
    """

    radius: float
    hold_on_train: int
    hold_rows: int
    train_on_hold: int
    train_rows: int

    @classmethod
    def of(cls, radius: float, hold_to_train: np.ndarray, train_to_hold: np.ndarray) -> Landing:
        """From each holdout row's distance to the closest training row and each sampled training row's to the
        closest holdout row."""
        return cls(float(radius), int((hold_to_train <= radius).sum()), len(hold_to_train),
                   int((train_to_hold <= radius).sum()), len(train_to_hold))


@dataclass
class Queries:
    """One partition of synthetic rows as the real side's indexes are asked about it: encoded (``rows``; ``relative``
    on log scales, None without number columns), hashed for exact copies, and its identifier columns."""

    rows: MixedRows
    relative: MixedRows | None
    hashes: np.ndarray
    identifiers: dict[str, pd.Series]

    def __len__(self) -> int:
        return len(self.rows)


#: The real sets a partition's nearest rows are looked up in: the training and holdout rows, the training rows
#: sampled to the holdout's size (the closest-record picture), and both again on log scales (relative near copies).
SIDES = ("train", "hold", "same", "rel_train", "rel_hold")


class Reference:
    """The real rows as the privacy tests see them, fixed before any synthetic row is read: encoded (numbers as
    robust z-scores, categories as codes), cut into shards of ``shard_rows`` rows (:mod:`audit.shards`; None: one
    shard) each indexed where it is used, and sampled (kappa samples, membership and attribute records), drawing
    from one generator seeded by ``seed`` in the tests' order. The answers do not depend on ``shard_rows``.

    A partition of synthetic rows is scanned in three steps that a cluster runs as tasks (:mod:`audit.cluster`):
    its nearest real rows per set and shard (:meth:`nearest_in`, merged by :func:`audit.shards.closer`), the real
    rows within radii of it per shard (:meth:`counts_in`, added up), then its summary (:meth:`finish`);
    :meth:`scan` runs them here. ``keep``: keep the shards' trees once built (False: build each when needed and
    drop it, so this process holds one at a time; for a cluster, whose workers build their own).
    Picklable (the trees stay behind); :meth:`light` is a copy without the shards, for the workers' other tasks."""

    def __init__(self, t: Tables, encoding: Encoding, seed: int = 0, sensitive: Sequence[str] = (),
                 shard_rows: int | None = REAL_SHARD_ROWS, keep: bool = True) -> None:
        if t.holdout is None:
            raise ValueError("the privacy evidence needs holdout rows")
        if shard_rows is not None and shard_rows < 1:
            raise ValueError("shard_rows must be at least 1 (or None: one shard)")
        self.encoding, self.columns, self.kinds = encoding, list(t.real.columns), dict(t.kinds)
        self.numeric, self.identifiers = t.numeric, t.identifiers
        self.shard_rows, self.keep = shard_rows, keep
        train, hold = encoding.mixed(t.real), encoding.mixed(t.holdout)
        self.train_rows, self.hold_rows = len(train), len(hold)
        self.pool = len(train) + len(hold)
        self.p = len(train) / self.pool
        self.radius = min(NEAR_RADIUS * math.sqrt(len(t.numeric)), FAR / 2)
        self.relative_radius = min(RELATIVE_RADIUS * math.sqrt(len(t.numeric)), FAR / 2)
        rng = np.random.default_rng(seed)
        # the tests' samples, drawn from one generator in a fixed order
        train_sample = train.take(np.sort(rng.choice(len(train), min(len(train), KAPPA_ROWS), replace=False)))
        # whole-row copies, identifiers and text included (counted for the report)
        real_hashes, hold_hashes = row_hashes(t.real), row_hashes(t.holdout)
        self.sides: dict[str, list[RealShard]] = {"train": cut(train, shard_rows, real_hashes),
                                                  "hold": cut(hold, shard_rows, hold_hashes)}
        # relative near copies
        rel_sample = None
        if t.numeric:
            rel_train = encoding.mixed(t.real, relative=True)
            self.sides["rel_train"], self.sides["rel_hold"] = cut(rel_train, shard_rows), cut(encoding.mixed(t.holdout, relative=True), shard_rows)
            rel_sample = rel_train.take(rng.choice(len(rel_train), min(len(rel_train), KAPPA_ROWS), replace=False))
            del rel_train
        # closest record: the picture's training rows, as many as the holdout's
        same = rng.choice(len(train), min(len(train), len(hold)), replace=False)
        self.sides["same"] = cut(train.take(np.sort(same)), shard_rows)
        # membership inference
        m = min(len(train), len(hold), MEMBERSHIP_RECORDS)
        self.members = train.take(rng.choice(len(train), m, replace=False))
        self.others = hold.take(rng.choice(len(hold), m, replace=False))
        # the population's landing rates (see :class:`Landing`), the holdout's rows (a sample when many) against the
        # training rows and the kappa sample of training rows against the holdout's, one pass over each set's shards,
        # which also counts what a near copy scores (near copies, reported)
        hold_sample = hold if len(hold) <= BASELINE_ROWS else hold.take(np.sort(
            np.random.default_rng((seed, 1)).choice(len(hold), BASELINE_ROWS, replace=False)))
        (near_train,), hold_to_train = self._scanned("train", [(train_sample, self.radius)], hold_sample)
        (near_hold,), train_to_hold = self._scanned("hold", [(train_sample, self.radius)], train_sample)
        self.near_kappa = copy_score(near_train, near_hold, self.p)
        del hold_sample
        # a radius the population sets: the holdout's own 5th percentile of distance to the closest training row,
        # counted beyond the holdout rows that equal one (on a table where 14% of unseen rows equal a training row, a
        # radius of 0 would only see exact copies again)
        self.landing: dict[str, Landing] = {
            name: Landing.of(radius, hold_to_train, train_to_hold)
            for name, radius in (("exact", 0.0), ("dcr5", min(_landing_radius(hold_to_train), FAR / 2)))}
        if rel_sample is not None:
            rel_hold_sample = encoding.mixed(t.holdout if len(t.holdout) <= BASELINE_ROWS else t.holdout.iloc[np.sort(
                np.random.default_rng((seed, 1)).choice(len(t.holdout), BASELINE_ROWS, replace=False))], relative=True)
            _, rel_hold_to_train = self._scanned("rel_train", [], rel_hold_sample, self.within("rel_train"))
            _, rel_train_to_hold = self._scanned("rel_hold", [], rel_sample, self.within("rel_hold"))
            # at most the population's 10th percentile too: on a dense table 40% of unseen rows are within 1% of a
            # training row's every number, where a fitted generator's following (diamonds: +3%) shows like copying
            radius = min(self.relative_radius, _landing_radius(rel_hold_to_train, RELATIVE_LANDING))
            self.landing["relative"] = Landing.of(radius, rel_hold_to_train, rel_train_to_hold)
        del train, hold
        # attribute inference: the records attacked, per sensitive column (rows of the real and holdout tables)
        self.attribute_rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        m = min(self.train_rows, self.hold_rows, ATTRIBUTE_RECORDS)
        for col in sensitive:
            if [c for c in t.modelled if c != col]:
                self.attribute_rows[col] = (rng.choice(len(t.real), m, replace=False), rng.choice(len(t.holdout), m, replace=False))
        # identifier replay: real values per column, and what replaying a rare one scores
        self.identifier: dict[str, IdentifierCounts] = {}
        for col in t.identifiers:
            train_counts = t.real[col][t.real[col] != MISSING].value_counts()
            hold_counts = t.holdout[col][t.holdout[col] != MISSING].value_counts()
            own = t.real[col][t.real[col] != MISSING]
            sample = own.iloc[rng.choice(len(own), min(len(own), KAPPA_ROWS), replace=False)] if len(own) else own
            k_train, k_hold = train_counts.reindex(sample).to_numpy(), hold_counts.reindex(sample, fill_value=0).to_numpy()
            k_rare = (k_train + k_hold) < RARE_IDENTIFIER_ROWS / self.p
            # values shared by many rows (a pet called Lucy) are frequencies, not people: not counted as replays
            kappa = copy_score(k_train[k_rare], k_hold[k_rare], self.p) if k_rare.any() else 0.0
            if kappa > 0:
                self.identifier[col] = IdentifierCounts(train_counts, hold_counts, kappa)

    def _scanned(self, side: str, asks: Sequence[tuple[MixedRows, np.ndarray | float]], nearest_of: MixedRows,
                 within: float = FAR) -> tuple[list[np.ndarray], np.ndarray]:
        """Rows of one real set within each ask's radius of its queries, and the distance from each row of
        ``nearest_of`` to the set's nearest row (inf: none within ``within``), shard by shard (dropping each tree
        unless kept)."""
        totals = [np.zeros(len(q), np.int64) for q, _ in asks]
        found: Nearest | None = None
        for shard in self.sides[side]:
            for total, (queries, radius) in zip(totals, asks):
                total += shard.count_within(queries, radius)
            here = shard.nearest(nearest_of, within)
            found = here if found is None else closer(found, here)
            if not self.keep:
                shard.release()
        return totals, found[0] if found is not None else np.full(len(nearest_of), np.inf)

    def light(self) -> Reference:
        """This reference without its shards (they travel on their own, one per task)."""
        out = copy.copy(self)
        out.sides = {side: [] for side in self.sides}
        return out

    @property
    def shards(self) -> int:
        """Shards of the real rows (training and holdout, with the samples)."""
        return sum(len(v) for v in self.sides.values())

    # --- a partition's scan, in steps ------------------------------------------------------------------------------
    def queries(self, synthetic: pd.DataFrame) -> Queries:
        """One partition of synthetic rows (aligned: see :func:`audit.data.align`) as the steps ask about it."""
        return Queries(self.encoding.mixed(synthetic), self.encoding.mixed(synthetic, relative=True) if "rel_train" in self.sides else None,
                       row_hashes(synthetic), {col: synthetic[col] for col in self.identifier})

    def within(self, side: str) -> float:
        """How far a real set's nearest rows are looked for (beyond: none)."""
        return self.relative_radius * 1.0001 if side.startswith("rel_") else FAR

    def nearest_in(self, side: str, shard: RealShard, q: Queries) -> Nearest:
        """Step 1: each synthetic row's nearest row of one shard of a real set (merge shards by :func:`closer`)."""
        return shard.nearest(q.relative if side.startswith("rel_") else q.rows, self.within(side))

    def counts_in(self, side: str, shard: RealShard, q: Queries, found: dict[str, Nearest]) -> list[np.ndarray]:
        """Step 2: rows of one shard of a real set within the radii the tests ask about, given every set's nearest
        rows (merged over its shards); add the shards' answers up."""
        if side in ("train", "hold"):
            return [shard.count_within(q.rows.take(self._near_any(found)), self.radius), shard.copies(q.hashes)]
        return []

    def _near_any(self, found: dict[str, Nearest]) -> np.ndarray:
        # near copies: only rows with a real row within the radius have anything to count
        return np.flatnonzero(np.minimum(found["train"][0], found["hold"][0]) <= self.radius)

    def finish(self, q: Queries, found: dict[str, Nearest], counts: dict[str, list[np.ndarray]]) -> Shard:
        """Step 3: the partition's summary and the per-row distances kept for order statistics."""
        s = q.rows
        out = Summary(rows=len(s))
        values: dict[str, np.ndarray] = {}
        (d_train, i_train), (d_hold, i_hold) = found["train"], found["hold"]  # inf: no real row closer than FAR
        # the real row that decides each synthetic row: synthetic rows sharing it move together
        deciding = np.where(d_train <= d_hold, i_train, self.train_rows + i_hold)
        (near_train, c_train), (near_hold, c_hold) = counts["train"], counts["hold"]
        # whole rows equal to a real row, identifiers and text included (for the report)
        out.counts.update(equal_to_training=int((c_train > 0).sum()), equal_to_holdout=int((c_hold > 0).sum()))

        out.tables["near_copies"] = share_table(near_train, near_hold, deciding[self._near_any(found)])
        near = d_train <= self.radius
        values["near_distances"] = d_train[near]
        out.counts.update(near_training=int(near.sum()), near_exact=int((d_train[near] == 0).sum()),
                          near_holdout=int((d_hold <= self.radius).sum()))

        # landing on real rows, per radius the population's rates are known for (exact and closest-record copies,
        # relative near copies): the counts :func:`audit.privacy.landing_share` compares with them
        for name, base in self.landing.items():
            to_train, to_hold = (found["rel_train"][0], found["rel_hold"][0]) if name == "relative" else (d_train, d_hold)
            out.counts[f"landing_train:{name}"] = int((to_train <= base.radius).sum())
            out.counts[f"landing_hold:{name}"] = int((to_hold <= base.radius).sum())
        out.counts["closest_found"] = int(np.isfinite(np.minimum(d_train, d_hold)).sum())
        values["capped_train"], values["capped_hold"] = np.minimum(d_train, FAR), np.minimum(d_hold, FAR)
        capped_same = np.minimum(found["same"][0], FAR)
        edges = np.linspace(0, FAR, HISTOGRAM_BINS + 1)
        out.histograms["same_size"] = np.histogram(capped_same, edges)[0]
        out.histograms["holdout"] = np.histogram(values["capped_hold"], edges)[0]

        # membership inference: each record's nearest synthetic row (capped at FAR: farther ones tie)
        index = NearIndex(s)
        out.minima["members"] = np.minimum(index.nearest(self.members)[0], FAR)
        out.minima["others"] = np.minimum(index.nearest(self.others)[0], FAR)

        for col, real in self.identifier.items():  # identifier replay
            column = q.identifiers[col]
            c_train = real.train.reindex(column, fill_value=0).to_numpy()
            c_hold = real.hold.reindex(column, fill_value=0).to_numpy()
            rare = (c_train + c_hold) < RARE_IDENTIFIER_ROWS / self.p
            c_train, c_hold = np.where(rare, c_train, 0), np.where(rare, c_hold, 0)
            out.tables[f"identifier:{col}"] = share_table(c_train, c_hold, column.to_numpy(object).astype(str))
            out.counts[f"identifier_replays:{col}"] = int((c_train > 0).sum())
        return Shard(out, values)

    def scan(self, synthetic: pd.DataFrame) -> Shard:
        """One partition of synthetic rows (aligned: see :func:`audit.data.align`) against the real rows, here: the
        three steps, shard after shard."""
        q = self.queries(synthetic)
        found = {side: reduce(closer, (self.nearest_in(side, shard, q) for shard in shards)) for side, shards in self.sides.items()}
        counts = {}
        for side, shards in self.sides.items():
            answers = [self.counts_in(side, shard, q, found) for shard in shards]
            counts[side] = [sum(column) for column in zip(*answers)]
            if not self.keep:
                for shard in shards:
                    shard.release()
        return self.finish(q, found, counts)


# --- one partition's results, and their merge ---------------------------------------------------------------------
@dataclass
class Summary:
    """What a partition contributes, in forms that merge exactly: counts, share tables, histograms and minima."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    histograms: dict[str, np.ndarray] = field(default_factory=dict)
    minima: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def merge(cls, parts: Sequence[Summary]) -> Summary:
        """The summary of all the partitions' rows together."""
        first = parts[0]
        return cls(rows=sum(p.rows for p in parts),
                   counts={k: sum(p.counts[k] for p in parts) for k in first.counts},
                   tables={k: merge_tables([p.tables[k] for p in parts]) for k in first.tables},
                   histograms={k: np.sum([p.histograms[k] for p in parts], axis=0) for k in first.histograms},
                   minima={k: np.minimum.reduce([p.minima[k] for p in parts]) for k in first.minima})


@dataclass
class Shard:
    """A scanned partition: its :class:`Summary`, and per-row distances kept where they were computed, for exact
    order statistics (:func:`order_statistics` asks for counts of their digits, never for the values)."""

    summary: Summary
    values: dict[str, np.ndarray]

    def digit_counts(self, requests: Sequence[tuple[str, int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each request ``(name, prefix, round)``: the 16-bit digits (``round`` 0 the highest) of the values
        whose higher bits equal ``prefix``, as (digits present, how many values have each)."""
        return [_digit_counts(self.values[name], prefix, step) for name, prefix, step in requests]


def _digit_counts(values: np.ndarray, prefix: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    # non-negative floats sort as their bit patterns do (a distance is never -0.0 or NaN here)
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    shift = np.uint64(48 - 16 * step)
    if step > 0:
        bits = bits[(bits >> np.uint64(64 - 16 * step)) == np.uint64(prefix)]
    counts = np.bincount(((bits >> shift) & np.uint64(0xFFFF)).astype(np.int64), minlength=1 << 16)
    present = np.flatnonzero(counts)
    return present, counts[present]


class ShardSet(Protocol):
    """Scanned partitions wherever they are: answers digit-count requests summed over every partition."""

    def digit_counts(self, requests: Sequence[tuple[str, int, int]]) -> list[np.ndarray]: ...


def _summed(answers: Sequence[list[tuple[np.ndarray, np.ndarray]]], requests: int) -> list[np.ndarray]:
    """Per request, the digit counts of every partition added up (65,536 bins)."""
    out = [np.zeros(1 << 16, np.int64) for _ in range(requests)]
    for answer in answers:
        for total, (digits, counts) in zip(out, answer):
            np.add.at(total, digits, counts)
    return out


class LocalShards(list):
    """Shards in this process (the local audit: usually one)."""

    def digit_counts(self, requests: Sequence[tuple[str, int, int]]) -> list[np.ndarray]:
        return _summed([shard.digit_counts(requests) for shard in self], len(requests))


def order_statistics(shards: ShardSet, wanted: Sequence[tuple[str, int]]) -> list[float]:
    """The exact ``k``-th smallest value (0-based) of each ``(name, k)`` over all shards' values of that name.

    A radix select on the values' bit patterns: four rounds of one digit-count request per wanted value, so the
    rounds and the bytes moved do not grow with the rows.

    >>> shards = LocalShards([Shard(Summary(), {"d": np.array([0.5, 0.0, 0.25])}), Shard(Summary(), {"d": np.array([0.75])})])
    >>> order_statistics(shards, [("d", 0), ("d", 2), ("d", 3)])
    [0.0, 0.5, 0.75]
    """
    prefixes, ranks = [0] * len(wanted), [k for _, k in wanted]
    for step in range(4):
        totals = shards.digit_counts([(name, prefixes[i], step) for i, (name, _) in enumerate(wanted)])
        for i, total in enumerate(totals):
            cumulative = np.cumsum(total)
            digit = int(np.searchsorted(cumulative, ranks[i], side="right"))  # the first digit with more values than k
            ranks[i] -= int(cumulative[digit - 1]) if digit else 0
            prefixes[i] = (prefixes[i] << 16) | digit
    return [float(np.array([p], np.uint64).view(np.float64)[0]) for p in prefixes]


@dataclass
class Evidence:
    """The real side and the merged summary of every partition of synthetic rows: what the privacy tests read."""

    reference: Reference
    shards: ShardSet
    #: The partitions' summaries merged (given by a caller that merged them elsewhere, else merged here).
    summary: Summary | None = None  # type: ignore[assignment]
    #: Where the partitions were scanned, for the report (e.g. "4 partitions on Dask"); empty: here, in one piece.
    where: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.shards, list) and not isinstance(self.shards, LocalShards):
            self.shards = LocalShards(self.shards)
        if self.summary is None:
            self.summary = Summary.merge([s.summary for s in self.shards])  # type: ignore[attr-defined]

    def _size(self, name: str) -> int:
        return self.summary.counts["near_training"] if name == "near_distances" else self.summary.rows  # type: ignore[union-attr]

    #: The order statistics the tests read: (value, quantile) -> median when None.
    WANTED = (("capped_train", None), ("capped_hold", None), ("near_distances", (0.1, 0.5, 0.9)))

    def prepare(self) -> None:
        """Select every order statistic the tests read, in one radix select (four rounds), and keep the answers: a
        cluster's partitions can be released afterwards."""
        asks: list[tuple[str, int]] = []
        for name, qs in self.WANTED:
            asks += [(name, k) for k in (self._median_ranks(name) if qs is None else self._quantile_ranks(name, qs)[1])]
        found = dict(zip(asks, order_statistics(self.shards, asks))) if asks else {}
        self._cache = {(name, k): v for (name, k), v in found.items()}

    def _order(self, name: str, ranks: Sequence[int]) -> list[float]:
        cache = getattr(self, "_cache", None)
        if cache is not None and all((name, k) in cache for k in ranks):
            return [cache[(name, k)] for k in ranks]
        return order_statistics(self.shards, [(name, k) for k in ranks])

    def _median_ranks(self, name: str) -> list[int]:
        n = self._size(name)
        return [] if n == 0 else [n // 2 - 1, n // 2] if n % 2 == 0 else [n // 2]

    def _quantile_ranks(self, name: str, qs: Sequence[float]) -> tuple[list[float], list[int]]:
        n = self._size(name)
        if n == 0:
            return [], []
        spots = [q * (n - 1) for q in qs]
        return spots, [k for v in spots for k in (int(math.floor(v)), min(int(math.floor(v)) + 1, n - 1))]

    def median(self, name: str) -> float:
        """The median of a per-row value over every partition, as ``np.median`` of them all (NaN for none)."""
        ranks = self._median_ranks(name)
        return float(np.median(np.array(self._order(name, ranks)))) if ranks else float("nan")

    def quantiles(self, name: str, qs: Sequence[float]) -> dict[float, float]:
        """Quantiles (linear interpolation, numpy's default) of a per-row value over every partition."""
        spots, ranks = self._quantile_ranks(name, qs)
        stats = self._order(name, ranks)
        out = {}
        for j, (q, v) in enumerate(zip(qs, spots)):
            a, b, g = stats[2 * j], stats[2 * j + 1], v - math.floor(v)
            out[q] = float(b - (b - a) * (1 - g) if g >= 0.5 else a + (b - a) * g)  # numpy's _lerp
        return out
