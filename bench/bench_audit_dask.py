"""Benchmark: ``synth audit`` on one process against ``--engine dask``, in the same run: equal reports, and the
client's peak memory as the synthetic table grows.

A coffee-sales twin (``schemas/coffee.yaml``): ``--real`` training rows and a quarter as many holdout rows (other
seeds), and for each of ``--rows`` a synthetic Parquet dataset folder (part files of 1,000,000 rows at most;
``--part-rows`` smaller to get several partitions from few rows), with ``--copies`` of its rows (default 1%)
replaced by training rows, so the exact-copies test has something to find.

Each audit runs in a process of its own (``--child``), so its peak memory (ru_maxrss) is its own:

- ``local``: reads the three tables and runs ``audit.run(real, synthetic, holdout, target="amount")``, every section;
- ``dask-2``: reads the real and holdout tables only and runs the same with ``synthetic=None,
  engine=DaskEngine(folder, scheduler=ADDRESS)`` against a LocalCluster of 2 worker processes started once by the
  parent (its workers' memory is not the client's): the workers read the partitions (one task each) for the
  fidelity summaries, the sample and the privacy scan.

The reports must be equal (every metric, verdict and column statistic; not the notes, which say where the work
ran) or the benchmark fails. Seconds are the whole child process (reading included); the ratio is local / dask,
measured in the same run, the two alternating so load hits both alike.

    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py --rows 100000 200000 400000 --real 5000 --part-rows 100000 --sample-rows 20000
    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py --rows 20000000 --real 200000
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


def child(args: argparse.Namespace) -> None:
    """One audit in this process; prints one JSON line: seconds, peak memory, the report."""
    import audit
    from audit.cluster import DaskEngine
    from synth.tables import read_table

    logging.getLogger("distributed").setLevel(logging.ERROR)
    work = Path(args.child_work)
    started = time.perf_counter()
    train, holdout = read_table(work / "real.parquet"), read_table(work / "holdout.parquet")
    folder = f"{work / args.child_synthetic}/"
    if args.child == "local":
        result = audit.run(train, read_table(folder), holdout=holdout, target="amount", sample_rows=args.sample_rows)
    else:
        from distributed import Client

        with Client(args.child_scheduler, set_as_default=False) as client:
            engine = DaskEngine(folder, scheduler=client)
            result = audit.run(train, None, holdout=holdout, target="amount", engine=engine, sample_rows=args.sample_rows)
    seconds = time.perf_counter() - started
    data = result.to_dict()
    data["inputs"].pop("engine")
    for key in ("notes", "seconds"):
        data.pop(key)
    print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "passed": result.passed, "exact_copies": result.metric("exact_copies").details["verdict"],
                      "report": data}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="synthetic rows (one dataset each)")
    parser.add_argument("--real", type=int, default=200_000, help="training rows (the holdout is a quarter of this)")
    parser.add_argument("--copies", type=float, default=0.01, help="share of synthetic rows replaced by training rows")
    parser.add_argument("--part-rows", type=int, default=1_000_000, help="rows per part file of the synthetic dataset")
    parser.add_argument("--sample-rows", type=int, default=200_000, help="the audit's synthetic sample (synth audit --sample-rows)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the datasets go (default: a temporary folder)")
    parser.add_argument("--child", choices=["local", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--child-work", help=argparse.SUPPRESS)
    parser.add_argument("--child-synthetic", help=argparse.SUPPRESS)
    parser.add_argument("--child-scheduler", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    import subprocess
    import sys

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from distributed import LocalCluster

    import synth

    logging.getLogger("distributed").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="bench_audit_dask-", dir=args.workdir))
    cluster = None
    try:
        schema = synth.load_schema(COFFEE)
        real_path, holdout_path = work / "real.parquet", work / "holdout.parquet"
        synth.write(schema, real_path, rows=args.real, seed=1)
        synth.write(schema, holdout_path, rows=args.real // 4, seed=2)
        donors_table = pq.read_table(real_path)
        made = {}
        for rows in args.rows:
            folder = work / f"synthetic-{rows}"
            synth.write(schema, f"{folder}/", rows=rows, seed=3)
            # plant copies and cut into parts of --part-rows: the same share of each part replaced by training rows
            rng = np.random.default_rng(0)
            whole = pa.concat_tables([pq.read_table(p) for p in sorted(folder.glob("part-*.parquet"))])
            for p in folder.glob("part-*.parquet"):
                p.unlink()
            copied = 0
            for i, start in enumerate(range(0, rows, args.part_rows)):
                table = whole.slice(start, args.part_rows)
                n = round(args.copies * table.num_rows)
                keep = np.ones(table.num_rows, bool)
                keep[rng.choice(table.num_rows, n, replace=False)] = False
                donors = donors_table.take(pa.array(rng.choice(donors_table.num_rows, n, replace=False)))
                pq.write_table(pa.concat_tables([table.filter(pa.array(keep)), donors.cast(table.schema)]),
                               folder / f"part-{i:05d}.parquet", row_group_size=args.part_rows)
                copied += n
            made[rows] = (copied, len(list(folder.glob("part-*.parquet"))))
            del whole
        print(f"{args.real:,} training and {args.real // 4:,} holdout rows; synthetic "
              + ", ".join(f"{r:,} ({c:,} copied, {p} parts)" for r, (c, p) in made.items()), flush=True)

        started = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"})
        start = time.perf_counter() - started
        load_before = os.getloadavg()
        table: dict[tuple[int, str], dict] = {}
        for rows in args.rows:
            for run in range(args.repeat):
                for name in ("local", "dask"):
                    command = [sys.executable, __file__, "--child", name, "--child-work", str(work), "--sample-rows", str(args.sample_rows),
                               "--child-synthetic", f"synthetic-{rows}", "--child-scheduler", cluster.scheduler_address]
                    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
                    if done.returncode != 0:
                        raise SystemExit(f"{name} audit of {rows:,} rows failed:\n{done.stderr[-3000:]}")
                    out = json.loads(done.stdout.strip().splitlines()[-1])
                    print(f"{rows:,} rows, run {run + 1}, {name}: {out['seconds']:.1f} s, peak {out['peak_mb']:,.0f} MB, "
                          f"exact_copies {out['exact_copies']}, passed {out['passed']}", flush=True)
                    best = table.get((rows, name))
                    if best is None or out["seconds"] < best["seconds"]:
                        out["peak_mb"] = max(out["peak_mb"], best["peak_mb"]) if best else out["peak_mb"]
                        table[(rows, name)] = out
            if json.dumps(table[(rows, "local")]["report"]) != json.dumps(table[(rows, "dask")]["report"]):
                raise SystemExit(f"{rows:,} rows: the report on Dask differs from the local audit's")
        load_after = os.getloadavg()
        print(f"\nbest of {args.repeat}; {os.cpu_count()} cores, load {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
              f"LocalCluster of {args.workers} workers started in {start:.1f} s (not counted)")
        print(f"{'rows':>12} {'engine':<8} {'seconds':>8} {'local/dask':>10} {'client peak MB':>15} {'exact_copies':>12}")
        for rows in args.rows:
            for name in ("local", "dask"):
                out = table[(rows, name)]
                label = name if name == "local" else f"dask-{args.workers}"
                ratio = table[(rows, "local")]["seconds"] / out["seconds"]
                print(f"{rows:>12,} {label:<8} {out['seconds']:>8.1f} {ratio:>10.2f} {out['peak_mb']:>15,.0f} {out['exact_copies']:>12}")
        print("reports identical (every metric, verdict and column statistic): yes")
        print(json.dumps({"rows": args.rows, "real": args.real, "part_rows": args.part_rows, "sample_rows": args.sample_rows, "load": [load_before[0], load_after[0]],
                          "seconds": {f"{r}/{n}": o["seconds"] for (r, n), o in table.items()},
                          "peak_mb": {f"{r}/{n}": o["peak_mb"] for (r, n), o in table.items()}}))
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
