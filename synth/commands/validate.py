"""``synth validate``: check a schema (one table or several) without writing anything (see :mod:`synth.validation`).

The work is :func:`synth.commands.plain.validate_schema`, which the plain form `synth validate FILE` runs
without Typer; this module is the Typer command (its options and help).
"""

from __future__ import annotations

from pathlib import Path

import typer

from .plain import validate_schema, wrap

__all__ = ["validate", "wrap"]

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
    validate_schema(schema, as_json=as_json, trial=trial)
