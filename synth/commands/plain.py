"""The commands' plain forms, run without Typer: `synth validate FILE`, `synth kinds [KIND]`, and the usual
lines of `synth generate` and `synth fit`.

Importing Typer (and its copy of Click) and building the command costs more than `synth kinds` and about a
third of what `synth validate` on a small schema does itself; `synth fit real.csv` then `synth generate t.yaml`
pay it twice (~100 M instructions each: 4-7% of a small table's fit and twin). These forms need no parser: the
command line is one of

- ``validate FILE``, with ``--json`` and/or ``--trial`` before or after it (each at most once);
- ``kinds`` or ``kinds KIND``;
- ``generate SCHEMA`` with any of ``--rows N``, ``--seed N``, ``--out WHERE`` (or ``-n``, ``-s``, ``-o``),
  ``--quiet`` (``-q``) and ``--json``, each at most once, in any order;
- ``fit REAL`` with any of ``--out WHERE`` (``-o``), ``--quiet`` (``-q``) and ``--json``, each at most once;

where no argument is empty or starts with ``-`` but those options (and ``--out -``, standard output), and a seed is
a plain whole number. :func:`plain_command` recognises them
and :func:`run_plain` runs them with the same work, output, error lines and exit codes as the Typer
command (:mod:`synth.commands.validate`, :mod:`synth.commands.kinds`, which call the same functions here,
and the one error path of :mod:`synth.commands.outcome`). Everything else, ``--help``, ``--debug``, an unknown
option, a missing or extra argument, a file Typer's conversion would refuse, goes to the Typer app, so its
messages stay Typer's (``tests/test_plain_commands.py`` runs both paths on the same command lines).

>>> plain_command(["validate", "schemas/coffee.yaml", "--json"]).keywords
{'schema': PosixPath('schemas/coffee.yaml'), 'as_json': True, 'trial': False}
>>> plain_command(["kinds", "date"]).keywords
{'kind': 'date'}
>>> plain_command(["generate", "t.yaml", "-n", "500", "--out", "-", "--quiet"]).keywords
{'schema': PosixPath('t.yaml'), 'rows': ['500'], 'out_path': '-', 'quiet': True}
>>> plain_command(["fit", "real.csv", "-o", "t.yaml"]).keywords
{'reals': ['real.csv'], 'out_path': PosixPath('t.yaml')}
>>> [plain_command(argv) for argv in (["validate", "a.yaml", "--debug"], ["kinds", "--help"], ["validate"],
...                                   ["validate", "a.yaml", "--json", "--json"], ["kinds", "a", "b"],
...                                   ["generate", "t.yaml", "--workers", "2"], ["generate", "t.yaml", "--seed", "-1"],
...                                   ["generate", "t.yaml", "--out=x.csv"], ["fit", "a.csv", "b.csv"], ["fit", "--help"])]
[None, None, None, None, None, None, None, None, None, None]
"""

from __future__ import annotations

import gc
import os
import re
import sys
from functools import partial
from pathlib import Path

from .outcome import outcome, report

__all__ = ["plain_command", "run_plain", "validate_schema", "show_kinds", "generate_table", "fit_table",
           "terminal_columns", "wrap"]

VALIDATE_FLAGS = ("--json", "--trial")
#: The options of the plain forms of `generate` and `fit`: each name's keyword, and whether it takes a value.
GENERATE_OPTIONS = {"--rows": ("rows", True), "-n": ("rows", True), "--seed": ("seed", True), "-s": ("seed", True),
                    "--out": ("out_path", True), "-o": ("out_path", True), "--quiet": ("quiet", False),
                    "-q": ("quiet", False), "--json": ("as_json", False)}
FIT_OPTIONS = {"--out": ("out_path", True), "-o": ("out_path", True), "--quiet": ("quiet", False),
               "-q": ("quiet", False), "--json": ("as_json", False)}


def plain_command(argv: list[str]) -> partial[None] | None:
    """The call that runs ``argv`` (the words after ``synth``) when it is a plain form; else None (Typer's)."""
    if not argv or "" in argv or any(re.fullmatch(r"_\w*_COMPLETE", name) for name in os.environ):
        return None  # (an empty word, or a shell's completion request: Typer's)
    name, rest = argv[0], argv[1:]
    words = [arg for arg in rest if not arg.startswith("-")]
    flags = [arg for arg in rest if arg.startswith("-")]
    if name == "validate":
        if len(words) != 1 or len(set(flags)) != len(flags) or not set(flags) <= set(VALIDATE_FLAGS):
            return None
        schema = Path(words[0])
        if os.path.exists(schema) and not os.access(schema, os.R_OK):
            return None  # Typer's conversion refuses a file it cannot read, in its own words
        return partial(validate_schema, schema=schema, as_json="--json" in flags, trial="--trial" in flags)
    if name == "kinds":
        if flags or len(words) > 1:
            return None
        return partial(show_kinds, kind=words[0] if words else None)
    if name in ("generate", "fit"):
        parsed = _options(rest, GENERATE_OPTIONS if name == "generate" else FIT_OPTIONS)
        if parsed is None:
            return None
        word, keywords = parsed
        if name == "fit":
            if "out_path" in keywords:
                keywords["out_path"] = Path(keywords["out_path"])
            return partial(fit_table, reals=[word], **keywords)
        if "rows" in keywords:
            keywords["rows"] = [keywords["rows"]]  # (Typer's --rows is a list: repeatable for several tables)
        if "seed" in keywords:
            if not re.fullmatch(r"0|[1-9][0-9]{0,17}", keywords["seed"]):
                return None  # (a seed Typer's conversion would refuse, or word its own way)
            keywords["seed"] = int(keywords["seed"])
        return partial(generate_table, schema=Path(word), **keywords)
    return None


def _options(rest: list[str], known: dict[str, tuple[str, bool]]) -> tuple[str, dict[str, object]] | None:
    """The one argument and the keywords of ``rest`` (a flag True, an option its text), or None when ``rest`` is
    anything else: an unknown option, one given twice, a value missing or starting with ``-`` (but ``--out -``),
    no argument or several."""
    words: list[str] = []
    keywords: dict[str, object] = {}
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if not arg.startswith("-"):
            words.append(arg)
            continue
        if arg not in known or known[arg][0] in keywords:
            return None
        keyword, takes_value = known[arg]
        if not takes_value:
            keywords[keyword] = True
            continue
        if i == len(rest) or (rest[i].startswith("-") and not (keyword == "out_path" and rest[i] == "-")):
            return None
        keywords[keyword] = rest[i]
        i += 1
    return (words[0], keywords) if len(words) == 1 else None


def run_plain(argv: list[str]) -> int | None:
    """Run ``argv`` if it is a plain form and return its exit code (0: done); None: not one, nothing done."""
    command = plain_command(argv)
    if command is None:
        return None
    try:
        command()
    except BrokenPipeError:  # the reader went away (`synth kinds | head -1`): exit 1 quietly, as Click does
        try:
            from typer._click.utils import PacifyFlushWrapper
        except ImportError:  # pragma: no cover
            from click.utils import PacifyFlushWrapper
        sys.stdout, sys.stderr = PacifyFlushWrapper(sys.stdout), PacifyFlushWrapper(sys.stderr)
        return 1
    except (KeyboardInterrupt, Exception) as exc:
        line, code = outcome(exc)
        report(line, exc)
        return code
    return 0


# --- the commands' work, shared with their Typer commands ---------------------------------------------

def validate_schema(schema: Path, as_json: bool = False, trial: bool = False) -> None:
    """`synth validate`: check ``schema`` and print one line (or the JSON of the check with ``as_json``)."""
    from ..validation import check_schema

    result = check_schema(schema, trial=True if trial else None)
    if as_json:
        import json  # (only here: ~2 ms)

        print(json.dumps(result.as_dict()))  # a script reads it
        return
    print(wrap(result.summary(), terminal_columns()), end="")


def generate_table(schema: Path, **options: object) -> None:
    """`synth generate`: :func:`synth.commands.generating.run_generate`, with the collector on (a long command)."""
    gc.enable()  # (the command line starts with it off: synth.cli.main; the Typer path turns it on too)
    from .generating import run_generate

    run_generate(schema, **options)  # type: ignore[arg-type]


def fit_table(reals: list[str], **options: object) -> None:
    """`synth fit`: :func:`synth.commands.fitting.run_fit`, with the collector on (a long command)."""
    gc.enable()
    from .fitting import run_fit

    run_fit(reals, **options)  # type: ignore[arg-type]


def show_kinds(kind: str | None = None) -> None:
    """`synth kinds`: the table of every kind, or one kind's fields (from :mod:`synth.commands.kinds_facts`)."""
    from rich.table import Table

    from ..errors import SynthError
    from .console import out
    from .kinds_facts import KIND_FACTS

    if kind is not None:
        if kind not in KIND_FACTS:
            raise SynthError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(KIND_FACTS))}")
        facts = KIND_FACTS[kind]
        out.print(facts["doc"], markup=False)
        table = Table("field", "type", "default", "meaning")
        for row in facts["fields"]:
            table.add_row(*row)
        out.print(table)
        if facts["reference"]:
            out.print(facts["reference"], markup=False)
        if facts["example"]:
            out.print("Example:\n" + facts["example"], markup=False)
        return
    table = Table("kind", "what it makes")
    for name in sorted(KIND_FACTS):
        table.add_row(name, KIND_FACTS[name]["summary"])
    out.print(table)
    out.print("`synth kinds NAME` shows a kind's fields and an example.", markup=False)


def terminal_columns() -> int:
    """The width ``shutil.get_terminal_size().columns`` gives (``COLUMNS`` if set and positive, else the terminal's
    of stdout, else 80), without importing shutil and the compression modules it brings (~3 M instructions).

    >>> import shutil
    >>> terminal_columns() == shutil.get_terminal_size().columns
    True
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def wrap(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` columns exactly as the other commands' Rich console wraps it (the same line
    breaks, a space kept at a line's end where it fits, a word longer than a line cut), without importing Rich
    (~50 ms) for one line.

    >>> wrap("ok: schemas/coffee.yaml defines table 'coffee_sales'", 20).splitlines()
    ['ok: ', 'schemas/coffee.yaml ', 'defines table ', "'coffee_sales'"]
    """
    lines, line = [], ""
    for word in re.findall(r"\S+\s*", text):  # each word with the spaces after it
        if line and len(line) + len(word.rstrip()) > width:
            lines.append(line)
            line = ""
        if len(word.rstrip()) > width:  # longer than a line: cut into lines; the last piece goes on
            if line:
                lines.append(line)
            pieces = [word[i:i + width] for i in range(0, len(word), width)]
            lines.extend(pieces[:-1])
            word, line = pieces[-1], ""
        line += word
    lines.append(line)
    return "".join(f"{line[:width]}\n" for line in lines)  # a space past the edge is not printed
