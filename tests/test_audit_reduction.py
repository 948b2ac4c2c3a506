"""The fidelity metrics as partition summaries merged exactly (audit/reduction.py): known answers against the
textbook computations, and the same numbers however the synthetic rows are cut or ordered; the bounded sample.

No cluster here (tests/test_audit_cluster.py runs the same summaries on Dask): small tables, cut into slices.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import audit
import audit.reduction as reduction
from audit.data import align
from audit.reduction import Plan, exact_sum, finish, sample_positions
from synth.errors import SynthError


def table(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(10 + shift, 2, rows).round(1)  # ties
    x[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame({
        "x": x,
        "y": (x * 0.5 + rng.normal(0, 1, rows)).round(2),
        "when": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), unit="D"),
        "size": rng.choice(["S", "M", "L", None], rows, p=[0.4, 0.3, 0.25, 0.05]),
        "shop": rng.choice([f"shop{i}" for i in range(40)], rows),
    })


@pytest.fixture(scope="module")
def tables():
    real, synthetic = table(1500, 1), table(2300, 2, shift=0.3)
    synthetic.loc[:20, "shop"] = "a shop no real row has"
    return real, synthetic


def test_exact_sums_are_exact_and_do_not_depend_on_the_cut():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1e12, 5000), rng.normal(0, 1e-9, 5000), [1e300, -1e300, 5e-324, 0.0, -0.0]]
    rng.shuffle(x)
    whole = exact_sum(x)
    assert float(Fraction(whole, 2**1127)) == math.fsum(x)  # fsum is the correctly rounded exact sum
    assert whole == sum(exact_sum(piece) for piece in np.array_split(x, 7)) == exact_sum(x[::-1])
    assert exact_sum(np.array([])) == 0


def test_the_merged_ks_statistic_is_scipys_with_ties_and_missing_values(tables):
    real, synthetic = tables
    t = align(real, synthetic)
    plan = Plan.of(t)
    syn, rea = finish(t, plan, [plan.scan(t.synthetic.iloc[i:i + 400]) for i in range(0, len(t.synthetic), 400)])
    for col in ("x", "y", "when"):
        r, s = t.real[col].dropna().to_numpy(), t.synthetic[col].dropna().to_numpy()
        assert syn.ks(col, rea) == stats.ks_2samp(r, s).statistic  # both under 10,000 rows: scipy's exact mode
    # more rows than scipy's exact mode takes: the exact fraction, within a rounding of scipy's float difference
    big_real, big_syn = table(12_000, 3), table(15_000, 4, shift=0.1)
    t = align(big_real, big_syn)
    plan = Plan.of(t)
    syn, rea = finish(t, plan, [plan.scan(t.synthetic)])
    assert syn.ks("x", rea) == pytest.approx(stats.ks_2samp(t.real["x"].dropna(), t.synthetic["x"].dropna()).statistic, abs=1e-15)


def test_merged_means_deviations_and_correlations_are_the_textbook_ones(tables):
    real, synthetic = tables
    t = align(real, synthetic)
    plan = Plan.of(t)
    syn, _ = finish(t, plan, [plan.scan(t.synthetic.iloc[i:i + 333]) for i in range(0, len(t.synthetic), 333)])
    s = t.synthetic
    assert syn.mean("y") == pytest.approx(s["y"].mean(), rel=1e-14) and syn.std("y") == pytest.approx(s["y"].std(), rel=1e-12)
    assert syn.pearson("x", "y") == pytest.approx(s[["x", "y"]].corr().iloc[0, 1], rel=1e-12)
    assert syn.numbers["x"].low == s["x"].min() and syn.numbers["x"].high == s["x"].max()
    shops = pd.Series(syn.counts["shop"], index=syn.vocabulary["shop"])
    assert shops[shops > 0].sort_index().equals(s["shop"].value_counts().sort_index().rename(None))
    joint = syn.joints[("size", "shop")]
    assert joint.sum() == len(s) and joint[list(syn.vocabulary["size"]).index("S")].sum() == (s["size"] == "S").sum()


def fidelity(result: audit.AuditResult) -> str:
    return json.dumps([m.to_dict() for m in result.metrics if m.section == "fidelity"]) + json.dumps(result.statistics)


def test_the_fidelity_report_does_not_depend_on_how_the_synthetic_rows_are_sliced(tables, monkeypatch):
    real, synthetic = tables
    whole = audit.run(real, synthetic, sections=["fidelity"])
    monkeypatch.setattr(reduction, "SCAN_ROWS", 170)  # 14 slices
    monkeypatch.setattr(reduction.reduce_local, "__defaults__", (None, 170))
    sliced = audit.run(real, synthetic, sections=["fidelity"])
    assert fidelity(sliced) == fidelity(whole)


def test_parts_combined_in_pairs_merge_to_the_same_numbers(tables):
    real, synthetic = tables
    t = align(real, synthetic)
    plan = Plan.of(t)
    parts = [plan.scan(t.synthetic.iloc[i:i + 300]) for i in range(0, len(t.synthetic), 300)]  # 8 parts
    level = parts
    while len(level) > 1:  # a tree, as a cluster merges them
        level = [plan.combine(*level[i:i + 2]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    at_once, paired = finish(t, plan, parts)[0], finish(t, plan, level)[0]
    assert at_once.rows == paired.rows == len(synthetic)
    for col in plan.numeric:
        assert (at_once.mean(col), at_once.std(col)) == (paired.mean(col), paired.std(col))
        assert at_once.ks(col, finish(t, plan, parts)[1]) == paired.ks(col, finish(t, plan, level)[1])
    for col in plan.categorical:
        assert list(at_once.vocabulary[col]) == list(paired.vocabulary[col])
        assert np.array_equal(at_once.code_counts(col), paired.code_counts(col))
    for k in plan.pairs:
        assert np.array_equal(at_once.joints[k], paired.joints[k])
        assert at_once.products.get(k) == paired.products.get(k)


def test_known_answers_identical_tables_score_1_and_a_shifted_column_is_named(tables):
    real, _ = tables
    same = audit.run(real, real.sample(frac=1, random_state=5), sections=["fidelity"])  # shuffled rows: the same table
    for name in ("column_shapes", "histogram_similarity", "correlation_similarity", "contingency_similarity",
                 "mutual_information", "column_variety"):
        assert same.metric(name).score == pytest.approx(1.0, abs=1e-12), name
    moved = real.assign(y=real["y"] + 5)
    worst = audit.run(real, moved, sections=["fidelity"]).metric("worst_column_shape")
    assert worst.details["column"] == "y" and worst.score < 0.2


def test_sample_positions_are_seeded_bounded_and_sorted():
    a, b = sample_positions(10_000, 3, 500), sample_positions(10_000, 3, 500)
    assert np.array_equal(a, b) and len(np.unique(a)) == 500 and np.all(np.diff(a) > 0) and a.max() < 10_000
    assert not np.array_equal(a, sample_positions(10_000, 4, 500)) and sample_positions(500, 3, 500) is None


def test_above_the_bound_the_report_says_what_ran_on_the_sample(tables):
    real, synthetic = tables
    result = audit.run(real, synthetic, target="y", sample_rows=600)
    assert result.to_dict()["inputs"]["synthetic_rows"] == len(synthetic)
    assert any("2,300 synthetic rows" in n and "sample of 600" in n for n in result.notes)
    assert "sample of 600 of the 2,300 synthetic rows" in result.metric("detection").meaning
    assert result.statistics["x"]["synthetic"]["sampled"] == ["distinct", "median"]
    every = audit.run(real, synthetic, target="y")  # under the bound: every row, and nothing said
    assert not any("seeded sample" in n for n in every.notes) and "sampled" not in every.statistics["x"]["synthetic"]
    # the exact metrics cover every row either way (the Spearman correlations beside Pearson's are the sample's)
    for name in ("column_shapes", "histogram_similarity", "correlation_similarity", "contingency_similarity", "mutual_information"):
        a, b = result.metric(name).to_dict(), every.metric(name).to_dict()
        assert (a["score"], a["details"].get("per_pair")) == (b["score"], b["details"].get("per_pair")), name
    assert result.statistics["x"]["synthetic"]["mean"] == every.statistics["x"]["synthetic"]["mean"]


# --- the real side profiled partition by partition ------------------------------------------------------------------
def _plan_fields(plan: Plan) -> dict:
    return {"columns": plan.columns, "numeric": plan.numeric, "categorical": plan.categorical, "pairs": plan.pairs,
            "centre": plan.centre, "distinct": {c: v.tolist() for c, v in plan.distinct.items()},
            "edges": {c: v.tolist() for c, v in plan.edges.items()}, "deciles": {c: v.tolist() for c, v in plan.deciles.items()},
            "real_values": {c: v.tolist() for c, v in plan.real_values.items()}}


def _profiled(t, cut: int) -> reduction.Profile:
    parts = [reduction.Profile.of(t.real.iloc[i:i + cut], t.numeric, t.categorical) for i in range(0, len(t.real), cut)]
    while len(parts) > 1:  # merged in pairs, as the workers merge them
        parts = [a.combine(b) for a, b in zip(parts[::2], parts[1::2])] + parts[len(parts) // 2 * 2:]
    return parts[0]


@pytest.mark.parametrize("cut", [1500, 199, 7])
def test_the_plan_from_a_partitioned_profile_is_the_plan_of_the_whole_real_table(tables, cut):
    t = align(*tables)
    whole = Plan.of(t, seed=0)
    assert _plan_fields(Plan.from_profile(t, _profiled(t, cut), seed=0)) == _plan_fields(whole)
    assert whole.real_values["shop"].tolist() == t.real["shop"].unique().tolist()  # in the order of first occurrence


@pytest.mark.parametrize("name", ["penguins", "gss_wages"])
def test_the_profiled_plan_and_real_summary_equal_the_whole_tables_on_real_data(name):
    from synth.tables import read_table

    path = Path("/work/shared/data") / f"{name}.csv"
    if not path.exists():
        pytest.skip("needs /work/shared/data")
    frame = read_table(path)
    t = align(frame, frame)
    whole = Plan.of(t, seed=0)
    plan = Plan.from_profile(t, _profiled(t, 97), seed=0)
    assert _plan_fields(plan) == _plan_fields(whole)
    cut = [plan.scan(t.real.iloc[i:i + 101]) for i in range(0, len(t.real), 101)]
    combined = cut[0]
    for part in cut[1:]:
        combined = plan.combine(combined, part)
    syn, real = finish(t, plan, [plan.scan(t.synthetic)], [combined])
    syn_whole, real_whole = finish(t, whole, [whole.scan(t.synthetic)])
    for col in t.numeric:
        assert (real.mean(col), real.std(col), real.ks(col, real)) == (real_whole.mean(col), real_whole.std(col), real_whole.ks(col, real_whole))
        assert syn.ks(col, real) == syn_whole.ks(col, real_whole) == 0.0
    for key in whole.pairs:
        assert np.array_equal(real.joints[key], real_whole.joints[key])


def test_a_real_number_column_with_too_many_distinct_values_is_one_line_naming_it():
    a = reduction.Profile.of(pd.DataFrame({"price": [1.0, 2.0, 3.0]}), ["price"], [])
    b = reduction.Profile.of(pd.DataFrame({"price": [4.0, 2.0]}), ["price"], [])
    assert a.combine(b, limit=4).numbers["price"][1].tolist() == [1, 2, 1, 1]
    with pytest.raises(SynthError, match="real column 'price' has more than 3 distinct values"):
        a.combine(b, limit=3)


def test_a_large_real_table_samples_its_real_side_for_the_metrics_that_do_not_merge_and_says_so(tables):
    real, synthetic = tables
    result = audit.run(real, synthetic, seed=0, sample_rows=1000)  # 1,500 real and 2,300 synthetic rows
    assert any("1,500 real rows: Spearman correlations, detection, time series and utility read a seeded sample of 1,000"
               in n for n in result.notes), result.notes
    assert result.metric("correlation_similarity").details["spearman_on_real_sample"] == 1000
    assert result.to_dict()["inputs"]["real_rows"] == 1500
    # the merged metrics still read every real row: the same numbers as with no bound
    unbounded = audit.run(real, synthetic, seed=0)
    for name in ("column_shapes", "histogram_similarity", "contingency_similarity", "mutual_information"):
        assert result.metric(name).score == unbounded.metric(name).score
