"""Benchmark: what the Dask scheduler and synth's tasks cost, the figures behind "how it scales to 100 machines".

On one LocalCluster (``--workers`` processes, one thread each), in one run:

- ``noop``: ``--noop`` tasks that do nothing (``client.map`` of one batch, as synth submits): the scheduler's own
  rate, tasks/s from the first submit to the last result, the ceiling any task size meets;
- ``noop-Nt``: the same with ``--threads`` threads per worker (more task slots: if the rate does not rise, the
  scheduler, not the workers, is the limit);
- ``coffee``: one-table ``--engine dask`` (``synth.cluster.write_dataset``), one task per part file of
  ``--part-rows`` rows of ``schemas/coffee.yaml``;
- ``shop``: related tables (``synth.multitable.cluster.write_tables``) of ``schemas/coffee_shop.yaml`` with
  ``--customers`` customers: count tasks, then one task per family chunk (100,000 customers and their orders
  and items), each writing one part file per table;
- ``shop-local``: the same tables by the local engine in this process (``--format parquet``), the baseline the
  ``shop`` ratio is taken against; both outputs are read back and compared (equal, or the benchmark fails).

For every run, the CPU seconds the scheduler, the workers and the client spent, per task (on a machine shared with
other jobs wall time measures the load; CPU time what the work costs; a LocalCluster's scheduler runs in the
client's process, so its figure holds the client's work too: an upper bound). ``scheduler_ceiling_tasks_per_s``
is 1 / the scheduler's CPU per no-op task: the rate one dedicated scheduler core would reach, at least. For each synth run also:
tasks, wall seconds, tasks/s, the workers' compute seconds per task (Dask's task stream: wall time of the compute
only, without scheduling and transfer), bytes per task (in: the plan each worker gets once; out: the part
files; back: what the client receives) and object-store writes per task. Cluster start and a warm-up (imports)
are not timed.

    OMP_NUM_THREADS=1 python bench/bench_dask_tasks.py                       # 500,000 customers (about 11M rows)
    OMP_NUM_THREADS=1 python bench/bench_dask_tasks.py --customers 100000 --noop 2000 --json out.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread per process, as the workers have

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"
SHOP = ROOT / "schemas" / "coffee_shop.yaml"


def noop(i: int) -> int:
    return i


class CPU:
    """CPU seconds spent by the scheduler (with this client: a LocalCluster's scheduler runs in the client's
    process) and by the workers between start and stop: on a machine shared with other jobs, wall time says how
    busy the machine was, CPU time what the work cost."""

    def __init__(self, client) -> None:
        self.client = client

    def _now(self) -> tuple[float, float]:
        workers = self.client.run(time.process_time)
        return time.process_time(), sum(workers.values())

    def __enter__(self) -> "CPU":
        self.start, self.wall = self._now(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.wall
        stop = self._now()
        self.here, self.workers = (b - a for a, b in zip(self.start, stop))

    def per_task(self, tasks: int) -> dict:
        return {"wall_s": round(self.seconds, 2), "tasks_per_s_wall": round(tasks / self.seconds, 2),
                "scheduler_cpu_ms_per_task": round(1000 * self.here / tasks, 3),  # with the client's: an upper bound
                "worker_cpu_s_per_task": round(self.workers / tasks, 4)}


def noop_rate(client, n: int) -> dict:
    from distributed import wait

    with CPU(client) as cpu:
        futures = client.map(noop, range(n), key=[f"noop-{time.time_ns()}-{i}" for i in range(n)])
        with client.as_current():
            wait(futures)
    del futures
    out = {"tasks": n, **cpu.per_task(n)}
    out["scheduler_ceiling_tasks_per_s"] = round(1000 / out["scheduler_cpu_ms_per_task"])  # one scheduler core, idle
    return out


def compute_seconds(stream: list[dict], prefix: str, within: str = "") -> list[float]:
    """Each finished task's compute time (the task stream's 'compute' spans), for keys starting with ``prefix``
    (and holding ``within``)."""
    out = []
    for record in stream:
        key = str(record["key"])
        if key.startswith(prefix) and within in key:
            out += [s["stop"] - s["start"] for s in record["startstops"] if s["action"] == "compute"]
    return out


def summarise(name: str, tasks: int, seconds: float, computes: list[float], extra: dict) -> dict:
    return {"run": name, "tasks": tasks, "seconds": round(seconds, 2), "tasks_per_s": round(tasks / seconds, 3),
            "compute_s_per_task_median": round(statistics.median(computes), 3) if computes else None,
            "compute_s_total": round(sum(computes), 2), **extra}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker for the second no-op run")
    parser.add_argument("--noop", type=int, default=5000, help="no-op tasks per no-op run")
    parser.add_argument("--coffee-rows", type=int, default=10_000_000)
    parser.add_argument("--part-rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    import cloudpickle
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster, get_task_stream

    import synth
    import synth.multitable as mt
    from synth.cluster import write_dataset
    from synth.engine import Plan
    from synth.multitable.cluster import FamilyPart, write_tables
    from synth.multitable.engine import DatabasePlan

    work = Path(tempfile.mkdtemp(dir=args.workdir))
    results: list[dict] = []
    load = [round(x, 1) for x in os.getloadavg()]
    try:
        for threads in (1, args.threads):
            with LocalCluster(n_workers=args.workers, threads_per_worker=threads, processes=True, dashboard_address=":0",
                              silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"}) as cluster, \
                    Client(cluster, set_as_default=False) as client:
                noop_rate(client, 200)  # warm: connections, the function pickled once
                results.append({"run": f"noop-{threads}t", **noop_rate(client, args.noop)})
                print(json.dumps(results[-1]), flush=True)
                if threads != 1:
                    continue
                # Warm the workers (imports: synth, numpy, pyarrow, scipy) with tiny runs, untimed.
                write_dataset(COFFEE, f"{work / 'warm1'}/", rows=1000, scheduler=client)
                write_tables(SHOP, f"{work / 'warm2'}/", rows={"customers": 100}, scheduler=client)

                plan = Plan(synth.load_schema(COFFEE), rows=args.coffee_rows, seed=args.seed)
                with get_task_stream(client) as ts, CPU(client) as cpu:
                    write_dataset(plan, f"{work / 'coffee'}/", scheduler=client, part_rows=args.part_rows)
                seconds = cpu.seconds
                parts = -(-args.coffee_rows // args.part_rows)
                out = folder_bytes(work / "coffee")
                results.append(summarise("coffee", parts, seconds, compute_seconds(ts.data, "synth-part-"), {
                    **cpu.per_task(parts + 1),
                    "rows": args.coffee_rows, "plan_bytes": len(cloudpickle.dumps(plan)),
                    "part_bytes_per_task": round(out / parts), "object_writes_per_task": 1}))
                print(json.dumps(results[-1]), flush=True)

                shop = DatabasePlan(mt.load_database(SHOP), rows={"customers": args.customers}, seed=args.seed)
                with get_task_stream(client) as ts, CPU(client) as cpu:
                    counts = write_tables(shop, f"{work / 'shop'}/", scheduler=client)
                seconds = cpu.seconds
                family = compute_seconds(ts.data, "synth-family-", "-customers-")
                count = compute_seconds(ts.data, "synth-count-")
                tasks = len([r for r in ts.data if str(r["key"]).startswith("synth-")])
                per_table = {t: folder_bytes(work / "shop" / t) for t in counts}
                chunks = shop.chunks("customers")
                # What a family task sends back (a lookup family also its looked-up columns): rows and bytes per table.
                back = pickle.dumps(FamilyPart(0, {t: 10**6 for t in counts}, {t: 10**7 for t in counts}))
                results.append(summarise("shop", tasks, seconds, family + count, {
                    **cpu.per_task(tasks), "scheduler_and_client_cpu_s": round(cpu.here, 2),
                    "rows": counts, "rows_total": sum(counts.values()), "family_tasks": chunks,
                    "count_tasks": len(count),
                    "family_compute_s_per_task_median": round(statistics.median(family), 3),
                    "count_compute_s_per_task_median": round(statistics.median(count), 3) if count else None,
                    "plan_bytes": len(cloudpickle.dumps(shop)),
                    "part_bytes_per_family_task": round(sum(per_table[t] for t in shop.db.descendants("customers")) / chunks),
                    "result_bytes_per_task": len(back),
                    "object_writes_per_family_task": len(shop.db.descendants("customers"))}))
                print(json.dumps(results[-1]), flush=True)

        started, cpu_started = time.perf_counter(), time.process_time()
        local = mt.write_tables(SHOP, work / "local", rows={"customers": args.customers}, seed=args.seed, format="parquet")
        seconds, local_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert local == counts, (local, counts)
        for t in counts:
            if not pq.read_table(work / "shop" / t).equals(pq.read_table(work / "local" / f"{t}.parquet")):
                raise SystemExit(f"{t}: the dask output differs from the local engine's")
        results.append({"run": "shop-local", "seconds": round(seconds, 2), "cpu_s": round(local_cpu, 2),
                        "rows_per_s": round(sum(local.values()) / seconds)})
        by_name = {r["run"]: r for r in results}
        shop_run = by_name["shop"]
        results.append({"run": "ratios", "shop_dask_over_local_speed": round(seconds / shop_run["seconds"], 2),
                        "shop_cpu_dask_workers_over_local": round(shop_run["worker_cpu_s_per_task"] * shop_run["tasks"]
                                                                  / local_cpu, 2),
                        "family_task_compute_over_local_per_chunk": round(
                            shop_run["family_compute_s_per_task_median"] / (seconds / shop_run["family_tasks"]), 2),
                        "noop_rate_threads_over_1": round(by_name[f"noop-{args.threads}t"]["tasks_per_s_wall"]
                                                          / by_name["noop-1t"]["tasks_per_s_wall"], 2),
                        "load_before": load, "load_after": [round(x, 1) for x in os.getloadavg()]})
        print(json.dumps(results[-2]), flush=True)
        print(json.dumps(results[-1]), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
