"""Benchmark: ``--engine dask`` on a LocalCluster of 1 and 2 workers against the single-process engine, same run.

Each writes the coffee table (``schemas/coffee.yaml``) as a Parquet dataset folder (``--out x/``: part files
of 1,000,000 rows, ``_SUCCESS`` last):

- ``local``:    ``synth.write(schema, "x/", rows=N)``, one process (chunks made in it, written on a thread);
- ``dask-1``:   ``synth.cluster.write_dataset`` on a LocalCluster of 1 worker process (one task per part file);
- ``dask-2``:   the same on 2 worker processes.

A cluster is started (timed apart: ``start s``) and warmed by a tiny run (the workers import synth, numpy,
pyarrow once) before it is timed, so ``seconds`` is the generation itself; the dask outputs are compared with
the local one file by file (byte-identical, or the benchmark fails). The configurations alternate
(local, dask-1, dask-2, local, ...) so that load on the machine hits all alike; the best of ``--repeat``
counts. Ratios are against ``local`` measured in the same run; ``scaling`` is dask-2 / dask-1.

    OMP_NUM_THREADS=1 python bench/bench_dask.py                  # 100M rows (about 2 GB per output on disk)
    OMP_NUM_THREADS=1 python bench/bench_dask.py --rows 10000000 --repeat 2
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread per process, as the workers have

import argparse  # noqa: E402
import filecmp  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="where the outputs go (default: a temporary folder)")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    import synth
    from synth.cluster import write_dataset

    logging.getLogger("distributed").setLevel(logging.ERROR)  # the clusters' closing chatter

    work = Path(tempfile.mkdtemp(prefix="bench_dask-", dir=args.workdir))
    schema = synth.load_schema(COFFEE)
    load_before = os.getloadavg()
    clusters: dict[str, tuple[LocalCluster, Client, float]] = {}
    for workers in (1, 2):
        started = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"})
        client = Client(cluster, set_as_default=False)
        write_dataset(schema, f"{work / 'warm'}/", rows=1000, scheduler=client)  # imports on the workers
        clusters[f"dask-{workers}"] = (cluster, client, time.perf_counter() - started)
        shutil.rmtree(work / "warm")

    best: dict[str, float] = {}
    sizes: dict[str, int] = {}
    try:
        for run in range(args.repeat):
            for name in ("local", "dask-1", "dask-2"):
                out = work / name
                started = time.perf_counter()
                if name == "local":
                    rows = synth.write(schema, f"{out}/", rows=args.rows, seed=args.seed)
                else:
                    rows = write_dataset(schema, f"{out}/", rows=args.rows, seed=args.seed, scheduler=clusters[name][1])
                seconds = time.perf_counter() - started
                assert rows == args.rows
                best[name] = min(best.get(name, seconds), seconds)
                sizes[name] = folder_bytes(out)
                print(f"run {run + 1} {name}: {seconds:.1f} s ({rows / seconds:,.0f} rows/s)", flush=True)
                if name != "local":
                    if not same_files(out, work / "local"):
                        raise SystemExit(f"{name}: the dataset differs from the local engine's")
                    shutil.rmtree(out)
    finally:
        for cluster, client, _ in clusters.values():
            client.close()
            cluster.close()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    parts = -(-args.rows // 1_000_000)
    print(f"\n{args.rows:,} coffee rows as a Parquet dataset ({parts} parts, {sizes['local'] / 1e9:.2f} GB, "
          f"{sizes['local'] / parts / 1e6:.1f} MB per part); best of {args.repeat}; "
          f"{os.cpu_count()} cores, load {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'engine':<8} {'seconds':>8} {'rows/s':>12} {'vs local':>9} {'tasks/s':>8} {'start s':>8}")
    for name in ("local", "dask-1", "dask-2"):
        seconds = best[name]
        start = f"{clusters[name][2]:.1f}" if name in clusters else "-"
        print(f"{name:<8} {seconds:>8.1f} {args.rows / seconds:>12,.0f} {best['local'] / seconds:>9.2f} "
              f"{parts / seconds if name != 'local' else float('nan'):>8.2f} {start:>8}")
    print(f"scaling 1 -> 2 workers: {best['dask-1'] / best['dask-2']:.2f}x; outputs byte-identical to local: yes")
    print(json.dumps({"rows": args.rows, "parts": parts, "bytes": sizes["local"], "seconds": best,
                      "start_seconds": {k: v[2] for k, v in clusters.items()},
                      "load": [load_before[0], load_after[0]], "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
