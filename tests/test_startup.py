"""Each command imports only what it needs: `synth --help` must not load the data and ML stack.

Not a timing test (timings live in bench/bench_startup.py): the modules a fresh process has loaded after a
command are what decide its start-up time, and they do not depend on the machine.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_help_imports_no_command_and_neither_rich_nor_pydantic():
    # The command list comes from synth.commands.registry's table: no command module is imported, and
    # neither Rich (the commands print with it) nor pydantic (Typer converts option values with it).
    loaded = loaded_after("--help")
    assert {m for m in loaded if m.startswith("synth.")} == {
        "synth.cli", "synth.commands", "synth.commands.app", "synth.commands.errors", "synth.commands.outcome",
        "synth.commands.registry", "synth.errors", "synth.secrets"}
    assert {m.split(".")[0] for m in loaded} & {"rich", "pydantic", "yaml"} == set()


def test_a_command_imports_its_own_module_only():
    loaded = loaded_after("kinds")  # (through the Typer app; synth.commands.plain holds the light commands' work)
    assert {m for m in loaded if m.startswith("synth.commands.")} == {
        "synth.commands.app", "synth.commands.errors", "synth.commands.outcome", "synth.commands.registry",
        "synth.commands.kinds", "synth.commands.kinds_facts", "synth.commands.console", "synth.commands.plain"}


def test_help_lists_each_command_as_its_own_help_would():
    # The summaries in COMMANDS are copies: the help must read exactly as with every command built.
    import typer.main

    from synth.cli import COMMANDS, app
    from synth.commands.registry import make_default_short_help

    group = typer.main.get_command(app)
    with group.make_context("synth", [], resilient_parsing=True) as ctx:
        from_table = group.get_help(ctx)
        for name, spec in COMMANDS.items():
            command = group.commands[name]
            for width in range(10, 130):
                assert make_default_short_help(command.help, width) == make_default_short_help(spec.summary, width), name
        assert set(group.commands.built) == set(COMMANDS)
        assert group.get_help(ctx) == from_table
    assert "kinds     List the column kinds a schema can use, or the fields of one..." in from_table


def test_the_kinds_table_is_current():
    # `synth kinds` reads synth/commands/kinds_facts.py, generated from the registry (in a fresh process:
    # tests may register kinds or distributions of their own).
    done = subprocess.run([sys.executable, "-m", "synth.commands.kinds", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_kinds_table_check_fails_when_stale(tmp_path, monkeypatch):
    from synth.commands import kinds

    stale = tmp_path / "kinds_facts.py"
    stale.write_text("KIND_FACTS = {}\n")
    monkeypatch.setattr(kinds, "FACTS_FILE", stale)
    assert kinds.main(["--check"]) == 1 and stale.read_text() == "KIND_FACTS = {}\n"
    assert kinds.main([]) == 0 and kinds.main(["--check"]) == 0
    assert "'uuid': {'summary':" in stale.read_text()


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "date"), ("finetune", "--help"), ("audit", "--help"),
                                  ("draft", "--help")])
def test_light_commands_import_no_pandas_scipy_or_ml_library(args):
    assert modules_after(*args) & {"pandas", "scipy", "sklearn", "matplotlib", "openai", "faker"} == set()


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "float"), ("kinds", "catalog")])
def test_kinds_reads_its_table_without_pydantic_numpy_or_pyarrow(args):
    # What it shows comes from the generated table (synth/commands/kinds_facts.py), not from the kinds' classes.
    loaded = loaded_after(*args)
    assert {m.split(".")[0] for m in loaded} & {"pydantic", "numpy", "pyarrow", "pandas", "scipy", "faker", "yaml"} == set()
    assert "synth.columns" not in loaded and "synth.commands.kinds_facts" in loaded


@pytest.mark.parametrize("schema", ["schemas/coffee.yaml", "schemas/customers.yaml", "schemas/web_events.yaml"])
def test_validate_imports_no_pandas_or_ml_library(schema):
    # The trial run (customers and web_events have constraints) makes Arrow arrays, but pyarrow's first
    # conversion no longer imports pandas just to ask whether a value is a pandas object
    # (synth.lazy.hide_pandas_from_pyarrow); coffee.yaml needs no trial run at all (test_validation.py).
    loaded = modules_after("validate", schema)
    assert loaded & {"pandas", "sklearn", "matplotlib", "openai", "dask", "distributed", "fsspec"} == set()
    assert ("pyarrow" in loaded) == (schema != "schemas/coffee.yaml")  # the trial run ran where it was needed
    # scipy and Faker only for the columns that need them: coffee.yaml has none (the others have Faker
    # names and exponential or lognormal shapes).
    assert (loaded & {"scipy", "faker"} == set()) == (schema == "schemas/coffee.yaml")


@pytest.mark.parametrize("args", [("validate", "schemas/coffee.yaml"), ("validate", "schemas/coffee.yaml", "--json")])
def test_validate_of_a_schema_that_needs_no_trial_imports_neither_numpy_pyarrow_nor_rich(args):
    # Loading coffee.yaml checks everything a trial run could show (synth.validation.trial_reasons), and the one
    # line of output is printed without Rich: what is left is typer, yaml and pydantic.
    loaded = modules_after(*args)
    assert loaded & {"numpy", "pyarrow", "rich", "pandas", "scipy", "faker"} == set()
    assert {"typer", "yaml", "pydantic", "synth"} <= loaded


def test_validate_trial_makes_the_rows_anyway():
    loaded = loaded_after("validate", "schemas/coffee.yaml", "--trial")
    assert {"synth.engine", "pyarrow.compute", "numpy"} <= loaded and "pandas" not in loaded


def test_validate_imports_no_other_command_and_no_io_layer_for_inline_records():
    loaded = loaded_by_main("validate", "schemas/coffee.yaml")  # the plain form: no Typer app, no registry
    assert {m for m in loaded if m.startswith("synth.commands.")} == {"synth.commands.outcome", "synth.commands.plain"}
    # coffee.yaml's catalog has its records inline: the I/O layer (files, databases) is for catalog files.
    assert not {m for m in loaded if m.startswith(("synth.io", "synth.sinks", "synth.tables"))}


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
    loaded = loaded_after("validate", str(schema), "--trial")  # values made: what generate imports
    assert ("scipy.special._ufuncs" in loaded, "scipy.stats" in loaded) == (special, stats)
    assert ("scipy.special" in loaded) == stats  # scipy.special's package only with scipy.stats (its ufuncs alone)


@pytest.mark.parametrize("args", [("--help",), ("kinds",), ("kinds", "date"), ("validate", "schemas/coffee.yaml")])
def test_plain_options_are_converted_without_typers_pydantic_adapters(args):
    assert "typer._adapters" not in loaded_after(*args)


def test_plain_options_convert_as_typers_own_conversion_does(tmp_path, capsys):
    # Same values and the same refusals as Typer's pydantic adapters, for what a command line can give.
    import typer
    from typer.main import get_command_from_info
    from typer.models import CommandInfo

    from synth.commands.registry import LightCommand, light_coercion

    def probe(text: str = typer.Argument(...), where: Path = typer.Option(Path("default.txt"), "--where"),
              must: Path = typer.Option(None, "--must", exists=True), flag: bool = typer.Option(False, "--flag")) -> None:
        print(repr((text, where, must, flag)))

    def run(command, argv: list[str]) -> tuple[str, str]:
        try:
            command.main(argv, prog_name="probe", standalone_mode=False)
            return "ok", capsys.readouterr().out
        except Exception as exc:  # what Typer refuses: a UsageError with its message
            return type(exc).__name__, exc.format_message()

    outputs = []
    for light in (False, True):
        command = get_command_from_info(CommandInfo(name="probe", callback=probe, cls=LightCommand if light else None),
                                        pretty_exceptions_short=True, rich_markup_mode=None)
        if light:
            light_coercion(command)
            assert {type(p._runtime_param).__name__ for p in command.params} == {"_PlainRuntimeParam"}
        outputs.append([run(command, argv) for argv in (["é x"], ["a", "--where", "out/b.csv", "--flag"],
                                                         ["a", "--must", str(tmp_path / "missing")],
                                                         ["a", "--must", str(tmp_path)])])
    assert outputs[0] == outputs[1]
    assert outputs[1][0] == ("ok", "('é x', PosixPath('default.txt'), None, False)\n")
    assert outputs[1][1] == ("ok", "('a', PosixPath('out/b.csv'), None, True)\n")
    assert outputs[1][2][0] == "BadParameter" and "does not exist" in outputs[1][2][1]
    assert outputs[1][3][0] == "ok"


# --- validate imports only the column kinds a schema uses ---------------------------------------------

def test_validate_coffee_imports_exactly_these_synth_modules():
    # coffee.yaml uses sequence, date, time, catalog, integer, expression and choice: their modules and no other
    # kind's (pattern, llm_text, related); a one-table schema needs neither the multi-table schema nor its engine.
    loaded = loaded_after("validate", "schemas/coffee.yaml")
    assert {m for m in loaded if m.startswith("synth.columns.")} == {
        "synth.columns.base", "synth.columns.kind_modules", "synth.columns.identifiers", "synth.columns.temporal",
        "synth.columns.records", "synth.columns.categorical", "synth.columns.permute", "synth.columns.numeric",
        "synth.columns.distributions", "synth.columns.derived"}
    assert {m for m in loaded if m.startswith("synth.multitable")} == {"synth.multitable", "synth.multitable.detect"}
    assert {m for m in loaded if m.startswith("synth.") and not m.startswith(("synth.columns.", "synth.commands."))} == {
        "synth.cli", "synth.columns", "synth.commands", "synth.datetimes", "synth.distinct", "synth.errors",
        "synth.expr", "synth.lazy", "synth.multitable", "synth.multitable.detect", "synth.schema", "synth.secrets",
        "synth.validation", "synth.yamlsafe"}  # no synth.engine: no trial run


def test_a_multi_table_schema_still_loads_its_kinds_on_demand():
    loaded = loaded_after("validate", "schemas/coffee_shop.yaml")
    assert {"synth.multitable.schema", "synth.multitable.engine", "synth.columns.related"} <= loaded


def test_kinds_are_known_by_name_before_their_module_is_imported():
    code = """if True:
        import sys
        from synth.columns import KINDS
        assert "pattern" in KINDS and "no_such_kind" not in KINDS and "pattern" in sorted(KINDS)
        assert "synth.columns.pattern" not in sys.modules
        assert KINDS["pattern"].__module__ == "synth.columns.pattern" and "synth.columns.pattern" in sys.modules
        assert KINDS.get("no_such_kind") is None
        assert len(KINDS) == len(dict(KINDS.items()))  # every value there (imports every kind)
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_kind_modules_table_check_fails_when_stale(tmp_path, monkeypatch):
    from synth.commands import kinds

    stale = tmp_path / "kind_modules.py"
    stale.write_text("KIND_MODULES = {}\n")
    monkeypatch.setattr(kinds, "MODULES_FILE", stale)
    assert kinds.main(["--check"]) == 1 and stale.read_text() == "KIND_MODULES = {}\n"
    assert kinds.main([]) == 0 and kinds.main(["--check"]) == 0
    assert "'date': 'synth.columns.temporal'," in stale.read_text()


def test_validate_prints_without_rich_and_wraps_as_rich_did():
    # One line of output is not worth Rich's ~50 ms: printed by synth.commands.validate.wrap, to the same width
    # (COLUMNS, the terminal, else 80) and exactly as Rich's console printed it.
    from rich.console import Console

    from synth.commands.validate import wrap
    from synth.validation import check_schema

    line = check_schema(ROOT / "schemas" / "coffee.yaml").summary().replace(f"{ROOT}/", "")
    for width in (80, 50):
        done = subprocess.run([sys.executable, "-c", "from synth.cli import main; main()", "validate", "schemas/coffee.yaml"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": str(width)})
        assert done.returncode == 0, done.stderr
        assert done.stdout == wrap(line, width) and max(map(len, done.stdout.splitlines())) <= width < len(line)
    shop = check_schema(ROOT / "schemas" / "coffee_shop.yaml", trial=False).summary()
    for text in (line, shop, f"ok: {'x' * 130} tail words", f"ok: a {'y' * 45} b"):
        for width in range(10, 140):
            console = Console(width=width, highlight=False, file=io.StringIO())
            console.print(text, markup=False)
            assert wrap(text, width) == console.file.getvalue(), (text, width)


def test_every_module_that_registers_a_kind_is_a_builtin_module():
    # A kind's module is imported only through the generated table, which is made from BUILTIN_MODULES: a new
    # kind module left out of that list would be a kind no schema could use.
    import importlib

    from synth.columns import BUILTIN_MODULES, KINDS

    for path in (ROOT / "synth" / "columns").glob("*.py"):
        importlib.import_module(f"synth.columns.{path.stem}" if path.stem != "__init__" else "synth.columns")
    defining = {cls.__module__ for cls in KINDS.registered().values() if cls.__module__.startswith("synth.columns.")}
    assert defining == {f"synth.columns.{m}" for m in BUILTIN_MODULES}


def test_fit_and_generate_of_a_fitted_schema_import_neither_scikit_learn_nor_scipy_stats(tmp_path):
    # Importing sklearn.tree (with scipy.stats, which it loads) took longer than fitting a small table:
    # synth fit grows its trees with synth.fit.cart, and the fitted schema's shapes need scipy.special at most.
    rng = np.random.default_rng(0)
    size = rng.choice(["S", "M", "L"], 600)
    price = np.select([size == "S", size == "M"], [2.5, 3.0], 3.5) + rng.normal(0, 0.2, 600).round(2)
    real = tmp_path / "real.csv"
    real.write_text("size,price,grams\n" + "".join(
        f"{s},{p},{g:.1f}\n" for s, p, g in zip(size, price, rng.gamma(3.0, 40.0, 600))))
    schema = tmp_path / "t.yaml"
    fitted = loaded_after("fit", str(real), "--out", str(schema), "--quiet")
    assert "conditional" in schema.read_text()  # the trees did run: the price's shape goes by the size
    made = loaded_after("generate", str(schema), "--rows", "500", "--out", str(tmp_path / "twin.csv"), "--quiet")
    assert (tmp_path / "twin.csv").exists()
    heavy = {"sklearn", "scipy.stats", "scipy.optimize", "faker", "matplotlib"}
    assert fitted & heavy == set() and made & heavy == set()
    assert "pandas" not in made  # generate writes Arrow; pandas was the fit's, for reading the CSV
    # scipy.special's compiled ufuncs (its normal quantiles) without the package: not its array-API layer, nor
    # the numpy tools scipy's import copies numpy's namespace with (synth.lazy.import_special_functions).
    assert "scipy.special._ufuncs" in fitted and "scipy.special._ufuncs" in made
    package = {"scipy.special", "scipy.special._basic", "scipy._lib._array_api", "scipy._lib.array_api_compat"}
    tools = {"numpy.f2py", "numpy.testing", "unittest", "numpy.polynomial"}
    assert fitted & (tools | package) == set() and made & (tools | package) == set()
    # --quiet prints nothing: no Rich (the fit's console is imported when something is printed)
    assert not {m for m in fitted if m.split(".")[0] == "rich"} and "synth.commands.console" not in fitted


def test_fit_and_generate_as_users_run_them_import_neither_typer_nor_pandas_for_the_twin(tmp_path):
    # The plain forms (synth.commands.plain): `synth fit REAL --out T --quiet` and `synth generate T --out F --quiet`
    # import no Typer (~100 M instructions each); generate of the fitted schema no pandas either (Arrow only).
    real = tmp_path / "real.csv"
    real.write_text("a,b,c\n" + "".join(f"{i % 7},{i * 0.5},{'xyz'[i % 3]}\n" for i in range(300)))
    fitted = loaded_by_main("fit", str(real), "--out", str(tmp_path / "t.yaml"), "--quiet")
    made = loaded_by_main("generate", str(tmp_path / "t.yaml"), "--out", str(tmp_path / "twin.csv"), "--quiet")
    assert (tmp_path / "twin.csv").read_text().startswith('"a","b","c"\n')
    for loaded in (fitted, made):
        assert {m.split(".")[0] for m in loaded} & {"typer", "click", "rich", "shellingham"} == set()
        assert "synth.commands.plain" in loaded and "synth.commands.registry" not in loaded
    assert "synth.commands.fitting" in fitted and "pandas" in fitted  # (the fit reads and learns with pandas)
    assert "synth.commands.generating" in made and "pandas" not in made
    # an option the plain form leaves to Typer: the Typer command, the same work
    typed = loaded_by_main("generate", str(tmp_path / "t.yaml"), "--out", str(tmp_path / "b.csv"), "--workers", "1", "-q")
    assert "typer" in typed and "synth.commands.generating" in typed
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "twin.csv").read_bytes()


def test_fit_prints_through_rich_when_not_quiet(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("a,b\n" + "".join(f"{i % 7},{i * 0.5}\n" for i in range(100)))
    loaded = loaded_by_main("fit", str(real), "--out", str(tmp_path / "t.yaml"))  # (prints a summary on stderr)
    assert "rich.console" in loaded and (tmp_path / "t.yaml").exists()


def test_scipy_without_numpy_tools_leaves_numpy_as_it_was():
    code = """if True:
        import sys
        import numpy
        from synth.lazy import import_without_numpy_tools
        special = import_without_numpy_tools("scipy.special")
        assert float(special.ndtri(0.5)) == 0.0 and "scipy.special" in sys.modules
        assert "numpy.testing" not in sys.modules and "numpy.f2py" not in sys.modules
        assert "testing" not in vars(numpy) and "f2py" not in vars(numpy)   # numpy's namespace as before
        import scipy.stats                                                  # (its import copies numpy's names too)
        numpy.testing.assert_equal(scipy.stats.norm.ppf(0.5), 0.0)          # asked for: imported, as always
        assert type(numpy.testing).__name__ == "module" and "numpy.testing" in sys.modules
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_scipys_special_functions_without_the_package_are_the_packages_own():
    code = """if True:
        import sys, threading
        from synth.lazy import LazyModule, import_special_functions
        special = LazyModule("scipy.special._ufuncs")
        assert float(special.ndtri(0.5)) == 0.0 and float(special.gammainc(1.0, 0.0)) == 0.0
        assert "scipy.special" not in sys.modules and "scipy._lib._array_api" not in sys.modules  # no package
        assert import_special_functions() is sys.modules["scipy.special._ufuncs"]                # loaded once
        import scipy.special                                 # the package later: imported as always, same ufuncs
        assert scipy.special.ndtri is special.ndtri and scipy.special.expm1 is special.expm1
        assert scipy.special.ndtri.__doc__ and callable(scipy.special.erfinv)
        import scipy.stats
        assert float(scipy.stats.norm.ppf(0.5)) == 0.0
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_scipys_special_functions_fall_back_to_the_whole_package_when_the_module_will_not_load_alone():
    # (another scipy whose compiled module needs its package's Python code): nothing half-loaded is kept
    code = """if True:
        import sys
        class Refuse:
            def find_spec(self, name, path=None, target=None):
                package = sys.modules.get("scipy.special")
                if name == "scipy.special._ufuncs" and package is not None and not hasattr(package, "__file__"):
                    raise ImportError("needs its package")
                return None
        sys.meta_path.insert(0, Refuse())
        from synth.lazy import import_special_functions
        special = import_special_functions()
        import scipy.special
        assert special is scipy.special and float(special.ndtri(0.5)) == 0.0 and hasattr(scipy.special, "__file__")
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_scipys_special_functions_after_the_package_are_its_own():
    code = """if True:
        import sys
        import scipy.special
        from synth.lazy import import_special_functions
        assert import_special_functions().ndtri is scipy.special.ndtri
        try:
            import_special_functions("scipy.stats")
        except ValueError as exc:
            assert "only scipy.special._ufuncs" in str(exc)
        else:
            raise AssertionError("another module was imported the special way")
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# --- what the libraries would do on their own at start-up ------------------------------------------

def loaded_by_main(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Modules loaded by a fresh interpreter that ran ``synth ARGS`` through :func:`synth.cli.main` (the script's
    entry point: it also turns pydantic's plugins off)."""
    code = ("import sys\nfrom synth.cli import main\n"
            f"sys.argv = ['synth', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
            "loaded = sorted(sys.modules)\nimport json\nsys.stderr.write('\\n' + json.dumps(loaded))\n")
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"} | (env or {})
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.splitlines()[-1]))


def test_generate_imports_rich_only_to_print_and_its_progress_bar_only_on_a_terminal(tmp_path):
    # A progress bar that is not shown (--quiet, or stderr not a terminal) is not made: Rich's progress module,
    # and with --quiet Rich itself, are not imported.
    quiet = loaded_by_main("generate", "schemas/coffee.yaml", "--rows", "10", "--out", str(tmp_path / "a.csv"), "--quiet")
    assert "synth.engine" in quiet and not {m for m in quiet if m.split(".")[0] == "rich"}
    shown = loaded_by_main("generate", "schemas/coffee.yaml", "--rows", "10", "--out", str(tmp_path / "b.csv"))
    assert "rich.console" in shown and "rich.progress" not in shown
    terminal = loaded_by_main("generate", "schemas/coffee.yaml", "--rows", "10", "--out", str(tmp_path / "t.csv"),
                              env={"FORCE_COLOR": "1"})  # what Rich takes for a terminal: the bar is made
    assert "rich.progress" in terminal
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    done = subprocess.run([sys.executable, "-c", "from synth.cli import main; main()", "generate", "schemas/coffee.yaml",
                           "--rows", "1234", "--out", str(tmp_path / "c.csv")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.startswith(f"wrote 1,234 rows x 11 columns to {tmp_path / 'c.csv'} in ") and done.stderr.endswith("s\n")


def test_validate_does_not_search_installed_packages_for_pydantic_plugins():
    # pydantic's plugin loader imports importlib.metadata (and with it email, zipfile, csv) even when plugins are
    # off; the command line turns them off, so it is not imported at all.
    loaded = loaded_by_main("validate", "schemas/coffee.yaml")
    assert {"synth.commands.plain", "pydantic"} <= loaded
    assert loaded & {"importlib.metadata", "email", "zipfile", "csv", "json"} == set()
    assert "importlib.metadata" not in loaded_by_main("validate", "--json", "schemas/coffee.yaml")


def test_pydantic_plugins_are_still_searched_when_the_user_turns_them_on():
    # PYDANTIC_DISABLE_PLUGINS set by the user (even empty: "search them") keeps pydantic's own loader.
    assert "importlib.metadata" in loaded_by_main("validate", "schemas/coffee.yaml", env={"PYDANTIC_DISABLE_PLUGINS": ""})
    code = """if True:
        import os, sys
        from synth.lazy import skip_pydantic_plugin_search
        skip_pydantic_plugin_search()
        from pydantic import BaseModel
        class M(BaseModel):
            x: int
        assert M(x=1).x == 1 and "importlib.metadata" not in sys.modules   # off: not searched
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "someone_else"
        from pydantic.plugin._loader import get_plugins, PYDANTIC_ENTRY_POINT_GROUP
        assert list(get_plugins()) == [] and PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
        assert "importlib.metadata" in sys.modules                          # on: pydantic's own search ran
        assert sys.modules["pydantic.plugin._loader"].__file__.endswith("_loader.py")
    """
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"} | {"PYDANTIC_DISABLE_PLUGINS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ)
    assert done.returncode == 0, done.stderr


def test_yaml_patterns_are_compiled_only_when_the_python_parser_runs(tmp_path):
    # PyYAML compiles its Python reader's and resolver's patterns on import (most of `import yaml`); synth reads
    # through libyaml and defers them. A file only the Python parser words the error for still gets its message,
    # the same as with PyYAML imported as usual.
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: a\x07b\ncolumns: [{name: id, kind: sequence}]\n")
    code = f"""if True:
        import sys, re
        {{prelude}}
        from synth.schema import Schema
        from synth.errors import SynthError
        import yaml
        pattern = yaml.reader.Reader.NON_PRINTABLE
        print(type(pattern).__name__, getattr(pattern, "_compiled", "-") is None)
        try:
            Schema.from_yaml({str(bad)!r})
        except SynthError as exc:
            print(exc)
        assert yaml.reader.Reader.NON_PRINTABLE.search("ok\\x07").start() == 2
        assert [tag for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers["1"] if regexp.match("12")] == ["tag:yaml.org,2002:int"]
    """
    outputs = []
    for prelude in ("pass", "import yaml  # as usual, before synth"):
        done = subprocess.run([sys.executable, "-c", code.replace("{prelude}", prelude)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.splitlines())
    assert outputs[0][0] == "LazyPattern True" and outputs[1][0] == "Pattern False"
    assert outputs[0][1:] == outputs[1][1:], outputs
    assert outputs[0][1] == f"{bad}:1: invalid YAML: unacceptable character #x0007: special characters are not allowed"
    done = subprocess.run([sys.executable, "-c", "from synth.cli import main; main()", "validate", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # was an internal error (exit 1)
    assert (done.returncode, done.stderr) == (2, f"error: {outputs[0][1]}\n")


def test_a_distributions_parameter_model_is_made_when_a_schema_uses_the_family():
    code = """if True:
        from synth.validation import check_schema
        from synth.columns.distributions import DISTRIBUTIONS
        check_schema("schemas/coffee.yaml")  # integer quantity, distribution: weighted
        made = sorted(n for n, f in DISTRIBUTIONS.items() if f.__dict__["Params"].model is not None)
        assert made == ["weighted"], made
        for name, family in DISTRIBUTIONS.items():  # the names read from the declarations are the model's
            fields = family.Params.model_fields
            assert family.required == tuple(n for n, f in fields.items() if f.is_required()), name
            assert family.optional == tuple(n for n, f in fields.items() if not f.is_required()), name
            assert family.Params.__qualname__ in (f"{family.__qualname__}.Params", "Parameters"), name
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args, collecting", [(("validate", "schemas/coffee.yaml"), False), (("kinds",), False),
                                              (("generate", "schemas/coffee.yaml", "--rows", "5", "--out", "-"), True)])
def test_the_garbage_collector_is_off_only_for_short_commands(args, collecting):
    # Start-up allocates what it keeps: the collector's passes over it are skipped (synth.cli.main) unless the
    # command runs long (CommandSpec.collect), where cycles of garbage must not pile up.
    code = ("import gc, sys\nfrom synth.cli import main\n"
            f"sys.argv = ['synth', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
            "sys.stderr.write(f'\\ncollecting={gc.isenabled()}')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"collecting={collecting}"


# --- the plain forms of the light commands import no Typer ------------------------------------------

@pytest.mark.parametrize("args", [("validate", "schemas/coffee.yaml"), ("validate", "--json", "schemas/coffee.yaml")])
def test_validate_as_users_run_it_imports_exactly_these_modules(args):
    # What `synth validate` on a small schema pays for, pinned (tests/test_plain_commands.py: same output as Typer's).
    loaded = loaded_by_main(*args)
    tops = {m.split(".")[0] for m in loaded}
    assert tops & {"typer", "click", "rich", "numpy", "pyarrow", "pandas", "scipy", "faker", "shellingham"} == set()
    assert {"yaml", "pydantic", "pydantic_core"} <= tops
    assert {m for m in loaded if m.startswith("synth.")} == {
        "synth.cli", "synth.commands", "synth.commands.outcome", "synth.commands.plain", "synth.errors", "synth.secrets",
        "synth.lazy", "synth.validation", "synth.multitable", "synth.multitable.detect", "synth.yamlsafe", "synth.schema",
        "synth.expr", "synth.distinct", "synth.datetimes", "synth.columns", "synth.columns.base",
        "synth.columns.kind_modules", "synth.columns.identifiers", "synth.columns.temporal", "synth.columns.records",
        "synth.columns.categorical", "synth.columns.permute", "synth.columns.numeric", "synth.columns.distributions",
        "synth.columns.derived"}


@pytest.mark.parametrize("args", [("kinds",), ("kinds", "date")])
def test_kinds_as_users_run_it_imports_neither_typer_nor_pydantic(args):
    loaded = loaded_by_main(*args)
    assert {m.split(".")[0] for m in loaded} & {"typer", "click", "pydantic_core", "yaml", "numpy", "pyarrow"} == set()
    assert "pydantic" not in loaded  # (only the plugin loader's stand-in: synth.lazy.skip_pydantic_plugin_search)
    assert {m for m in loaded if m.startswith("synth.")} == {
        "synth.cli", "synth.commands", "synth.commands.outcome", "synth.commands.plain", "synth.commands.console",
        "synth.commands.kinds_facts", "synth.errors", "synth.secrets", "synth.lazy"}


def test_expressions_skip_the_tokenizer_only_where_it_would_give_the_text_back():
    # synth.expr._rename_if returns plain text as it is (the tokenizer's first use costs ~14 M instructions): the same
    # result as tokenizing and untokenizing, and the same errors where the tokenizer refuses the text.
    import tokenize

    from synth.expr import Expression, ExpressionError, _rename_if

    def tokenized(text: str) -> str:  # what _rename_if did for every text
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        renamed = [t._replace(string="if_") if t.type == tokenize.NAME and t.string == "if" and i + 1 < len(tokens)
                   and tokens[i + 1].string == "(" else t for i, t in enumerate(tokens)]
        return tokenize.untokenize(renamed)

    texts = ["price * qty", "round(price * qty, 2)", "a  +  b", "x>=1", "(a+b)*c)(", "1_000 + 2.5e3", "x[0] @ y", "é+1",
             "a != b and not c", "x in [1, 2]", "a;b", "$x", "0x1F + 1j", "if(a > 1, 'x', 'y')", "diff - 1", "a\t+ b"]
    for path in (ROOT / "schemas").glob("*.yaml"):  # every expression and constraint of the example schemas
        for line in path.read_text().splitlines():
            for key in ("expr:", "- "):
                if key in line and any(op in line for op in "+*<>/"):
                    texts.append(line.split(key, 1)[1].strip().strip('"'))
    def outcome(rename, text):
        try:
            return rename(text)
        except (ExpressionError, tokenize.TokenError, IndentationError) as exc:
            return type(exc).__name__.replace("TokenError", "ExpressionError")

    for text in texts:
        assert outcome(_rename_if, text) == outcome(tokenized, text), text
    for broken in ("round(price * qty, 2", "a + [1, 2"):  # an open bracket: the tokenizer's message, as before
        with pytest.raises(ExpressionError, match="cannot read expression"):
            Expression.parse(broken)


def test_pyarrow_compute_is_imported_without_parsing_its_option_docstrings(tmp_path):
    # synth fit imports pyarrow.compute through pandas, synth generate to make values: neither parses the ~100
    # numpydoc docstrings of its options classes (synth.lazy.skip_compute_option_docs), nor imports pydoc for it.
    rng = np.random.default_rng(0)
    real = tmp_path / "real.csv"
    real.write_text("size,price\n" + "".join(f"{s},{p:.2f}\n" for s, p in zip(rng.choice(["S", "M", "L"], 400),
                                                                           rng.gamma(4.0, 2.0, 400))))
    fitted = loaded_by_main("fit", str(real), "--out", str(tmp_path / "real.yaml"), "--quiet")
    made = loaded_by_main("generate", str(tmp_path / "real.yaml"), "--out", str(tmp_path / "twin.csv"), "--quiet")
    for loaded in (fitted, made):
        assert "pyarrow.compute" in loaded and {"pyarrow.vendored.docscrape", "pydoc"} & loaded == set()
    code = """if True:
        import sys
        from synth.lazy import skip_compute_option_docs, _ComputeWithoutOptionDocs
        skip_compute_option_docs()
        import pyarrow as pa, pyarrow.compute as pc
        assert not any(isinstance(f, _ComputeWithoutOptionDocs) for f in sys.meta_path)  # once, then out of the way
        assert "pyarrow.vendored.docscrape" not in sys.modules
        # the functions are pyarrow's (options and all); only their help lists no option parameters
        assert pc.round(pa.array([1.26, -2.5]), ndigits=1).to_pylist() == [1.3, -2.5]
        assert pc.round(pa.array([1.26]), options=pc.RoundOptions(ndigits=0)).to_pylist() == [1.0]
        assert "ndigits" not in pc.round.__doc__ and "memory_pool" in pc.round.__doc__
        import pyarrow.vendored.docscrape as docscrape  # a later import gets the real parser
        assert docscrape.NumpyDocString(pc.RoundOptions.__doc__)["Parameters"][0].name == "ndigits"
    """
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    plain = subprocess.run([sys.executable, "-c", "import pyarrow.compute as pc; print(sorted(n for n in dir(pc)))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    ours = subprocess.run([sys.executable, "-c", "from synth.lazy import skip_compute_option_docs as s; s()\n"
                           "import pyarrow.compute as pc; print(sorted(n for n in dir(pc)))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert plain.returncode == ours.returncode == 0 and plain.stdout == ours.stdout  # the same functions, all there
