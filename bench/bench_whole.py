"""Benchmark: whole-process ``synth generate`` against a hand-written numpy + pyarrow script, same run.

Each measurement is a fresh process, timed from start to exit (imports, schema, generation, writing), with
its peak resident memory:

- ``synth``:    ``synth generate schemas/coffee.yaml --rows N --out x.parquet`` (and ``x.csv``; with
  ``--formats dataset``, ``--out x/``: a Parquet dataset folder, parts and ``_SUCCESS``, against the
  baseline's single Parquet file)
- ``baseline``: this file run as ``--baseline FORMAT``: numpy + pyarrow written for the coffee table only,
  making the same columns with the same types (native date, time, decimal amount in Parquet; the same
  text in CSV), in 100,000-row chunks, 1M-row Parquet row groups.

The two alternate (baseline, synth, baseline, synth ...) so that load on the machine hits both alike; the
best of ``--repeat`` runs counts. Ratio = baseline seconds / synth seconds (1.0: as fast as the script).

    python bench/bench_whole.py                    # 10M rows, Parquet and CSV, 3 runs each
    python bench/bench_whole.py --rows 1000000 --repeat 1
    python bench/bench_whole.py --formats parquet,dataset
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"
CHUNK = 100_000
ROW_GROUP = 1_000_000


def baseline(fmt: str, rows: int, out: Path) -> None:
    """The hand-written script: the coffee table's columns, vectorized, chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    import yaml

    spec = yaml.safe_load(COFFEE.read_text())
    menu = next(c for c in spec["columns"] if c["name"] == "menu")["records"]
    pop = np.array([m["popularity"] for m in menu], float)
    hour_w = np.array([1.5, 3.2, 3.6, 2.6, 1.8, 1.6, 1.8, 1.3, 0.8, 0.7, 0.8, 0.8, 0.6, 0.5, 0.4])
    minutes = np.arange(6 * 60, 21 * 60 + 1)
    minute_w = np.append(np.repeat(hour_w, 60), hour_w[-1])
    labels = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in minutes])
    products = pa.array([m["product"] for m in menu])
    types = pa.array(["drink", "food"])
    is_food = np.array([m["type"] == "food" for m in menu], np.int32)
    pays = pa.array(["credit", "debit", "cash", "gift card"])
    ids = np.array([m["product_id"] for m in menu])
    cal = np.array([m["calories"] for m in menu])
    price_cents = np.array([round(m["price"] * 100) for m in menu])

    def chunk(k: int, n: int) -> pa.Table:
        rng = np.random.default_rng(k)
        item = rng.choice(len(menu), size=n, p=pop / pop.sum())
        day = rng.integers(0, 365, n).astype(np.int32) + 18993
        minute = rng.choice(len(minutes), size=n, p=minute_w / minute_w.sum())
        qty = rng.choice(np.array([1, 2, 3]), size=n, p=[0.72, 0.2, 0.08])
        pay = rng.choice(4, size=n, p=np.array([46, 28, 18, 8]) / 100)
        cents = price_cents[item] * qty
        if fmt == "parquet":
            time_col = pa.array(minutes[minute].astype(np.int64) * 60_000_000, pa.time64("us"))
            # A decimal from its unscaled integers: 16-byte little-endian words (low, sign-extended high).
            words = np.stack([cents, cents >> 63], axis=1).astype(np.int64)
            amount = pa.Array.from_buffers(pa.decimal128(18, 2), n, [None, pa.py_buffer(words)])
            text = lambda idx, dic: pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), dic)  # noqa: E731
        else:
            time_col = labels.take(pa.array(minute))
            amount = pa.array(cents / 100)
            text = lambda idx, dic: dic.take(pa.array(idx))  # noqa: E731
        return pa.table({
            "id": np.arange(k * CHUNK + 1, k * CHUNK + n + 1),
            "date": pa.array(day, pa.int32()).cast(pa.date32()),
            "time": time_col,
            "product_id": ids[item], "product": text(item, products), "calories": cal[item],
            "price": price_cents[item] / 100, "type": text(is_food[item], types),
            "quantity": qty, "amount": amount, "payment_type": text(pay, pays),
        })

    chunks = (chunk(k, min(CHUNK, rows - s)) for k, s in enumerate(range(0, rows, CHUNK)))
    if fmt == "parquet":
        writer = None
        buffered: list[pa.Table] = []
        for t in chunks:
            buffered.append(t)
            if sum(b.num_rows for b in buffered) >= ROW_GROUP:
                table = pa.concat_tables(buffered)
                writer = writer or pq.ParquetWriter(str(out), table.schema, compression="zstd")
                writer.write_table(table, row_group_size=ROW_GROUP)
                buffered = []
        if buffered:
            table = pa.concat_tables(buffered)
            writer = writer or pq.ParquetWriter(str(out), table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP)
        writer.close()
    else:
        with pa.OSFile(str(out), "wb") as sink:
            writer = None
            for t in chunks:
                writer = writer or pacsv.CSVWriter(sink, t.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
                writer.write_table(t)
            writer.close()


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--synth-source", type=Path,
                    help="run synth from this source folder (an older checkout, for before/after figures)")
    ap.add_argument("--baseline", choices=["parquet", "csv"], help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline:
        baseline(args.baseline, args.rows, args.out)
        return
    tmp = Path(tempfile.mkdtemp(prefix="synth-whole-"))
    synth_cmd = [str(Path(sys.executable).with_name("synth"))]
    if args.synth_source:
        source = str(args.synth_source.resolve())
        synth_cmd = [sys.executable, "-c", f"import sys; sys.path.insert(0, {source!r}); from synth.cli import main; main()"]
    results: dict[str, dict[str, float]] = {}
    print(f"coffee table, {args.rows:,} rows, whole process, best of {args.repeat}\n")
    print(f"{'format':<9}{'baseline s':>11}{'synth s':>9}{'ratio':>7}{'baseline MB':>13}{'synth MB':>10}")
    for fmt in args.formats.split(","):
        base, mine = [], []
        base_fmt = "parquet" if fmt == "dataset" else fmt  # the script writes one file either way
        for _ in range(args.repeat):
            out = tmp / f"base.{base_fmt}"
            base.append(run([sys.executable, __file__, "--baseline", base_fmt, "--rows", str(args.rows), "--out", str(out)]))
            out.unlink()
            target = f"{tmp / 'synth-dataset'}/" if fmt == "dataset" else str(tmp / f"synth.{fmt}")
            mine.append(run(synth_cmd + ["generate", str(COFFEE), "--rows", str(args.rows), "--out", target, "--quiet"]))
            shutil.rmtree(target) if fmt == "dataset" else Path(target).unlink()
        b, s = min(t for t, _ in base), min(t for t, _ in mine)
        b_mb, s_mb = max(m for _, m in base), max(m for _, m in mine)
        results[fmt] = {"baseline_s": b, "synth_s": s, "ratio": b / s, "baseline_peak_mb": b_mb, "synth_peak_mb": s_mb}
        print(f"{fmt:<9}{b:>11.2f}{s:>9.2f}{b / s:>7.2f}{b_mb:>13.0f}{s_mb:>10.0f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
