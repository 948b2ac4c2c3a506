"""Benchmark: ``synth audit`` on one process against ``--engine dask``, in the same run: equal reports, and the
client's peak memory as the synthetic table grows.

A coffee-sales twin (``schemas/coffee.yaml``): ``--real`` training rows and a quarter as many holdout rows (other
seeds), and for each of ``--rows`` a synthetic Parquet dataset folder (part files of 1,000,000 rows at most;
``--part-rows`` smaller to get several partitions from few rows), with ``--copies`` of its rows (default 1%)
replaced by training rows, so the exact-copies test has something to find.

Each audit runs in a process of its own (``--child``), so its peak memory is its own (VmHWM, the high-water mark of
the process's memory since it started this program: ru_maxrss would also count the parent's memory at the fork, and
the parent holds the tables it made):

- ``local``: reads the three tables and runs ``audit.run(real, synthetic, holdout, target="amount")``, every section;
- ``dask-2``: reads the real and holdout tables only and runs the same with ``synthetic=None,
  engine=DaskEngine(folder, scheduler=ADDRESS, real_shard_rows=...)`` against a LocalCluster of 2 worker processes
  started once by the parent (its workers' memory is not the client's): the workers read each partition once,
  for its rows of the sample, the fidelity summary and the privacy scan together (one task per partition and
  real shard), merging the partitions' results in pairs;
- ``base`` (with ``--baseline DIR``, a checkout of an earlier version, e.g. ``git archive e67a4fd | tar -x -C DIR``):
  the ``dask`` run with that code first on ``PYTHONPATH``, against the same cluster, to measure a change in the
  same run (the cluster's workers run this version's code for tasks the client names by function; the earlier
  version's tasks are its own module functions, which the workers import from the same path, so they run it too).

``--part-rows`` takes several sizes: each synthetic size is cut every way, so the client's memory can be read
against the number of partitions at a fixed number of rows. The local audit can be bounded (``--local-timeout``,
``--local-memory-mb``: an address-space limit); one that does not finish within them is reported as such, and the
reports are then compared only where both finished.

The reports must be equal (every metric, verdict and column statistic; not the notes, which say where the work
ran) or the benchmark fails. Seconds are the whole child process (reading included); the ratio is local / dask,
measured in the same run, the two alternating so load hits both alike.

    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py --rows 100000 200000 400000 --real 5000 --part-rows 100000 --sample-rows 20000
    OMP_NUM_THREADS=1 python bench/bench_audit_dask.py --rows 1000000 --part-rows 100000 10000 --real 5000 --sample-rows 20000 --baseline /tmp/base
    OMP_NUM_THREADS=1 nice python bench/bench_audit_dask.py --rows 20000000 --real 200000 --local-timeout 1200
    OMP_NUM_THREADS=1 nice python bench/bench_audit_dask.py --partitioned-real --real 5000000 --rows 1000000 --sample-rows 200000

``--partitioned-real``: the real table is a dataset folder too, and there is no holdout (the privacy tests' reference
reads every real row in the client, so with a holdout the real table is read whole): ``local`` reads both tables,
``dask`` reads neither (``audit.run(None, None, engine=DaskEngine(synthetic, real=folder))``): the workers profile
and summarise the real partitions, and the client holds a seeded sample of each table. ``id`` (a sequence) is
audited as an identifier on both engines: as a number its 5,000,000 distinct values would exceed the bound of the
partitioned profile (:data:`audit.reduction.REAL_DISTINCT_LIMIT`).
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
    folder = f"{work / args.child_synthetic}/"
    if args.partitioned_real:  # no holdout: the real table is a dataset folder the dask workers profile and summarise
        from audit.policy import Policy

        options = {"target": "amount", "sample_rows": args.sample_rows, "policy": Policy(require_holdout=False),
                   "kinds": {"id": "identifier"}}  # a sequence: 5M distinct numbers would exceed the profile's bound
        if args.child == "local":
            result = audit.run(read_table(f"{work / 'real'}/"), read_table(folder), **options)
        else:
            from distributed import Client

            with Client(args.child_scheduler, set_as_default=False) as client:
                engine = DaskEngine(folder, scheduler=client, real=f"{work / 'real'}/")
                result = audit.run(None, None, engine=engine, **options)
        return _said(result, started)
    train, holdout = read_table(work / "real.parquet"), read_table(work / "holdout.parquet")
    if args.child == "local":
        result = audit.run(train, read_table(folder), holdout=holdout, target="amount", sample_rows=args.sample_rows)
    else:
        from distributed import Client

        options = {} if args.real_shard_rows is None or args.child == "base" else {"real_shard_rows": args.real_shard_rows}
        with Client(args.child_scheduler, set_as_default=False) as client:
            engine = DaskEngine(folder, scheduler=client, **options)
            result = audit.run(train, None, holdout=holdout, target="amount", engine=engine, sample_rows=args.sample_rows)
    _said(result, started)


def _peak_mb() -> float:
    """This program's peak resident memory (MB): VmHWM, whose count starts at exec (ru_maxrss carries over the
    memory of the parent at the fork: with vfork, the parent's own peak, here the tables it generated)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _said(result: object, started: float) -> None:
    """One JSON line: seconds, peak memory, the report (but the notes, the engine and the seconds)."""
    seconds = time.perf_counter() - started
    data = result.to_dict()  # type: ignore[attr-defined]
    data["inputs"].pop("engine")
    for key in ("notes", "seconds"):
        data.pop(key)
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(),
                      "passed": result.passed, "exact_copies": result.metric("exact_copies").details.get("verdict", "skipped"),
                      "report": data}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="synthetic rows (one dataset each)")
    parser.add_argument("--real", type=int, default=200_000, help="training rows (the holdout is a quarter of this)")
    parser.add_argument("--partitioned-real", action="store_true", help="the real table as a dataset folder (part files of "
                        "1,000,000 rows) and no holdout: the dask client reads neither table, only their samples")
    parser.add_argument("--copies", type=float, default=0.01, help="share of synthetic rows replaced by training rows")
    parser.add_argument("--part-rows", type=int, nargs="+", default=[1_000_000], help="rows per part file of the synthetic "
                        "dataset (several: one dataset per size)")
    parser.add_argument("--real-shard-rows", type=int, default=None, help="DaskEngine(real_shard_rows=...) (default its own)")
    parser.add_argument("--baseline", type=Path, default=None, help="an earlier version's source tree: also run its dask audit")
    parser.add_argument("--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--local-timeout", type=float, default=None, help="seconds the local audit may take")
    parser.add_argument("--local-memory-mb", type=int, default=None, help="address space the local audit may take (MB)")
    parser.add_argument("--sample-rows", type=int, default=200_000, help="the audit's synthetic sample (synth audit --sample-rows)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the datasets go (default: a temporary folder)")
    parser.add_argument("--child", choices=["local", "dask", "base", "cluster"], help=argparse.SUPPRESS)
    parser.add_argument("--child-work", help=argparse.SUPPRESS)
    parser.add_argument("--child-synthetic", help=argparse.SUPPRESS)
    parser.add_argument("--child-scheduler", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "cluster":  # a LocalCluster served until stdin closes (the baseline's: its code is on PYTHONPATH)
        import sys

        from distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.CRITICAL) as cluster:
            print(cluster.scheduler_address, flush=True)
            sys.stdin.read()
        return None
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
        if args.partitioned_real:
            real_path = work / "real"
            synth.write(schema, f"{real_path}/", rows=args.real, seed=1)
        else:
            synth.write(schema, real_path, rows=args.real, seed=1)
            synth.write(schema, holdout_path, rows=args.real // 4, seed=2)
        donors_table = pq.read_table(real_path)
        made = {}
        for rows in args.rows:
            base = work / f"synthetic-{rows}"
            synth.write(schema, f"{base}/", rows=rows, seed=3)
            for part_rows in args.part_rows:
                # plant copies and cut into parts of part_rows: the same share of each part replaced by training rows
                rng = np.random.default_rng(0)
                folder = work / f"synthetic-{rows}-{part_rows}"
                folder.mkdir()
                copied, parts, done = 0, 0, 0
                for source in sorted(base.glob("part-*.parquet")):  # one generated part file at a time: bounded memory
                    whole = pq.read_table(source)
                    for start in range(0, whole.num_rows, part_rows):
                        table = whole.slice(start, part_rows)
                        n = round(args.copies * table.num_rows)
                        keep = np.ones(table.num_rows, bool)
                        keep[rng.choice(table.num_rows, n, replace=False)] = False
                        donors = donors_table.take(pa.array(rng.choice(donors_table.num_rows, n, replace=False)))
                        pq.write_table(pa.concat_tables([table.filter(pa.array(keep)), donors.cast(table.schema)]),
                                       folder / f"part-{parts:05d}.parquet", row_group_size=part_rows)
                        copied, parts, done = copied + n, parts + 1, done + table.num_rows
                    del whole
                made[(rows, part_rows)] = (copied, parts)
            shutil.rmtree(base)
        print((f"{args.real:,} real rows ({len(list(real_path.glob('part-*')))} part files), no holdout; synthetic " if args.partitioned_real
               else f"{args.real:,} training and {args.real // 4:,} holdout rows; synthetic ")
              + ", ".join(f"{r:,} ({c:,} copied, {p} parts)" for (r, _), (c, p) in made.items()), flush=True)

        started = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"})
        start = time.perf_counter() - started
        base_cluster = None
        if args.baseline:  # a LocalCluster of its own, in a process whose code (scheduler and workers) is the earlier version's
            base_cluster = subprocess.Popen([sys.executable, __file__, "--child", "cluster", "--workers", str(args.workers)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                            env={**os.environ, "OMP_NUM_THREADS": "1",
                                                 "PYTHONPATH": f"{args.baseline.resolve()}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
            base_address = base_cluster.stdout.readline().strip()
        load_before = os.getloadavg()
        table: dict[tuple[int, int, str], dict] = {}
        names = list(args.engines) + (["base"] if args.baseline else [])
        for rows, part_rows in made:
            for run in range(args.repeat):
                for name in names:
                    address = base_address if name == "base" else cluster.scheduler_address
                    command = [sys.executable, __file__, "--child", name, "--child-work", str(work), "--sample-rows", str(args.sample_rows),
                               "--child-synthetic", f"synthetic-{rows}-{part_rows}", "--child-scheduler", address]
                    command += ["--partitioned-real"] * args.partitioned_real
                    if args.real_shard_rows is not None:
                        command += ["--real-shard-rows", str(args.real_shard_rows)]
                    env = {**os.environ, "OMP_NUM_THREADS": "1"}
                    if name == "base":
                        env["PYTHONPATH"] = f"{args.baseline.resolve()}{os.pathsep}{env.get('PYTHONPATH', '')}"
                    limit = None
                    if name == "local" and args.local_memory_mb:
                        limit = args.local_memory_mb * 1024 * 1024
                    try:
                        done = subprocess.run(command, capture_output=True, text=True, env=env,
                                              timeout=args.local_timeout if name == "local" else None,
                                              preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))) if limit else None)
                    except subprocess.TimeoutExpired:
                        print(f"{rows:,} rows, {part_rows:,}-row parts, {name}: did not finish within {args.local_timeout:.0f} s", flush=True)
                        table[(rows, part_rows, name)] = {"seconds": None, "peak_mb": None, "exact_copies": "-", "why": "timeout"}
                        continue
                    if done.returncode != 0:
                        if name == "local" and limit and "MemoryError" in done.stderr:
                            print(f"{rows:,} rows, {part_rows:,}-row parts, local: out of its {args.local_memory_mb:,} MB", flush=True)
                            table[(rows, part_rows, name)] = {"seconds": None, "peak_mb": None, "exact_copies": "-", "why": "memory"}
                            continue
                        raise SystemExit(f"{name} audit of {rows:,} rows failed:\n{done.stderr[-3000:]}")
                    out = json.loads(done.stdout.strip().splitlines()[-1])
                    print(f"{rows:,} rows, {part_rows:,}-row parts, run {run + 1}, {name}: {out['seconds']:.1f} s, peak "
                          f"{out['peak_mb']:,.0f} MB, exact_copies {out['exact_copies']}, passed {out['passed']}", flush=True)
                    best = table.get((rows, part_rows, name))
                    if best is None or best["seconds"] is None or out["seconds"] < best["seconds"]:
                        out["peak_mb"] = max(out["peak_mb"], best["peak_mb"] or 0) if best else out["peak_mb"]
                        table[(rows, part_rows, name)] = out
            reports = {name: json.dumps(table[(rows, part_rows, name)]["report"]) for name in names
                       if "report" in table[(rows, part_rows, name)]}
            if len(set(reports.values())) > 1:
                raise SystemExit(f"{rows:,} rows: the reports differ between {', '.join(reports)}")
        load_after = os.getloadavg()
        print(f"\nbest of {args.repeat}; {os.cpu_count()} cores, load {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
              f"LocalCluster of {args.workers} workers started in {start:.1f} s (not counted)")
        print(f"{'rows':>12} {'parts':>6} {'engine':<8} {'seconds':>8} {'vs first':>9} {'client peak MB':>15} {'exact_copies':>12}")
        for (rows, part_rows), (_, parts) in made.items():
            first = table[(rows, part_rows, names[0])]["seconds"]
            for name in names:
                out = table[(rows, part_rows, name)]
                label = {"dask": f"dask-{args.workers}", "base": f"base-{args.workers}"}.get(name, name)
                if out["seconds"] is None:
                    print(f"{rows:>12,} {parts:>6} {label:<8} {'did not finish (' + out['why'] + ')':>34}")
                    continue
                ratio = f"{first / out['seconds']:.2f}" if first else "-"
                print(f"{rows:>12,} {parts:>6} {label:<8} {out['seconds']:>8.1f} {ratio:>9} {out['peak_mb']:>15,.0f} {out['exact_copies']:>12}")
        print("reports identical wherever more than one engine finished (every metric, verdict and column statistic): yes")
        print(json.dumps({"rows": args.rows, "real": args.real, "partitioned_real": args.partitioned_real, "part_rows": args.part_rows, "sample_rows": args.sample_rows,
                          "load": [load_before[0], load_after[0]],
                          "seconds": {f"{r}/{pr}/{n}": o["seconds"] for (r, pr, n), o in table.items()},
                          "peak_mb": {f"{r}/{pr}/{n}": o["peak_mb"] for (r, pr, n), o in table.items()}}))
    finally:
        if cluster is not None:
            cluster.close()
        if locals().get("base_cluster") is not None:
            base_cluster.stdin.close()  # it closes its cluster and exits
            base_cluster.wait(60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
