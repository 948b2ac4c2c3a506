"""The generator end to end: the coffee table's promises, determinism, streaming, and clean failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def err_text(result) -> str:
    return result.stderr if hasattr(result, "stderr") else result.output


@pytest.fixture(scope="module")
def coffee() -> pd.DataFrame:
    return synth.generate(COFFEE, rows=60_000, seed=3)


def test_coffee_columns_come_in_the_documented_order(coffee):
    assert list(coffee.columns) == ["id", "date", "time", "product_id", "product", "calories", "price", "type",
                                    "quantity", "amount", "payment_type"]


def test_coffee_ids_count_up_from_one(coffee):
    assert (coffee.id.to_numpy() == np.arange(1, len(coffee) + 1)).all()


def test_coffee_dates_fall_in_2022_and_times_in_opening_hours_on_whole_minutes(coffee):
    assert coffee.date.min() >= pd.Timestamp("2022-01-01") and coffee.date.max() <= pd.Timestamp("2022-12-31")
    times = coffee.time.astype(str)
    assert times.str.match(r"^\d\d:\d\d$").all()
    assert times.min() >= "06:00" and times.max() <= "21:00"


def test_coffee_product_fields_always_agree(coffee):
    per_product = coffee.groupby("product", observed=True)[["product_id", "calories", "price", "type"]].nunique()
    assert (per_product == 1).all().all()
    drinks = coffee[coffee.type == "drink"]
    foods = coffee[coffee.type == "food"]
    assert drinks.product_id.between(1, 15).all() and foods.product_id.between(16, 25).all()
    assert drinks.calories.between(0, 400).all() and foods.calories.between(150, 600).all()
    assert coffee.product_id.nunique() == 25


def test_amount_is_price_times_quantity(coffee):
    assert coffee.quantity.between(1, 3).all()
    assert np.allclose(coffee.amount, np.round(coffee.price * coffee.quantity, 2), atol=1e-9)


def test_mornings_are_busier_than_mid_afternoon(coffee):
    hour = coffee.time.astype(str).str[:2].astype(int)
    morning = (hour.between(7, 8)).sum() / 2
    afternoon = (hour.between(14, 15)).sum() / 2
    assert morning > 3 * afternoon  # the profile says 3.2-3.6 against 0.7-0.8


def test_payment_mix_matches_its_weights(coffee):
    share = coffee.payment_type.value_counts(normalize=True)
    expected = pd.Series({"credit": 0.46, "debit": 0.28, "cash": 0.18, "gift card": 0.08})
    assert set(share.index) == set(expected.index)
    assert (share.reindex(expected.index) - expected).abs().max() < 0.01


def test_output_is_byte_identical_for_any_number_of_workers(tmp_path):
    rows = str(2 * synth.CHUNK_ROWS + 17)
    for ext in ("csv", "parquet"):
        one, two = tmp_path / f"one.{ext}", tmp_path / f"two.{ext}"
        assert run("generate", str(COFFEE), "-n", rows, "-o", str(one), "-q").exit_code == 0
        assert run("generate", str(COFFEE), "-n", rows, "-o", str(two), "-q", "--workers", "2").exit_code == 0
        assert one.read_bytes() == two.read_bytes()


def test_different_seeds_give_different_tables():
    a = synth.generate(COFFEE, rows=500, seed=1)
    b = synth.generate(COFFEE, rows=500, seed=2)
    assert not a.equals(b)


def test_adding_a_column_leaves_the_others_unchanged():
    base = "columns:\n  - {name: x, kind: float, distribution: normal, mean: 0, std: 1}\n"
    more = base + "  - {name: y, kind: choice, values: [a, b]}\n"
    a = synth.generate(synth.Schema.from_yaml_text(base), rows=1000, seed=5)
    b = synth.generate(synth.Schema.from_yaml_text(more), rows=1000, seed=5)
    assert a.x.equals(b.x)


def test_chunks_stream_in_order_and_sum_to_the_row_count():
    sizes = [t.num_rows for t in synth.iter_chunks(COFFEE, rows=synth.CHUNK_ROWS + 5)]
    assert sizes == [synth.CHUNK_ROWS, 5]


def test_generate_matches_the_written_csv(tmp_path):
    out = tmp_path / "c.csv"
    assert run("generate", str(COFFEE), "-n", "300", "-o", str(out), "-q").exit_code == 0
    written = pd.read_csv(out)
    frame = synth.generate(COFFEE, rows=300)
    assert (written.amount.to_numpy() == frame.amount.to_numpy()).all()
    assert (written["product"].astype(str).to_numpy() == frame["product"].astype(str).to_numpy()).all()


def test_default_output_is_schema_name_csv_in_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", str(COFFEE))
    assert result.exit_code == 0, err_text(result)
    frame = pd.read_csv(tmp_path / "coffee_sales.csv")
    assert len(frame) == 10_000


@pytest.mark.parametrize("ext", ["parquet", "jsonl"])
def test_other_formats_hold_the_same_rows(tmp_path, ext):
    out = tmp_path / f"c.{ext}"
    assert run("generate", str(COFFEE), "-n", "250", "-o", str(out), "-q").exit_code == 0
    frame = pd.read_parquet(out) if ext == "parquet" else pd.read_json(out, lines=True)
    amount = frame.amount.astype(float)  # Parquet holds it as a decimal
    assert len(frame) == 250 and amount.sum() == pytest.approx(synth.generate(COFFEE, rows=250).amount.sum())


def test_json_summary_is_machine_readable(tmp_path):
    import json

    result = run("generate", str(COFFEE), "-n", "10", "-o", str(tmp_path / "x.csv"), "--json")
    summary = json.loads(result.stdout)
    assert summary["rows"] == 10 and summary["columns"][0] == "id"


@pytest.mark.parametrize("schema", sorted(p.name for p in (ROOT / "schemas").glob("*.yaml")))
def test_every_example_schema_validates(schema):
    result = run("validate", str(ROOT / "schemas" / schema))
    assert result.exit_code == 0, err_text(result)


# --- bad input: one line, exit 2, no output file ------------------------------------------------
BAD = {
    "malformed_yaml": ("columns: [\n", r":\d+:\d+: invalid YAML"),
    "unknown_kind": ("columns:\n  - {name: x, kind: flaot}\n", r":2:\d+: .*unknown kind 'flaot'.*did you mean 'float'"),
    "missing_field": ("columns:\n  - {name: x, kind: catalog}\n", r":2:\d+: .*records"),
    "mistyped_field": ("columns:\n  - {name: x, kind: integer, min: lots, max: 3}\n", r":2:\d+: .*min"),
    "unknown_field": ("columns:\n  - {name: x, kind: integer, min: 1, max: 3, maxx: 4}\n", r":2:\d+: .*maxx.*unknown field"),
    "min_above_max": ("columns:\n  - {name: x, kind: integer, min: 5, max: 3}\n", r":2:\d+: .*greater than max"),
    "unknown_reference": ("columns:\n  - {name: x, kind: integer, min: 1, max: 3}\n  - {name: y, kind: expression, expr: x + z}\n",
                          r":3:\d+: .*unknown column 'z'"),
    "cycle": ("columns:\n  - {name: a, kind: expression, expr: b + 1}\n  - {name: b, kind: expression, expr: a + 1}\n", r"cycle"),
    "missing_catalog_file": ("columns:\n  - {name: m, kind: catalog, source: nowhere.csv}\n", r":2:\d+: .*nowhere.csv does not exist"),
    "unsatisfiable_constraint": ("columns:\n  - {name: x, kind: integer, min: 1, max: 10}\nconstraints: [x > 100]\n",
                                 r"cannot be satisfied"),
    "too_few_unique_values": ("columns:\n  - {name: x, kind: integer, min: 1, max: 10, unique: true}\n", r"unique"),
    "python_tag": ("columns: !!python/object:os.system [ls]\n", r"tags .* not allowed"),
    "alias": ("a: &x [1]\ncolumns: *x\n", r"not allowed"),
    "empty_file": ("", r"mapping"),
    "unsafe_expression": ("columns:\n  - {name: y, kind: expression, expr: \"__import__('os').system('ls')\"}\n", r"not allowed|unknown function|only plain function calls"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_schemas_fail_with_one_line_and_exit_2(tmp_path, case):
    import re

    text, pattern = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out.csv"
    for args in (("validate", str(path)), ("generate", str(path), "-n", "50", "-o", str(out))):
        result = run(*args)
        message = err_text(result).strip()
        assert result.exit_code == 2, (case, message)
        assert len(message.splitlines()) == 1 and "Traceback" not in message, message
        assert str(path) in message or "bad.yaml" in message, message
        assert re.search(pattern, message), message
        assert not out.exists()


def test_catalog_csv_that_is_malformed_names_the_file_and_line(tmp_path):
    (tmp_path / "menu.csv").write_text("product,price\nLatte,4.5\nMocha,5.0,extra\n")
    (tmp_path / "s.yaml").write_text("columns:\n  - {name: m, kind: catalog, source: menu.csv}\n")
    result = run("validate", str(tmp_path / "s.yaml"))
    assert result.exit_code == 2 and "menu.csv:3" in err_text(result)


@pytest.mark.parametrize("args, pattern", [
    (("-o", "missing_folder/out.csv"), "does not exist"),
    (("-o", "out.xlsx"), "unknown output extension"),
    (("-n", "-5"), "row count"),
])
def test_bad_output_or_row_count_fails_cleanly(tmp_path, monkeypatch, args, pattern):
    monkeypatch.chdir(tmp_path)
    result = run("generate", str(COFFEE), *args)
    assert result.exit_code == 2 and pattern in err_text(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_no_file_under_the_final_name(tmp_path, sig):
    out = tmp_path / "big.csv"
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "generate", str(COFFEE), "-n", "50000000", "-o", str(out), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.time() + 30
    while time.time() < deadline and not any(p.name.startswith(".big.csv.tmp") for p in tmp_path.iterdir()):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [], err


def test_kinds_lists_every_kind_and_explains_a_kinds_fields():
    listing = run("kinds")
    assert listing.exit_code == 0 and "faker" in listing.output and "conditional" in listing.output
    faker = run("kinds", "faker")
    assert faker.exit_code == 0
    assert "common_share" in faker.output and "Share of rows left empty" in faker.output
    unknown = run("kinds", "flaot")
    assert unknown.exit_code == 2 and "unknown kind 'flaot'" in err_text(unknown)
