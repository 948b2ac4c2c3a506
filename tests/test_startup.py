"""Each command imports only what it needs: `synth --help` must not load the data and ML stack.

Not a timing test (timings live in bench/bench_startup.py): the modules a fresh process has loaded after a
command are what decide its start-up time, and they do not depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def loaded_after(*args: str) -> set[str]:
    """Modules loaded by a fresh interpreter that ran `synth ARGS` (through the real entry point)."""
    code = ("import json, sys\nfrom synth.cli import app\n"
            f"try:\n    app({list(args)!r}, prog_name='synth')\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
            "sys.stderr.write(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr))


def modules_after(*args: str) -> set[str]:
    """Top-level packages loaded by `synth ARGS`."""
    return {name.split(".")[0] for name in loaded_after(*args)}


def test_help_imports_no_data_or_ml_library():
    loaded = modules_after("--help")
    assert loaded & {"pandas", "numpy", "pyarrow", "scipy", "sklearn", "matplotlib", "openai", "faker"} == set()
    assert "synth" in loaded  # the probe did run the command line


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "date"), ("finetune", "--help"), ("audit", "--help"),
                                  ("draft", "--help")])
def test_light_commands_import_no_pandas_scipy_or_ml_library(args):
    assert modules_after(*args) & {"pandas", "scipy", "sklearn", "matplotlib", "openai", "faker"} == set()


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "float"), ("kinds", "catalog")])
def test_kinds_builds_every_kind_without_numpy_or_pyarrow(args):
    # The kinds' classes (fields, docs, validators) are plain pydantic; numpy and pyarrow come with making values.
    assert modules_after(*args) & {"numpy", "pyarrow", "pandas", "scipy", "faker", "yaml"} == set()


def test_validate_imports_only_what_a_trial_run_of_its_columns_needs():
    # pandas comes in through pyarrow itself (pyarrow.array checks for pandas objects); scipy only for
    # distributions that need it, and coffee.yaml has none.
    assert modules_after("validate", "schemas/coffee.yaml") & {"scipy", "sklearn", "matplotlib", "openai", "faker"} == set()


@pytest.mark.parametrize("family, special, stats", [
    ("normal, mean: 0, std: 1", True, False),  # also lognormal, exponential, gamma, uniform: scipy.special's kernels
    ("beta, a: 2, b: 3", True, True),  # scipy.stats (most of scipy's start-up) only for families evaluated by it
    ("weighted, values: [1, 2]", False, False),
])
def test_scipy_comes_in_only_for_a_distribution_that_needs_it(tmp_path, family, special, stats):
    schema = tmp_path / "s.yaml"
    schema.write_text(f"columns:\n  - {{name: x, kind: float, distribution: {family}}}\n")
    loaded = loaded_after("validate", str(schema))
    assert ("scipy.special" in loaded, "scipy.stats" in loaded) == (special, stats)
