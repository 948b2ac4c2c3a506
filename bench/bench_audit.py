"""Benchmark: the full audit (fidelity, utility with a target, privacy with a holdout) at 50k and 1M rows.

Targets on a 2-core machine: 50,000 real vs 50,000 synthetic rows (10 mixed columns, a 50,000-row
holdout and a target) in under 30 s; 1 million vs 1 million without running out of memory in under 10
minutes. The tables come from a fixed synthetic "population" schema, so the run needs no data files.

    python bench/bench_audit.py                 # 50k
    python bench/bench_audit.py --rows 1000000  # 1M (several minutes)
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import audit  # noqa: E402
import synth  # noqa: E402

POPULATION = """
name: population
columns:
  - {name: age, kind: integer, distribution: normal, mean: 45, std: 12, min: 18, max: 90}
  - {name: income, kind: float, distribution: lognormal, mu: 10.5, sigma: 0.5, round: 0}
  - {name: spend, kind: float, distribution: gamma, shape: 2, scale: 300, round: 2}
  - {name: visits, kind: integer, distribution: poisson, lam: 4}
  - {name: signup, kind: date, start: 2018-01-01, end: 2024-12-31}
  - {name: segment, kind: choice, values: [basic, plus, premium], weights: [6, 3, 1]}
  - {name: region, kind: choice, values: [north, south, east, west, centre]}
  - {name: channel, kind: choice, values: [web, app, store, phone]}
  - {name: member, kind: boolean, probability: 0.3}
  - {name: score, kind: float, distribution: beta, a: 2, b: 5, round: 3}
correlations:
  - {columns: [age, income], rank: 0.5}
  - {columns: [income, spend], rank: 0.7}
  - {columns: [income, segment], rank: 0.6}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    args = ap.parse_args()
    schema = synth.Schema.from_yaml_text(POPULATION)
    t0 = time.perf_counter()
    real, holdout, fake = (synth.generate(schema, rows=args.rows, seed=s) for s in (1, 2, 3))
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = audit.run(real, fake, holdout=holdout, target="spend", sensitive=["segment"], seed=0)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.rows:,} real vs {args.rows:,} synthetic rows (+{args.rows:,} holdout), 10 columns: audit {seconds:.1f} s "
          f"(tables made in {made:.1f} s); peak memory {peak:.0f} MB; summary {result.summary}; passed={result.passed}")
    slow = sorted(((m.name, m.score) for m in result.metrics), key=lambda x: x[0])
    print(slow)


if __name__ == "__main__":
    main()
