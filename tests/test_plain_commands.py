"""`synth validate FILE` and `synth kinds [KIND]` run without Typer (synth.commands.plain): the same output, error
lines and exit codes as through the Typer app, and everything that is not a plain form still goes to Typer.

Each command line runs twice as a whole process through the real entry point (:func:`synth.cli.main`): as
users run it, and with the plain forms turned off (every line to the Typer app). Not a timing test: which path
ran is told by whether Typer was imported.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
COFFEE = "schemas/coffee.yaml"
BUG = "import synth.validation\ndef broken(*a, **k):\n    raise KeyError('planted')\nsynth.validation.check_schema = broken\n"
CTRL_C = "import synth.validation\ndef stop(*a, **k):\n    raise KeyboardInterrupt\nsynth.validation.check_schema = stop\n"


def run(args: list[str], plain: bool, code: str = "") -> tuple[int, str, str, bool]:
    """Exit code, stdout, stderr of ``synth ARGS`` (plain forms on or off), and whether Typer was imported."""
    off = "" if plain else "import synth.commands.plain as p\np.plain_command = lambda argv: None\n"
    script = (f"import json, os, sys\n{code}{off}sys.argv = ['synth', *{args!r}]\nfrom synth.cli import main\n"
              "try:\n    main()\n    code = 0\nexcept SystemExit as exc:\n    code = exc.code\nsys.stdout.flush()\n"
              "with open(os.environ['PROBE'], 'w') as f:\n    json.dump('typer' in sys.modules, f)\nsys.exit(code)\n")
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"plain_probe_{os.getpid()}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SYNTH_"))}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "90", "PROBE": str(probe)})
    typer = json.loads(probe.read_text())
    probe.unlink()
    return done.returncode, done.stdout, done.stderr, typer


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("plain")
    (folder / "bad_yaml.yaml").write_text("name: t\ncolumns: [{name: x, kind: integer, max: [}\n")
    (folder / "bad_kind.yaml").write_text("name: t\ncolumns:\n  - {name: x, kind: flot}\n")
    (folder / "bad_field.yaml").write_text("name: t\ncolumns:\n  - {name: x, kind: integer, min: 5, max: 1}\n")
    return {"bad_yaml": str(folder / "bad_yaml.yaml"), "bad_kind": str(folder / "bad_kind.yaml"),
            "bad_field": str(folder / "bad_field.yaml"), "folder": str(folder), "missing": str(folder / "missing.yaml")}


# (command line, planted code, whether it is a plain form)
CASES = [
    (["validate", COFFEE], "", True),
    (["validate", "--json", COFFEE], "", True),
    (["validate", COFFEE, "--trial", "--json"], "", True),
    (["validate", "{missing}"], "", True),
    (["validate", "{bad_yaml}"], "", True),
    (["validate", "{bad_kind}", "--json"], "", True),
    (["validate", "{bad_field}"], "", True),
    (["validate", "{folder}"], "", True),
    (["validate", COFFEE], BUG, True),
    (["validate", COFFEE], CTRL_C, True),
    (["kinds"], "", True),
    (["kinds", "date"], "", True),
    (["kinds", "flot"], "", True),
    # not plain forms: Typer's parsing, help and messages
    (["validate", "{bad_kind}", "--debug"], "", False),
    (["validate", "--jsn", COFFEE], "", False),
    (["validate", "--json", "--json", COFFEE], "", False),
    (["validate"], "", False),
    (["validate", COFFEE, COFFEE], "", False),
    (["kinds", "--help"], "", False),
    (["kinds", "date", "time"], "", False),
    (["validate", "-"], "", False),
]


@pytest.mark.parametrize("args, code, plain", CASES, ids=[" ".join(a) + (" (bug)" if c == BUG else " (ctrl-c)" if c else "")
                                                       for a, c, _ in CASES])
def test_plain_forms_and_typer_say_the_same(files: dict[str, str], args: list[str], code: str, plain: bool) -> None:
    argv = [arg.format(**files) for arg in args]
    rc, out, err, typer = run(argv, plain=True, code=code)
    assert typer != plain  # the plain forms never import Typer; everything else is Typer's
    assert (rc, out, err) == run(argv, plain=False, code=code)[:3]
    if plain and rc == 0:
        assert out and not err
    elif plain:
        assert len(err.splitlines()) == 1 and err.startswith(("error: ", "internal error: ", "interrupted: "))
        assert rc == {"error": 2, "internal error": 1, "interrupted": 130}[err.split(":")[0]]


def test_a_closed_pipe_ends_the_plain_form_as_click_ends_it():
    # `synth kinds | true`: the reader is gone before anything is written; Click's answer on both paths: exit 1,
    # nothing on stderr (no traceback, no "Exception ignored" at exit).
    outputs = []
    for plain in (True, False):
        off = "" if plain else "import synth.commands.plain as p; p.plain_command = lambda argv: None; "
        script = f"import sys; {off}sys.argv = ['synth', 'kinds']; from synth.cli import main; main()"
        shell = f"{sys.executable} -c \"{script}\" | true; echo ${{PIPESTATUS[0]}}"
        done = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "90"})
        outputs.append((done.stdout, done.stderr))
    assert outputs[0] == outputs[1] == ("1\n", "")


# --- generate and fit: the lines users run most, without Typer ------------------------------------------

REAL = "penguins.csv"  # (written by the fixture below: a small real table)
# (command line with {out} for an output folder of each path, whether it is a plain form)
WORK_CASES = [
    (["generate", COFFEE, "--rows", "300", "--seed", "5", "--out", "{out}/a.csv", "--quiet"], True),
    (["generate", COFFEE, "-q", "-n", "40", "-o", "-"], True),  # the table on stdout
    (["generate", COFFEE, "--json", "--rows", "300", "--out", "{out}/b.parquet"], True),
    (["generate", COFFEE, "--rows", "120", "--out", "{out}/c.csv"], True),  # the summary line on stderr
    (["generate", "{out}/missing.yaml", "--out", "{out}/d.csv"], True),
    (["generate", COFFEE, "--rows", "many", "--out", "{out}/e.csv"], True),  # refused by the command, in its words
    (["generate", COFFEE, "--seed", "-1", "--rows", "5", "--out", "{out}/f.csv"], False),
    (["generate", COFFEE, "--rows", "5", "--out", "{out}/g.csv", "--workers", "2"], False),
    (["generate", COFFEE, "--seed", "x", "--out", "{out}/h.csv"], False),  # Typer's message for a bad number
    (["generate", COFFEE, "--rows", "5", "--rows", "6", "--out", "{out}/i.csv"], False),
    (["fit", "{real}", "--out", "{out}/t.yaml", "--quiet"], True),
    (["fit", "{real}", "-o", "{out}/u.yaml", "--json"], True),
    (["fit", "{real}", "--out", "{out}/t.txt"], True),  # not a YAML name
    (["fit", "{out}/missing.csv", "-q", "-o", "{out}/v.yaml"], True),
    (["fit", "{real}", "--min-count", "5", "-q", "-o", "{out}/w.yaml"], False),
    (["fit", "{real}", "{real}", "-q", "-o", "{out}/x.yaml"], False),
]


@pytest.fixture(scope="module")
def real_table(tmp_path_factory: pytest.TempPathFactory) -> str:
    rng = np.random.default_rng(3)
    size = rng.choice(["S", "M", "L"], 400)
    price = np.select([size == "S", size == "M"], [2.5, 3.0], 3.5) + rng.normal(0, 0.2, 400).round(2)
    path = tmp_path_factory.mktemp("real") / REAL
    path.write_text("size,price,grams\n" + "".join(f"{s},{p},{g:.1f}\n" for s, p, g in
                                                    zip(size, price, rng.gamma(3.0, 40.0, 400))))
    return str(path)


def _timeless(text: str) -> str:
    """Output with the seconds a run took (which differ from run to run) blanked."""
    text = re.sub(r"in \d+\.\d+s", "in _s", text)
    return re.sub(r'"(seconds|rows_per_second)": [\d.]+', r'"\1": _', text)


@pytest.mark.parametrize("args, plain", WORK_CASES, ids=[" ".join(a) for a, _ in WORK_CASES])
def test_generate_and_fit_plain_forms_write_and_say_what_typer_does(tmp_path: Path, real_table: str, args: list[str],
                                                                      plain: bool) -> None:
    results, written = [], []
    for path in ("plain", "typer"):
        out = tmp_path / path
        out.mkdir()
        rc, stdout, stderr, typer = run([a.format(out=out, real=real_table) for a in args], plain=path == "plain")
        assert typer == (path == "typer" or not plain)  # the plain forms never import Typer
        results.append((rc, _timeless(stdout.replace(str(out), "OUT")), _timeless(stderr.replace(str(out), "OUT"))))
        written.append({f.name: f.read_bytes() for f in sorted(out.iterdir())})
    assert results[0] == results[1]
    assert written[0] == written[1]  # the same files, byte for byte (schemas, tables), or none on both paths
    rc, stdout, stderr = results[0]
    if plain and any(word in " ".join(args) for word in ("missing", "many", "t.txt")):
        assert rc == 2 and stderr.startswith("error: ") and len(stderr.splitlines()) == 1 and not written[0]
    elif plain:
        assert rc == 0 and (written[0] or len(stdout.splitlines()) == 41)  # (40 rows on stdout)


def test_the_plain_forms_defaults_are_the_typer_commands():
    # run_generate and run_fit take the options a plain form leaves out at their own defaults: the same as the
    # Typer commands' (a default changed in one place only would make the two paths differ).
    import inspect

    from synth.commands.fit import fit
    from synth.commands.fitting import run_fit
    from synth.commands.generate import generate
    from synth.commands.generating import run_generate

    for command, work in ((generate, run_generate), (fit, run_fit)):
        declared = {name: p.default.default for name, p in inspect.signature(command).parameters.items()
                    if name != "ctx" and p.default.default is not ...}
        own = {name: p.default for name, p in inspect.signature(work).parameters.items()
               if p.default is not inspect.Parameter.empty and name != "settings"}
        assert declared == own, command.__name__
