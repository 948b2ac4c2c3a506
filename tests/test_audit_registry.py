"""The audit's metric registry: every registered metric runs, is documented and is listed; the library and the
command line score the same inputs the same way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import audit
import synth
from audit import docs
from audit.registry import INPUTS, METRICS, SECTIONS, Context, MetricUnit, register, units
from synth.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def extra_metric():
    """A metric registered for one test (row count ratio, known answer), then taken out of the registry again."""

    class RowCountRatio(MetricUnit):
        name, section, needs, title = "row_count_ratio", "fidelity", ("target",), "the row count ratio"
        raw, scoring = "synthetic rows / real rows", "min(raw, 1 / raw)"

        def compute(self, ctx: Context) -> audit.Metric:
            ratio = len(ctx.tables.synthetic) / len(ctx.tables.real)
            return self.result(min(ratio, 1 / ratio), ratio, "Synthetic rows over real rows.")

    register(RowCountRatio)
    yield METRICS["row_count_ratio"]
    del METRICS["row_count_ratio"]


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)

    def table(n: int) -> pd.DataFrame:
        x = rng.normal(size=n)
        return pd.DataFrame({"x": x.round(2), "y": (2 * x + rng.normal(size=n)).round(2), "g": rng.choice(["a", "b", "c"], n)})

    return {"real": table(400), "synthetic": table(200), "holdout": table(200)}


# --- the registry ---------------------------------------------------------------------------------
def test_run_reports_every_registered_metric_in_registry_order(small):
    result = audit.run(small["real"], small["synthetic"], holdout=small["holdout"], target="y", time_column="x", seed=0)
    assert [m.name for m in result.metrics] == [u.name for u in units() if u.section not in ("rules", "relations")]
    assert list(result.summary) == ["fidelity", "utility", "privacy"]  # rules only with a schema


def test_a_new_metric_is_one_class_and_one_registration(small, extra_metric):
    with_target = audit.run(small["real"], small["synthetic"], holdout=small["holdout"], target="y", seed=0)
    m = with_target.metric("row_count_ratio")
    assert (m.raw, m.score, m.section) == (0.5, 0.5, "fidelity")
    assert "| fidelity | row_count_ratio | `--target` | synthetic rows / real rows | min(raw, 1 / raw) |" in docs.metric_table()
    # without the input it needs it is left out, and the report says so
    without = audit.run(small["real"], small["synthetic"], holdout=small["holdout"], seed=0)
    assert "row_count_ratio" not in [m.name for m in without.metrics]
    assert "No --target: the row count ratio and train-on-synthetic/test-on-real and feature importance were not run." in without.notes


def test_without_a_target_the_note_is_as_before(small):
    result = audit.run(small["real"], small["synthetic"], holdout=small["holdout"], seed=0)
    assert "No --target: train-on-synthetic/test-on-real and feature importance were not run." in result.notes
    assert not any("time" in note for note in result.notes)  # a missing time column is ordinary: no note


@pytest.mark.parametrize("change, message", [({"section": "speed"}, "section 'speed'"), ({"needs": ("labels",)}, "unknown input 'labels'"),
                                             ({"name": "detection"}, "registered twice")])
def test_a_malformed_metric_is_refused_at_registration(change, message):
    cls = type("Bad", (MetricUnit,), {"name": "bad_metric", "section": "fidelity", **change})
    with pytest.raises(ValueError, match=message):
        register(cls)
    assert "bad_metric" not in METRICS


def test_every_metric_declares_what_the_docs_show():
    for u in units():
        assert u.name and u.section in SECTIONS and u.raw and u.scoring, u.name
        assert all(n in INPUTS for n in (*u.needs, *u.uses)), u.name
    assert {u.name for u in units("privacy")} == set(audit.privacy.TESTS)


# --- the docs and the command line list every metric -------------------------------------------------------
def test_docs_metric_tables_are_generated_from_the_registry():
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/audit.md is stale: run `python -m audit.docs`"
    block = text.split("<!-- begin metrics: python -m audit.docs -->")[1].split("<!-- end metrics -->")[0]
    listed = re.findall(r"^\| \w+ \| (\w+) \|", block, re.M)
    assert listed[1:] == [u.name for u in units()]  # after the header
    tests = text.split("<!-- begin privacy-tests: python -m audit.docs -->")[1].split("<!-- end privacy-tests -->")[0]
    assert re.findall(r"^\| (\w+) \|", tests, re.M)[1:] == list(audit.privacy.TESTS)


def test_docs_rewrites_a_stale_block(tmp_path):
    stale = tmp_path / "audit.md"
    stale.write_text("intro\n<!-- begin metrics: python -m audit.docs -->\n| old |\n<!-- end metrics -->\n"
                     "<!-- begin privacy-tests: python -m audit.docs -->\n<!-- end privacy-tests -->\nend\n", encoding="utf-8")
    docs.main(stale, help_path=None)
    text = stale.read_text(encoding="utf-8")
    assert "| old |" not in text and text.startswith("intro\n") and text.endswith("end\n")
    assert docs.render(text) == text and "| fidelity | detection |" in text


def test_cli_fail_under_defaults_are_generated_from_the_registry(tmp_path):
    source = (ROOT / "synth" / "commands" / "audit.py").read_text(encoding="utf-8")
    assert docs.render_help(source) == source, "synth/commands/audit.py is stale: run `python -m audit.docs`"
    stale = tmp_path / "audit.py"
    stale.write_text(source.replace("dependence_kept 0.5", "dependence_kept 0.3"), encoding="utf-8")
    docs.main(ROOT / "docs" / "audit.md", help_path=stale)  # docs/audit.md is current: left as it is
    assert stale.read_text(encoding="utf-8") == source


def test_cli_help_names_every_default_gate():
    result = CliRunner().invoke(app, ["audit", "--help"], terminal_width=400)
    text = " ".join(result.output.split())
    for u in units():
        if u.gate is not None:
            assert u.name in text and f"{u.gate:g}" in text, u.name


# --- library and command line: the same inputs, the same report --------------------------------------------
def test_schema_kinds_are_the_same_in_the_library_and_the_cli(tmp_path):
    schema_path = ROOT / "schemas" / "coffee.yaml"
    schema = synth.load_schema(schema_path)
    for name, rows, seed in (("real", 800, 1), ("syn", 800, 2), ("hold", 300, 3)):
        synth.generate(schema, rows=rows, seed=seed).to_csv(tmp_path / f"{name}.csv", index=False)
    out = tmp_path / "cli.json"
    cli = CliRunner().invoke(app, ["audit", str(tmp_path / "real.csv"), str(tmp_path / "syn.csv"), "--holdout", str(tmp_path / "hold.csv"),
                                   "--schema", str(schema_path), "--kind", "quantity=categorical", "--json", str(out), "-q"])
    assert cli.exit_code in (0, 1), cli.output
    from synth.tables import read_table

    frames = [read_table(tmp_path / f"{n}.csv") for n in ("real", "syn", "hold")]
    library = audit.run(*frames, schema=schema, kinds={"quantity": "categorical"}, seed=0)
    plain = audit.run(*frames, seed=0)
    assert library.tables.kinds["id"] == "identifier" and plain.tables.kinds["id"] == "numeric"  # the schema's kind, not inference
    assert library.tables.kinds["quantity"] == "categorical"  # and the caller's over the schema's
    cli_report, lib_report = json.loads(out.read_text()), json.loads(library.to_json())
    cli_report.pop("seconds"), lib_report.pop("seconds")
    assert cli_report == lib_report
