"""Benchmark: `synth fit` on a large table (default 1,000,000 rows of schemas/customers.yaml, 15 columns).

Reports wall time and peak memory of the `synth fit` command in a fresh process, next to a baseline
measured in the same run on the same file: `pandas.read_csv` of the table in a fresh process (the least
any fit must do). Fitting a 1-million-row table should take under a minute with bounded memory.

    python bench/bench_fit_scale.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of Python ``code`` run in a fresh process."""
    probe = "\nimport resource\nprint('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + probe], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    peak_kb = int(done.stdout.strip().splitlines()[-1].split()[1])
    return seconds, peak_kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="folder to keep the table and the fitted schema in")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="synth-fit-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    table, schema = folder / "real.csv", folder / "fitted.yaml"
    synth_cmd = [sys.executable, "-m", "synth.cli"]
    subprocess.run(synth_cmd + ["generate", str(ROOT / "schemas" / "customers.yaml"), "--rows", str(args.rows),
                                "--out", str(table), "--quiet"], check=True)
    size_mb = table.stat().st_size / 1e6
    read_s, read_mb = run(f"import pandas as pd\npd.read_csv({str(table)!r})")
    fit_s, fit_mb = run("import sys\nfrom synth.cli import main\n"
                        f"sys.argv = ['synth', 'fit', {str(table)!r}, '--out', {str(schema)!r}, '--quiet']\n"
                        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code")
    print(f"table: {args.rows:,} rows, {size_mb:,.0f} MB CSV ({table})")
    print(f"baseline pandas.read_csv : {read_s:6.1f} s, peak {read_mb:,.0f} MB")
    print(f"synth fit                : {fit_s:6.1f} s, peak {fit_mb:,.0f} MB "
          f"({fit_s / read_s:.1f}x the time of reading the table)")


if __name__ == "__main__":
    main()
