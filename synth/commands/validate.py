"""``synth validate``: check a schema (one table or several) without writing anything (see :mod:`synth.validation`)."""

from __future__ import annotations

import json
import shutil
import textwrap
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
        print(json.dumps(result.as_dict()))  # a script reads it
        return
    # Wrapped to the terminal as the other commands' Rich output is, without importing Rich (~50 ms) for one line.
    width = shutil.get_terminal_size().columns
    print(textwrap.fill(result.summary(), width=max(width, 20), break_on_hyphens=False))
