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
    assert loaded & {"dask", "distributed", "fsspec", "cloudpickle"} == set()  # --engine dask loads them when used
    assert "synth" in loaded  # the probe did run the command line


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "date"), ("finetune", "--help"), ("audit", "--help"),
                                  ("draft", "--help")])
def test_light_commands_import_no_pandas_scipy_or_ml_library(args):
    assert modules_after(*args) & {"pandas", "scipy", "sklearn", "matplotlib", "openai", "faker"} == set()


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "float"), ("kinds", "catalog")])
def test_kinds_builds_every_kind_without_numpy_or_pyarrow(args):
    # The kinds' classes (fields, docs, validators) are plain pydantic; numpy and pyarrow come with making values.
    assert modules_after(*args) & {"numpy", "pyarrow", "pandas", "scipy", "faker", "yaml"} == set()


@pytest.mark.parametrize("schema", ["schemas/coffee.yaml", "schemas/customers.yaml", "schemas/web_events.yaml"])
def test_validate_imports_no_pandas_or_ml_library(schema):
    # The trial run makes Arrow arrays, but pyarrow's first conversion no longer imports pandas just to
    # ask whether a value is a pandas object (synth.lazy.hide_pandas_from_pyarrow).
    loaded = modules_after("validate", schema)
    assert loaded & {"pandas", "sklearn", "matplotlib", "openai", "dask", "distributed", "fsspec"} == set()
    assert "pyarrow" in loaded  # the trial run did run
    # scipy and Faker only for the columns that need them: coffee.yaml has none (the others have Faker
    # names and exponential or lognormal shapes).
    assert (loaded & {"scipy", "faker"} == set()) == (schema == "schemas/coffee.yaml")


def test_pyarrow_knows_pandas_again_once_pandas_is_imported():
    # Hidden from pyarrow only while no pandas object can exist: a real import of pandas (any later
    # command, the user's own code) gives pyarrow its usual pandas conversions back.
    code = """if True:
        import sys
        from synth import load_schema
        from synth.engine import Plan
        plan = Plan(load_schema("schemas/coffee.yaml"), rows=50)
        table = plan.chunk(0)
        assert "pandas" not in sys.modules
        import pandas as pd
        import pyarrow as pa
        assert isinstance(pa.array(pd.Series(["a", "b", None], dtype="category")), pa.DictionaryArray)
        assert pa.array(pd.Series([1.0, float("nan")])).null_count == 1  # NaN is missing, as from pandas
        assert table.to_pandas().shape == (50, 11)
        assert isinstance(pa.array([1], pa.timestamp("ns"))[0].as_py(), pd.Timestamp)  # nanoseconds kept
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_table_converts_to_pandas_before_anything_imported_pandas():
    # Table.to_pandas needs pandas (pyarrow's Python imports it): a need, not a probe, so it is not refused.
    code = """if True:
        import sys
        from synth import load_schema
        from synth.engine import Plan
        table = Plan(load_schema("schemas/coffee.yaml"), rows=50).chunk(0)
        assert "pandas" not in sys.modules
        frame = table.to_pandas()
        assert frame.shape == (50, 11) and str(frame["product"].dtype) == "category"
        import pandas as pd
        import pyarrow as pa
        assert isinstance(pa.array(pd.Categorical(["a", "b"])), pa.DictionaryArray)
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_pandas_import_statement_is_never_refused():
    # Only pyarrow's own probes (compiled code called from synth or pyarrow) see "no pandas".
    code = """if True:
        from synth.lazy import hide_pandas_from_pyarrow, pa
        hide_pandas_from_pyarrow()
        pa.array([1, 2])
        import importlib
        importlib.import_module("pandas.api.types")  # as synth.lazy.LazyModule imports
        import pandas
        assert pandas.Series([1]).sum() == 1
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


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
