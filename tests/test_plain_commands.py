"""`synth validate FILE` and `synth kinds [KIND]` run without Typer (synth.commands.plain): the same output, error
lines and exit codes as through the Typer app, and everything that is not a plain form still goes to Typer.

Each command line runs twice as a whole process through the real entry point (:func:`synth.cli.main`): as
users run it, and with the plain forms turned off (every line to the Typer app). Not a timing test: which path
ran is told by whether Typer was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
