"""Research benchmark: which privacy estimand tells a clean fitted twin from a leak?

Sibling of ``bench_twin_privacy.py`` (same tables, splits, fits and twins). For every case it computes the current
deciding family (``audit.privacy.run_tests``: attribution of each synthetic row to training vs holdout rows) and
candidate **population-baseline** tests, which ask instead: do synthetic rows land on (or near) training rows more
often than *holdout* rows do? The holdout is a sample of the population the generator learned, so a generator that
learned the population (not its rows) puts a row within radius ``r`` of a training row about as often as a holdout
row lands there. A copy always lands there (distance 0), so with a share ``lambda`` of copies

    s_syn = lambda + (1 - lambda) * s_base      ->      lambda = (s_syn - s_hold) / (1 - s_hold)

(``s_hold`` estimates ``s_base``), i.e. the memorised share with ``kappa = 1 - s_hold``, tested against the same 1%
tolerance. Conditional on the training rows, synthetic rows are independent draws of the generator and holdout rows
independent draws of the population, so the standard error is that of two independent proportions (delta method
for the ratio). Candidates (each a one-sided z-test, Holm over the family at 5%):

- ``pop_exact``: distance 0 in the modelled columns (numbers and categories; identifiers apart);
- ``pop_near``: within the near-copies radius (0.1 robust sd x sqrt(number columns));
- ``pop_relative``: every number within about 1% of its value (log scale), categories equal;
- ``pop_dcr5``: within the holdout's own 5th percentile of distance to the closest training row (SDMetrics'
  DCR baseline / "syntheticity" idea made a test: a radius set by the population, not by us).

Families compared (the verdict "fail" when any deciding test fails; identifier replay kept in every family):

- ``current``: as `synth audit` decides today;
- ``pop``: pop_exact + pop_near + pop_relative (+ identifier_replay);
- ``pop+dcr5``: the same plus pop_dcr5;
- ``pop_small``: pop_exact + pop_relative + pop_dcr5 (the radii where the population rarely lands);
- ``dd``: the small radii corrected for the generator's smoothness (``dd_exact``, ``dd_dcr5``, ``dd_relative``): a
  generator smoother than the population lands on training rows *less* often than holdout rows do, which hides
  copies from the plain population test. How often synthetic rows land on *holdout* rows, over how often training
  rows do, measures that smoothness (a copy of a training row lands on holdout rows at the population's rate; the
  generator never saw the holdout): two rates, two unknowns (see :func:`corrected_share`);
- ``hybrid``: current exact_copies and relative_near_copies (attribution) + pop_near in place of near_copies and
  closest_record.

A candidate test decides only when it could show a 5% leak (``tolerance + z * se <= 5%``): on a coarse table, where
nearly every holdout row equals a training row, no test over the modelled columns can. A family that fails nothing
passes only when both kinds of leak could have been seen, exact copies (a deciding test at distance 0, or identifier
replay) and noisy ones (a deciding test at a radius, when there are number columns); otherwise "not verified" (as the
audit says for a holdout too small).

Cases per (table, fit seed, generate seed): ``twin`` [PASS], ``leak5``/``leak2`` [FAIL] (5%/2% of the twin's rows
replaced by training rows), ``noisy5``/``noisy2`` [FAIL] (5%/2% replaced by training rows whose numbers are moved by up to 0.5%
of their value, as tests/test_privacy_verdicts.py makes noisy copies); per fit seed ``unseen`` [PASS] (real rows the
generator never saw in the twin's place).

    nice python bench/bench_privacy_estimand.py --tables budget_food_8000 planes --fits 3 --gens 4 --json out.json
    python bench/bench_privacy_estimand.py --rescore out.json          # the rates again from stored statistics
    nice python bench/bench_privacy_estimand.py --tables budget_food_8000 gss_wages --null 40   # the null alone, no fit
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth  # noqa: E402
from audit.data import Encoding, align  # noqa: E402
from audit.evidence import NEAR_RADIUS, RELATIVE_RADIUS, row_hashes  # noqa: E402
from audit.neighbours import FAR, nearest  # noqa: E402
from audit.privacy import ALPHA, DETECTABLE_ABOVE_TOLERANCE, TOLERANCE, run_tests, verification  # noqa: E402
from bench_twin_privacy import DECIDING, TABLES, parts, read_table, roundtrip_csv, with_copies  # noqa: E402
from synth.fit import FitConfig, SchemaFitter  # noqa: E402

TABLES = {**TABLES, "planes_noid": TABLES["planes"]}
EXPECT = {"twin": "pass", "unseen": "pass", "leak5": "fail", "leak2": "fail", "noisy5": "fail", "noisy2": "fail"}


def noisy_copies(synthetic: pd.DataFrame, train: pd.DataFrame, share: float, numeric: list[str], seed: int = 11) -> pd.DataFrame:
    """``share`` of the rows replaced by training rows whose numbers move by up to 0.5% of their value."""
    rng = np.random.default_rng(seed)
    n = int(round(share * len(synthetic)))
    copies = train.iloc[rng.choice(len(train), n, replace=False)].copy()
    for col in numeric:
        if pd.api.types.is_numeric_dtype(copies[col]):  # dates the audit reads as numbers stay as they are
            copies[col] = copies[col] * (1 + rng.uniform(-0.005, 0.005, n))
    return pd.concat([synthetic.iloc[n:], copies], ignore_index=True)


def population_share(s_syn: float, n_syn: int, s_hold: float, n_hold: int) -> tuple[float, float]:
    """Memorised share ``(s_syn - s_hold) / (1 - s_hold)`` and its standard error (two independent binomials; the
    holdout's proportion shrunk by one pseudo-row each way so a 0/n baseline does not claim zero variance)."""
    if s_hold >= 1:
        return 0.0, math.inf
    sh = (s_hold * n_hold + 0.5) / (n_hold + 1)
    ss = (s_syn * n_syn + 0.5) / (n_syn + 1)
    k = 1 - s_hold
    lam = (s_syn - s_hold) / k
    # d lam / d s_syn = 1/k; d lam / d s_hold = (s_syn - 1) / k^2
    var = ss * (1 - ss) / n_syn / k ** 2 + sh * (1 - sh) / n_hold * ((1 - s_syn) / k ** 2) ** 2
    return lam, math.sqrt(var)


def corrected_share(s_syn: float, n_syn: int, s_hold: float, n_hold: int, s_h: float, h_h: float, n_train: int) -> tuple[float, float]:
    """The population share corrected for the generator's smoothness. Two rates, two unknowns: a share ``lambda`` of
    copies and, for the rest, a sharpness ``rho`` relative to the population (their rate of landing on a real row is
    ``rho`` times the population's, for any real rows they never saw). Landing on training rows:
    ``s_syn = lambda + (1 - lambda) rho s_hold``; on holdout rows, which copies land on at the population's rate too:
    ``s_h / h_h = lambda + (1 - lambda) rho``. So ``lambda = (s_syn - (s_h / h_h) s_hold) / (1 - s_hold)``: the plain
    population share when ``s_h = h_h``. Without enough landings on holdout rows to measure the ratio (fewer than 20
    expected), the plain test. Standard error by the delta method, the four proportions taken as independent (s_syn
    and s_h come from the same synthetic rows: research only)."""
    if h_h * n_train < 20:
        return population_share(s_syn, n_syn, s_hold, n_hold)
    if s_hold >= 1:
        return 0.0, math.inf
    a = s_h / h_h
    k = 1 - s_hold
    lam = (s_syn - a * s_hold) / k
    v = lambda x, n: max(x * (1 - x), 0.25 / n) / n  # binomial, floored at a quarter of a row
    var_a = a ** 2 * (v(s_h, n_syn) / max(s_h, 0.5 / n_syn) ** 2 + v(h_h, n_train) / h_h ** 2)
    var = v(s_syn, n_syn) / k ** 2 + var_a * (s_hold / k) ** 2 + v(s_hold, n_hold) * ((s_syn - a) / k ** 2) ** 2
    return lam, math.sqrt(var)


def p_value(estimate: float, se: float, tolerance: float = TOLERANCE) -> float:
    if not (se > 0) or not math.isfinite(se):
        return 0.0 if estimate > tolerance else 1.0
    return float(0.5 * math.erfc((estimate - tolerance) / se / math.sqrt(2)))


def holm(ps: dict[str, float], alpha: float = ALPHA) -> bool:
    """True when Holm's step-down rejects at least one (= the smallest p below alpha / m)."""
    return bool(ps) and min(ps.values()) <= alpha / len(ps)


def statistics(train: pd.DataFrame, synthetic: pd.DataFrame, hold: pd.DataFrame) -> dict[str, Any]:
    """What every candidate needs: distances to the closest training row, for synthetic and holdout rows."""
    t = align(train, synthetic[list(train.columns)], hold)
    enc = Encoding.fit(t)
    tests = run_tests(t, enc, DECIDING, [], seed=0)
    current = {m.name: {"estimate": float(m.raw), "se": float(m.details["standard_error"]), "p": float(m.details["p_value"]),
                        "verdict": m.details.get("verdict")} for m in tests if m.skipped is None}
    tr, sy, ho = enc.mixed(t.real), enc.mixed(t.synthetic), enc.mixed(t.holdout)
    d_syn, d_hold = (np.minimum(nearest(tr, q)[0], FAR) for q in (sy, ho))
    # the other direction, for the smoothness correction (pop_dd): synthetic rows and training rows to holdout rows
    e_syn, e_train = (np.minimum(nearest(ho, q)[0], FAR) for q in (sy, tr))
    radius = min(NEAR_RADIUS * math.sqrt(len(t.numeric)), FAR / 2)
    out: dict[str, Any] = {"n_syn": len(sy), "n_hold": len(ho), "current": current, "radius": radius,
                           "current_verified": verification(tests, bool(t.numeric))[1],
                           "has_numbers": bool(t.numeric)}
    shares = {}
    for name, r in (("pop_exact", 0.0), ("pop_near", radius)):
        shares[name] = (float(np.mean(d_syn <= r)), float(np.mean(d_hold <= r)))
    q5 = float(np.quantile(d_hold, 0.05))
    shares["pop_dcr5"] = (float(np.mean(d_syn <= q5)), float(np.mean(d_hold <= q5)))
    # toward holdout rows: (synthetic rows within r of a holdout row, training rows within r of one); copies of training
    # rows land on holdout rows at the population's rate, so the ratio measures the generator's smoothness alone
    out["toward_holdout"] = {name: (float(np.mean(e_syn <= r)), float(np.mean(e_train <= r)), len(e_train))
                             for name, r in (("pop_exact", 0.0), ("pop_near", radius), ("pop_dcr5", q5))}
    out["dcr5_radius"] = q5
    if t.numeric:
        rr = min(RELATIVE_RADIUS * math.sqrt(len(t.numeric)), FAR / 2)
        rtr = enc.mixed(t.real, relative=True)
        rs, rh = (np.minimum(nearest(rtr, enc.mixed(f, relative=True), within=rr * 1.0001)[0], FAR) for f in (t.synthetic, t.holdout))
        shares["pop_relative"] = (float(np.mean(rs <= rr)), float(np.mean(rh <= rr)))
        rho_ = enc.mixed(t.holdout, relative=True)
        es, et = (np.minimum(nearest(rho_, q, within=rr * 1.0001)[0], FAR) for q in (enc.mixed(t.synthetic, relative=True), rtr))
        out["toward_holdout"]["pop_relative"] = (float(np.mean(es <= rr)), float(np.mean(et <= rr)), len(et))
    # whole rows, identifiers included (hashes): for the record
    train_h = set(row_hashes(t.real).tolist())
    shares["pop_whole_row"] = (float(np.isin(row_hashes(t.synthetic), list(train_h)).mean()),
                               float(np.isin(row_hashes(t.holdout), list(train_h)).mean()))
    out["shares"] = shares
    # DCR curves (capped at FAR) for re-analysis: counts at or below fixed radii
    grid = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75]
    out["grid"] = {"r": grid, "syn": [int((d_syn <= r).sum()) for r in grid], "hold": [int((d_hold <= r).sum()) for r in grid]}
    return out


def decide(stat: dict[str, Any]) -> dict[str, Any]:
    """Per candidate test: estimate, se, p; per family: the verdict."""
    n_syn, n_hold = stat["n_syn"], stat["n_hold"]
    cand = {}
    for name, (s_syn, s_hold) in stat["shares"].items():
        lam, se = population_share(s_syn, n_syn, s_hold, n_hold)
        cand[name] = {"estimate": lam, "se": se, "p": p_value(lam, se), "s_syn": s_syn, "s_hold": s_hold}
    for name, (s_h, h_h, n_t) in stat.get("toward_holdout", {}).items():
        lam, se = corrected_share(stat["shares"][name][0], n_syn, stat["shares"][name][1], n_hold, s_h, h_h, n_t)
        cand[name.replace("pop_", "dd_")] = {"estimate": lam, "se": se, "p": p_value(lam, se), "s_syn": s_h, "s_hold": h_h}
    from scipy.stats import norm

    z = norm.isf(ALPHA / 3)
    for c in cand.values():
        # as the current tests skip themselves when a copy cannot be told from chance (kappa <= 0): a test whose
        # interval is so wide that it could not show a 5% leak decides nothing (here: 1 - s_hold small, coarse tables)
        c["informative"] = bool(TOLERANCE + z * c["se"] <= TOLERANCE + DETECTABLE_ABOVE_TOLERANCE)
    cur = stat["current"]
    ident = {k: v["p"] for k, v in cur.items() if k == "identifier_replay"}

    def family(*names: str, current: tuple[str, ...] = ()) -> str:
        ps = {k: cand[k]["p"] for k in names if k in cand and cand[k]["informative"]}
        ps.update({k: cur[k]["p"] for k in current if k in cur})
        ps.update(ident)
        if holm(ps):
            return "fail"
        # a pass says both kinds of leak could have been seen: exact copies (a test at distance 0, or identifiers)
        # and noisy ones (a test at a radius); otherwise, as a holdout too small, "not verified"
        exact = any(k in ps for k in ("pop_exact", "dd_exact", "exact_copies", "identifier_replay"))
        noisy = any(k in ps for k in names + current if not k.endswith("exact") and k != "exact_copies")
        return "pass" if exact and (noisy or not stat.get("has_numbers", True)) else "not verified"

    cur_verdict = "fail" if any(v["verdict"] == "fail" for v in cur.values()) else "pass"
    if cur_verdict == "pass" and not stat.get("current_verified", True):
        cur_verdict = "not verified"
    fam = {
        "current": cur_verdict,
        "pop": family("pop_exact", "pop_near", "pop_relative"),
        "pop+dcr5": family("pop_exact", "pop_near", "pop_relative", "pop_dcr5"),
        "pop_small": family("pop_exact", "pop_relative", "pop_dcr5"),
        "dd": family("dd_exact", "dd_dcr5", "dd_relative"),
        "hybrid": family("pop_near", current=("exact_copies", "relative_near_copies")),
    }
    return {"candidates": cand, "families": fam}


def run_table(name: str, real: pd.DataFrame, fits: int, gens: int) -> list[dict[str, Any]]:
    rows = []
    for f in range(fits):
        train, hold, unseen = parts(name, real, f)
        t0 = time.perf_counter()
        schema = SchemaFitter(FitConfig(seed=f)).fit(train, name=name).schema_
        fit_s = time.perf_counter() - t0
        numeric = align(train, train, hold).numeric  # the columns the audit reads as numbers
        cases = [("unseen", -1, unseen)]
        for g in range(gens):
            twin = roundtrip_csv(synth.generate(schema, rows=len(train), seed=g))[list(train.columns)]
            cases += [("twin", g, twin), ("leak5", g, with_copies(twin, train, 0.05, seed=7 + g)),
                      ("leak2", g, with_copies(twin, train, 0.02, seed=7 + g)),
                      ("noisy5", g, noisy_copies(twin, train, 0.05, numeric, seed=11 + g)),
                      ("noisy2", g, noisy_copies(twin, train, 0.02, numeric, seed=11 + g))]
        for case, g, synthetic in cases:
            stat = statistics(train, synthetic, hold)
            rows.append({"table": name, "fit": f, "gen": g, "case": case, **stat, **decide(stat)})
        print(f"{name} fit {f}: {len(train)} train, {len(hold)} holdout; fit {fit_s:.1f}s, total {time.perf_counter() - t0:.0f}s; "
              + " ".join(f"{r['case']}{r['gen'] if r['gen'] >= 0 else ''}={''.join(v[0] for v in r['families'].values())}"
                         for r in rows if r["fit"] == f and r["table"] == name), flush=True)
    return rows


def run_null(name: str, real: pd.DataFrame, splits: int) -> list[dict[str, Any]]:
    """The null alone, cheaply (no fit): ``splits`` random (train, holdout, unseen) splits with the unseen real rows as
    the synthetic table; every family should fail at most about 5% of them."""
    rows = []
    for f in range(splits):
        train, hold, unseen = parts(name, real, 100 + f)
        stat = statistics(train, unseen, hold)
        rows.append({"table": name, "fit": f, "gen": -1, "case": "unseen", **stat, **decide(stat)})
    print(f"{name}: {splits} null splits; fails: " + ", ".join(f"{fam} {sum(r['families'][fam] == 'fail' for r in rows)}"
                                                               for fam in rows[0]["families"]), flush=True)
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    """Wrong-verdict rates per table, case and family (twin/unseen: false fails; leaks: misses), then per candidate test
    the mean estimate, mean se and the share of cases it alone would fail at alpha."""
    frame = pd.DataFrame(rows)
    families = list(rows[0]["families"])
    out = ["| table | case | audits | " + " | ".join(f"{f} wrong" for f in families) + " |",
           "|---|---|---:|" + "---:|" * len(families)]
    for (table, case), g in frame.groupby(["table", "case"], sort=False):
        # wrong verdicts (a fail where a pass is expected, or a pass where a fail is); "not verified" counted apart
        cells = [f"{sum(r[fam] not in (EXPECT[case], 'not verified') for r in g['families'])}/{len(g)}"
                 + (f" ({nv} nv)" if (nv := sum(r[fam] == 'not verified' for r in g['families'])) else "") for fam in families]
        out.append(f"| {table} | {case} | {len(g)} | " + " | ".join(cells) + " |")
    out += ["", "sd over gens: the spread of the estimate over generate seeds of one fit (pooled over fits), what the se "
            "would be if it described the generator's own noise (the holdout's noise, shared by one fit's twins, is not in it).",
            "", "| table | case | test | mean s_syn | mean s_hold | mean estimate | mean se | sd over gens | fails alone (p < 5%) |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for (table, case), g in frame.groupby(["table", "case"], sort=False):
        for test in g.iloc[0]["candidates"]:
            c = pd.DataFrame([{**r[test], "fit": f} for r, f in zip(g["candidates"], g["fit"]) if test in r])
            spread = c.groupby("fit")["estimate"].var().mean() ** 0.5 if c.groupby("fit").size().min() > 1 else float("nan")
            out.append(f"| {table} | {case} | {test} | {c['s_syn'].mean():.4f} | {c['s_hold'].mean():.4f} | {c['estimate'].mean():+.4f} | "
                       f"{c['se'].mean():.4f} | {spread:.4f} | {(c['p'] < ALPHA).sum()}/{len(c)}"
                       + (f" ({(~c['informative']).sum()} uninformative)" if (~c['informative']).any() else "") + " |")
        for test in DECIDING:
            vals = [r[test] for r in g["current"] if test in r]
            if vals:
                c = pd.DataFrame(vals)
                out.append(f"| {table} | {case} | current {test} | | | {c['estimate'].mean():+.4f} | {c['se'].mean():.4f} | | "
                           f"{(c['verdict'] == 'fail').sum()}/{len(c)} (Holm) |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tables", nargs="*", default=["budget_food_8000", "budget_food", "planes", "gss_wages"])
    ap.add_argument("--fits", type=int, default=2)
    ap.add_argument("--gens", type=int, default=4)
    ap.add_argument("--max-rows", type=int, default=None, help="use at most this many rows of each table (seeded sample)")
    ap.add_argument("--null", type=int, default=0, metavar="N", help="only N random splits with unseen rows as the "
                    "synthetic table (no fit): the families' false-fail rate under the null")
    ap.add_argument("--json", type=Path, default=None, help="store every case's statistics here")
    ap.add_argument("--rescore", nargs="*", type=Path, default=None, help="only re-decide stored statistics (JSON files)")
    args = ap.parse_args()
    if args.rescore:
        rows = [{**r, **decide(r)} for path in args.rescore for r in json.loads(path.read_text())]
        print(report(rows))
        return
    rows: list[dict[str, Any]] = []
    for name in args.tables:
        real = read_table(name, args.max_rows, TABLES)
        if real is None:
            continue
        if name == "planes_noid":  # planes without its identifier: only the modelled columns can show a copy
            real = real.drop(columns=["tailnum"])
        rows += run_null(name, real, args.null) if args.null else run_table(name, real, args.fits, args.gens)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=0))
    print(report(rows))


if __name__ == "__main__":
    main()
