"""Benchmark: `synth finetune validate` on a 1-million-line JSONL file (target: under 30 s, bounded memory).

The baseline, measured in the same run, is the least any validator must do: read every line and
json.loads it. Peak memory is taken from a fresh process at 100k and 1M lines (flat = streaming).

    python bench/bench_finetune.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.finetune import validate_file  # noqa: E402


def make_file(path: Path, lines: int) -> None:
    labels = ["positive", "negative", "neutral"]
    with open(path, "w") as fh:
        for i in range(lines):
            fh.write(json.dumps({"prompt": f"Customer review #{i}: the delivery took {i % 17} days and the box was "
                                           f"{'fine' if i % 3 else 'damaged'}.\n\n###\n\n",
                                 "completion": f" {labels[i % 3]}\n"}) + "\n")


def peak_mb(path: Path) -> float:
    code = ("import resource, sys; sys.path.insert(0, %r); from synth.finetune import validate_file; "
            "validate_file(%r); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (str(ROOT), str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synth-ft-"))
    big, small = tmp / "big.jsonl", tmp / "small.jsonl"
    make_file(big, args.lines)
    make_file(small, max(1, args.lines // 10))
    t0 = time.perf_counter()
    with open(big, "rb") as fh:
        for raw in fh:
            json.loads(raw)
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = validate_file(big)
    seconds = time.perf_counter() - t0
    print(f"{args.lines:,} lines ({big.stat().st_size / 1e6:.0f} MB): validate {seconds:.1f} s = {args.lines / seconds:,.0f} lines/s; "
          f"json.loads-only baseline {baseline:.1f} s ({seconds / baseline:.1f}x the baseline); ok={report.ok}, "
          f"{report.tokens_total:,} tokens")
    print(f"peak memory: {args.lines // 10:,} lines {peak_mb(small):.0f} MB, {args.lines:,} lines {peak_mb(big):.0f} MB")


if __name__ == "__main__":
    main()
