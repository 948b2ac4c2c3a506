"""Check: do audit.fidelity's shared column-shape and pair metrics equal SDMetrics' standalone definitions?

For each table (../shared/data; missing files skipped) the training rows (80%, seeded) are the real table and a
`synth fit` twin of them (as many rows) the synthetic one. Both go through ``audit.data.align`` (the audit's
typed view: numbers and dates as floats, categories as text, missing categories as "<missing>"); then

- per numeric/date column: ``audit.fidelity.column_shapes`` (KS complement) vs ``sdmetrics.single_column.KSComplement``;
- per category column: ``column_shapes`` (TV complement) vs ``TVComplement``, on the same values with missing
  as its own category; and TVComplement on SDMetrics' own convention (missing dropped);
- per number pair: ``pair_trends``' correlation similarity vs ``CorrelationSimilarity(coefficient="Pearson")``;
- per pair with a category: ``pair_trends``' contingency similarity vs ``ContingencySimilarity`` three ways:
  (a) on the audit's own codes (numbers cut at the real deciles, missing a bin of its own): the formula;
  (b) SDMetrics' own binning (``continuous_column_names``: 10 equal-width bins over the real range,
      outer edges open, missing in a bin of its own): the standalone metric as a user would call it.

The max absolute difference per metric is printed, with the pair or column where it occurs.

SDMetrics is never a dependency of synth; run this in a separate environment:

    python -m venv /work/sdm-venv && /work/sdm-venv/bin/pip install sdmetrics && /work/sdm-venv/bin/pip install -e /work/main
    /work/sdm-venv/bin/python bench/check_sdmetrics.py [--tables penguins gss_wages ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

import synth  # noqa: E402
from audit import fidelity  # noqa: E402
from audit.data import MISSING, align  # noqa: E402
from synth.fit import FitConfig, SchemaFitter  # noqa: E402
from synth.tables import split_holdout  # noqa: E402

TABLES = {"penguins": "penguins.csv", "budget_food": "budget_food.csv", "gss_wages": "gss_wages.csv",
          "seattle_pets": "seattle_pets.csv", "us_births": "us_births.csv", "flights": "nycflights13/flights.csv"}


def twin_of(train: pd.DataFrame, name: str) -> pd.DataFrame:
    import io

    schema = SchemaFitter(FitConfig(seed=0)).fit(train, name=name).schema_
    twin = synth.generate(schema, rows=len(train), seed=1)
    buf = io.StringIO()
    twin.to_csv(buf, index=False)
    buf.seek(0)
    return pd.read_csv(buf, low_memory=False)[list(train.columns)]


def _na(s: pd.Series) -> pd.Series:
    """A category column with the audit's "<missing>" back as NaN (SDMetrics' convention)."""
    return s.where(s != MISSING, np.nan)


def compare(name: str, max_rows: int | None) -> dict[str, dict[str, object]]:
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.single_column import KSComplement, TVComplement

    real = pd.read_csv(DATA / TABLES[name], low_memory=False)
    if max_rows and len(real) > max_rows:
        real = real.sample(n=max_rows, random_state=0).reset_index(drop=True)
    train, _ = split_holdout(real, 0.2, seed=0)
    t = align(train, twin_of(train, name))
    shapes = fidelity.column_shapes(t).details["per_column"]
    corr, cont, _ = fidelity.pair_trends(t, seed=0)
    codes = fidelity._codes(t)
    diffs: dict[str, list[tuple[float, str, float, float]]] = {k: [] for k in (
        "KSComplement", "TVComplement (missing as a category)", "TVComplement (SDMetrics: missing dropped)",
        "CorrelationSimilarity (Pearson)", "ContingencySimilarity (audit's decile codes)",
        "ContingencySimilarity (SDMetrics' equal-width bins)")}
    for col in t.numeric:
        ours = shapes[col]
        theirs = KSComplement.compute(t.real[col], t.synthetic[col])
        if not np.isnan(theirs):
            diffs["KSComplement"].append((abs(ours - theirs), col, ours, theirs))
    for col in t.categorical:
        ours = shapes[col]
        theirs = TVComplement.compute(t.real[col], t.synthetic[col])  # "<missing>" is a value like any other
        diffs["TVComplement (missing as a category)"].append((abs(ours - theirs), col, ours, theirs))
        r, s = _na(t.real[col]), _na(t.synthetic[col])
        if r.notna().any() and s.notna().any():
            theirs = TVComplement.compute(r, s)
            diffs["TVComplement (SDMetrics: missing dropped)"].append((abs(ours - theirs), col, ours, theirs))
    for key, ours in corr.details["per_pair"].items():
        a, b = key.split(" ~ ")
        theirs = CorrelationSimilarity.compute(t.real[[a, b]], t.synthetic[[a, b]], coefficient="Pearson")
        diffs["CorrelationSimilarity (Pearson)"].append((abs(ours - theirs), key, ours, theirs))
    for key, ours in cont.details["per_pair"].items():
        a, b = key.split(" ~ ")
        (ra, sa), (rb, sb) = codes[a], codes[b]
        theirs = ContingencySimilarity.compute(pd.DataFrame({a: ra, b: rb}), pd.DataFrame({a: sa, b: sb}))
        diffs["ContingencySimilarity (audit's decile codes)"].append((abs(ours - theirs), key, ours, theirs))
        real_ab = pd.DataFrame({c: (t.real[c] if c in t.numeric else _na(t.real[c])) for c in (a, b)})
        syn_ab = pd.DataFrame({c: (t.synthetic[c] if c in t.numeric else _na(t.synthetic[c])) for c in (a, b)})
        continuous = [c for c in (a, b) if c in t.numeric]
        theirs = ContingencySimilarity.compute(real_ab, syn_ab, continuous_column_names=continuous or None)
        diffs["ContingencySimilarity (SDMetrics' equal-width bins)"].append((abs(ours - theirs), key, ours, theirs))
    out = {}
    for metric, rows in diffs.items():
        if not rows:
            continue
        worst = max(rows, key=lambda r: r[0])
        out[metric] = {"n": len(rows), "max_abs_diff": worst[0], "mean_abs_diff": float(np.mean([r[0] for r in rows])),
                       "where": worst[1], "audit": worst[2], "sdmetrics": worst[3]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", nargs="*", default=["penguins", "budget_food", "gss_wages", "seattle_pets"], choices=list(TABLES))
    ap.add_argument("--max-rows", type=int, default=60_000, help="subsample larger tables to this many rows first")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import sdmetrics

    print(f"sdmetrics {sdmetrics.__version__}, pandas {pd.__version__}, numpy {np.__version__}\n")
    print("| table | metric | columns/pairs | max abs diff | mean abs diff | where (audit vs sdmetrics) |")
    print("|---|---|---|---|---|---|")
    results = {}
    for name in args.tables:
        if not (DATA / TABLES[name]).exists():
            print(f"skip {name}: not found")
            continue
        t0 = time.perf_counter()
        results[name] = compare(name, args.max_rows)
        for metric, r in results[name].items():
            print(f"| {name} | {metric} | {r['n']} | {r['max_abs_diff']:.2e} | {r['mean_abs_diff']:.2e} | "
                  f"{r['where']} ({r['audit']:.6f} vs {r['sdmetrics']:.6f}) |", flush=True)
        results[name]["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
