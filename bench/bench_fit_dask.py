"""Benchmark: ``synth fit`` of a multi-million-row Parquet dataset, one machine against partition by partition, in the
same run.

A coffee-sales twin (``schemas/coffee.yaml``, ``--rows`` rows) is written as a Parquet dataset folder (part files of
1,000,000 rows); then, each in a process of its own so that its peak memory is its own (``ru_maxrss``):

- ``whole``: ``SchemaFitter`` on the table read whole into memory (what ``synth fit data.parquet`` does);
- ``parts``: ``DatasetFitter(engine="local")``: the same summaries, the partitions one after another in one process;
- ``dask``:  ``DatasetFitter(engine="dask")`` on a LocalCluster of ``--workers`` processes (its start timed apart);
  the peak memory is the client's (the workers are processes of their own).

It reports seconds, the ratio to ``whole``, the client's peak memory, and checks what must agree: the partitioned
fits' schemas are the same bytes (every summary merges exactly), the category counts and missing shares of the
columns learned from every row equal the whole fit's counts where both learned the column the same way, and all
schemas generate. ``--skip-whole``: only the partitioned fits (when the table does not fit in memory).

``--partitions 10 100`` measures instead how the Dask client's memory grows with the number of partitions: the
same ``--rows`` rows as one Parquet file of ``rows / max(partitions)``-row groups, fitted once per count of
partitions, each fit a client process of its own against a LocalCluster running in another process (so that
the scheduler's memory is not the client's), with pass 1 merged by the tree of merge tasks on the workers and,
for comparison, gathered and merged on the client; its peak after pass 1 and in all; the schemas must be the
same bytes.

    OMP_NUM_THREADS=1 python bench/bench_fit_dask.py                   # 5M rows
    OMP_NUM_THREADS=1 python bench/bench_fit_dask.py --rows 20000000
    OMP_NUM_THREADS=1 python bench/bench_fit_dask.py --rows 1000000 --partitions 10 30 100
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread per process, as the workers have

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"


def _serve(workers: int) -> None:
    """A LocalCluster in this process until stdin closes; prints its scheduler's address."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR, env={"OMP_NUM_THREADS": "1"}) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()


def _merge_on_the_client() -> None:
    """For comparison: pass 1's summaries gathered and merged on the client (what a tree of merges on the workers
    replaced), every partition's summary held at once."""
    from synth.fit import dataset
    from synth.fit.summaries import TableSummary

    def first(self, parts, args):  # type: ignore[no-untyped-def]
        futures = self.client.map(dataset.first_pass, parts, *[[a] * len(parts) for a in args])
        return TableSummary.merge(self.client.gather(futures))

    dataset.DaskRunner.first = first  # type: ignore[method-assign]


def _one(mode: str, folder: str, workers: int, out: str, partition_rows: int | None = None) -> None:
    """One fit in this process; prints a JSON line of seconds and peak memory."""
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from synth.fit import FitConfig, SchemaFitter
    from synth.fit.dataset import PARTITION_ROWS, DatasetFitter

    cfg = FitConfig(seed=0)
    started = time.perf_counter()
    extra: dict = {}
    if "tcp://" in mode:  # a client of a cluster running elsewhere; "gather@tcp://...": pass 1 merged on the client
        from distributed import Client

        how, _, address = mode.rpartition("@")
        if how == "gather":
            _merge_on_the_client()

        def step(message: str) -> None:  # the client's peak when pass 1 is merged, before the sample is fitted
            if message.startswith("structure from a sample"):
                extra["pass1_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

        with Client(address, set_as_default=False) as client:
            fitter = DatasetFitter(cfg, engine="dask", scheduler=client,
                                   partition_rows=partition_rows or PARTITION_ROWS).fit(folder, name="coffee", progress=step)
            text = fitter.to_yaml()
        extra["partitions"] = fitter.parts_
        mode = how or "tree"
    elif mode == "whole":
        from synth.tables import read_table

        frame = read_table(folder + "/")
        extra["read_s"] = round(time.perf_counter() - started, 2)
        fitter = SchemaFitter(cfg).fit(frame, name="coffee")
        text = fitter.to_yaml()
    elif mode == "parts":
        fitter = DatasetFitter(cfg).fit(folder, name="coffee")
        text = fitter.to_yaml()
    else:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR, env={"OMP_NUM_THREADS": "1"})
        client = Client(cluster, set_as_default=False)
        client.run(lambda: __import__("synth.fit.dataset"))  # warm: imports on the workers
        extra["start_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        fitter = DatasetFitter(cfg, engine="dask", scheduler=client).fit(folder, name="coffee")
        text = fitter.to_yaml()
        client.close()
        cluster.close()
    seconds = time.perf_counter() - started
    Path(out).write_text(text)
    print(json.dumps({"mode": mode, "seconds": round(seconds, 2),
                      "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **extra}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the dataset goes (default: a temporary folder)")
    parser.add_argument("--skip-whole", action="store_true", help="only the partitioned fits")
    parser.add_argument("--whole-timeout", type=float, default=1200, help="seconds the whole-table fit may take")
    parser.add_argument("--partitions", type=int, nargs="+", help="client memory against the number of partitions")
    parser.add_argument("--one", nargs=3, metavar=("MODE", "FOLDER", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--partition-rows", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve(args.workers)
    if args.one:
        return _one(args.one[0], args.one[1], args.workers, args.one[2], args.partition_rows)
    if args.partitions:
        return _client_memory(args)

    import synth
    import yaml

    work = Path(tempfile.mkdtemp(prefix="bench_fit_dask-", dir=args.workdir))
    try:
        folder = work / "coffee"
        started = time.perf_counter()
        synth.write(str(COFFEE), f"{folder}/", rows=args.rows, seed=7)
        print(f"wrote {args.rows:,} coffee rows as {len(list(folder.glob('part-*')))} parts in "
              f"{time.perf_counter() - started:.1f}s", flush=True)
        results, schemas, texts = {}, {}, {}
        for mode in ("parts", "dask") if args.skip_whole else ("whole", "parts", "dask"):
            out = work / f"{mode}.yaml"
            command = [sys.executable, __file__, "--workers", str(args.workers), "--one", mode, str(folder), str(out)]
            try:
                line = subprocess.run(command, check=True, capture_output=True, text=True,
                                      timeout=args.whole_timeout if mode == "whole" else None).stdout.strip().splitlines()[-1]
            except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
                if mode != "whole":
                    raise
                print(f"whole: did not finish ({'over ' + str(args.whole_timeout) + ' s' if isinstance(exc, subprocess.TimeoutExpired) else 'exit ' + str(exc.returncode)}); "
                      f"the partitioned fits only", flush=True)
                continue
            results[mode] = json.loads(line)
            texts[mode] = out.read_text()
            schemas[mode] = yaml.safe_load(texts[mode])
            print(line, flush=True)
        assert texts["parts"] == texts["dask"], "the partitioned fits differ"
        base = results["whole" if "whole" in results else "parts"]["seconds"]
        load = os.getloadavg()[0]
        print(f"\n{args.rows:,} rows, load {load:.1f}")
        print(f"| run | seconds | vs {'whole' if 'whole' in results else 'parts'} | client peak MB |")
        print("|---|---|---|---|")
        for mode, r in results.items():
            print(f"| {mode} | {r['seconds']:.1f} | {base / r['seconds']:.2f}x | {r['peak_mb']:,} |")
        if "start_s" in results["dask"]:
            print(f"(the LocalCluster started and warmed in {results['dask']['start_s']} s, apart)")
        # What must agree: a category column learned from every row has the whole fit's counts.
        whole = {e["name"]: e for e in schemas["whole" if "whole" in schemas else "parts"]["columns"]}
        for mode in ("parts", "dask"):
            entries = {e["name"]: e for e in schemas[mode]["columns"]}
            for name, e in entries.items():
                w = whole.get(name)
                if e.get("kind") == "choice" and w and w.get("kind") == "choice":
                    assert e["values"] == w["values"], (mode, name)
                    assert e.get("nulls") == w.get("nulls"), (mode, name)
            synth.generate(synth.Schema.from_dict(schemas[mode]), rows=1_000, seed=1)
        print("the partitioned fits' schemas are the same bytes; their category counts equal the whole fit's; "
              "all schemas generate")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _client_memory(args: argparse.Namespace) -> None:
    """The Dask client's peak memory and seconds against the number of partitions of the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import synth

    work = Path(tempfile.mkdtemp(prefix="bench_fit_dask-", dir=args.workdir))
    server = None
    try:
        table = work / "coffee.parquet"
        group = max(1, args.rows // max(args.partitions))
        frame = synth.generate(str(COFFEE), rows=args.rows, seed=7)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), table, row_group_size=group)
        del frame
        server = subprocess.Popen([sys.executable, __file__, "--serve", "--workers", str(args.workers)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert server.stdout is not None
        address = server.stdout.readline().strip()
        print(f"{args.rows:,} coffee rows in row groups of {group:,}; cluster of {args.workers} at {address}", flush=True)
        results, texts = [], set()
        for count in args.partitions:
            for how in ("tree", "gather"):
                out = work / f"p{count}-{how}.yaml"
                line = subprocess.run([sys.executable, __file__, "--one", f"{how}@{address}", str(table), str(out),
                                       "--partition-rows", str(max(1, args.rows // count))],
                                      check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
                results.append(json.loads(line))
                texts.add(out.read_text())
                print(line, flush=True)
        print(f"\n{args.rows:,} rows, load {os.getloadavg()[0]:.1f}")
        print("| partitions | pass 1 merged | seconds | client peak MB after pass 1 | client peak MB |")
        print("|---:|---|---:|---:|---:|")
        for r in results:
            where = "on the workers (tree)" if r["mode"] == "tree" else "on the client (gathered)"
            print(f"| {r['partitions']} | {where} | {r['seconds']:.1f} | {r['pass1_peak_mb']:,} | {r['peak_mb']:,} |")
        assert len(texts) == 1, "the schemas differ between partitionings"
        print("the same schema bytes for every number of partitions")
    finally:
        if server is not None:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
