"""``synth validate``: check a schema (one table or several) without writing anything."""

from __future__ import annotations

import json
from pathlib import Path

import typer

SchemaArg = typer.Argument(..., help="The YAML schema file, e.g. schemas/coffee.yaml", show_default=False)


def validate(
    schema: Path = SchemaArg,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
) -> None:
    """Check a schema without writing anything: fields, references, files, and a trial run of 1,000 rows.

    Exit code 0 when valid, 2 with one line naming the file, line and field when not.
    """
    from ..multitable import is_multi_table

    if is_multi_table(schema):
        from ..multitable import DatabasePlan, load_database

        db = load_database(schema)
        trial = DatabasePlan(db, rows={t: min(db.tables[t].spec.rows, 1000) for t in db.roots})
        for _ in trial.iter_chunks():
            pass
        tables = {t: db.tables[t].output_columns for t in db.order}
        result = {"schema": str(schema), "valid": True, "name": db.name, "tables": tables,
                  "references": [str(fk) for fk in db.foreign_keys]}
        _report(result, as_json, f"ok: {schema} defines {len(tables)} tables ({', '.join(tables)}) with "
                                 f"{len(db.references)} references ({'; '.join(result['references'])})")
        return
    from .. import load_schema
    from ..engine import Plan

    loaded = load_schema(schema)
    plan = Plan(loaded, rows=min(loaded.spec.rows, 1000))
    for _ in plan.iter_chunks():
        pass
    result = {"schema": str(schema), "valid": True, "name": loaded.name, "rows": loaded.spec.rows,
              "columns": loaded.output_columns}
    _report(result, as_json, f"ok: {schema} defines table {loaded.name!r} with {len(loaded.output_columns)} columns "
                             f"({', '.join(loaded.output_columns)}), {loaded.spec.rows:,} rows by default")


def _report(result: dict, as_json: bool, line: str) -> None:
    """The result as JSON (plain print: a script reads it, and Rich is not imported for it), else ``line`` for people."""
    if as_json:
        print(json.dumps(result))
        return
    from .console import out  # Rich: wraps the line to the terminal as every command's output does

    out.print(line, markup=False)


