"""Privacy tests over partitions of the synthetic rows (audit/evidence.py) and on Dask (audit/cluster.py): the same
numbers, verdicts and exit codes as the local audit, on a planted 5% copies case, a clean one and shuffled rows.

Kept small: 2,400 training, 800 holdout and 2,000 synthetic rows; one module-scoped LocalCluster of 2 workers,
partitions of a few hundred rows (so every test cuts the synthetic rows into several partitions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import audit
from audit.data import Encoding, align
from audit.evidence import Evidence, LocalShards, Reference, Shard, Summary, order_statistics
from synth.cli import app

SHARED = Path("/work/shared/data")


def people(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 90, rows),
        "income": rng.lognormal(10, 0.6, rows).round(0),
        "score": rng.normal(0, 1, rows).round(2),
        "region": rng.choice(["north", "south", "east", "west"], rows),
        "member": rng.choice(["yes", "no"], rows, p=[0.3, 0.7]),
        "email": [f"user{i}@example.org" for i in rng.integers(0, 10**7, rows)],  # an identifier: replay is checked
    })


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("world")
    train, holdout, fresh = people(2400, 1), people(800, 2), people(2000, 3)
    leaky = pd.concat([fresh.iloc[100:], train.sample(n=100, random_state=0)], ignore_index=True)  # 5% copied rows
    out: dict[str, object] = {"train": train, "holdout": holdout, "fresh": fresh, "leaky": leaky}
    for name, frame in (("train", train), ("holdout", holdout)):
        frame.to_csv(folder / f"{name}.csv", index=False)
        out[f"{name}.csv"] = folder / f"{name}.csv"
    for name, frame in (("fresh", fresh), ("leaky", leaky)):
        frame.to_parquet(folder / f"{name}.parquet", row_group_size=300, index=False)  # 7 row groups
        dataset = folder / name
        dataset.mkdir()
        for i, start in enumerate(range(0, len(frame), 700)):  # a dataset folder of 3 part files
            frame.iloc[start:start + 700].to_parquet(dataset / f"part-{i:05d}.parquet", index=False)
        (dataset / "_SUCCESS").touch()
        out[f"{name}.parquet"], out[f"{name}/"] = folder / f"{name}.parquet", dataset
    return out


def privacy(result: audit.AuditResult) -> list[dict]:
    return [m.to_dict() for m in result.metrics if m.section == "privacy"]


# --- partitions, without a cluster ---------------------------------------------------------------------------------
def test_the_evidence_does_not_depend_on_how_the_synthetic_rows_are_cut_or_ordered(world):
    t = align(world["train"], world["leaky"], world["holdout"])
    reference = Reference(t, Encoding.fit(t), seed=0)
    whole = Evidence(reference, [reference.scan(t.synthetic)])
    shuffled = t.synthetic.sample(frac=1, random_state=7).reset_index(drop=True)
    cut = Evidence(reference, [reference.scan(shuffled.iloc[i:i + 333]) for i in range(0, len(shuffled), 333)])
    for name in whole.summary.tables:
        pd.testing.assert_frame_equal(whole.summary.tables[name], cut.summary.tables[name])
    assert whole.summary.counts == cut.summary.counts
    for name in ("capped_train", "capped_hold"):
        assert whole.median(name) == cut.median(name) == np.median(whole.shards[0].values[name])
    near = whole.shards[0].values["near_distances"]
    expected = {q: float(np.quantile(near, q)) for q in (0.1, 0.5, 0.9)}
    assert whole.quantiles("near_distances", (0.1, 0.5, 0.9)) == cut.quantiles("near_distances", (0.1, 0.5, 0.9)) == expected
    for name in ("members", "others"):
        assert np.array_equal(whole.summary.minima[name], cut.summary.minima[name])


def test_the_evidence_does_not_depend_on_how_the_real_rows_are_cut(world):
    train = pd.concat([world["train"], world["train"].iloc[:300]], ignore_index=True)  # equal rows in different shards: ties
    t = align(train, world["leaky"], world["holdout"])
    encoding = Encoding.fit(t)
    whole = Reference(t, encoding, seed=0, sensitive=["member"], shard_rows=None)
    cut = Reference(t, encoding, seed=0, sensitive=["member"], shard_rows=700, keep=False)  # 4 training, 2 holdout shards
    assert [len(cut.sides[s]) for s in ("train", "hold")] == [4, 2] and [len(whole.sides[s]) for s in ("train", "hold")] == [1, 1]
    assert whole.near_kappa == cut.near_kappa > 0
    assert whole.landing == cut.landing and whole.landing["dcr5"].hold_on_train > 0  # the population's rates, shard by shard
    a, b = (Evidence(r, [r.scan(t.synthetic.iloc[i:i + 900]) for i in range(0, 2000, 900)]) for r in (whole, cut))
    for name in a.summary.tables:
        pd.testing.assert_frame_equal(a.summary.tables[name], b.summary.tables[name])
    assert a.summary.counts == b.summary.counts and a.summary.counts["landing_train:exact"] > 0
    for name in a.summary.histograms:
        assert np.array_equal(a.summary.histograms[name], b.summary.histograms[name])
    for name in ("capped_train", "capped_hold"):
        assert a.median(name) == b.median(name)
    assert all(shard._index is None for shards in cut.sides.values() for shard in shards)  # not kept: dropped after use


def test_order_statistics_are_exact_with_ties_zeros_and_empty_partitions():
    rng = np.random.default_rng(0)
    values = np.r_[np.zeros(50), rng.random(997), np.full(30, 0.25), np.ones(20)]
    rng.shuffle(values)
    pieces = np.split(values, [0, 100, 100, 600])  # two empty partitions among them
    shards = LocalShards(Shard(Summary(), {"d": piece}) for piece in pieces)
    ranks = [0, 49, 50, 500, len(values) - 1]
    assert order_statistics(shards, [("d", k) for k in ranks]) == np.sort(values)[ranks].tolist()


# --- on a Dask cluster ---------------------------------------------------------------------------------------------
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        client.run(__import__, "audit.evidence")  # both workers import the audit package at once (seconds)
        yield cluster, client


@pytest.mark.parametrize("synthetic, rows, real_shard_rows", [("leaky.parquet", 500, 1000), ("leaky/", 500, None),
                                                               ("fresh.parquet", 10**6, 700)])
def test_dask_privacy_equals_the_local_audit_number_for_number(world, cluster, synthetic, rows, real_shard_rows):
    from audit.cluster import DaskEngine

    frame = world[synthetic.rstrip("/").replace(".parquet", "")]
    options = {"seed": 0, "sections": ["privacy"], "sensitive": ["member"] if synthetic.endswith("/") else []}
    local = audit.run(world["train"], frame, holdout=world["holdout"], **options)  # the real rows in one shard
    engine = DaskEngine(world[synthetic], scheduler=cluster[1], partition_rows=rows, real_shard_rows=real_shard_rows)
    on_dask = audit.run(world["train"], frame, holdout=world["holdout"], engine=engine, **options)
    assert len(engine.parts) == (1 if rows > 2000 else 3 if synthetic.endswith("/") else 4)
    assert json.dumps(privacy(on_dask)) == json.dumps(privacy(local))  # every number, verdict and sentence
    assert on_dask.failures == local.failures and on_dask.privacy_verdict == local.privacy_verdict
    assert any("on Dask" in note for note in on_dask.notes) and on_dask.to_dict()["inputs"]["engine"] == "DaskEngine"
    if real_shard_rows is not None:  # 2,400 training rows: 3 shards of up to 1,000 rows, or 4 of 700 (and 2 holdout shards)
        shards = {1000: "3 training and 1 holdout shards", 700: "4 training and 2 holdout shards"}[real_shard_rows]
        assert any(shards in note for note in on_dask.notes), on_dask.notes
    if "leaky" in synthetic:  # the planted 5% copies fail, as they do locally
        assert on_dask.metric("exact_copies").details["verdict"] == "fail" and not on_dask.passed


def report(result: audit.AuditResult) -> str:
    """The whole report but the notes (the Dask engine says where it ran), the engine's name and the seconds."""
    data = result.to_dict()
    data["inputs"].pop("engine")
    for key in ("notes", "seconds"):
        data.pop(key)
    return json.dumps(data)


@pytest.mark.parametrize("synthetic, sample_rows", [("leaky/", 700), ("fresh.parquet", 10**6)])
def test_the_whole_dask_audit_equals_the_local_one_and_the_client_holds_only_the_sample(world, cluster, synthetic, sample_rows,
                                                                                         monkeypatch):
    from audit.cluster import DaskEngine

    def read_again(self, positions):
        raise AssertionError("the sample is taken in the scan's read of each partition, not read again")

    monkeypatch.setattr(DaskEngine, "sample", read_again)
    frame = world[synthetic.rstrip("/").replace(".parquet", "")]
    options = {"seed": 3, "target": "income", "sensitive": ["member"], "sample_rows": sample_rows}
    local = audit.run(world["train"], frame, holdout=world["holdout"], **options)
    engine = DaskEngine(world[synthetic], scheduler=cluster[1], partition_rows=500, real_shard_rows=1000)  # 3 training shards
    on_dask = audit.run(world["train"], None, holdout=world["holdout"], engine=engine, **options)  # SYNTHETIC not read here
    assert len(engine.parts) >= 3
    assert report(on_dask) == report(local)  # fidelity, utility, privacy, column statistics: every number and verdict
    assert len(on_dask.tables.synthetic) == min(sample_rows, len(frame)) and on_dask.tables.synthetic_count == len(frame)
    assert any("each read once, sampled for the metrics that do not merge, summarised for the fidelity metrics and "
               "scanned against" in n for n in on_dask.notes), on_dask.notes
    if synthetic == "leaky/":  # above the bound: the sample is said; the planted 5% copies fail on both engines
        assert any("sample of 700" in n for n in on_dask.notes) and any("sample of 700" in n for n in local.notes)
        assert on_dask.metric("exact_copies").details["verdict"] == "fail" and not on_dask.passed and not local.passed
    else:
        assert on_dask.metric("exact_copies").details["verdict"] == "pass"


def test_the_command_on_dask_gives_the_local_report_and_exit_code(world, cluster, tmp_path, monkeypatch):
    import synth.commands.audit as command

    read = []
    original = command.read_table
    monkeypatch.setattr(command, "read_table", lambda address, **kw: read.append(str(address)) or original(address, **kw))
    runner = CliRunner()
    address = cluster[0].scheduler_address
    base = [str(world["train.csv"]), str(world["leaky/"]), "--holdout", str(world["holdout.csv"]), "-q", "--sample-rows", "900"]
    local = runner.invoke(app, ["audit", *base, "--json", str(tmp_path / "local.json")])
    assert str(world["leaky/"]) in read
    read.clear()
    on_dask = runner.invoke(app, ["audit", *base, "--json", str(tmp_path / "dask.json"), "--engine", "dask",
                                  "--scheduler", address, "--real-shard-rows", "1000"])  # 3 training shards
    assert str(world["leaky/"]) not in read and len(read) == 2  # the client read the real and holdout tables only
    assert local.exit_code == on_dask.exit_code == 1, on_dask.output  # the planted copies fail the audit
    reports = [json.loads((tmp_path / f"{name}.json").read_text()) for name in ("local", "dask")]
    assert any("3 training and 1 holdout shards" in note for note in reports[1]["notes"])
    for r in reports:
        r["inputs"].pop("engine"), r.pop("notes"), r.pop("seconds")
    assert reports[1] == reports[0]  # every section's numbers, verdicts and column statistics
    assert reports[1]["privacy_verdict"] == "failed" and reports[1]["inputs"]["synthetic_rows"] == 2000


@pytest.mark.parametrize("args, message", [
    (["SYN_CSV", "--engine", "dask"], "--engine dask reads Parquet (a .parquet file or a dataset folder), not CSV"),
    (["SYN_MISSING", "--engine", "dask"], "no such file"),
    (["SYN", "--engine", "spark"], "--engine 'spark': use one of local, dask"),
    (["SYN", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --engine dask"),
    (["SYN", "--real-shard-rows", "10"], "--real-shard-rows is for --engine dask"),
])
def test_dask_audit_refusals_are_one_line_and_exit_2(world, tmp_path, args, message):
    given = {"SYN_CSV": str(world["train.csv"]), "SYN_MISSING": str(tmp_path / "nothing.parquet"), "SYN": str(world["leaky/"])}
    args = [given.get(a, a) for a in args]
    result = CliRunner().invoke(app, ["audit", str(world["train.csv"]), *args, "--holdout", str(world["holdout.csv"]),
                                      "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "r.json").exists()


def test_an_unreachable_scheduler_is_one_line_before_any_table_is_read(world, tmp_path, monkeypatch):
    import socket

    import synth.cluster

    monkeypatch.setattr(synth.cluster, "CONNECT_TIMEOUT", 1.0)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    result = CliRunner().invoke(app, ["audit", str(tmp_path / "not-read.csv"), str(world["leaky/"]), "--holdout",
                                      str(world["holdout.csv"]), "--engine", "dask", "--scheduler", address])
    assert result.exit_code == 2
    assert result.stderr == f"error: dask scheduler {address}: cannot connect: no Dask scheduler answered within 1 s\n"


@pytest.mark.skipif(not (SHARED / "penguins.csv").exists(), reason="needs /work/shared/data")
def test_real_penguins_with_copies_on_dask_equal_local(cluster, tmp_path):
    from audit.cluster import DaskEngine
    from synth.tables import read_table, split_holdout

    train, holdout = split_holdout(read_table(SHARED / "penguins.csv"), 0.2, seed=0)
    synthetic = pd.concat([train, train.sample(n=40, random_state=1)], ignore_index=True).sample(frac=1, random_state=2)
    synthetic.to_parquet(tmp_path / "s.parquet", row_group_size=64, index=False)
    synthetic = read_table(tmp_path / "s.parquet")
    local = audit.run(train, synthetic, holdout=holdout, sections=["privacy"])
    engine = DaskEngine(tmp_path / "s.parquet", scheduler=cluster[1], partition_rows=64)
    on_dask = audit.run(train, synthetic, holdout=holdout, sections=["privacy"], engine=engine)
    assert json.dumps(privacy(on_dask)) == json.dumps(privacy(local))


# --- a partitioned real table: profiled and summarised on the workers ----------------------------------------------
@pytest.fixture(scope="module")
def real_dataset(world, tmp_path_factory) -> Path:
    """The 2,400 training rows as a dataset folder of 8 part files (300 rows each)."""
    folder = tmp_path_factory.mktemp("real") / "train"
    folder.mkdir()
    for i, start in enumerate(range(0, 2400, 300)):
        world["train"].iloc[start:start + 300].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder


@pytest.mark.parametrize("sample_rows, holdout", [(10**6, False), (700, True)])
def test_a_parquet_real_table_is_read_whole_when_small_or_with_a_holdout_and_gives_the_local_report(
        world, cluster, real_dataset, monkeypatch, sample_rows, holdout):
    from audit.cluster import DaskEngine

    taken = []
    original = DaskEngine.real_sample
    monkeypatch.setattr(DaskEngine, "real_sample", lambda self, positions: taken.append(positions) or original(self, positions))
    options = {"seed": 3, "target": "income", "sample_rows": sample_rows, "holdout": world["holdout"] if holdout else None}
    local = audit.run(world["train"], world["leaky"], **options)
    engine = DaskEngine(world["leaky/"], scheduler=cluster[1], partition_rows=500, real=real_dataset)
    on_dask = audit.run(None, None, engine=engine, **options)
    assert taken == [None] and len(on_dask.tables.real) == 2400  # every real row, here: the privacy reference needs them
    assert report(on_dask) == report(local)
    said = "the privacy tests' reference reads every real row" if holdout else "there are no more than --sample-rows"
    assert any("were read whole into this machine: " + said in n for n in on_dask.notes), on_dask.notes


def test_a_partitioned_real_table_gives_the_local_report_and_the_client_holds_only_its_sample(world, cluster, real_dataset,
                                                                                              monkeypatch):
    from audit.cluster import DaskEngine

    taken = []  # every real row this process receives goes through real_sample
    original = DaskEngine.real_sample
    monkeypatch.setattr(DaskEngine, "real_sample", lambda self, positions: taken.append(positions) or original(self, positions))
    options = {"seed": 3, "target": "income", "sample_rows": 700}
    local = audit.run(world["train"], world["leaky"], **options)  # no holdout: the real table may be partitioned
    engine = DaskEngine(world["leaky/"], scheduler=cluster[1], partition_rows=500, real=real_dataset)
    on_dask = audit.run(None, None, engine=engine, **options)  # neither table read here
    assert len(engine.real_parts) == 8 and engine.real_rows == 2400
    assert [len(p) for p in taken] == [700]  # one sample of 700 of the 2,400 real rows, never every row
    assert len(on_dask.tables.real) == 700 and on_dask.tables.real_count == 2400
    assert report(on_dask) == report(local)  # fidelity, utility, the skipped privacy tests' counts, column statistics
    assert on_dask.to_dict()["inputs"]["real_rows"] == 2400
    # the real side's summaries are every real row's: the means and medians of the whole training table
    assert on_dask.statistics["income"]["real"]["mean"] == pytest.approx(world["train"]["income"].mean(), rel=1e-12)
    assert on_dask.statistics["income"]["real"]["median"] == world["train"]["income"].median()
    copies = on_dask.metric("exact_copies").details["synthetic_rows_equal_to_a_training_row"]
    assert copies == local.metric("exact_copies").details["synthetic_rows_equal_to_a_training_row"] > 0  # leaky's copies
    assert any("The real rows were read on Dask: 8 partitions" in n for n in on_dask.notes), on_dask.notes
    assert any("2,400 real rows: Spearman correlations" in n and "sample of 700" in n for n in on_dask.notes)


def test_the_command_with_a_parquet_real_table_reads_neither_table_here(world, cluster, real_dataset, tmp_path, monkeypatch):
    import synth.commands.audit as command

    read = []
    original = command.read_table
    monkeypatch.setattr(command, "read_table", lambda address, **kw: read.append(str(address)) or original(address, **kw))
    runner = CliRunner()
    base = [str(world["leaky/"]), "-q", "--sample-rows", "900", "--allow-no-holdout", "--target", "income"]
    local = runner.invoke(app, ["audit", str(world["train.csv"]), *base, "--json", str(tmp_path / "local.json")])
    read.clear()
    on_dask = runner.invoke(app, ["audit", str(real_dataset), *base, "--json", str(tmp_path / "dask.json"), "--engine", "dask",
                                  "--scheduler", cluster[0].scheduler_address])
    assert read == []  # the real and synthetic rows were read by the workers only
    assert local.exit_code == on_dask.exit_code == 0, on_dask.output
    reports = [json.loads((tmp_path / f"{name}.json").read_text()) for name in ("local", "dask")]
    assert any("The real rows were read on Dask" in n for n in reports[1]["notes"])
    for r in reports:
        r["inputs"].pop("engine"), r.pop("notes"), r.pop("seconds")
    assert reports[1] == reports[0]


@pytest.mark.parametrize("damage, message", [("garbage", "cannot read as Parquet"),
                                             ("column", "its columns differ from those of ")])
def test_a_bad_real_part_is_one_line_naming_the_file_and_exit_2(world, cluster, real_dataset, tmp_path, damage, message):
    import shutil

    folder = tmp_path / "train"
    shutil.copytree(real_dataset, folder)
    bad = folder / "part-00005.parquet"
    if damage == "garbage":
        bad.write_bytes(b"not parquet at all")
    else:
        world["train"].iloc[:300].assign(extra=1).to_parquet(bad, index=False)
    result = CliRunner().invoke(app, ["audit", str(folder), str(world["leaky/"]), "--engine", "dask", "--scheduler",
                                      cluster[0].scheduler_address, "--sample-rows", "700", "--allow-no-holdout",
                                      "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {bad}: ") and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert damage == "garbage" or result.stderr.endswith("part-00000.parquet: extra 'extra'\n")
    assert not (tmp_path / "r.json").exists()
