"""Checking a schema without writing anything: what ``synth validate`` does, as a function.

A schema is checked in two steps. Loading it checks every field, reference and expression, and each
column kind's own rules (ranges, weights, profiles, catalog records), without making a single value: no
numpy, no pyarrow. Then a trial run makes up to :data:`TRIAL_ROWS` rows, but only when values alone could
still show a mistake: each column entry says whether it can (:meth:`synth.columns.Column.trial_reason`: a
catalog read from a file, an expression whose column types do not prove it evaluates, unique numbers
with too few values ...), and so does the schema (constraints, met by redrawing rows, which may never
succeed; correlations, whose matrix must factor). A trial run finds every mistake it found before; a
schema it is not needed for starts in a fraction of the time (numpy and pyarrow are most of it).

>>> check = check_schema("schemas/coffee.yaml")
>>> check.trial_reasons, check.columns[:3]       # loading checked everything: no trial run
([], ['id', 'date', 'time'])
>>> check_schema("schemas/coffee.yaml", trial=True).trial_reasons
['asked for (--trial)']
>>> check_schema("schemas/no_such.yaml")
Traceback (most recent call last):
...
synth.errors.SynthError: schemas/no_such.yaml: no such file
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .schema import Schema

__all__ = ["TRIAL_ROWS", "SchemaCheck", "check_schema", "trial_reasons"]

#: Rows a trial run makes (at most: a table of fewer rows makes them all).
TRIAL_ROWS = 1000
ASKED = "asked for (--trial)"


@dataclass(frozen=True)
class SchemaCheck:
    """A valid schema's description (an invalid one raises :class:`~synth.errors.SynthError` instead).

    ``trial_reasons``: why a trial run was made (empty: none was; loading checked everything).
    One table: ``name``, ``rows`` (by default) and ``columns``; several: ``tables`` (name -> columns) and
    ``references``.
    """

    schema: str
    name: str
    rows: int | None = None
    columns: list[str] = field(default_factory=list)
    tables: dict[str, list[str]] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    reference_count: int = 0  # references between tables (a composite one is one, whatever its foreign keys)
    trial_reasons: list[str] = field(default_factory=list)
    trial_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        """What ``synth validate --json`` prints."""
        out: dict[str, Any] = {"schema": self.schema, "valid": True, "name": self.name}
        if self.tables:
            out |= {"tables": self.tables, "references": self.references}
        else:
            out |= {"rows": self.rows, "columns": self.columns}
        out["trial"] = {"rows": self.trial_rows, "reasons": self.trial_reasons} if self.trial_reasons else None
        return out

    def summary(self) -> str:
        """One line for people, e.g. ``ok: schemas/coffee.yaml defines table 'coffee_sales' with 11 columns ...``."""
        if self.tables:
            return (f"ok: {self.schema} defines {len(self.tables)} tables ({', '.join(self.tables)}) with "
                    f"{self.reference_count} references ({'; '.join(self.references)})")
        return (f"ok: {self.schema} defines table {self.name!r} with {len(self.columns)} columns "
                f"({', '.join(self.columns)}), {self.rows:,} rows by default")


def trial_reasons(schema: Schema, rows: int) -> list[str]:
    """Why ``schema`` needs a trial run of ``rows`` rows before it can be called valid; empty when loading it
    checked everything that making values could show.

    >>> from synth.schema import Schema
    >>> trial_reasons(Schema.from_yaml_text("columns: [{name: x, kind: integer, min: 1, max: 9}]"), 1000)
    []
    >>> trial_reasons(Schema.from_yaml_text('''
    ... columns: [{name: x, kind: integer, min: 1, max: 9}, {name: y, kind: expression, expr: "x // (x - 1)"}]
    ... constraints: [x > 2]'''), 1000)  # doctest: +NORMALIZE_WHITESPACE
    ['constraints are met by redrawing rows, which may never succeed',
     "column 'y': whether 'x // (x - 1)' evaluates on every row is known only by evaluating it"]
    """
    reasons = []
    if schema.constraints:
        reasons.append("constraints are met by redrawing rows, which may never succeed")
    if schema.spec.correlations:
        reasons.append("the correlations' matrix is checked by factoring it")
    known: dict[str, str | None] = dict.fromkeys(schema.inputs)  # related tables' columns: types not known here
    for col in schema.generation_order():
        reason = col.trial_reason(known, rows)
        if reason is not None:
            reasons.append(f"column {col.name!r}: {reason}")
        known.update(col.value_types(known))
    return reasons


def check_schema(path: str | Path, trial: bool | None = None) -> SchemaCheck:
    """Check the schema file at ``path`` (one table or several) without writing anything.

    ``trial``: None (default) makes trial rows only where :func:`trial_reasons` says values could still
    show a mistake (a schema of several tables: always); True always; False never (only what loading checks).
    Raises :class:`~synth.errors.SynthError` naming file, line and field for the first mistake found.
    """
    from .multitable.detect import is_multi_table

    if is_multi_table(path):
        return _check_database(path, trial)
    from . import load_schema

    schema = load_schema(path)
    rows = min(schema.spec.rows, TRIAL_ROWS)
    reasons = trial_reasons(schema, rows) if trial is None else ([ASKED] if trial else [])
    if reasons:
        from .engine import Plan  # numpy and pyarrow: only for a trial run

        for _ in Plan(schema, rows=rows).iter_chunks():
            pass
    return SchemaCheck(schema=str(path), name=schema.name, rows=schema.spec.rows, columns=schema.output_columns,
                       trial_reasons=reasons, trial_rows=rows if reasons else 0)


def _check_database(path: str | Path, trial: bool | None) -> SchemaCheck:
    """Several related tables: loaded, then (unless ``trial`` is False) a trial run of their roots' rows."""
    from .multitable import DatabasePlan, load_database

    db = load_database(path)
    reasons = [] if trial is False else [ASKED if trial else "related tables are checked by making their rows"]
    rows = {t: min(db.tables[t].spec.rows, TRIAL_ROWS) for t in db.roots}
    if reasons:
        for _ in DatabasePlan(db, rows=rows).iter_chunks():
            pass
    return SchemaCheck(schema=str(path), name=db.name, tables={t: db.tables[t].output_columns for t in db.order},
                       references=[str(fk) for fk in db.foreign_keys], reference_count=len(db.references), trial_reasons=reasons,
                       trial_rows=sum(rows.values()) if reasons else 0)
