"""Benchmark: the scheduler's cost per task, and what each of synth's generate, fit and audit tasks moves, on one
LocalCluster: the figures behind "how it scales to 100 machines" (README, Beyond one machine).

On a LocalCluster of ``--workers`` processes (one thread each), in one run:

- ``noop``: ``--noop`` tasks that do nothing, submitted in one ``client.map`` batch as synth submits: the
  scheduler's own cost per task (CPU seconds of this process, which runs the LocalCluster's scheduler and the
  client, per task: an upper bound of the scheduler's), and tasks/s from the first submit to the last result;
- ``generate``: ``synth.cluster.write_dataset`` of ``--rows`` coffee rows in parts of ``--part-rows``;
- ``fit``: ``synth.fit.dataset.DatasetFitter(engine="dask")`` on that dataset, partitions of ``--part-rows``;
- ``audit``: ``audit.run(real, None, holdout, engine=DaskEngine(dataset, partition_rows=--part-rows))``, every
  section, with ``--real`` training rows (a quarter as many holdout rows) and a ``--sample-rows`` sample.

A scheduler plugin records every task of a run: its kind (the key's name without its token), the bytes of its run
spec (the function and its literal arguments as pickled: what the scheduler sends a worker besides data); a worker
plugin sizes every result as it would travel (pickled, array buffers counted); the client counts what it
receives (every ``gather`` and ``Future.result``). Per task then: its result's bytes, its inputs' (the results
it depends on: what a worker fetches from another when they are not local), and what the client received. The workers pickle every result to
size it (not during ``noop``), which adds to their CPU seconds: the figures of speed are ``bench_dask_tasks.py``'s. Per kind: tasks, median and largest of each. Also per run: wall seconds, tasks, tasks/s,
and the CPU seconds of this process (scheduler + client) and of the workers per task. Writes to object stores:
generate's one PUT per part file plus ``_SUCCESS``; fit and audit only read.

    OMP_NUM_THREADS=1 python bench/bench_dask_bytes.py
    OMP_NUM_THREADS=1 python bench/bench_dask_bytes.py --rows 2000000 --part-rows 500000 --noop 3000 --json out.json
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
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"


def noop(i: int) -> int:
    return i


def kind_of(key: object) -> str:
    """A task's kind: its key without the token and index (``audit-read-<token>-3`` -> ``audit-read``; a key Dask
    named after its function, ``_nearest-<token>`` -> ``_nearest``)."""
    import re

    text = str(key)
    return re.sub(r"-[0-9a-f]{8,}(-.*)?$", "", text) if re.search(r"-[0-9a-f]{8,}", text) else text.rsplit("-", 1)[0]


class TaskBytes(SchedulerPlugin):
    """Per task, on the scheduler: its kind, the bytes of its run spec as pickled, and the keys it depends on. Added to a LocalCluster's scheduler in this process (``scheduler.add_plugin``)."""

    name = "synth-task-bytes"

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler  # Scheduler.add_plugin does not call start()
        self.records: dict[str, dict] = {}

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        import cloudpickle

        ts = self.scheduler.tasks.get(key)
        if ts is None:
            return
        if finish == "processing" and key not in self.records:
            try:
                spec = len(cloudpickle.dumps(ts.run_spec, protocol=pickle.HIGHEST_PROTOCOL))
            except Exception:  # noqa: BLE001  (a spec that does not pickle here is not counted)
                spec = 0
            self.records[key] = {"kind": kind_of(key), "spec": spec, "deps": [d.key for d in ts.dependencies]}

    def take(self) -> dict[str, dict]:
        out, self.records = self.records, {}
        return out


class ResultBytes(WorkerPlugin):
    """On each worker: every result's size as it would travel (pickled, protocol 5, array buffers out of band and
    counted, not copied). Dask's own sizes (``nbytes``) are estimates, 56 bytes for any object it does not know."""

    name = "synth-result-bytes"

    def setup(self, worker) -> None:
        self.worker, self.sizes = worker, {}

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish != "memory" or key not in self.worker.data:
            return
        try:
            self.sizes[key] = sized(self.worker.data[key])
        except Exception:  # noqa: BLE001  (a result that does not pickle is not counted)
            return


def sized(value: object) -> int:
    """Bytes ``value`` takes as it travels: pickled (protocol 5), array buffers counted, not copied."""
    buffers: list[int] = []
    return len(pickle.dumps(value, protocol=5, buffer_callback=lambda b: buffers.append(b.raw().nbytes))) + sum(buffers)


def count_received(client) -> dict:
    """Every result this client receives (``gather``, ``Future.result``, ``as_completed``: all go through
    ``Client._gather``), sized by key: what the client really gets, not what it merely holds futures to."""
    from distributed import Future

    received: dict = {}
    original = client._gather

    async def counted(futures, *args, **kwargs):
        out = await original(futures, *args, **kwargs)
        if isinstance(futures, Future):
            received[futures.key] = sized(out)
        elif isinstance(futures, (list, tuple)):
            for f, value in zip(futures, out):
                if isinstance(f, Future):
                    received[f.key] = sized(value)
        return out

    client._gather = counted
    return received


def _take_sizes(dask_worker) -> dict:
    plugin = dask_worker.plugins["synth-result-bytes"]
    out, plugin.sizes = plugin.sizes, {}
    return out


def collected(client, plugin: TaskBytes, received: dict) -> dict[str, dict]:
    """The run's tasks, each with its result's bytes, its inputs' (the results it depends on) and what the client
    received of it."""
    sizes: dict = {}
    for part in client.run(_take_sizes).values():
        sizes.update(part)
    records = plugin.take()
    for key, r in records.items():
        r["result"] = sizes.get(key, 0)
        r["inputs"] = sum(sizes.get(d, 0) for d in r.pop("deps"))
        r["received"] = received.pop(key, 0)
    received.clear()
    return records


class CPU:
    """CPU seconds of this process (the LocalCluster's scheduler and the client) and of the workers, and wall seconds."""

    def __init__(self, client) -> None:
        self.client = client

    def _now(self) -> tuple[float, float]:
        return time.process_time(), sum(self.client.run(time.process_time).values())

    def __enter__(self) -> "CPU":
        self.start, self.wall = self._now(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.wall
        here, workers = self._now()
        self.here, self.workers = here - self.start[0], workers - self.start[1]


def per_kind(records: dict[str, dict]) -> dict[str, dict]:
    kinds: dict[str, list[dict]] = defaultdict(list)
    for r in records.values():
        kinds[r["kind"]].append(r)
    out = {}
    for kind, rs in sorted(kinds.items(), key=lambda kv: -sum(r["spec"] + r["inputs"] + r["result"] for r in kv[1])):
        row = {"tasks": len(rs)}
        for field in ("spec", "inputs", "result"):
            values = [r[field] for r in rs]
            row[f"{field}_median"], row[f"{field}_max"] = int(statistics.median(values)), max(values)
        row["to_client"] = sum(r["received"] for r in rs)
        out[kind] = row
    return out


def run_summary(name: str, cpu: CPU, records: dict[str, dict], extra: dict | None = None) -> dict:
    tasks = len(records)
    return {"run": name, "tasks": tasks, "wall_s": round(cpu.seconds, 2), "tasks_per_s": round(tasks / cpu.seconds, 2),
            "scheduler_client_cpu_ms_per_task": round(1000 * cpu.here / max(tasks, 1), 3),
            "worker_cpu_s_per_task": round(cpu.workers / max(tasks, 1), 4),
            "spec_bytes_total": sum(r["spec"] for r in records.values()),
            "input_bytes_total": sum(r["inputs"] for r in records.values()),
            "result_bytes_total": sum(r["result"] for r in records.values()),
            "to_client_bytes": sum(r["received"] for r in records.values()),
            **(extra or {}), "kinds": per_kind(records)}


def show(result: dict) -> None:
    head = {k: v for k, v in result.items() if k != "kinds"}
    print(json.dumps(head), flush=True)
    for kind, row in result.get("kinds", {}).items():
        print(f"    {kind:<28} {row['tasks']:>5} tasks  spec {row['spec_median']:>10,} B (max {row['spec_max']:>10,})  "
              f"in {row['inputs_median']:>11,} B (max {row['inputs_max']:>11,})  result {row['result_median']:>11,} B "
              f"(max {row['result_max']:>11,})  to client {row['to_client']:>10,} B", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=2_000_000, help="coffee rows generated, fitted and audited")
    parser.add_argument("--part-rows", type=int, default=500_000, help="rows per part file and per fit/audit partition")
    parser.add_argument("--real", type=int, default=20_000, help="the audit's training rows (holdout: a quarter)")
    parser.add_argument("--sample-rows", type=int, default=20_000, help="the audit's synthetic sample")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    import audit
    import synth
    from audit.cluster import DaskEngine
    from synth.cluster import write_dataset
    from synth.fit.dataset import DatasetFitter
    from synth.tables import read_table

    logging.getLogger("distributed").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="bench_dask_bytes-", dir=args.workdir))
    results: list[dict] = []
    load = [round(x, 1) for x in os.getloadavg()]
    try:
        schema = synth.load_schema(COFFEE)
        synth.write(schema, work / "real.parquet", rows=args.real, seed=1)
        synth.write(schema, work / "holdout.parquet", rows=args.real // 4, seed=2)
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.CRITICAL, env={"OMP_NUM_THREADS": "1"}) as cluster, \
                Client(cluster, set_as_default=False) as client:
            plugin = TaskBytes(cluster.scheduler)
            cluster.scheduler.add_plugin(plugin)
            # warm: connections, imports on the workers (synth, numpy, pyarrow), untimed
            client.gather(client.map(noop, range(100)))
            write_dataset(COFFEE, f"{work / 'warm'}/", rows=1000, scheduler=client)
            plugin.take()

            with CPU(client) as cpu:  # before the workers pickle every result to size it
                futures = client.map(noop, range(args.noop), key=[f"noop-{time.time_ns()}-{i}" for i in range(args.noop)])
                client.gather(futures)
            del futures
            records = plugin.take()
            for r in records.values():
                r.update(result=0, inputs=0, received=0)
                r.pop("deps")
            results.append(run_summary("noop", cpu, records))
            results[-1]["scheduler_ceiling_tasks_per_s"] = round(1000 / results[-1]["scheduler_client_cpu_ms_per_task"])
            show(results[-1])
            client.register_plugin(ResultBytes(), name=ResultBytes.name)
            received = count_received(client)

            with CPU(client) as cpu:
                write_dataset(schema, f"{work / 'coffee'}/", rows=args.rows, seed=3, scheduler=client, part_rows=args.part_rows)
            parts = sorted((work / "coffee").glob("part-*.parquet"))
            results.append(run_summary("generate", cpu, collected(client, plugin, received), {
                "rows": args.rows, "part_files": len(parts), "part_file_bytes_median": int(statistics.median(p.stat().st_size for p in parts)),
                "object_store_writes": len(parts) + 1}))
            show(results[-1])

            with CPU(client) as cpu:
                fitter = DatasetFitter(engine="dask", scheduler=client, partition_rows=args.part_rows).fit(f"{work / 'coffee'}/")
            results.append(run_summary("fit", cpu, collected(client, plugin, received), {"partitions": fitter.parts_, "object_store_writes": 0}))
            show(results[-1])

            train, holdout = read_table(work / "real.parquet"), read_table(work / "holdout.parquet")
            with CPU(client) as cpu:
                engine = DaskEngine(f"{work / 'coffee'}/", scheduler=client, partition_rows=args.part_rows)
                result = audit.run(train, None, holdout=holdout, target="amount", engine=engine, sample_rows=args.sample_rows)
            results.append(run_summary("audit", cpu, collected(client, plugin, received), {
                "partitions": len(engine.parts), "real_rows": args.real, "sample_rows": args.sample_rows,
                "passed": result.passed, "object_store_writes": 0}))
            show(results[-1])
        print(json.dumps({"load_before": load, "load_after": [round(x, 1) for x in os.getloadavg()],
                          "workers": args.workers}), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
