"""Benchmark: related tables (schemas/coffee_shop.yaml) against the single-table engine on the same columns.

For each table, the single-table baseline is a one-table schema with the same columns, where a reference
becomes an integer column, an aggregate a number, and a column reading a related table (``products.price``)
a float: the same amount of column work without the relations. Both write CSV files through the same sinks,
in the same run, on one core. Reported: rows/s per table for both (the related engine's time per table is
its own work in the family walk, children excluded, plus writing its chunks) and the ratio, then peak memory of whole runs at two
sizes in fresh processes (flat means streaming works).

    python bench/bench_related.py                          # 50,000 customers (~385k orders), memory at 100k and 300k
    python bench/bench_related.py --customers 260000 --memory 260000 1300000   # ~2M orders / ~3.3M items, ~10M orders
    python bench/bench_related.py --items-per-order 3 --customers 1295000 --memory 130000 1295000   # 10M orders, 30M items

``--items-per-order K`` makes each order's item count 1 of K-1, K, K+1 (equally likely; the shop's own is 1-4,
1.67 on average); the customers' 7.72 orders on average are kept, so N customers make about 7.72 N orders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pyarrow as pa  # noqa: E402

pa.set_cpu_count(1)
pa.set_io_thread_count(1)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import synth  # noqa: E402
from synth.columns.related import AggregateColumn, ReferenceColumn  # noqa: E402
from synth.multitable import load_database, write_tables  # noqa: E402
from synth.multitable.engine import DatabasePlan  # noqa: E402
from synth.schema import Schema  # noqa: E402

SHOP = ROOT / "schemas" / "coffee_shop.yaml"


def shop_schema(items_per_order: int | None, folder: Path) -> Path:
    """The coffee shop schema, with ``items_per_order`` items per order on average when given (a copy in ``folder``)."""
    if items_per_order is None:
        return SHOP
    from synth.yamlsafe import dump_yaml, load_yaml_file

    data, _ = load_yaml_file(SHOP)
    k = items_per_order
    for col in data["tables"]["orders"]["columns"]:
        if col["name"] == "n_items":
            col["values"] = {max(k - 1, 0): 1, k: 1, k + 1: 1}
    path = folder / "coffee_shop_scaled.yaml"
    path.write_text(dump_yaml(data))
    return path


def single_table_twin(db, table: str) -> Schema:
    """``table`` as a one-table schema with the same columns, its relations replaced by plain columns."""
    data = db.tables[table].to_dict()
    columns = []
    for raw, col in zip(data["columns"], db.tables[table].columns):
        if isinstance(col, ReferenceColumn):
            raw = {"name": col.name, "kind": "integer", "distribution": "uniform", "min": 1, "max": 100_000}
        elif isinstance(col, AggregateColumn):
            raw = {"name": col.name, "kind": "float", "distribution": "uniform", "min": 0, "max": 100, "round": 2}
        elif any("." in d for d in col.dependencies()):
            raw = {"name": col.name, "kind": "float", "distribution": "uniform", "min": 1, "max": 9, "round": 2}
        columns.append(raw)
    data["columns"] = columns
    data["constraints"] = [c for c in data.get("constraints", []) if "." not in c]
    data.pop("rows", None)
    return Schema.from_dict(data, base_dir=SHOP.parent)


def timed_walk() -> dict[str, float]:
    """Wrap the family walk to add up each table's own seconds (its children's subtracted)."""
    own: dict[str, float] = defaultdict(float)
    original = DatabasePlan._walk
    stack: list[float] = []

    def walk(self, table, c, start, n, inputs, needed, record, out):
        if needed is not None:  # the count pass: part of the run, but booked apart
            began = time.perf_counter()
            result = original(self, table, c, start, n, inputs, needed, record, out)
            own["(count pass)"] += time.perf_counter() - began
            return result
        stack.append(0.0)
        began = time.perf_counter()
        result = original(self, table, c, start, n, inputs, needed, record, out)
        spent = time.perf_counter() - began
        children = stack.pop()
        own[table] += spent - children
        if stack:
            stack[-1] += spent
        return result

    DatabasePlan._walk = walk  # type: ignore[method-assign]
    return own


def timed_writes() -> tuple[dict[str, float], Any]:
    """Each table's seconds spent writing its chunks: the time from the engine handing over a family chunk (or
    the previous table's write) to ``write_tables``' progress call after this table's write. Returns the seconds
    by table and the progress callback to pass."""
    spent: dict[str, float] = defaultdict(float)
    last = [0.0]
    original = DatabasePlan.iter_chunks

    def iter_chunks(self, *args, **kwargs):
        for made in original(self, *args, **kwargs):
            last[0] = time.perf_counter()
            yield made

    def progress(table: str, _rows: int) -> None:
        now = time.perf_counter()
        spent[table] += now - last[0]
        last[0] = now

    DatabasePlan.iter_chunks = iter_chunks  # type: ignore[method-assign]
    return spent, progress


def speed(customers: int, shop: Path) -> dict:
    db = load_database(shop)
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: lazy imports (scipy, Faker) are paid before either is timed
        write_tables(db, Path(tmp) / "warm", rows={"customers": 200}, seed=1)
    own = timed_walk()
    writes, progress = timed_writes()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        rows = write_tables(db, Path(tmp) / "shop", rows={"customers": customers}, seed=1, progress=progress)
        total = time.perf_counter() - began
    report = {"customers": customers, "rows": rows, "related_seconds": round(total, 2),
              "count_pass_seconds": round(own.get("(count pass)", 0.0), 2), "tables": {}}
    single_total = 0.0
    for table, n in rows.items():
        twin = single_table_twin(db, table)
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            synth.write(twin, Path(tmp) / f"{table}.csv", rows=n, seed=1)
            single = time.perf_counter() - began
        single_total += single
        related = own.get(table, 0.0) + writes.get(table, 0.0)  # its own work in the walk and its writing
        report["tables"][table] = {
            "rows": n, "related_seconds": round(related, 2), "of_which_writing": round(writes.get(table, 0.0), 2),
            "single_seconds": round(single, 2), "related_rows_per_s": round(n / related) if related else None,
            "single_rows_per_s": round(n / single) if single else None,
            "related_over_single_time": round(related / single, 2) if single else None}
    report["single_seconds"] = round(single_total, 2)
    report["related_over_single_time"] = round(total / single_total, 2)
    return report


def peak_memory(customers: int, shop: Path) -> dict:
    """A whole run in a fresh process: its peak resident memory (ru_maxrss) and seconds."""
    code = (
        "import os, resource, sys, tempfile, time, json; os.environ['OMP_NUM_THREADS'] = '1'\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from synth.multitable import write_tables\n"
        "t = time.perf_counter()\n"
        "with tempfile.TemporaryDirectory() as tmp:\n"
        f"    rows = write_tables({str(shop)!r}, tmp + '/shop', rows={{'customers': {customers}}}, seed=1, format='parquet')\n"
        "print(json.dumps({'rows': rows, 'seconds': round(time.perf_counter() - t, 1),\n"
        "                  'peak_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {"customers": customers, **json.loads(done.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--memory", type=int, nargs="*", default=[100_000, 300_000], help="customer counts for peak memory")
    parser.add_argument("--items-per-order", type=int, default=None, help="mean items per order (K-1, K or K+1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shop = shop_schema(args.items_per_order, Path(tmp))
        print(json.dumps({"schema": str(shop), "synth": synth.__file__}), flush=True)
        for customers in args.memory:
            print(json.dumps(peak_memory(customers, shop)), flush=True)
        if args.customers:
            report = speed(args.customers, shop)
            print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
