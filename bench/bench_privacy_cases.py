"""Benchmark: does `synth audit`'s verdict come out right on planted cases whose answer is known?

For each real table in ../shared/data (missing files are skipped) the rows are split in three, seeded:
``unseen`` (as many rows as the holdout, never used for fitting), then the rest split by
:func:`synth.tables.split_holdout` (the split `synth fit --holdout-out` makes) into ``train`` and ``holdout``:
80/20, or 2:1 for flights. Each case is a "synthetic" table audited in-process with
``audit.run(train, synthetic, holdout=holdout, seed=0)``; the verdict, the checks that failed and every
privacy test's memorised-share estimate (95% interval, p-value) are recorded.

Cases (expected verdict in brackets):

A verdict of UNVERIFIED (privacy not verified: the holdout is too small to catch a 5% leak, so the audit
exits 1 and says how many synthetic rows would do) is counted apart, not as wrong: it never passes a leak.

- ``clean twin`` [PASS]: `synth fit` on the training rows, as many rows generated (as bench_fit.py does);
- ``unseen real rows`` [PASS]: real rows the generator never saw;
- ``training rows`` [FAIL]: the training rows themselves;
- ``5% copies`` [FAIL], ``2% copies`` / ``1% copies`` [reported]: that share of twin rows replaced by training rows;
- ``noisy copies 0.5%`` [FAIL]: training rows, numeric columns times (1 + U[-0.5%, +0.5%]);
- ``shuffled columns`` [FAIL], ``collapsed categories`` [FAIL], ``shifted 10 sd`` [FAIL]: fidelity gates on the twin.

Then:

- detection size (``--sweep-tables``): the table subsampled to ``--sizes`` training rows, a twin fitted on
  each, 1%, 2%, 5% copies planted: from which size is each leak caught?
- a coarse table made here (8 low-cardinality columns, 5-10% of unseen rows repeat a training row): clean draws
  [PASS], unseen rows [PASS], 5% copies [FAIL], training rows [FAIL];
- false-positive rate (``--replicates``): random re-splits of ``--fpr-table`` with unseen real rows as the
  synthetic table, and fresh coarse draws / unseen coarse rows; how often the verdict fails (target <= 5%).

Detection (a classifier's AUC) and the q-score are reported metrics that no default gate uses; in the sweep and
the replicates (``--fast`` does it for the case matrix too) they are replaced by a skipped stub so that many
audits fit in minutes. The verdict is unchanged by that. OpenMP threads default to 1 (``OMP_NUM_THREADS``): on a
busy 2-core machine scikit-learn's gradient boosting otherwise spins and one detection took 24 s instead of 3 s.

    python bench/bench_privacy_cases.py                                  # everything (about an hour on 2 cores)
    python bench/bench_privacy_cases.py --tables penguins budget_food --no-sweep --replicates 0
    python bench/bench_privacy_cases.py --tables --sweep-tables us_births --sizes 1000 5000 --replicates 0 --no-coarse
    python bench/bench_privacy_cases.py --json out.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/sklearn load their thread pools

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

import audit  # noqa: E402
import synth  # noqa: E402
from audit.metric import Metric  # noqa: E402
from audit.privacy import TESTS  # noqa: E402
from audit.testing import coarse_table  # noqa: E402
from synth.fit import FitConfig, SchemaFitter  # noqa: E402
from synth.inference import infer_kinds  # noqa: E402
from synth.tables import split_holdout  # noqa: E402

TABLES = {"penguins": "penguins.csv", "budget_food": "budget_food.csv", "gss_wages": "gss_wages.csv",
          "seattle_pets": "seattle_pets.csv", "us_births": "us_births.csv", "flights": "nycflights13/flights.csv"}
HOLDOUT_SHARE = {"flights": 1 / 3}  # 2:1 train/holdout; the others 80/20
DEFAULT_HOLDOUT_SHARE = 0.2
GATES = ("worst_column_shape", "column_variety", "dependence_kept")
SHOWN_TESTS = ("exact_copies", "near_copies", "relative_near_copies", "closest_record", "identifier_replay", "membership_inference")


# --- data -------------------------------------------------------------------------------------
def load(name: str) -> pd.DataFrame | None:
    path = DATA / TABLES[name]
    if not path.exists():
        print(f"skip {name}: {path} not found", flush=True)
        return None
    return pd.read_csv(path, low_memory=False)


def three_way(real: pd.DataFrame, holdout_share: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, holdout, unseen): unseen = as many rows as the holdout, split off first; the rest is split as
    `synth fit --holdout-out --holdout-share` splits it (so train:holdout is the requested ratio)."""
    unseen_share = holdout_share / (1 + holdout_share)
    rest, unseen = split_holdout(real, unseen_share, seed=seed + 1000)
    train, hold = split_holdout(rest, holdout_share, seed=seed)
    return train, hold, unseen


def roundtrip_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Read a frame back the way the real CSV was read (as bench_fit.py does), so types match a file-based audit."""
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    buf.seek(0)
    return pd.read_csv(buf, low_memory=False)


def fit_twin(train: pd.DataFrame, name: str, seed: int = 1) -> tuple[pd.DataFrame, float]:
    """bench_fit.py's run_synth: SchemaFitter(FitConfig(seed=0)).fit(train).schema_ -> generate len(train) rows."""
    t0 = time.perf_counter()
    schema = SchemaFitter(FitConfig(seed=0)).fit(train, name=name).schema_
    twin = synth.generate(schema, rows=len(train), seed=seed)
    seconds = time.perf_counter() - t0
    return roundtrip_csv(twin)[list(train.columns)], seconds


def with_copies(synthetic: pd.DataFrame, train: pd.DataFrame, share: float, seed: int = 7) -> pd.DataFrame:
    """Replace ``share`` of the synthetic rows (the first ones; twins are in random order) by distinct training rows."""
    n = int(round(share * len(synthetic)))
    rng = np.random.default_rng(seed)
    copies = train.iloc[rng.choice(len(train), n, replace=False)]
    return pd.concat([synthetic.iloc[n:], copies], ignore_index=True)


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns the audit treats as numbers (not dates) that pandas reads as numbers."""
    kinds = infer_kinds(frame)
    return [c for c, k in kinds.items() if k == "numeric" and pd.api.types.is_numeric_dtype(frame[c])]


def noisy(train: pd.DataFrame, rel: float = 0.005, seed: int = 11) -> pd.DataFrame:
    out = train.copy()
    rng = np.random.default_rng(seed)
    for col in numeric_columns(train):
        out[col] = train[col].astype(float) * (1 + rng.uniform(-rel, rel, len(train)))
    return out


def shuffled(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.permutation(len(frame))] for c in frame.columns})


def collapsed(frame: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    kinds = infer_kinds(real)
    for col, kind in kinds.items():
        if kind in ("categorical", "boolean"):
            out[col] = frame[col].mode(dropna=True).iloc[0] if frame[col].notna().any() else frame[col]
    return out


def shifted(frame: pd.DataFrame, real: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The most continuous numeric column (or, with none, date column) moved by 10 standard deviations."""
    out = frame.copy()
    numbers = numeric_columns(real)
    if numbers:
        col = max(numbers, key=lambda c: real[c].nunique())
        out[col] = pd.to_numeric(frame[col], errors="coerce") + 10 * real[col].std()
        return out, col
    dates = [c for c, k in infer_kinds(real).items() if k in ("date", "datetime")]
    col = max(dates, key=lambda c: real[c].nunique())
    parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
    sd = pd.to_datetime(real[col], errors="coerce", format="mixed").std()
    fmt = "%Y-%m-%d" if infer_kinds(real)[col] == "date" else "%Y-%m-%dT%H:%M:%SZ"
    out[col] = (parsed + 10 * sd).dt.strftime(fmt)
    return out, col


# --- the coarse table ---------------------------------------------------------------------------
COARSE_TRAIN, COARSE_HOLD = 6000, 1500  # 80/20; about 8% of unseen rows then repeat a training row


coarse = coarse_table  # eight low-cardinality columns; shared with tests/test_privacy_verdicts.py


def repeat_rate(train: pd.DataFrame, other: pd.DataFrame) -> float:
    seen = set(map(tuple, train.astype(str).to_numpy()))
    return float(np.mean([tuple(r) in seen for r in other.astype(str).to_numpy()]))


# --- auditing -----------------------------------------------------------------------------------
class Fast:
    """Within the block, detection and q-score (reported, never gated) are stubbed out to save time."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __enter__(self) -> None:
        if self.on:
            self.saved = (audit.fidelity.detection, audit.utility.qscore)
            audit.fidelity.detection = lambda *a, **k: Metric("detection", "fidelity", None, None, "detection", skipped="benchmark --fast")
            audit.utility.qscore = lambda *a, **k: Metric("qscore", "utility", None, None, "qscore", skipped="benchmark --fast")

    def __exit__(self, *exc: object) -> None:
        if self.on:
            audit.fidelity.detection, audit.utility.qscore = self.saved


def run_case(table: str, case: str, expected: str, train: pd.DataFrame, synthetic: pd.DataFrame, hold: pd.DataFrame,
             fast: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    with Fast(fast):
        result = audit.run(train, synthetic, holdout=hold, seed=0)
    seconds = time.perf_counter() - t0
    # UNVERIFIED: privacy alone stopped the release because the holdout is too small to catch a 5% leak (exit
    # code 1 like FAIL, never a pass): not a wrong verdict either way, but counted apart.
    unverified = not result.passed and all(f.startswith("privacy not verified") for f in result.failures)
    verdict = "PASS" if result.passed else "UNVERIFIED" if unverified else "FAIL"
    failed = [f.split(":")[0].split(" ")[0] for f in result.failures]
    tests = {}
    for name in TESTS:
        m = result.metric(name)
        if m.skipped is None:
            tests[name] = {"estimate": m.raw, "ci": list(m.ci) if m.ci else None, "p": m.details.get("p_value"),
                           "verdict": m.details.get("verdict")}
    gates = {g: result.metric(g).score for g in GATES}
    row = {"table": table, "case": case, "expected": expected, "verdict": verdict,
           "wrong": expected in ("PASS", "FAIL") and verdict != expected and verdict != "UNVERIFIED", "failed": failed, "failures": result.failures,
           "tests": tests, "gates": gates, "train_rows": len(result.tables.real), "synthetic_rows": len(synthetic),
           "holdout_rows": len(hold), "seconds": round(seconds, 2), **(extra or {})}
    flag = "  <-- WRONG" if row["wrong"] else ""
    estimates = " ".join("{}={:+.3f}(p={:.2g})".format(k, v["estimate"], v["p"]) for k, v in tests.items() if k in SHOWN_TESTS)
    print(f"  {table:12s} {case:24s} expected {expected:6s} got {verdict}  {seconds:6.1f}s  {estimates}"
          + (f"  failed: {','.join(failed)}" if failed else "") + flag, flush=True)
    return row


def case_matrix(name: str, real: pd.DataFrame, fast: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    share = HOLDOUT_SHARE.get(name, DEFAULT_HOLDOUT_SHARE)
    train, hold, unseen = three_way(real, share)
    twin, fit_s = fit_twin(train, name)
    print(f"{name}: train {len(train):,}, holdout {len(hold):,}, unseen {len(unseen):,}; fit+generate {fit_s:.1f}s", flush=True)
    shift_frame, shift_col = shifted(twin, train)
    cases: list[tuple[str, str, Callable[[], pd.DataFrame]]] = [
        ("clean twin", "PASS", lambda: twin),
        ("unseen real rows", "PASS", lambda: unseen),
        ("training rows", "FAIL", lambda: train),
        ("5% copies", "FAIL", lambda: with_copies(twin, train, 0.05)),
        ("2% copies", "report", lambda: with_copies(twin, train, 0.02)),
        ("1% copies", "report", lambda: with_copies(twin, train, 0.01)),
        ("noisy copies 0.5%", "FAIL", lambda: noisy(train)),
        ("shuffled columns", "FAIL", lambda: shuffled(twin)),
        ("collapsed categories", "FAIL", lambda: collapsed(twin, train)),
        (f"shifted 10 sd ({shift_col})", "FAIL", lambda: shift_frame),
    ]
    if not any(k in ("categorical", "boolean") for k in infer_kinds(train).values()):
        cases = [c for c in cases if c[0] != "collapsed categories"]
    if not numeric_columns(train):  # noise on no column would just be the training rows again
        print(f"  {name}: no numeric column, noisy-copies case skipped", flush=True)
        cases = [c for c in cases if not c[0].startswith("noisy")]
    rows = [run_case(name, case, expected, train, make(), hold, fast) for case, expected, make in cases]
    return rows, {"table": name, "fit_generate_s": round(fit_s, 2), "train": len(train), "holdout": len(hold), "unseen": len(unseen)}


def size_sweep(name: str, real: pd.DataFrame, sizes: list[int]) -> list[dict[str, Any]]:
    share = HOLDOUT_SHARE.get(name, DEFAULT_HOLDOUT_SHARE)
    rows = []
    for n in sizes:
        need = int(math.ceil(n / (1 - share)))  # so that split_holdout leaves n training rows
        if need > len(real):
            print(f"  {name}: {n:,} training rows need {need:,} rows, the table has {len(real):,}: skipped", flush=True)
            continue
        sub = real.sample(n=need, random_state=n).reset_index(drop=True)
        train, hold = split_holdout(sub, share, seed=0)
        twin, _ = fit_twin(train, name)
        for leak in (0.01, 0.02, 0.05):
            row = run_case(name, f"{leak:.0%} copies @ {len(train):,}", "report", train, with_copies(twin, train, leak), hold,
                           fast=True, extra={"size": len(train), "leak": leak})
            rows.append(row)
    return rows


def coarse_cases(fast: bool) -> tuple[list[dict[str, Any]], float]:
    train, hold, fresh, unseen = coarse(COARSE_TRAIN, 1), coarse(COARSE_HOLD, 2), coarse(COARSE_TRAIN, 3), coarse(COARSE_HOLD, 4)
    rate = repeat_rate(train, unseen)
    print(f"coarse: train {COARSE_TRAIN:,}, holdout {COARSE_HOLD:,}; {rate:.1%} of unseen rows repeat a training row", flush=True)
    cases = [("clean draws", "PASS", fresh), ("unseen rows", "PASS", unseen), ("training rows", "FAIL", train),
             ("5% copies", "FAIL", with_copies(fresh, train, 0.05)), ("2% copies", "report", with_copies(fresh, train, 0.02))]
    return [run_case("coarse", case, exp, train, frame, hold, fast, {"repeat_rate": rate}) for case, exp, frame in cases], rate


def null_replicates(label: str, make: Callable[[int], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]], n: int) -> dict[str, Any]:
    fails, privacy_fails, reasons, seconds = 0, 0, {}, []
    t_all = time.perf_counter()
    for r in range(n):
        train, syn, hold = make(r)
        t0 = time.perf_counter()
        with Fast(True):
            result = audit.run(train, syn, holdout=hold, seed=r)
        seconds.append(time.perf_counter() - t0)
        if not result.passed:
            fails += 1
            for f in result.failures:
                key = f.split(":")[0].split(" ")[0]
                reasons[key] = reasons.get(key, 0) + 1
        privacy_fails += result.privacy_verdict == "failed"
    lo, hi = _clopper_pearson(fails, n)
    out = {"null": label, "replicates": n, "fails": fails, "rate": fails / n if n else None, "ci95": [lo, hi],
           "privacy_fails": privacy_fails, "reasons": reasons, "seconds_each": round(float(np.mean(seconds)), 2),
           "seconds_total": round(time.perf_counter() - t_all, 1)}
    print(f"  null {label}: {fails}/{n} failed ({out['rate']:.1%}, 95% CI {lo:.1%}-{hi:.1%}); reasons {reasons}", flush=True)
    return out


def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import beta

    if n == 0:
        return float("nan"), float("nan")
    lo = 0.0 if k == 0 else float(beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def real_null(real: pd.DataFrame, share: float) -> Callable[[int], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    def make(r: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        train, hold, unseen = three_way(real, share, seed=10_000 + r)
        return train, unseen, hold
    return make


def coarse_null(kind: str) -> Callable[[int], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    def make(r: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        base = 100 + 4 * r
        train, hold = coarse(COARSE_TRAIN, base), coarse(COARSE_HOLD, base + 1)
        syn = coarse(COARSE_TRAIN, base + 2) if kind == "fresh" else coarse(COARSE_HOLD, base + 3)
        return train, syn, hold
    return make


# --- output -------------------------------------------------------------------------------------
def _test_cell(row: dict[str, Any], name: str) -> str:
    t = row["tests"].get(name)
    if t is None:
        return "-"
    mark = "**" if t["verdict"] == "fail" else ""
    return f"{mark}{100 * t['estimate']:.1f}{mark} [{100 * t['ci'][0]:.1f},{100 * t['ci'][1]:.1f}] p={t['p']:.2g}"


def markdown(rows: list[dict[str, Any]]) -> str:
    tests = [name for name in TESTS if any(name in r["tests"] for r in rows)]
    head = ("| table | case | expected | verdict | failed checks | "
            + " | ".join(f"{name}{' (reported)' if name == 'membership_inference' else ''} % [CI] p" for name in tests)
            + " | gates shape/variety/dependence | s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        verdict = r["verdict"] if not r["wrong"] else f"**{r['verdict']} WRONG**"
        gates = "/".join("-" if v is None else f"{v:.2f}" for v in r["gates"].values())
        lines.append(f"| {r['table']} | {r['case']} | {r['expected']} | {verdict} | {', '.join(r['failed']) or '-'} | "
                     + " | ".join(_test_cell(r, name) for name in tests) + f" | {gates} | {r['seconds']} |")
    return "\n".join(lines)


def code_version() -> str:
    """The commit and a hash of uncommitted changes under audit/ and synth/: the audit evolves, results belong to a version."""
    import hashlib
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", "audit", "synth"], cwd=ROOT, capture_output=True, text=True).stdout
    except OSError:
        return "unknown"
    return f"{head}" + (f"+dirty:{hashlib.sha1(diff.encode()).hexdigest()[:10]}" if diff else "")


def sweep_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    lines = ["| table | training rows | 1% copies | 2% copies | 5% copies |", "|---|---|---|---|---|"]
    by = {}
    for r in rows:
        by.setdefault((r["table"], r["size"]), {})[r["leak"]] = r
    for (table, size), leaks in by.items():
        cells = []
        for leak in (0.01, 0.02, 0.05):
            r = leaks.get(leak)
            if r is None:
                cells.append("-")
                continue
            e = r["tests"]["exact_copies"]
            caught = "caught" if r["verdict"] == "FAIL" else "missed"
            cells.append(f"{caught} (exact {100 * e['estimate']:.1f}% [{100 * e['ci'][0]:.1f},{100 * e['ci'][1]:.1f}] p={e['p']:.2g})")
        lines.append(f"| {table} | {size:,} | " + " | ".join(cells) + " |")
    # from which size each leak is caught (every larger size caught too)
    lines.append("")
    lines.append("| table | leak | caught from (training rows) |")
    lines.append("|---|---|---|")
    tables = sorted({r["table"] for r in rows})
    for table in tables:
        for leak in (0.01, 0.02, 0.05):
            got = sorted((r["size"], r["verdict"] == "FAIL") for r in rows if r["table"] == table and r["leak"] == leak)
            first = next((s for i, (s, _) in enumerate(got) if all(c for _, c in got[i:])), None)
            lines.append(f"| {table} | {leak:.0%} | {'never (up to ' + format(got[-1][0], ',') + ')' if first is None else format(first, ',')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", nargs="*", default=list(TABLES), choices=list(TABLES), help="tables for the case matrix")
    ap.add_argument("--sweep-tables", nargs="*", default=["gss_wages", "us_births"], choices=list(TABLES))
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 5000, 20000, 100000])
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--no-coarse", action="store_true")
    ap.add_argument("--replicates", type=int, default=40, help="null replicates per false-positive check (0: none)")
    ap.add_argument("--fpr-table", default="budget_food", choices=list(TABLES))
    ap.add_argument("--fast", action="store_true", help="stub detection and q-score in the case matrix too")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    version = code_version()
    print(f"code {version}", flush=True)
    rows, fits, sweep, nulls, coarse_rate = [], [], [], [], None
    for name in args.tables:
        real = load(name)
        if real is None:
            continue
        got, fit = case_matrix(name, real, args.fast)
        rows += got
        fits.append(fit)
    if not args.no_coarse:
        got, coarse_rate = coarse_cases(args.fast)
        rows += got
    if not args.no_sweep:
        print("detection size sweep", flush=True)
        for name in args.sweep_tables:
            real = load(name)
            if real is not None:
                sweep += size_sweep(name, real, args.sizes)
    if args.replicates > 0:
        print(f"false-positive rate, {args.replicates} replicates each", flush=True)
        real = load(args.fpr_table)
        if real is not None:
            nulls.append(null_replicates(f"{args.fpr_table}: unseen real rows",
                                         real_null(real, HOLDOUT_SHARE.get(args.fpr_table, DEFAULT_HOLDOUT_SHARE)), args.replicates))
        nulls.append(null_replicates("coarse: fresh draws", coarse_null("fresh"), args.replicates))
        nulls.append(null_replicates("coarse: unseen rows", coarse_null("unseen"), args.replicates))

    print(f"\ncode {version}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, {os.cpu_count()} cores; "
          f"total {time.perf_counter() - started:.0f}s\n")
    if fits:
        print("| table | train | holdout | unseen | fit+generate s |\n|---|---|---|---|---|")
        for f in fits:
            print(f"| {f['table']} | {f['train']:,} | {f['holdout']:,} | {f['unseen']:,} | {f['fit_generate_s']} |")
        print()
    if coarse_rate is not None:
        print(f"coarse table: {coarse_rate:.1%} of unseen rows repeat a training row\n")
    if rows:
        print("Privacy estimates: memorised share in % [95% interval] and p-value vs the 1% tolerance; bold = the test failed.\n")
        print(markdown(rows))
        wrong = [r for r in rows if r["wrong"]]
        print(f"\nWRONG VERDICTS: {len(wrong)}" + "".join(f"\n  - {r['table']} / {r['case']}: expected {r['expected']}, got "
                                                   f"{r['verdict']}; {'; '.join(r['failures']) or 'no failure'}" for r in wrong))
        unverified = [r for r in rows if r["verdict"] == "UNVERIFIED"]
        print(f"UNVERIFIED (holdout too small to catch a 5% leak; exit 1, never a pass): {len(unverified)}"
              + "".join(f"\n  - {r['table']} / {r['case']} (expected {r['expected']})" for r in unverified))
    if sweep:
        print("\nDetection size (fitted twin with planted copies; detection/q-score stubbed):\n")
        print(sweep_markdown(sweep))
    if nulls:
        print("\nFalse-positive rate (null replicates; the verdict should fail at most ~5%):\n")
        print("| null | replicates | failed | rate [95% CI] | privacy failed | reasons | s each |\n|---|---|---|---|---|---|---|")
        for n in nulls:
            flag = " **ABOVE 5%**" if n["ci95"][0] > 0.05 else ""
            print(f"| {n['null']} | {n['replicates']} | {n['fails']} | {n['rate']:.1%} [{n['ci95'][0]:.1%}, {n['ci95'][1]:.1%}]{flag} | "
                  f"{n['privacy_fails']} | {n['reasons'] or '-'} | {n['seconds_each']} |")
    if args.json:
        args.json.write_text(json.dumps({"code": version, "cases": rows, "fits": fits, "sweep": sweep, "nulls": nulls, "coarse_repeat_rate": coarse_rate},
                                        indent=2, default=str))


if __name__ == "__main__":
    main()
