"""Benchmark: the privacy tests of ``synth audit`` on one process against ``--engine dask``, in the same run.

A coffee-sales twin (``schemas/coffee.yaml``): ``--real`` training rows and a quarter as many holdout rows (other
seeds), and ``--rows`` synthetic rows written as a Parquet dataset folder (part files of 1,000,000 rows), with
``--copies`` of them (default 1%) replaced by training rows, so the exact-copies test has something to find.

- ``local``:  ``audit.run(real, synthetic, holdout, sections=["privacy"])``, the synthetic rows in this process;
- ``dask-2``: the same with ``engine=audit.cluster.DaskEngine(folder, scheduler=client)`` on a LocalCluster of
  2 worker processes (started and warmed apart: ``start s``), one task per part file.

Both read nothing inside the timing (the tables are read before; reading the 20 synthetic parts is timed apart
as ``read s``). The privacy metrics must be identical (every number, verdict and sentence) or the benchmark
fails. The two alternate (local, dask, local, ...) so load hits both alike; best of ``--repeat``; the ratio is
local seconds / dask seconds, measured in the same run.

    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py                        # 5M synthetic rows, 200,000 real
    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py --rows 20000000 --repeat 1
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread per process, as the workers have

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="synthetic rows")
    parser.add_argument("--real", type=int, default=200_000, help="training rows (the holdout is a quarter of this)")
    parser.add_argument("--copies", type=float, default=0.01, help="share of synthetic rows replaced by training rows")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the dataset goes (default: a temporary folder)")
    args = parser.parse_args()

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    import audit
    import synth
    from audit.cluster import DaskEngine
    from synth.tables import read_table

    logging.getLogger("distributed").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="bench_audit_dask-", dir=args.workdir))
    try:
        schema = synth.load_schema(COFFEE)
        real_path, holdout_path = work / "real.parquet", work / "holdout.parquet"
        synth.write(schema, real_path, rows=args.real, seed=1)
        synth.write(schema, holdout_path, rows=args.real // 4, seed=2)
        started = time.perf_counter()
        synth.write(schema, f"{work / 'synthetic'}/", rows=args.rows, seed=3)
        # plant copies: in each part, the same share of rows replaced by training rows (the same Arrow types)
        donors_table = pq.read_table(real_path)
        rng = np.random.default_rng(0)
        copied = 0
        for part in sorted((work / "synthetic").glob("part-*.parquet")):
            table = pq.read_table(part)
            n = round(args.copies * table.num_rows)
            keep = np.ones(table.num_rows, bool)
            keep[rng.choice(table.num_rows, n, replace=False)] = False
            donors = donors_table.take(pa.array(rng.choice(donors_table.num_rows, n, replace=False)))
            pq.write_table(pa.concat_tables([table.filter(pa.array(keep)), donors.cast(table.schema)]), part)
            copied += n
        made = time.perf_counter() - started
        started = time.perf_counter()
        synthetic = read_table(f"{work / 'synthetic'}/")
        read = time.perf_counter() - started
        train, holdout = read_table(real_path), read_table(holdout_path)  # as the command reads them
        print(f"{args.rows:,} synthetic rows ({copied:,} copied) made in {made:.1f} s, read in {read:.1f} s; "
              f"{len(train):,} training and {len(holdout):,} holdout rows", flush=True)

        started = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"})
        client = Client(cluster, set_as_default=False)
        client.run(__import__, "audit.evidence")  # the workers import the audit package once
        start = time.perf_counter() - started

        best: dict[str, float] = {}
        results = {}
        load_before = os.getloadavg()
        try:
            for run in range(args.repeat):
                for name in ("local", "dask"):
                    engine = DaskEngine(f"{work / 'synthetic'}/", scheduler=client) if name == "dask" else None
                    started = time.perf_counter()
                    result = audit.run(train, synthetic, holdout=holdout, sections=["privacy"], engine=engine)
                    seconds = time.perf_counter() - started
                    best[name] = min(best.get(name, seconds), seconds)
                    results[name] = [m.to_dict() for m in result.metrics]
                    print(f"run {run + 1} {name}: {seconds:.1f} s; exact_copies {result.metric('exact_copies').raw:.4f} "
                          f"({result.metric('exact_copies').details['verdict']}), privacy {result.privacy_verdict}", flush=True)
        finally:
            client.close()
            cluster.close()
        load_after = os.getloadavg()
        if json.dumps(results["local"]) != json.dumps(results["dask"]):
            raise SystemExit("the privacy metrics on Dask differ from the local audit's")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        parts = len(list((work / "synthetic").glob("part-*.parquet")))
        print(f"\n{args.rows:,} synthetic rows in {parts} parts against {len(train):,} training + {len(holdout):,} holdout rows; "
              f"best of {args.repeat}; {os.cpu_count()} cores, load {load_before[0]:.1f} before, {load_after[0]:.1f} after")
        print(f"{'engine':<8} {'seconds':>8} {'rows/s':>12} {'vs local':>9} {'start s':>8}")
        for name in ("local", "dask"):
            label = name if name == "local" else f"dask-{args.workers}"
            print(f"{label:<8} {best[name]:>8.1f} {args.rows / best[name]:>12,.0f} {best['local'] / best[name]:>9.2f} "
                  f"{start if name == 'dask' else float('nan'):>8.1f}")
        print(f"privacy metrics identical: yes; this process's peak memory {peak:,.0f} MB (it holds the synthetic rows for "
              "the local run)")
        print(json.dumps({"rows": args.rows, "real": len(train), "holdout": len(holdout), "copied": copied, "parts": parts,
                          "seconds": best, "start_seconds": start, "read_seconds": read,
                          "load": [load_before[0], load_after[0]], "cores": os.cpu_count()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
