"""``synth fit`` on a Parquet dataset, partition by partition (synth/fit/summaries.py, synth/fit/dataset.py).

Known answers: the partitioned fit of a table against :class:`synth.fit.SchemaFitter` on the same rows read whole:
categories, counts, flags and missing shares exact; number columns exact where their values are counted, and
within their bins' stated width where they are not; rank correlations within 0.02. The same rows cut into other
partitions, merged in other trees, on one process or on Dask, give the same schema bytes. Kept small: 24,000
rows in 3 part files (a number column with more distinct values than ``MAX_COUNTED``), and 40,000 rows for a
column with more than ``MAX_BINS`` distinct values; the Dask tests share the session's LocalCluster of 2 workers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.errors import SynthError
from synth.fit import FitConfig, SchemaFitter
from synth.fit.dataset import DatasetFitter, dataset_parts
from synth.fit.summaries import MAX_BINS, MAX_COUNTED, Bins, RankSums, TableSummary, summarize

ROWS = 24_000


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shop = rng.choice(["north", "south", "east", "west", "rare"], n, p=[0.4, 0.3, 0.2, 0.0996, 0.0004])
    base = rng.normal(size=n)
    wait = np.round(rng.gamma(2.0, 3.0, n) + 0.8 * base, 3)
    wait[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({
        "shop": shop,
        "amount": np.round(np.exp(3 + 0.6 * base + (shop == "north") * 0.3), 2),
        "items": rng.poisson(2 + (base > 0), n),
        "member": rng.random(n) < 0.3 + 0.2 * (base > 0),
        "wait": wait,
        "size": np.array(["S", "M", "L"])[rng.integers(0, 3, n)],
        # continuous, more distinct values than are counted: learned from its bins
        "score": np.round(np.sin(base) * 50 + rng.normal(0, 20, n), 6),
    }).assign(price=lambda d: d["size"].map({"S": 2.5, "M": 3.0, "L": 3.5}),  # a lookup: size -> price
              total=lambda d: np.round(d["price"] * d["items"], 2))            # a formula


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    df = _table(ROWS)
    folder = root / "sales"
    folder.mkdir()
    cut = [0, 7_000, 15_000, ROWS]  # parts of different sizes
    for i in range(3):
        pq.write_table(pa.Table.from_pandas(df.iloc[cut[i]:cut[i + 1]], preserve_index=False),
                       folder / f"part-{i:05d}.parquet", row_group_size=4_000)
    (folder / "_SUCCESS").write_bytes(b"")
    assert df["score"].nunique() > MAX_COUNTED
    return {"df": df, "folder": folder, "root": root}


def _entries(spec):
    return {e["name"]: e for e in spec["columns"]}


def _pairs(spec):
    return {tuple(c["columns"]): c["rank"] for c in spec.get("correlations", [])}


def _assert_knots_within(knots: list[float], exact: list[float], width: float, digits: int) -> None:
    """Each knot within the stated relative bin width of the one-machine knot (+ the rounding to ``digits``)."""
    a, b = np.asarray(knots, dtype=float), np.asarray(exact, dtype=float)
    slack = width * np.maximum(np.abs(a), np.abs(b)) + 10.0 ** -digits
    assert len(a) == len(b) and np.all(np.abs(a - b) <= slack), np.abs(a - b).max()


# --- summaries ------------------------------------------------------------------------------------------------------
def test_summaries_merge_to_the_whole_tables_counts_extremes_and_a_fixed_uniform_sample(world):
    df = world["df"]
    parts = [summarize(df.iloc[a:b].reset_index(drop=True), a, seed=5, sample_rows=3_000)
             for a, b in [(0, 5_000), (5_000, 5_001), (5_001, ROWS)]]
    whole = TableSummary.merge(parts)
    again = TableSummary.merge(parts[::-1])  # any order
    # Other cuts of the same rows, merged in other groupings: the same summary, sample and bins included.
    cut = [summarize(df.iloc[a:b].reset_index(drop=True), a, seed=5, sample_rows=3_000)
           for a, b in [(0, 11_000), (11_000, 11_500), (11_500, ROWS)]]
    other_cut = TableSummary.merge([TableSummary.merge(cut[1:]), cut[0]])
    assert other_cut.sample.equals(whole.sample) and other_cut.columns["score"].bins == whole.columns["score"].bins
    assert other_cut.columns["amount"].decimals == whole.columns["amount"].decimals
    assert whole.rows == ROWS
    assert whole.columns["shop"].counts == df["shop"].value_counts().to_dict() == again.columns["shop"].counts
    assert whole.columns["wait"].nulls == df["wait"].isna().sum()
    assert whole.columns["member"].counts == df["member"].value_counts().to_dict()
    assert whole.columns["score"].counts is None  # too many distinct values: the bins only
    assert whole.columns["score"].bins == Bins.of(df["score"].dropna().to_numpy())
    ordered = np.sort(df["wait"].dropna().to_numpy())
    assert np.array_equal(whole.columns["wait"].low, ordered[:20]) and np.array_equal(whole.columns["wait"].high, ordered[-20:])
    assert whole.columns["wait"].decimals == 3 and whole.columns["amount"].decimals == 2
    # The sample: 3,000 distinct rows of the table, in its order, the same for the same seed and any partitioning.
    sample = whole.sample
    assert len(sample) == 3_000 and sample.equals(again.sample)
    rows = sample["_row"].to_numpy()
    assert np.all(np.diff(rows) > 0)
    pd.testing.assert_frame_equal(whole.sampled_rows(), df.iloc[rows].reset_index(drop=True))
    # Uniform: each part holds about its share of the sample (the big part 19/24 of the rows).
    assert abs((sample["_row"] >= 5_001).mean() - 18_999 / ROWS) < 0.03
    other = TableSummary.merge([summarize(df, 0, seed=6, sample_rows=3_000)])
    assert not other.sample["_row"].equals(sample["_row"])


def test_bins_merge_exactly_and_coarsen_to_the_same_bins_for_any_cut():
    values = np.random.default_rng(0).lognormal(0, 2, 50_000) * np.where(np.arange(50_000) % 7 == 0, -1, 1)
    whole = Bins.of(values, limit=1_000)
    assert whole.shift > 0 and len(whole.bins) <= 1_000 and whole.counts.sum() == 50_000
    for cut in ([25_000], [10, 20, 49_000], list(range(1_000, 50_000, 1_000))):
        pieces = [Bins.of(v, limit=1_000) for v in np.split(values, cut)]
        assert Bins.merge(pieces, limit=1_000) == whole == Bins.merge(pieces[::-1], limit=1_000)
        tree = Bins.merge([Bins.merge(pieces[:1], limit=1_000), Bins.merge(pieces[1:], limit=1_000)], limit=1_000)
        assert tree == whole
    # Counts are exact: every value lies within its bin, and the bins' edges are within the stated width.
    lo, hi = whole.edges(values.min(), values.max())
    at = np.searchsorted(np.cumsum(whole.counts), np.argsort(np.argsort(values, kind="stable")), side="right")
    assert np.all((lo[at] <= values) & (values <= hi[at]))
    assert np.all(hi - lo <= whole.relative_width * np.maximum(np.abs(lo), np.abs(hi)))
    assert Bins.of(np.array([3.0, 1.0, 3.0])).counts.tolist() == [1, 2]  # few values: one bin each, exact counts


def test_rank_sums_are_exact_integers_whatever_the_cut():
    rng = np.random.default_rng(1)
    ranks = {c: np.where(rng.random(10_001) < 0.1, np.nan, rng.integers(0, 2 ** 16 + 1, 10_001).astype(float))
             for c in "abc"}
    whole = RankSums.of(ranks)
    cut = RankSums.merge([RankSums.of({c: v[a:b] for c, v in ranks.items()}) for a, b in [(0, 3), (3, 9_000), (9_000, 10_001)]])
    for a in "nsqp":
        assert (getattr(whole, a) == getattr(cut, a)).all() and isinstance(getattr(whole, a)[0, 1], int)
    u = pd.DataFrame(ranks)
    assert whole.correlations()[0, 1] == pytest.approx(u["a"].corr(u["b"]), abs=1e-12)


def test_dataset_parts_reads_a_folder_a_file_and_cuts_row_groups(world, tmp_path):
    parts = dataset_parts(world["folder"], partition_rows=8_000)
    assert [p.rows for p in parts] == [7_000, 8_000, 8_000, 1_000]  # whole 4,000-row groups, a file's runs never joined
    assert sum(p.rows for p in dataset_parts(world["folder"] / "part-00002.parquet", partition_rows=4_000)) == 9_000
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_bytes(b"")
    with pytest.raises(SynthError, match="without data files"):
        dataset_parts(tmp_path / "empty")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(SynthError, match=r"t.csv: cannot read as Parquet .*--engine dask fits a Parquet dataset.*without --engine"):
        dataset_parts(tmp_path / "t.csv")


# --- the partitioned fit against the fit of the same rows read whole ------------------------------------------------
@pytest.fixture(scope="module")
def fits(world):
    cfg = FitConfig(trees=False, seed=3)
    local = SchemaFitter(cfg).fit(world["df"], name="sales")
    parted = DatasetFitter(cfg, partition_rows=5_000).fit(world["folder"], name="sales")
    return local, parted


def test_every_row_in_the_sample_gives_the_one_machine_schema_within_the_bins(world, fits):
    local, parted = fits
    a, b = _entries(local.spec_), _entries(parted.spec_)
    assert list(a) == list(b)
    for name in ("shop", "member", "amount", "items", "wait"):  # counted columns: exactly the one-machine entry
        assert a[name] == b[name], name
    assert a["shop"]["values"] == {k: v for k, v in world["df"]["shop"].value_counts().items() if v >= 10}
    # The column read from bins: fewer distinct values than MAX_BINS, so one bin each: the one-machine entry.
    assert parted.binned_ == {"score": 0.0} and a["score"] == b["score"] and b["score"]["distribution"] == "quantiles"
    # Correlations: the same pairs, each within 0.02 of the one-machine value.
    pa_, pb = _pairs(local.spec_), _pairs(parted.spec_)
    assert set(pa_) == set(pb) and len(pa_) >= 5
    assert max(abs(pa_[k] - pb[k]) for k in pa_) <= 0.02
    assert parted.rows_ == ROWS and parted.parts_ == 4 and parted.schema_.spec.rows == ROWS
    assert set(parted.distributed_["columns"]) == set(a) - {"total", "size_facts"}  # the rules are checked instead
    assert a["total"]["expr"] == b["total"]["expr"] and b["total"]["description"].endswith("(all 24,000 checked)")
    assert "24,000 rows, partition by partition" in parted.spec_["description"]
    assert "score: quantiles from exact counts in fine bins, exactly" in parted.spec_["description"]
    made = synth.generate(parted.schema_, rows=2_000, seed=1)
    assert list(made.columns) == list(world["df"].columns) and made["wait"].isna().mean() == pytest.approx(0.05, abs=0.02)


def test_a_sample_smaller_than_the_table_still_gives_exact_marginals(world):
    df = world["df"]
    cfg = FitConfig(seed=1, sample_rows=4_000)  # trees on: structure from the sample
    fitted = DatasetFitter(cfg).fit(world["folder"], name="sales")
    entries = _entries(fitted.spec_)
    assert fitted.sampled_ == 4_000 and "uniform sample of 4,000 rows" in fitted.spec_["description"]
    # 'rare' (about 10 rows) is under k in any 4,000-row sample but kept from the whole table's counts.
    assert entries["shop"]["values"] == {k: v for k, v in df["shop"].value_counts().items() if v >= 10}
    assert entries["member"]["probability"] == round(df["member"].mean(), 4)
    if entries["wait"]["kind"] != "conditional":
        assert entries["wait"]["nulls"] == round(df["wait"].isna().mean(), 4)
    made = synth.generate(fitted.schema_, rows=20_000, seed=2)
    assert set(made["shop"]) <= set(entries["shop"]["values"]) and made["amount"].notna().all()


def test_an_fsspec_url_is_read_like_a_folder(world):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for path in world["folder"].iterdir():
        fs.pipe(f"/fitds/sales/{path.name}", path.read_bytes())
    cfg = FitConfig(trees=False, seed=3)
    on_url = DatasetFitter(cfg).fit("memory://fitds/sales/", name="sales")
    on_disk = DatasetFitter(cfg).fit(world["folder"], name="sales")
    assert _entries(on_url.spec_)["shop"] == _entries(on_disk.spec_)["shop"] and on_url.rows_ == ROWS


# --- on Dask ----------------------------------------------------------------------------------------------------------
def test_dask_gives_the_local_engines_schema(world, dask_client):
    cfg = FitConfig(seed=3, sample_rows=6_000)
    local = DatasetFitter(cfg, partition_rows=5_000).fit(world["folder"], name="sales")
    on_dask = DatasetFitter(cfg, engine="dask", scheduler=dask_client, partition_rows=5_000).fit(world["folder"], name="sales")
    # Every summary merges exactly: the same schema, byte for byte.
    assert on_dask.to_yaml() == local.to_yaml()


def test_the_command_fits_on_dask_and_the_schema_generates(world, dask_client, tmp_path):
    address = dask_client.scheduler.address
    out = tmp_path / "twin.yaml"
    result = CliRunner().invoke(app, ["fit", f"{world['folder']}/", "--engine", "dask", "--scheduler", address,
                                      "--out", str(out), "--seed", "3", "--no-trees", "--json"])
    assert result.exit_code == 0, result.output
    assert '"rows": 24000' in result.stdout and '"partitions": 3' in result.stdout
    assert out.read_text().startswith("# Learned by `synth fit`")
    made = CliRunner().invoke(app, ["generate", str(out), "--rows", "500", "--out", str(tmp_path / "twin.csv"), "-q"])
    assert made.exit_code == 0, made.output
    assert len(pd.read_csv(tmp_path / "twin.csv")) == 500


@pytest.mark.parametrize("args, message", [
    (["missing/"], "error: missing/: no such file or folder"),
    (["DATA", "--epsilon", "1"], "error: --epsilon is not available with --engine dask"),
    (["DATA", "other.csv"], "error: several tables: --engine dask fits one Parquet dataset"),
    (["TABLES"], "error: TABLES: a folder of tables: --engine dask fits one Parquet dataset"),
    (["DATA", "--normalize"], "error: --normalize is not available with --engine dask"),
    (["DATA", "--engine", "spark"], "error: --engine 'spark': use one of local, dask"),
])
def test_bad_input_is_one_line_and_exit_2(world, tmp_path, args, message):
    tables = world["root"]  # a folder holding the 'sales' dataset folder: a folder of tables
    args = [str(world["folder"]) if a == "DATA" else a for a in args]
    args, message = [str(tables) if a == "TABLES" else a for a in args], message.replace("TABLES", str(tables))
    engine = [] if "--engine" in args else ["--engine", "dask"]
    result = CliRunner().invoke(app, ["fit", *args, *engine, "--out", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "t.yaml").exists()


def test_an_unreachable_scheduler_is_one_line_and_no_schema(world, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("synth.cluster.CONNECT_TIMEOUT", 1.0)
    result = CliRunner().invoke(app, ["fit", str(world["folder"]), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1",
                                      "--out", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2 and result.stderr.startswith("error: dask scheduler tcp://127.0.0.1:1: cannot connect: no Dask scheduler answered within 1 s")
    assert result.stderr.count("\n") == 1 and not (tmp_path / "t.yaml").exists()


def test_parts_whose_columns_differ_are_refused(world, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), folder / "part-00000.parquet")
    pq.write_table(pa.table({"a": [1, 2], "c": ["x", "y"]}), folder / "part-00001.parquet")
    result = CliRunner().invoke(app, ["fit", str(folder), "--engine", "dask", "--out", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2 and "part-00001.parquet: its columns differ" in result.stderr


# --- the same schema however the work is split --------------------------------------------------------------------
WIDE = 40_000  # rows of a table with a column of more distinct values than MAX_BINS


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The same 40,000 rows as one file of 4 row groups, and as 5 files of 3,000 to 14,000 rows in row groups of 1,000."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=WIDE)
    df = pd.DataFrame({"shop": rng.choice(["a", "b", "c"], WIDE),
                       "spend": np.exp(2 + base + rng.normal(0, 0.5, WIDE)),  # continuous: 40,000 distinct values
                       "items": rng.poisson(3, WIDE), "member": rng.random(WIDE) < 0.4,
                       # two humps: no parametric family, so quantile knots
                       "wait": np.where(rng.random(WIDE) < 0.6, rng.normal(10, 2, WIDE), rng.normal(30, 4, WIDE))})
    assert df["spend"].nunique() > MAX_BINS and df["wait"].nunique() > MAX_BINS
    root = tmp_path_factory.mktemp("wide")
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), root / "one.parquet", row_group_size=10_000)
    (root / "cut").mkdir()
    for i, (a, b) in enumerate(zip([0, 3_000, 17_000, 20_000, 33_000], [3_000, 17_000, 20_000, 33_000, WIDE])):
        pq.write_table(pa.Table.from_pandas(df.iloc[a:b], preserve_index=False), root / "cut" / f"part-{i:05d}.parquet",
                       row_group_size=1_000)
    return {"df": df, "one": root / "one.parquet", "cut": root / "cut"}


def test_the_same_rows_cut_and_merged_otherwise_give_the_same_schema_bytes(wide, dask_client):
    cfg = FitConfig(seed=2, sample_rows=5_000, trees=False)
    runs = {
        "local, 1 partition": DatasetFitter(cfg, partition_rows=WIDE).fit(wide["one"], name="t"),
        "local, 4 partitions": DatasetFitter(cfg, partition_rows=1).fit(wide["one"], name="t"),
        "dask, 40 partitions, fan-in 2": DatasetFitter(cfg, engine="dask", scheduler=dask_client, partition_rows=1_000,
                                                       fan_in=2).fit(wide["cut"], name="t"),
        "dask, 10 partitions, fan-in 8": DatasetFitter(cfg, engine="dask", scheduler=dask_client,
                                                      partition_rows=5_000).fit(wide["cut"], name="t"),
    }
    assert [r.parts_ for r in runs.values()] == [1, 4, 40, 10]
    texts = {name: r.to_yaml() for name, r in runs.items()}
    assert len(set(texts.values())) == 1, [n for n in texts if texts[n] != texts["local, 1 partition"]]
    fitted = runs["local, 1 partition"]
    width = fitted.binned_["spend"]
    assert 0 < width <= 2 ** -12  # more distinct values than bins: a bin spans a few neighbouring values
    width = max(fitted.binned_.values())
    assert f"spend, wait: quantiles from exact counts in fine bins, within {width:.1e} of the value" in fitted.spec_["description"]
    # Against the fit of the whole table in memory: the same entries, the knots within the stated width.
    local = _entries(SchemaFitter(FitConfig(seed=2, trees=False)).fit(wide["df"], name="t").spec_)
    parted = _entries(fitted.spec_)
    assert local["spend"] == parted["spend"] and local["spend"]["distribution"] == "lognormal"
    assert {k: v for k, v in local["wait"].items() if k != "quantiles"} == {k: v for k, v in parted["wait"].items() if k != "quantiles"}
    assert parted["wait"]["distribution"] == "quantiles"
    _assert_knots_within(parted["wait"]["quantiles"], local["wait"]["quantiles"], fitted.binned_["wait"], digits=7)


def test_coarse_bins_keep_the_knots_within_their_stated_width(wide, monkeypatch):
    monkeypatch.setattr("synth.fit.summaries.MAX_BINS", 1_000)  # coarse bins: about 40 values a bin
    cfg = FitConfig(seed=2, sample_rows=5_000, trees=False)
    fitted = DatasetFitter(cfg, partition_rows=1_000).fit(wide["cut"], name="t")
    again = DatasetFitter(cfg, partition_rows=1).fit(wide["one"], name="t")
    assert fitted.to_yaml() == again.to_yaml()
    width = fitted.binned_["wait"]
    local = _entries(SchemaFitter(FitConfig(seed=2, trees=False)).fit(wide["df"], name="t").spec_)["wait"]
    parted = _entries(fitted.spec_)["wait"]
    assert local["distribution"] == parted["distribution"] == "quantiles" and 2 ** -12 < width <= 2 ** -6
    _assert_knots_within(parted["quantiles"], local["quantiles"], width, digits=7)
    for end in ("min", "max"):  # the range ends at the k-th values, kept exactly
        assert parted[end] == local[end]


# --- rules: found on the sample, checked on every row -------------------------------------------------------------------
def test_rules_found_on_the_sample_are_checked_on_every_row(world, tmp_path):
    df, seed = world["df"].copy(), 4
    whole = TableSummary.merge([summarize(df.iloc[i * 8_000:(i + 1) * 8_000].reset_index(drop=True), i * 8_000, seed,
                                          4_000) for i in range(3)])
    sampled = set(whole.sample["_row"])
    outside = np.array([r for r in range(ROWS) if r not in sampled])[::100][:100]
    df.loc[outside, "total"] += 1  # the formula fails on 100 rows, none of them in the sample
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "broken.parquet", row_group_size=8_000)
    fitted = DatasetFitter(FitConfig(seed=seed, sample_rows=4_000, trees=False), partition_rows=8_000).fit(
        tmp_path / "broken.parquet", name="sales")
    entries = _entries(fitted.spec_)
    assert entries["total"]["kind"] == "expression"  # held on every sampled row
    assert entries["total"]["description"] == ("total = round(items * price, 1) held on 99.58% of the real rows "
                                               "(all 24,000 checked)")
    assert entries["size_facts"]["description"].startswith("values that go with each size on 100.00% of the real rows")
    assert fitted.notes_ == ["total: found on the sample, but holds on only 99.58% of all rows (under 99.9%): review it"]


def test_a_lookups_rows_are_counted_by_key_whatever_the_types():
    from synth.fit.summaries import LookupRule

    rule = LookupRule("k_facts", "k", ["name", "flag"],
                      pd.DataFrame({"k": [1, 2], "name": ["a", None], "flag": [True, False]}))
    frame = pd.DataFrame({"k": [1, 1, 2, 2, 3, None], "name": pd.Categorical(["a", "b", None, "x", "a", "a"]),
                          "flag": [True, True, False, False, True, True]})
    assert rule.count(frame) == (4, 2)  # k=1: 'a' holds, 'b' does not; k=2: missing holds, 'x' does not; 3: unlisted


# --- a holdout kept back from a partitioned fit ---------------------------------------------------------------------
def test_a_holdout_is_the_same_rows_whatever_the_partitioning_and_the_fit_never_sees_them(world, dask_client, tmp_path):
    from synth.fit.dataset import Holdout

    df = world["df"]
    cfg = FitConfig(seed=3, sample_rows=30_000, trees=False)
    runs = {}
    for name, fitter in (("local", DatasetFitter(cfg, partition_rows=5_000)),
                         ("dask", DatasetFitter(cfg, engine="dask", scheduler=dask_client, partition_rows=9_000))):
        fitter.fit(world["folder"], name="sales", holdout_out=f"{tmp_path / name}/", holdout_share=0.25)
        held = pd.read_parquet(tmp_path / name)
        assert (tmp_path / name / "_SUCCESS").exists() and len(held) == fitter.holdout_rows_
        runs[name] = (fitter, held)
    (local, held), (on_dask, held_dask) = runs["local"], runs["dask"]
    pd.testing.assert_frame_equal(held.reset_index(drop=True), held_dask.reset_index(drop=True))
    assert on_dask.to_yaml() == local.to_yaml()  # the training rows are the same rows too
    expected = Holdout(0.25, seed=3).held(0, ROWS)
    pd.testing.assert_frame_equal(held.reset_index(drop=True), df[expected].reset_index(drop=True), check_dtype=False)
    assert 0.23 < len(held) / ROWS < 0.27 and local.rows_ == ROWS - len(held)
    # the fit learned from the other rows only: the same schema as a partitioned fit of the training rows alone
    train = tmp_path / "train"
    train.mkdir()
    pq.write_table(pa.Table.from_pandas(df[~expected], preserve_index=False), train / "part-00000.parquet")
    alone = DatasetFitter(cfg.model_copy(update={"sample_rows": 30_000})).fit(train, name="sales")
    assert _entries(alone.spec_)["shop"] == _entries(local.spec_)["shop"] and alone.rows_ == local.rows_


def test_the_command_keeps_a_holdout_on_dask_and_the_audit_reads_it(world, dask_client, tmp_path):
    address = dask_client.scheduler.address
    out, hold = tmp_path / "twin.yaml", f"{tmp_path / 'hold'}/"
    result = CliRunner().invoke(app, ["fit", f"{world['folder']}/", "--engine", "dask", "--scheduler", address,
                                      "--out", str(out), "--seed", "3", "--no-trees", "--holdout-out", hold, "--json"])
    assert result.exit_code == 0, result.output
    import json

    summary = json.loads(result.stdout)
    assert summary["holdout_rows"] == len(pd.read_parquet(hold)) and summary["rows"] + summary["holdout_rows"] == ROWS
    # a failed fit leaves no holdout under its name
    bad = CliRunner().invoke(app, ["fit", f"{world['folder']}/", "--engine", "dask", "--scheduler", address,
                                   "--out", str(tmp_path / "t.yaml"), "--holdout-out", f"{tmp_path / 'hold2'}/",
                                   "--holdout-share", "1.5"])
    assert bad.exit_code == 2 and not (tmp_path / "hold2").exists() and bad.stderr.count("\n") == 1, bad.stderr
    for where, said in ((str(tmp_path / "hold.csv"), "end it with /"), (f"{tmp_path}/no/such/hold/", "does not exist")):
        bad = CliRunner().invoke(app, ["fit", f"{world['folder']}/", "--engine", "dask", "--scheduler", address,
                                       "--out", str(tmp_path / "t.yaml"), "--holdout-out", where])
        assert bad.exit_code == 2 and bad.stderr.startswith(f"error: --holdout-out {where.rstrip('/')}") and said in bad.stderr
        assert bad.stderr.count("\n") == 1 and not (tmp_path / "t.yaml").exists(), bad.stderr
