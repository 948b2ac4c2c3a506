"""Benchmark and check: identifier columns of the real tables, and what they cost `synth fit`.

Two parts, both in this one run:

- ``--check``: for every table in ../shared/data, `synth fit X.csv --out s.yaml && synth generate s.yaml --out
  t.csv` (this source tree), then for each identifier column of the schema (``pattern``, ``phone``): whether the
  real and the twin column rise with the row (text order), the total variation distance between their format
  shares (each value's shape: digits ``#``, capitals ``?``, lower-case ``@``), and the share of twin values that
  are real values.
- ``--speed``: `synth fit` on flights.csv and planes.csv as whole processes, this tree against ``--before`` (a
  `synth` executable of the baseline, e.g. main's venv), interleaved round by round; median seconds and the ratio
  this / before from the same rounds (the machine is shared: only the ratio means much).

    OMP_NUM_THREADS=1 python bench/bench_identifiers.py --check --speed --before /work/venv/bin/synth --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SYNTH = str(Path(sys.executable).with_name("synth"))


def tables() -> list[Path]:
    return sorted(p for p in DATA.rglob("*.csv"))


def shape_shares(values: pd.Series) -> pd.Series:
    from synth.fit.columns import template

    return template(values.dropna().astype(str)).value_counts(normalize=True)


def check(folder: Path) -> list[dict]:
    rows = []
    for table in tables():
        schema, twin_path = folder / f"{table.stem}.yaml", folder / f"{table.stem}.csv"
        subprocess.run([SYNTH, "fit", str(table), "--out", str(schema)], check=True, capture_output=True)
        subprocess.run([SYNTH, "generate", str(schema), "--out", str(twin_path)], check=True, capture_output=True)
        columns = yaml.safe_load(schema.read_text())["columns"]
        ids = [c for c in columns if c.get("kind") in ("pattern", "phone")]
        if not ids:
            continue
        names = [c["name"] for c in ids]
        real = pd.read_csv(table, usecols=names, dtype=str, keep_default_na=True, low_memory=False)
        twin = pd.read_csv(twin_path, usecols=names, dtype=str, low_memory=False)
        for spec in ids:
            r, t = real[spec["name"]].dropna(), twin[spec["name"]].dropna()
            a, b = shape_shares(r), shape_shares(t)
            tv = 0.5 * float(a.reindex(a.index.union(b.index), fill_value=0).sub(
                b.reindex(a.index.union(b.index), fill_value=0)).abs().sum())
            rows.append({"table": table.relative_to(DATA).as_posix(), "column": spec["name"], "kind": spec["kind"],
                         "mode": "sorted" if spec.get("sorted") else "running" if spec.get("increasing") else "drawn",
                         "real sorted": bool(r.is_monotonic_increasing), "twin sorted": bool(t.is_monotonic_increasing),
                         "twin unique": bool(t.is_unique), "format TV": round(tv, 4),
                         "copied": round(float(t.isin(set(r)).mean()), 4), "rows": len(t)})
    return rows


def speed(before: str, rounds: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name in ("planes", "flights"):
                table = DATA / "nycflights13" / f"{name}.csv"
                for label, exe in (("before", before), ("this", SYNTH)):
                    start = time.perf_counter()
                    subprocess.run([exe, "fit", str(table), "--out", f"{tmp}/{label}.yaml"], check=True, capture_output=True)
                    out.setdefault(name, {}).setdefault(label, []).append(time.perf_counter() - start)
    return {name: {"before s": statistics.median(t["before"]), "this s": statistics.median(t["this"]),
                   "ratio": statistics.median(t["this"]) / statistics.median(t["before"])} for name, t in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--before", default="synth", help="the baseline's synth executable")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is not here")
    result = {}
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            result["check"] = check(Path(tmp))
        print(pd.DataFrame(result["check"]).to_string(index=False))
    if args.speed:
        result["speed"] = speed(args.before, args.rounds)
        print(pd.DataFrame(result["speed"]).T.round(3).to_string())
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
