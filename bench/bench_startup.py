"""How long `synth` takes to start, and how much memory, for the commands a new user runs first.

Each command runs as a whole new process (interpreter start, imports, work, exit) several times; the
median wall time and the peak resident memory are reported next to a baseline measured in the same run on
the same machine: `python -c pass` (the interpreter alone) and `python -c "import pandas"` (what every
command used to pay before it did anything). The target is 0.3 s for `synth --help`, `synth kinds` and
`synth validate schemas/coffee.yaml`. On a shared machine other jobs slow some runs down: the verdict uses
the fastest run, and the ratio to `import pandas` (measured in the same run) compares across machines.

    python bench/bench_startup.py             # 7 runs each
    python bench/bench_startup.py --runs 15 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3


def synth_command() -> list[str]:
    """The installed `synth` script beside this interpreter (what a user runs), else the same entry point via -c."""
    script = Path(sys.executable).parent / "synth"
    if script.exists():
        return [str(script)]
    found = shutil.which("synth")
    return [found] if found else [sys.executable, "-c", "from synth.cli import main; main()"]


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process (its own rusage, not the sum over earlier children)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {process.returncode}): {process.stderr.read().decode()[-500:]}")
    process.stderr.close()
    return seconds, usage.ru_maxrss / 1024  # Linux reports KB


def measure(argv: list[str], runs: int) -> dict[str, float]:
    run_once(argv)  # warm-up: bytecode caches and the OS file cache, as for any second run
    samples = [run_once(argv) for _ in range(runs)]
    return {"median_s": statistics.median(s for s, _ in samples), "min_s": min(s for s, _ in samples),
            "peak_mb": max(mb for _, mb in samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    synth = synth_command()
    cases = {
        "baseline: python -c pass": [sys.executable, "-c", "pass"],
        "baseline: python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
        "synth --help": synth + ["--help"],
        "synth kinds": synth + ["kinds"],
        "synth validate schemas/coffee.yaml": synth + ["validate", "schemas/coffee.yaml"],
    }
    results = {name: measure(argv, args.runs) for name, argv in cases.items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "target_s": TARGET_SECONDS, "results": results}, indent=2))
        return
    interpreter = results["baseline: python -c pass"]["min_s"]
    pandas = results["baseline: python -c 'import pandas'"]["min_s"]
    print(f"{'command':40} {'median':>8} {'min':>8} {'- python':>9} {'/ pandas':>9} {'peak RSS':>9}   "
          f"({args.runs} runs each; min - python, min / import pandas)")
    for name, r in results.items():
        verdict = ""
        if name.startswith("synth"):
            verdict = "  ok" if r["min_s"] <= TARGET_SECONDS else f"  over the {TARGET_SECONDS} s target"
        print(f"{name:40} {r['median_s']:7.3f}s {r['min_s']:7.3f}s {r['min_s'] - interpreter:8.3f}s "
              f"{r['min_s'] / pandas:9.2f} {r['peak_mb']:7.0f} MB{verdict}")


if __name__ == "__main__":
    main()
