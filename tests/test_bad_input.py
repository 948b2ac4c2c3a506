"""Bad input that used to slip through: each is one line naming the file and what is wrong, exit 2, nothing written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.errors import SynthError
from synth.sinks import remove_stale_temporaries, temporary_name, write_text_atomic
from synth.tables import read_table
from synth.yamlsafe import MAX_DEPTH, load_yaml_text

ROOT = Path(__file__).resolve().parent.parent
COFFEE = ROOT / "schemas" / "coffee.yaml"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


# --- a header that repeats a column name --------------------------------------------------------

def test_fit_refuses_a_csv_whose_header_repeats_a_name(tmp_path):
    real = tmp_path / "sales.csv"
    real.write_text("id,price,quantity,price\n" + "".join(f"{i},{i % 7}.5,{i % 3},{i % 5}.25\n" for i in range(50)))
    line = one_error_line(run("fit", str(real), "--out", str(tmp_path / "twin.yaml")))
    assert line == f"error: {real}: the header repeats column name 'price' (2 times); give each column its own name"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]


def test_audit_refuses_a_synthetic_table_whose_header_repeats_names(tmp_path):
    (tmp_path / "real.csv").write_text("a,b,c\n" + "1,2,3\n" * 30)
    fake = tmp_path / "fake.csv"
    fake.write_text("a,b,a,b,a\n" + "1,2,3,4,5\n" * 30)
    line = one_error_line(run("audit", str(tmp_path / "real.csv"), str(fake), "--json", str(tmp_path / "r.json")))
    assert f"{fake}: the header repeats column names 'a' (3 times), 'b' (2 times)" in line
    assert not (tmp_path / "r.json").exists()


@pytest.fixture(scope="module")
def audit_tables(tmp_path_factory) -> Path:
    """A real and a shuffled "synthetic" table with a constant, an all-empty and a constant number column."""
    folder = tmp_path_factory.mktemp("target")
    rows = "".join(f"{i % 17}.5,{i % 5},same,,5\n" for i in range(120))
    (folder / "real.csv").write_text("x,y,const,empty,five\n" + rows)
    (folder / "fake.csv").write_text("x,y,const,empty,five\n" + "".join(reversed(rows.splitlines(keepends=True))))
    return folder


@pytest.mark.parametrize("column, problem", [
    ("const", "--target 'const' has a single value in the real table ('same'): there is nothing to predict"),
    ("five", "--target 'five' has a single value in the real table (5.0): there is nothing to predict"),
    ("empty", "--target 'empty' has only empty values in the real table"),
    ("nosuch", "target 'nosuch' is not a column of the tables; columns: x, y, const, empty, five"),
])
def test_a_target_with_nothing_to_predict_is_one_line_naming_the_file_and_nothing_is_written(audit_tables, tmp_path,
                                                                                               column, problem):
    real, fake = audit_tables / "real.csv", audit_tables / "fake.csv"
    report = tmp_path / "r.json"
    line = one_error_line(run("audit", str(real), str(fake), "--allow-no-holdout", "--target", column,
                              "--json", str(report), "--html", str(tmp_path / "r.html"), "--quiet"))
    assert line == f"error: {real}: {problem}"
    assert list(tmp_path.iterdir()) == []


def test_a_constant_text_target_in_a_tiny_table_is_called_a_single_value_not_an_identifier(tmp_path):
    real = tmp_path / "tiny.csv"
    real.write_text("a,b\n1,x\n2,x\n3,x\n")  # too few rows for 'x' to count as a common category
    line = one_error_line(run("audit", str(real), str(real), "--allow-no-holdout", "--target", "b", "--quiet"))
    assert line == f"error: {real}: --target 'b' has a single value in the real table ('x'): there is nothing to predict"


def test_a_tsv_header_is_read_as_written_and_names_that_only_look_renamed_are_fine(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text("x\ty\tx\n1\t2\t3\n")
    with pytest.raises(SynthError, match="repeats column name 'x'"):
        read_table(tsv)
    fine = tmp_path / "fine.csv"
    fine.write_text('price,price.1,"a,b",,\n1,2,3,4,5\n')  # pandas' own renaming scheme, quoting, unnamed columns
    assert list(read_table(fine).columns)[:3] == ["price", "price.1", "a,b"]


def test_a_parquet_file_with_a_repeated_name_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["v", "v"]), path)
    with pytest.raises(SynthError, match=f"{path}: the header repeats column name 'v'"):
        read_table(path)


# --- a schema nested hundreds of levels deep ------------------------------------------------------

def test_a_schema_nested_hundreds_of_levels_deep_is_one_line_with_file_and_line(tmp_path):
    schema = tmp_path / "deep.yaml"
    schema.write_text("name: deep\ncolumns:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 400)))
    line = one_error_line(run("validate", str(schema)))
    assert line.startswith(f"error: {schema}:") and f"nested deeper than {MAX_DEPTH} levels" in line
    assert int(line.split(":")[2]) > MAX_DEPTH // 2  # the line where the limit is crossed, not line 1


def test_flow_style_nesting_is_limited_too_and_the_limit_itself_is_allowed(tmp_path):
    with pytest.raises(SynthError, match=r"^s.yaml:1:\d+: nested deeper than"):
        load_yaml_text("a: " + "[" * 500 + "]" * 500, source="s.yaml")
    data, _ = load_yaml_text("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    depth = 0
    while isinstance(data, list) and data:
        data, depth = data[0], depth + 1
    assert depth == MAX_DEPTH - 1 and data == []


# --- temporary files left by a killed run ---------------------------------------------------------

def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def _start_writing(out: Path) -> subprocess.Popen:
    """A real `synth generate` writing a big table to ``out``; returns once its temporary file exists."""
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "generate", str(COFFEE), "-n", "50000000", "-o", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=out.parent)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith(f".{out.name}.tmp-{proc.pid}@") for p in out.parent.iterdir()):
        time.sleep(0.05)
    return proc


def test_the_next_run_removes_the_temporary_file_of_a_run_killed_with_sigkill(tmp_path):
    out = tmp_path / "big.csv"
    proc = _start_writing(out)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(f".big.csv.tmp-{proc.pid}@")  # SIGKILL cannot be cleaned up after
    result = run("generate", str(COFFEE), "-n", "100", "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


def test_a_live_runs_temporary_file_is_never_removed(tmp_path):
    out = tmp_path / "big.csv"
    proc = _start_writing(out)
    try:
        result = run("generate", str(COFFEE), "-n", "100", "-o", str(out), "-q")
        assert result.exit_code == 0, result.output
        assert any(p.name.startswith(f".big.csv.tmp-{proc.pid}@") for p in tmp_path.iterdir())
        assert proc.poll() is None  # still writing
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_stale_text_temporaries_go_but_other_hosts_and_other_targets_stay(tmp_path):
    dead = _dead_pid()
    target = tmp_path / "twin.yaml"
    host = temporary_name(target).name.split("@", 1)[1]
    stale = [f".twin.yaml.tmp-{dead}@{host}", f".twin.yaml.tmp-{dead}"]  # the second: named by an earlier synth
    kept = [f".twin.yaml.tmp-{dead}@another-machine", f".other.yaml.tmp-{dead}@{host}", f".twin.yaml.tmp-{os.getppid()}@{host}",
            ".twin.yaml.tmp-notapid"]
    for name in stale + kept:
        (tmp_path / name).write_text("partial")
    write_text_atomic(target, "name: t\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + ["twin.yaml"])
    assert remove_stale_temporaries(target) == []


@pytest.mark.parametrize("text, refused", [
    ((ROOT / "schemas" / "customers.yaml").read_text(encoding="utf-8"), False),
    ("name: café\ncolumns:\n  - {name: größe, kind: choice, values: {'06:00': 1, \"no\": 2, 1_000: 3}}\n"
     "  - name: t\n    kind: time\n    start: 06:00\n    note: |\n      block text\n    weights: [.5, 1e3, ~, null, true, 0x1F, 00123]\n",
     False),
    ("a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1), True),  # the scalar is one level too deep
    ("a: " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2), False),
    ("a: &x 1\nb: *x\n", True), ("a: !!python/name:os.system x\n", True), ("a: [1, 2\n", True), ("", False),
    ("a:\n  - [x, {b: [1, 'c', \"3\"]}]\n  - {}\n  - []\nd: |\n  block\n", False), ("a: !!str 3\n", False),
    ("a: 1\na: 2\n", True), ("? [1]\n: 2\n", True), ("a: 1\n---\nb: 2\n", True),
])
def test_libyaml_and_the_python_parser_read_a_schema_alike(text, refused):
    # libyaml (C) reads a valid file fast; the Python parser must give the same data and positions, and
    # anything libyaml's path turns away (aliases, depth, syntax errors) the same one-line error as before.
    from synth.yamlsafe import _build, _compose_with_python

    def outcome(read):
        try:
            return read()
        except SynthError as exc:
            return "error", exc.message

    def python_only():
        where: dict = {}
        node = _compose_with_python(text, "s.yaml")
        return (None if node is None else _build(node, (), where, "s.yaml")), where

    expected = outcome(python_only)
    assert outcome(lambda: load_yaml_text(text, source="s.yaml")) == expected
    assert (expected[0] == "error") == refused
    import yaml

    from synth.yamlsafe import _build_with_libyaml, _compose_with_libyaml
    if yaml.__with_libyaml__ and text and not refused:
        assert _compose_with_libyaml(text) is not None  # the fast path did read it
        if "!!" not in text:  # the events path reads untagged files itself, alike
            assert _build_with_libyaml(text) == expected


def test_the_schema_writer_writes_what_pyyaml_s_representer_writes():
    # dump_yaml emits events itself (the representer's Python work was most of writing a learned multi-table
    # schema): the text must be PyYAML's, byte for byte, and read back into the same mapping.
    import yaml

    from synth.yamlsafe import _CompactDumper, dump_yaml

    odd = ["yes", "no", "null", "1e3", "0x1F", "~", "café", "a: b", "- x", "#tag", "", " lead", "a\nb", "it's",
           "06:00", "1_000", "00123", "True", "ON", "2024-01-01", "0o17", ".inf", "é" * 120, "x #y"]
    data = {"name": "t", "words": odd, "numbers": [0, 0.0, -0.0, 1e17, 1.5e-7, float("inf"), float("-inf"), 2**62, True, None],
            "keys": {0: 5, 1.5: 2, None: 1, "x": [], "y": {}, "z": [[1, 2], {"a": 1}]},
            "columns": [{"name": "c", "kind": "conditional", "cases": [{"when": {"a": odd * 3}, "q": list(range(40))}]}]}
    text = dump_yaml(data)
    assert text == yaml.dump(data, Dumper=_CompactDumper, sort_keys=False, allow_unicode=True, width=110)
    assert load_yaml_text(text)[0] == data
    assert dump_yaml({"when": [float("nan")]}) == "when: [.nan]\n"
