"""Benchmark: three ways to make the coffee table, measured side by side in one run, on one core.

1. ``row loop``  - the usual hand-written script: Faker/random calls per row, csv.writer (the baseline).
2. ``ceiling``   - a hand-vectorized numpy + pyarrow script written for this one table only.
3. ``synth``     - ``synth.Plan(schema).iter_chunks()`` and the CSV/Parquet sinks.

Plus a Faker-heavy schema (names, emails, addresses) and peak memory at 1M vs 10M rows (flat means
streaming works). Figures are rows/s and ratios against the baseline and ceiling of the same run.

    python bench/bench_generate.py                 # 1M rows, the full run (~1-2 minutes)
    python bench/bench_generate.py --rows 200000 --skip-memory
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

pa.set_cpu_count(1)
pa.set_io_thread_count(1)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import synth  # noqa: E402
from synth.sinks import open_sink  # noqa: E402

COFFEE = ROOT / "schemas" / "coffee.yaml"

FAKER_HEAVY = """
name: people
columns:
  - {name: id, kind: sequence}
  - {name: name, kind: faker, provider: name}
  - {name: email, kind: faker, provider: email, unique: true}
  - {name: address, kind: faker, provider: address}
  - {name: city, kind: faker, provider: city}
  - {name: company, kind: faker, provider: company}
  - {name: phone, kind: faker, provider: phone_number}
"""


def _menu() -> list[dict]:
    return synth.load_schema(COFFEE).producer()["product"].records  # type: ignore[union-attr]


# --- 1. the row loop ---------------------------------------------------------------------------
def row_loop(rows: int, path: Path) -> None:
    from faker import Faker

    fake = Faker()
    Faker.seed(1)
    random.seed(1)
    menu = _menu()
    weights = [m["popularity"] for m in menu]
    hours = list(range(6, 21))
    hour_w = [1.5, 3.2, 3.6, 2.6, 1.8, 1.6, 1.8, 1.3, 0.8, 0.7, 0.8, 0.8, 0.6, 0.5, 0.4]
    start = dt.date(2022, 1, 1)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "time", "product_id", "product", "calories", "price", "type", "quantity", "amount", "payment_type"])
        for i in range(1, rows + 1):
            item = random.choices(menu, weights)[0]
            day = fake.date_between(start_date=start, end_date=dt.date(2022, 12, 31))
            hour = random.choices(hours, hour_w)[0]
            qty = random.choices([1, 2, 3], [0.72, 0.2, 0.08])[0]
            w.writerow([i, day.isoformat(), f"{hour:02d}:{random.randrange(60):02d}", item["product_id"], item["product"],
                        item["calories"], item["price"], item["type"], qty, round(item["price"] * qty, 2),
                        random.choices(["credit", "debit", "cash", "gift card"], [46, 28, 18, 8])[0]])


# --- 2. the ceiling: numpy + pyarrow written for this table only -------------------------------------
def ceiling_table(rows: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    menu = _menu()
    p = np.array([m["popularity"] for m in menu], float)
    item = rng.choice(len(menu), size=rows, p=p / p.sum())
    day = rng.integers(0, 365, rows).astype(np.int32)
    hour_w = np.array([1.5, 3.2, 3.6, 2.6, 1.8, 1.6, 1.8, 1.3, 0.8, 0.7, 0.8, 0.8, 0.6, 0.5, 0.4])
    minute = (6 * 60 + rng.choice(15, size=rows, p=hour_w / hour_w.sum()) * 60 + rng.integers(0, 60, rows)).astype(np.int32)
    qty = rng.choice(np.array([1, 2, 3]), size=rows, p=[0.72, 0.2, 0.08])
    price = np.array([m["price"] for m in menu])[item]
    pay = rng.choice(4, size=rows, p=np.array([46, 28, 18, 8]) / 100)
    return pa.table({
        "id": np.arange(1, rows + 1),
        "date": pa.array(day + 18993, pa.int32()).cast(pa.date32()),
        "time": pa.array(minute * 60, pa.time32("s")),
        "product_id": np.array([m["product_id"] for m in menu])[item],
        "product": pa.DictionaryArray.from_arrays(pa.array(item.astype(np.int32)), pa.array([m["product"] for m in menu])),
        "calories": np.array([m["calories"] for m in menu])[item],
        "price": price,
        "type": pa.DictionaryArray.from_arrays(pa.array((np.array([m["type"] for m in menu]) == "food").astype(np.int32)[item]), pa.array(["drink", "food"])),
        "quantity": qty,
        "amount": np.round(price * qty, 2),
        "payment_type": pa.DictionaryArray.from_arrays(pa.array(pay.astype(np.int32)), pa.array(["credit", "debit", "cash", "gift card"])),
    })


def ceiling_chunks(rows: int, chunk: int = synth.CHUNK_ROWS):
    for k, start in enumerate(range(0, rows, chunk)):
        yield ceiling_table(min(chunk, rows - start), seed=k)


def write_chunks(chunks, path: Path) -> None:
    with open_sink(path) as sink:
        for t in chunks:
            sink.write(t)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_rss_mb(rows: int, out: Path) -> float:
    """Peak resident memory of a fresh process writing ``rows`` coffee rows to Parquet."""
    code = ("import resource, synth; synth.write(synth.load_schema(%r), %r, rows=%d); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (str(COFFEE), str(out), rows)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(res.stdout.strip()) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--loop-rows", type=int, default=50_000, help="rows for the (slow) row loop; rate is per row")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    n = args.rows
    tmp = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    schema = synth.load_schema(COFFEE)
    synth.Plan(schema, rows=1000).chunk(0)  # warm imports

    results: dict[str, float] = {}
    results["loop_csv"] = args.loop_rows / timed(lambda: row_loop(args.loop_rows, tmp / "loop.csv"), repeat=1)
    results["ceiling_memory"] = n / timed(lambda: pa.concat_tables(ceiling_chunks(n)))
    results["ceiling_parquet"] = n / timed(lambda: write_chunks(ceiling_chunks(n), tmp / "ceil.parquet"))
    results["ceiling_csv"] = n / timed(lambda: write_chunks(ceiling_chunks(n), tmp / "ceil.csv"))
    results["synth_memory"] = n / timed(lambda: pa.concat_tables(synth.iter_chunks(schema, rows=n)))
    results["synth_dataframe"] = n / timed(lambda: synth.generate(schema, rows=n))
    results["synth_parquet"] = n / timed(lambda: synth.write(schema, tmp / "s.parquet", rows=n))
    results["synth_csv"] = n / timed(lambda: synth.write(schema, tmp / "s.csv", rows=n))
    people = synth.Schema.from_yaml_text(FAKER_HEAVY)
    results["faker_heavy_memory"] = n / timed(lambda: pa.concat_tables(synth.iter_chunks(people, rows=n)), repeat=1)
    results["faker_heavy_csv"] = n / timed(lambda: synth.write(people, tmp / "people.csv", rows=n), repeat=1)

    print(f"coffee table, {n:,} rows, one core (row loop measured on {args.loop_rows:,} rows)\n")
    print(f"{'what':<28}{'rows/s':>14}{'x row loop':>12}{'% of ceiling':>14}")
    for key in ("loop_csv", "ceiling_memory", "ceiling_parquet", "ceiling_csv", "synth_memory", "synth_dataframe",
                "synth_parquet", "synth_csv", "faker_heavy_memory", "faker_heavy_csv"):
        rate = results[key]
        target = key.split("_", 1)[1] if key.startswith("synth") else None
        ceil = results.get(f"ceiling_{target}") if target in ("memory", "parquet", "csv") else None
        share = f"{100 * rate / ceil:.0f}%" if ceil else ""
        print(f"{key:<28}{rate:>14,.0f}{rate / results['loop_csv']:>12.1f}{share:>14}")
    print(f"\n1M coffee rows in memory (Arrow): {1e6 / results['synth_memory']:.3f} s;  as a DataFrame: {1e6 / results['synth_dataframe']:.3f} s")
    if not args.skip_memory:
        small, big = peak_rss_mb(1_000_000, tmp / "m1.parquet"), peak_rss_mb(10_000_000, tmp / "m10.parquet")
        results["peak_mb_1M"], results["peak_mb_10M"] = small, big
        print(f"peak memory writing Parquet: 1M rows {small:.0f} MB, 10M rows {big:.0f} MB (ratio {big / small:.2f})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
