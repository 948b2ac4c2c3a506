"""One error path for every command, run as whole processes (the real entry point, not Typer's test runner).

Bad input of each kind (a missing file, bad YAML, a wrong field or column, a bad option value) is one line
on stderr and exit code 2; a bug is one ``internal error`` line and exit code 1; a traceback only with
``--debug``. See synth/commands/errors.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synth.cli import app
from synth.fit import FitConfig

ROOT = Path(__file__).resolve().parent.parent
COFFEE = str(ROOT / "schemas" / "coffee.yaml")


def synth(*args: str, cwd: Path, code: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``synth ARGS`` in a fresh interpreter (after ``code``, e.g. to plant a bug) in folder ``cwd``."""
    script = f"import sys\n{code}\nsys.argv = ['synth', *{list(args)!r}]\nfrom synth.cli import main\nmain()\n"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SYNTH_"))}
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of small bad and good inputs, shared by every case."""
    folder = tmp_path_factory.mktemp("inputs")
    rows = "".join(f"C{i:05d},{2 + i % 7 * 0.5},{'abc'[i % 3]}\n" for i in range(200))
    (folder / "real.csv").write_text("id,price,size\n" + rows)
    (folder / "fake.csv").write_text("id,price,size\n" + rows)
    (folder / "one.csv").write_text("only\n1\n2\n")
    (folder / "bad.yaml").write_text("name: t\ncolumns: [{name: x, kind: integer, max: [}\n")
    (folder / "kind.yaml").write_text("name: t\ncolumns: [{name: x, kind: integr}]\n")
    (folder / "column.yaml").write_text("name: t\ncolumns:\n  - {name: x, kind: integer, min: 1, max: 6}\n"
                                        "  - {name: y, kind: expression, expr: x + z}\n")
    (folder / "train.jsonl").write_text('{"prompt": "a ->", "completion": " b\\n"}\n')
    (folder / "doc.md").write_text("A short document.\n")
    return folder


# (arguments, what the one line must say). Each command, each kind of bad input it can get.
BAD_INPUT = [
    (["generate", "missing.yaml"], "missing.yaml: no such file"),
    (["generate", "bad.yaml"], "bad.yaml:2:"),
    (["generate", "kind.yaml"], "unknown kind 'integr' (did you mean 'integer'?)"),
    (["generate", COFFEE, "--workers", "0"], "Invalid value for '--workers' / '-w'"),
    (["generate", COFFEE, "--rows", "many"], "Invalid value for '--rows' / '-n'"),
    (["generate", COFFEE, "--rows", "-5"], "row count must be 0 or more"),
    (["generate", COFFEE, "--out", "no_folder/x.csv"], "folder no_folder does not exist"),
    (["generate", COFFEE, "--out", "x.xyz"], "unknown output extension '.xyz'"),
    (["validate", "missing.yaml"], "missing.yaml: no such file"),
    (["validate", "bad.yaml"], "invalid YAML"),
    (["validate", "column.yaml"], "column 'y' refers to unknown column 'z'"),
    (["fit", "missing.csv"], "missing.csv: no such file"),
    (["fit", "bad.yaml"], "unknown table extension '.yaml'"),
    (["fit", "one.csv"], "one.csv: the table has a single column"),
    (["fit", "real.csv", "--min-count", "0"], "Invalid value for '--min-count' / '-k': Input should be greater than or equal to 1"),
    (["fit", "real.csv", "--tail", "0.5"], "Invalid value for '--tail': Input should be less than or equal to 0.2"),
    (["fit", "real.csv", "--epsilon", "0"], "Invalid value for '--epsilon': Input should be greater than or equal to 0.0001"),
    (["fit", "real.csv", "--delta", "0.5"], "Invalid value for '--delta': Input should be less than or equal to 0.01"),
    (["fit", "real.csv", "--sample-rows", "0"], "Invalid value for '--sample-rows'"),
    (["fit", "real.csv", "--seed", "-1"], "Invalid value for '--seed' / '-s'"),
    (["fit", "real.csv", "--holdout-out", "h.csv", "--holdout-share", "1.5"], "Invalid value for '--holdout-share'"),
    (["fit", "real.csv", "--out", "twin.txt"], "twin.txt: the schema is YAML"),
    (["audit", "missing.csv", "fake.csv"], "missing.csv: no such file"),
    (["audit", "real.csv", "fake.csv", "--target", "nope"], "target 'nope' is not a column of the tables"),
    (["audit", "real.csv", "fake.csv", "--target", "id"], "--target 'id' is an identifier column"),
    (["audit", "real.csv", "fake.csv", "--kind", "price"], "--kind 'price': write COLUMN=KIND"),
    (["audit", "real.csv", "fake.csv", "--kind", "price=money"], "kind 'money' for column 'price' is not one of"),
    (["audit", "real.csv", "fake.csv", "--fail-under", "often"], "--fail-under 'often': write NAME=SCORE"),
    (["audit", "real.csv", "fake.csv", "--schema", "bad.yaml"], "bad.yaml:2:"),
    (["audit", "real.csv", "fake.csv", "--policy", "missing.yaml"], "missing.yaml: no such file"),
    (["audit", "real.csv", "fake.csv", "--json", "no_folder/r.json"], "folder no_folder does not exist"),
    (["kinds", "integr"], "unknown kind 'integr'"),
    (["draft", "a table", "--out", "draft.txt"], "draft.txt: the schema is YAML"),
    (["draft", "a table"], "OPENAI_API_KEY is not set"),
    (["finetune", "validate", "missing.jsonl"], "missing.jsonl: no such file"),
    (["finetune", "prepare", "train.jsonl", "--valid-share", "2"], "Invalid value for '--valid-share'"),
    (["finetune", "eval", "missing.jsonl"], "missing.jsonl"),
    (["finetune", "qa", "doc.md", "--out", "qa.jsonl", "--format", "xml"], "--format must be completion or chat"),
    (["finetune", "label", "train.jsonl", "--positive", "train.jsonl", "--negative", "train.jsonl", "--out", "o.jsonl"],
     "OPENAI_API_KEY is not set"),
    (["no-such-command"], "No such command 'no-such-command'"),
]


@pytest.mark.parametrize("args, says", BAD_INPUT, ids=[" ".join(Path(a).name for a in args) for args, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_code_2(inputs: Path, args: list[str], says: str) -> None:
    before = sorted(p.name for p in inputs.iterdir())
    done = synth(*args, cwd=inputs)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and says in lines[0], lines[0]
    assert sorted(p.name for p in inputs.iterdir()) == before  # nothing written, not even half a file


BUG = "import synth.engine\ndef broken(*args, **kwargs):\n    raise ZeroDivisionError('a planted bug')\nsynth.engine.Plan.chunk = broken"


def test_a_bug_is_one_internal_error_line_and_exit_code_1(tmp_path: Path) -> None:
    done = synth("generate", COFFEE, "--rows", "10", "--out", "t.csv", cwd=tmp_path, code=BUG)
    assert done.returncode == 1
    assert done.stderr == "internal error: ZeroDivisionError: a planted bug (run again with --debug for details)\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["global", "after the command"])
def test_debug_shows_the_traceback(tmp_path: Path, where: str) -> None:
    args = ["generate", COFFEE, "--rows", "10", "--out", "t.csv"]
    done = synth(*(["--debug", *args] if where == "global" else [*args, "--debug"]), cwd=tmp_path, code=BUG)
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert ", in broken\n" in done.stderr and "\nZeroDivisionError: a planted bug\n" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("internal error: ZeroDivisionError: a planted bug")


def test_the_api_key_never_reaches_the_error_line(inputs: Path) -> None:
    done = synth("validate", "sk-test-4711.yaml", cwd=inputs, env={"OPENAI_API_KEY": "sk-test-4711"})
    assert done.returncode == 2 and done.stderr == "error: ***.yaml: no such file\n"


def _bounds(field: str) -> str:
    """A FitConfig field's range as Typer writes it in help: ``[x>=1]``, ``[0.0<=x<=0.2]``."""
    limits = {name: getattr(m, name) for m in FitConfig.model_fields[field].metadata
              for name in ("ge", "gt", "le", "lt") if hasattr(m, name)}
    shown = {k: "2**63" if v == 2**63 else repr(v) for k, v in limits.items()}
    low = f"{shown['ge']}<=" if "ge" in shown else f"{shown['gt']}<" if "gt" in shown else ""
    high = f"<={shown['le']}" if "le" in shown else f"<{shown['lt']}" if "lt" in shown else ""
    return f"[{low}x{high}]" if low and high else f"[x>={shown['ge']}]" if low else f"[x{high}]"


def test_fit_options_pass_through_and_their_help_states_fitconfigs_ranges() -> None:
    from typer.main import get_command

    fit = get_command(app).commands["fit"]  # type: ignore[attr-defined]
    passed = [p for p in fit.params if p.name in FitConfig.model_fields]
    assert {p.name for p in passed} == {"min_count", "tail", "seed", "sample_rows", "epsilon", "delta", "trees"}
    for option in passed:
        if FitConfig.model_fields[option.name].annotation is bool:
            continue  # a switch has no range
        assert getattr(option, "min", None) is None and getattr(option, "max", None) is None, option.name  # FitConfig checks
        assert option.help.endswith(_bounds(option.name)), (option.name, option.help)
