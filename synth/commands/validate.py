"""``synth validate``: check a schema (one table or several) without writing anything (see :mod:`synth.validation`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import typer

SchemaArg = typer.Argument(..., help="The YAML schema file, e.g. schemas/coffee.yaml", show_default=False)


def validate(
    schema: Path = SchemaArg,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    trial: bool = typer.Option(False, "--trial", help="Also make 1,000 trial rows when loading the schema has checked "
                               "everything they could show."),
) -> None:
    """Check a schema without writing anything: fields, references, files, and a trial run of 1,000 rows
    where only values can tell.

    A trial run is made when making values could still show a mistake (constraints, catalog files,
    expressions that their columns' types do not prove, ...), or with --trial. Exit code 0 when valid, 2
    with one line naming the file, line and field when not.
    """
    from ..validation import check_schema

    result = check_schema(schema, trial=True if trial else None)
    if as_json:
        import json  # (only here: ~2 ms)

        print(json.dumps(result.as_dict()))  # a script reads it
        return
    print(wrap(result.summary(), shutil.get_terminal_size().columns), end="")


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
