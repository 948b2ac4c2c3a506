"""Benchmark: ``synth fit`` of a multi-million-row Parquet dataset, one machine against partition by partition, in the
same run.

A coffee-sales twin (``schemas/coffee.yaml``, ``--rows`` rows) is written as a Parquet dataset folder (part files of
1,000,000 rows); then, each in a process of its own so that its peak memory is its own (``ru_maxrss``):

- ``whole``: ``SchemaFitter`` on the table read whole into memory (what ``synth fit data.parquet`` does);
- ``parts``: ``DatasetFitter(engine="local")``: the same summaries, the partitions one after another in one process;
- ``dask``:  ``DatasetFitter(engine="dask")`` on a LocalCluster of ``--workers`` processes (its start timed apart);
  the peak memory is the client's (the workers are processes of their own).

It reports seconds, the ratio to ``whole``, the client's peak memory, and checks what must agree: the category
counts and missing shares of the columns learned from every row equal the whole fit's counts where both learned
the column the same way, and both schemas generate.

    OMP_NUM_THREADS=1 python bench/bench_fit_dask.py                   # 5M rows
    OMP_NUM_THREADS=1 python bench/bench_fit_dask.py --rows 20000000
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


def _one(mode: str, folder: str, workers: int, out: str) -> None:
    """One fit in this process; prints a JSON line of seconds and peak memory."""
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from synth.fit import FitConfig, SchemaFitter
    from synth.fit.dataset import DatasetFitter

    cfg = FitConfig(seed=0)
    started = time.perf_counter()
    extra: dict = {}
    if mode == "whole":
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
    parser.add_argument("--one", nargs=3, metavar=("MODE", "FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return _one(args.one[0], args.one[1], args.workers, args.one[2])

    import synth
    import yaml

    work = Path(tempfile.mkdtemp(prefix="bench_fit_dask-", dir=args.workdir))
    try:
        folder = work / "coffee"
        started = time.perf_counter()
        synth.write(str(COFFEE), f"{folder}/", rows=args.rows, seed=7)
        print(f"wrote {args.rows:,} coffee rows as {len(list(folder.glob('part-*')))} parts in "
              f"{time.perf_counter() - started:.1f}s", flush=True)
        results, schemas = {}, {}
        for mode in ("whole", "parts", "dask"):
            out = work / f"{mode}.yaml"
            line = subprocess.run([sys.executable, __file__, "--workers", str(args.workers), "--one", mode, str(folder),
                                   str(out)], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            results[mode] = json.loads(line)
            schemas[mode] = yaml.safe_load(out.read_text())
            print(line, flush=True)
        base = results["whole"]["seconds"]
        load = os.getloadavg()[0]
        print(f"\n{args.rows:,} rows, load {load:.1f}")
        print("| run | seconds | vs whole | client peak MB |")
        print("|---|---|---|---|")
        for mode, r in results.items():
            print(f"| {mode} | {r['seconds']:.1f} | {base / r['seconds']:.2f}x | {r['peak_mb']:,} |")
        if "start_s" in results["dask"]:
            print(f"(the LocalCluster started and warmed in {results['dask']['start_s']} s, apart)")
        # What must agree: a category column learned from every row has the whole fit's counts.
        whole = {e["name"]: e for e in schemas["whole"]["columns"]}
        for mode in ("parts", "dask"):
            entries = {e["name"]: e for e in schemas[mode]["columns"]}
            for name, e in entries.items():
                w = whole.get(name)
                if e.get("kind") == "choice" and w and w.get("kind") == "choice":
                    assert e["values"] == w["values"], (mode, name)
                    assert e.get("nulls") == w.get("nulls"), (mode, name)
            synth.generate(synth.Schema.from_dict(schemas[mode]), rows=1_000, seed=1)
        print("category counts of the partitioned fits equal the whole fit's; all three schemas generate")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
