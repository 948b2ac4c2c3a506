"""The auditor on cases whose answer is known: identical, shuffled, shifted, copied, noisy, unseen-real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import audit
import synth
from synth.cli import app

POPULATION = """
name: people
columns:
  - {name: age, kind: integer, distribution: normal, mean: 45, std: 12, min: 18, max: 90}
  - {name: income, kind: float, distribution: lognormal, mu: 10.5, sigma: 0.5, round: 0}
  - {name: spend, kind: float, distribution: gamma, shape: 2, scale: 300, round: 2}
  - {name: segment, kind: choice, values: [basic, plus, premium], weights: [6, 3, 1]}
  - {name: region, kind: choice, values: [north, south, east, west]}
  - {name: member, kind: boolean, probability: 0.3}
correlations:
  - {columns: [age, income], rank: 0.5}
  - {columns: [income, spend], rank: 0.7}
  - {columns: [income, segment], rank: 0.6}
"""


def population(rows: int, seed: int) -> pd.DataFrame:
    frame = synth.generate(synth.Schema.from_yaml_text(POPULATION), rows=rows, seed=seed)
    return frame.astype({"segment": str, "region": str})


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    return {"train": population(3000, 1), "holdout": population(3000, 2), "fresh": population(3000, 3)}


def run(world, synthetic: pd.DataFrame, **kw) -> audit.AuditResult:
    return audit.run(world["train"], synthetic, holdout=world["holdout"], seed=0, **kw)


def test_identical_tables_score_full_fidelity(world):
    result = run(world, world["train"].copy())
    assert result.metric("column_shapes").score == pytest.approx(1.0)
    assert result.metric("pair_trends").score == pytest.approx(1.0)
    assert result.metric("mutual_information").score == pytest.approx(1.0)
    assert result.metric("detection").raw < 0.6


def test_a_number_almost_always_missing_does_not_stop_the_detector(tmp_path):
    """planes.csv's speed: one real row in 300 has it, the twin none. A cross-validation fold without that row
    saw the column all missing, and scikit-learn's binning raised; the detector now goes on without it."""
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"seats": rng.integers(10, 300, 300), "speed": [432.0] + [np.nan] * 299})
    twin = pd.DataFrame({"seats": rng.integers(10, 300, 300), "speed": [np.nan] * 300})
    real.to_csv(tmp_path / "real.csv", index=False)
    twin.to_csv(tmp_path / "twin.csv", index=False)
    result = CliRunner().invoke(app, ["audit", str(tmp_path / "real.csv"), str(tmp_path / "twin.csv"), "--allow-no-holdout",
                                      "--json", str(tmp_path / "r.json"), "-q"])
    assert result.exit_code in (0, 1) and (result.exception is None or isinstance(result.exception, SystemExit)), result.exception
    detection = next(m for m in json.loads((tmp_path / "r.json").read_text())["metrics"] if m["name"] == "detection")
    assert detection["raw"] < 0.65  # the seats are drawn alike: the detector cannot tell them apart


def test_fresh_draws_from_the_same_distribution_pass_everything(world):
    result = run(world, world["fresh"], target="spend")
    assert result.summary["fidelity"] > 0.85 and result.summary["privacy"] > 0.8
    assert result.passed


def test_shuffling_each_column_keeps_shapes_but_breaks_pairs(world):
    rng = np.random.default_rng(0)
    shuffled = world["fresh"].apply(lambda c: c.to_numpy()[rng.permutation(len(c))])
    fresh = run(world, world["fresh"])
    result = run(world, shuffled)
    assert result.metric("column_shapes").score > 0.95
    assert result.metric("correlation_similarity").score < fresh.metric("correlation_similarity").score - 0.1
    pair = "income ~ segment"  # the one category pair with a real dependence
    assert result.metric("contingency_similarity").details["per_pair"][pair] < fresh.metric("contingency_similarity").details["per_pair"][pair] - 0.05
    assert result.metric("detection").raw > 0.65


def test_another_distribution_scores_low_fidelity(world):
    other = world["fresh"].copy()
    rng = np.random.default_rng(1)
    other["age"] = rng.integers(80, 90, len(other))
    other["income"] = rng.uniform(0, 1000, len(other))
    other["spend"] = rng.uniform(5000, 9000, len(other))
    other["segment"] = "premium"
    result = run(world, other)
    assert result.metric("column_shapes").score < 0.6
    assert result.summary["fidelity"] < 0.6


def test_one_shifted_column_drops_its_shape_and_every_pair_with_it(world):
    fresh = run(world, world["fresh"])
    shifted = world["fresh"].copy()
    shifted["income"] = shifted["income"] + 10 * shifted["income"].max()
    result = run(world, shifted)
    assert result.metric("column_shapes").details["per_column"]["income"] < 0.05
    assert result.metric("column_shapes").details["per_column"]["age"] > 0.9
    before = {**fresh.metric("correlation_similarity").details["per_pair"], **fresh.metric("contingency_similarity").details["per_pair"]}
    after = {**result.metric("correlation_similarity").details["per_pair"], **result.metric("contingency_similarity").details["per_pair"]}
    involving = [p for p in after if "income" in p.split(" ~ ")]
    assert any("segment" in p for p in involving)  # numeric x categorical pairs are scored too
    for pair in involving:
        if pair in result.metric("contingency_similarity").details["per_pair"]:
            assert after[pair] < before[pair] - 0.2, pair
    untouched = [p for p in after if "income" not in p]
    assert all(abs(after[p] - before[p]) < 1e-9 for p in untouched)


def verdict(result: audit.AuditResult, name: str) -> str:
    return result.metric(name).details["verdict"]


def test_training_rows_as_synthetic_fail_privacy(world):
    result = run(world, world["train"].copy())
    assert result.metric("exact_copies").raw == pytest.approx(1.0)
    assert result.metric("membership_inference").raw > 0.9
    assert result.metric("closest_record").raw > 0.9
    assert all(verdict(result, n) == "fail" for n in ("exact_copies", "relative_near_copies", "closest_record"))
    assert verdict(result, "membership_inference") == "reported"  # decides only when a policy names it
    assert verdict(result, "near_copies") == "reported"
    assert result.summary["privacy"] < 0.1 and not result.passed and result.privacy_verdict == "failed"


def test_five_percent_copied_rows_are_flagged(world):
    fresh = world["fresh"].copy()
    copied = world["train"].sample(n=150, random_state=0)
    leaky = pd.concat([fresh.iloc[150:], copied], ignore_index=True)
    result = run(world, leaky)
    assert result.metric("exact_copies").raw == pytest.approx(0.05, abs=0.005)
    assert verdict(result, "exact_copies") == "fail" and not result.passed
    assert any(f.startswith("exact_copies: 5.0% memorised") for f in result.failures)
    clean = run(world, fresh)
    assert verdict(clean, "exact_copies") == "pass" and clean.passed


def test_training_rows_with_small_noise_are_flagged_by_distances(world):
    noisy = world["train"].copy()
    rng = np.random.default_rng(2)
    for col in ("income", "spend"):
        noisy[col] = noisy[col] * (1 + rng.normal(0, 0.01, len(noisy)))
    result = run(world, noisy)
    assert verdict(result, "exact_copies") == "pass"  # no exact copies left...
    assert result.metric("closest_record").raw > 0.9  # ...but they sit on training rows
    assert verdict(result, "closest_record") == "fail"
    assert result.metric("membership_inference").raw > 0.7 and not result.passed and result.privacy_verdict == "failed"


def test_unseen_real_rows_are_not_a_leak(world):
    result = audit.run(world["train"], world["holdout"], holdout=population(3000, 9), seed=0)
    assert result.privacy_verdict == "passed" and result.passed
    assert abs(result.metric("closest_record").raw) < 0.1


def test_attribute_inference_flags_a_leaked_secret(world):
    leaky = world["train"].copy()
    safe = run(world, world["fresh"], sensitive=["region"]).metric("attribute_inference")
    result = run(world, leaky, sensitive=["region"]).metric("attribute_inference")
    assert result.raw > 0.3 and result.details["verdict"] == "fail"
    assert safe.details["verdict"] == "pass" and abs(safe.raw) < 0.05


def test_identifier_replay_counts_real_ids_in_synthetic(world):
    train, hold, fresh = (world[k].copy() for k in ("train", "holdout", "fresh"))
    train["email"] = [f"person{i}@example.com" for i in range(len(train))]
    hold["email"] = [f"other{i}@example.org" for i in range(len(hold))]
    fresh["email"] = list(train["email"].iloc[:600]) + [f"new{i}@example.net" for i in range(len(fresh) - 600)]
    result = audit.run(train, fresh, holdout=hold, seed=0)
    assert result.tables.kinds["email"] == "identifier"
    assert result.metric("identifier_replay").raw == pytest.approx(0.2)
    assert verdict(result, "identifier_replay") == "fail"


def test_identifier_replay_ignores_names_shared_by_many_rows_but_counts_rare_ones(world):
    train, hold, fresh = (world[k].copy() for k in ("train", "holdout", "fresh"))
    rng = np.random.default_rng(5)
    popular = [f"Pet{i}" for i in range(40)]  # each name shared by dozens of training rows
    train["pet"] = [f"Rare{i}" if i % 2 else popular[i % 40] for i in range(len(train))]
    hold["pet"] = rng.choice(popular, len(hold))
    common_only = fresh.assign(pet=rng.choice(popular, len(fresh)))
    assert audit.run(train, common_only, holdout=hold, seed=0).metric("identifier_replay").details["verdict"] == "pass"
    rare_names = train["pet"][train["pet"].str.startswith("Rare")].to_numpy()
    leaky = common_only.assign(pet=np.r_[rare_names[:300], common_only["pet"].to_numpy()[300:]])
    result = audit.run(train, leaky, holdout=hold, seed=0).metric("identifier_replay")
    assert result.raw == pytest.approx(300 / len(leaky), abs=0.01) and result.details["verdict"] == "fail"


def test_without_holdout_privacy_is_not_verified_and_never_passed(world):
    result = audit.run(world["train"], world["fresh"], seed=0)
    assert all(m.skipped for m in result.metrics if m.section == "privacy")
    assert any("NOT VERIFIED" in note and "--holdout-out" in note for note in result.notes)
    assert result.privacy_verdict == "not verified" and not result.passed
    assert any(f.startswith("privacy not verified") for f in result.failures)
    fidelity_only = audit.run(world["train"], world["fresh"], seed=0, policy=audit.Policy(require_holdout=False))
    assert fidelity_only.passed and fidelity_only.privacy_verdict == "not verified"
    copied = audit.run(world["train"], world["train"].copy(), seed=0).metric("exact_copies")
    assert copied.raw == 1.0 and copied.score is None  # the raw share is shown, without a verdict it cannot support


def test_time_series_structure_is_compared(world):
    days = pd.date_range("2020-01-01", periods=730, freq="D")
    t = np.arange(730)
    real = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "sales": 100 + 30 * np.sin(2 * np.pi * t / 7)})
    noise = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "sales": np.random.default_rng(0).permutation(real.sales.to_numpy())})
    same = audit.run(real, real.copy(), time_column="day").metric("time_series")
    broken = audit.run(real, noise, time_column="day").metric("time_series")
    assert same.score == pytest.approx(1.0) and broken.score < same.score - 0.1


def test_same_inputs_and_seed_give_the_same_report(world):
    a = run(world, world["fresh"], target="segment").to_dict()
    b = run(world, world["fresh"], target="segment").to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_reports_never_print_real_rows(world, tmp_path):
    train = world["train"].copy()
    train["email"] = [f"secret{i}@example.com" for i in range(len(train))]
    syn = world["fresh"].copy()
    syn["email"] = [f"x{i}@example.net" for i in range(len(syn))]
    result = audit.run(train, syn, holdout=world["holdout"].assign(email="other@example.org"), seed=0)
    page = result.to_html()
    assert "secret1@example.com" not in page and "secret1@example.com" not in result.to_json()
    assert "http://" not in page and "https://" not in page  # opens offline: everything inline
    assert "<img src='data:image/png;base64," in page


# --- the command line -------------------------------------------------------------------------
def _write(world, tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for key in ("train", "holdout", "fresh"):
        paths[key] = tmp_path / f"{key}.csv"
        world[key].to_csv(paths[key], index=False)
    return paths


def test_cli_passes_fails_and_writes_reports(world, tmp_path):
    p = _write(world, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", str(p["train"]), str(p["fresh"]), "--holdout", str(p["holdout"]), "--target", "spend",
                             "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"), "-q"])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report["summary"]) == {"fidelity", "utility", "privacy"} and report["passed"] is True
    assert all({"name", "score", "raw"} <= set(m) for m in report["metrics"])
    leak = runner.invoke(app, ["audit", str(p["train"]), str(p["train"]), "--holdout", str(p["holdout"]), "-q"])
    assert leak.exit_code == 1
    strict = runner.invoke(app, ["audit", str(p["train"]), str(p["fresh"]), "--holdout", str(p["holdout"]), "-q", "--fail-under", "fidelity=0.999"])
    assert strict.exit_code == 1


@pytest.mark.parametrize("case", ["mismatched", "different_types", "empty", "unreadable", "missing", "bad_threshold"])
def test_cli_bad_input_is_one_line_and_exit_2(world, tmp_path, case):
    p = _write(world, tmp_path)
    args = ["audit", str(p["train"]), str(p["fresh"])]
    if case == "mismatched":
        world["fresh"].drop(columns=["age"]).to_csv(p["fresh"], index=False)
    elif case == "different_types":
        world["fresh"].assign(income="lots").to_csv(p["fresh"], index=False)
    elif case == "empty":
        p["fresh"].write_text("")
    elif case == "unreadable":
        p["fresh"].write_bytes(b"\xff\xfe\x00garbage\x00\n\x00\x01")
    elif case == "missing":
        args[2] = str(tmp_path / "nope.csv")
    else:
        args += ["--fail-under", "privacy=high"]
    result = CliRunner().invoke(app, args)
    text = (result.stderr if hasattr(result, "stderr") else result.output).strip()
    assert result.exit_code == 2, text
    assert len(text.splitlines()) == 1 and text.startswith("error:") and "Traceback" not in text


@pytest.mark.parametrize("sample_rows", [200_000, 500])  # 500: most planted rows fall outside the audit's sample
def test_schema_rules_count_exactly_the_planted_violations(tmp_path, sample_rows):
    """A local audit checks the schema's rules on every synthetic row, even when other metrics read a sample."""
    schema = synth.load_schema(Path(__file__).resolve().parents[1] / "schemas" / "coffee.yaml")
    real = synth.generate(schema, rows=2000, seed=1)
    real.to_csv(tmp_path / "real.csv", index=False)
    broken = pd.read_csv(tmp_path / "real.csv")
    broken.loc[:9, "amount"] = 999.0  # 10 rows whose amount is not price x quantity
    broken.loc[10:14, "payment_type"] = "bitcoin"  # 5 unknown categories
    broken.loc[15:16, "time"] = "23:59"  # 2 times outside opening hours
    broken.loc[17, "price"] = 0.01  # a price that belongs to no product (and breaks its amount)
    result = audit.run(pd.read_csv(tmp_path / "real.csv"), broken, schema=schema, seed=0, sample_rows=sample_rows)
    rules = {m.name: m for m in result.metrics if m.section == "rules"}
    assert rules["rule: amount = round(price * quantity, 2)"].details["synthetic_violations"] == 11
    assert rules["rule: payment_type is one of 4 values"].details["synthetic_violations"] == 5
    assert rules["rule: time is between 06:00 and 21:00"].details["synthetic_violations"] == 2
    assert rules["rule: product_id, product, calories, price, type match one record of menu"].details["synthetic_violations"] == 1
    assert all(m.details["real_violations"] == 0 for m in rules.values())
    assert result.summary["rules"] < 1.0


def test_a_catalog_with_empty_fields_checks_complete_rows_only():
    """A record with an empty field (planes' speed is mostly empty) never matches a written row and never crashes
    the check: complete rows that are no record's count, rows with an empty field pass."""
    schema = synth.Schema.from_dict({
        "name": "planes", "rows": 10,
        "columns": [{"name": "plane", "kind": "catalog", "records": [
            {"model": "A320", "seats": 180, "speed": None},
            {"model": "B737", "seats": 160, "speed": 450.0},
        ]}],
    })
    synthetic = pd.DataFrame({"model": ["A320", "B737", "B737", "A320"], "seats": [180, 160, 170, 180],
                              "speed": [np.nan, 450.0, 450.0, 300.0]})
    result = audit.run(synthetic, synthetic, schema=schema, seed=0)
    rules = {m.name: m for m in result.metrics if m.section == "rules"}
    rule = next(m for name, m in rules.items() if "match one record of plane" in name)
    assert rule.details["synthetic_violations"] == 2  # B737 with 170 seats; A320 with a speed no A320 record has


def test_whole_number_codes_compare_as_text_however_the_frames_were_built():
    """Zip codes as text in the real table (some are 98103-1234) against a synthetic frame put together in
    memory from a twin read back as floats (98115.0) and copied text rows: the same codes, the same shape."""
    rng = np.random.default_rng(0)
    codes = rng.choice(["98115", "98103", "98117", "98103-1234"], 2000)
    real = pd.DataFrame({"zip": codes, "n": rng.normal(size=2000)})
    as_read = [float(c) if i % 2 and "-" not in c else c for i, c in enumerate(codes)]  # 98115.0 beside "98115"
    synthetic = pd.DataFrame({"zip": pd.Series(as_read, dtype=object), "n": real["n"]})
    result = audit.run(real, synthetic, seed=0)
    assert result.metric("worst_column_shape").score == pytest.approx(1.0)


def test_a_constraint_rule_counts_the_rows_that_break_it():
    # A constraint's rule was once skipped on every table ("name 'pa' is not defined" was caught as
    # "could not be evaluated"): it must count, not skip.
    from synth.schema import Schema

    schema = Schema.from_yaml_text(
        "columns:\n  - {name: lo, kind: integer, min: 1, max: 5}\n  - {name: hi, kind: integer, min: 1, max: 9}\n"
        "constraints: [hi > lo]\n")
    frame = pd.DataFrame({"lo": [1, 2, 3, 4], "hi": [2, 2, 9, 1]})
    (name, check), = [rule for rule in schema.rules() if rule[0].startswith("constraint")]
    assert name == "constraint: hi > lo" and check(frame).tolist() == [False, True, False, True]
