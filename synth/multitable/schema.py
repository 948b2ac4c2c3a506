"""A multi-table schema: named one-table :class:`~synth.schema.Schema` s and the references between them.

A file with ``tables:`` is one; each table is written as a one-table schema is (``columns``, ``correlations``,
``constraints``; ``rows`` on tables without a parent), and ``kind: reference`` columns tie them together:

>>> db = Database.from_yaml_text('''
... seed: 3
... tables:
...   customers:
...     rows: 10
...     columns:
...       - {name: customer_id, kind: sequence}
...       - {name: signup, kind: date, start: 2024-01-01, end: 2024-06-30}
...   orders:
...     columns:
...       - {name: order_id, kind: sequence}
...       - {name: customer_id, kind: reference, table: customers, count: {distribution: poisson, lam: 2}}
...       - {name: date, kind: expression, expr: customers.signup + days(3)}
... ''')
>>> db.order, [str(fk) for fk in db.foreign_keys]
(['customers', 'orders'], ['orders(customer_id) -> customers(customer_id)'])

A column reads a related row's columns as ``table.column``: its parent's (the reference with ``count``) and
those of the rows its lookup references drew. Mistakes are one :class:`SynthError` naming file, line and field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..columns import Column
from ..columns.related import AggregateColumn, ReferenceColumn, count_column
from ..errors import SynthError
from ..relations import ForeignKey, parents_first
from ..schema import Schema, _Failer, _validate_column
from ..yamlsafe import Location, load_yaml_file, load_yaml_text
from .detect import is_multi_table  # noqa: F401  (where it was first defined)

#: Column kinds whose values are unique by construction (or on request): what a referenced key must be.
_UNIQUE_KINDS = ("sequence", "uuid")


class DatabaseSpec(BaseModel):
    """The top level of a multi-table schema file (each table is validated as a one-table schema)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="database", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = Field(default=0, ge=0, lt=2**63)
    description: str | None = None
    tables: dict[str, Any] = Field(min_length=1)


@dataclass
class Reference:
    """A resolved ``kind: reference`` column: ``table.columns`` hold keys of ``target.keys`` (one column each
    unless the key is composite)."""

    table: str
    column: ReferenceColumn
    target: str
    keys: tuple[str, ...]

    @property
    def key(self) -> str:
        """The referenced key column (the first of a composite key)."""
        return self.keys[0]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.column.key_columns

    @property
    def is_parent(self) -> bool:
        return self.column.is_parent

    def foreign_key(self) -> ForeignKey:
        return ForeignKey(child=self.table, columns=self.columns, parent=self.target, keys=self.keys,
                          resolved_share=1.0 - self.column.orphans)


@dataclass
class Database:
    """A validated multi-table schema: its tables (one-table schemas, in file order) and their references."""

    spec: DatabaseSpec
    tables: dict[str, Schema]
    references: list[Reference]
    order: list[str]  # every referenced table before the tables referencing it
    source: str = "<schema>"
    where: dict[tuple[Any, ...], Location] = field(default_factory=dict)
    count_columns: dict[str, Column] = field(default_factory=dict)  # child -> its drawn count (count: {distribution})

    # --- loading -------------------------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | Path) -> "Database":
        data, where = load_yaml_file(path)
        return cls.from_dict(data, source=str(path), where=where, base_dir=Path(path).resolve().parent)

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<schema>", base_dir: Path | None = None) -> "Database":
        data, where = load_yaml_text(text, source)
        return cls.from_dict(data, source=source, where=where, base_dir=base_dir)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<schema>", where: dict | None = None,
                  base_dir: Path | None = None) -> "Database":
        where = where or {}
        fail = _Failer(source, where)
        if not isinstance(data, dict) or "tables" not in data:
            raise fail((), "a multi-table schema is a mapping with 'tables'")
        try:
            spec = DatabaseSpec.model_validate(data)
        except ValidationError as exc:
            raise fail.from_validation(exc, ()) from None
        names = list(spec.tables)
        raws: dict[str, dict[str, Any]] = {}
        for name, raw in spec.tables.items():
            at = ("tables", name)
            if not isinstance(raw, dict):
                raise fail(at, f"table {name!r} is a mapping with 'columns'")
            for banned, why in (("seed", "the seed is set once, at the top of the file"),
                                ("name", "the table's name is its key under 'tables'")):
                if banned in raw:
                    raise fail(at + (banned,), f"table {name!r}: {banned}: {why}")
            raws[name] = {"name": name, **raw}
        # Pass 1: each table's columns alone, for their names and references.
        entries: dict[str, list[Column]] = {}
        sub_where = _sub_where(where)
        for name, raw in raws.items():
            tfail = _Failer(source, sub_where.get(name, {}))
            columns = raw.get("columns")
            if not isinstance(columns, list):
                raise tfail((), f"table {name!r} needs a list of 'columns'")
            entries[name] = [_validate_column(c, i, tfail) for i, c in enumerate(columns)]
        produced = {t: [n for c in cols for n in c.output_names()] for t, cols in entries.items()}
        references: list[Reference] = []
        for t, cols in entries.items():
            for i, col in enumerate(cols):
                if isinstance(col, ReferenceColumn):
                    references.append(_resolve(t, i, col, names, produced, entries, fail))
        parent_of: dict[str, Reference] = {}
        for ref in references:
            at = ("tables", ref.table, "columns", _index(entries[ref.table], ref.column))
            if ref.target == ref.table:
                raise fail(at, f"table {ref.table!r}: reference {ref.column.name!r} points at its own table; "
                               "a table referencing itself is not supported yet")
            if ref.is_parent:
                if ref.table in parent_of:
                    raise fail(at + ("count",), f"table {ref.table!r} has two parents ({parent_of[ref.table].column.name!r} "
                                                f"and {ref.column.name!r} both have 'count'); draw the other as a lookup")
                if ref.column.nulls:
                    raise fail(at + ("nulls",), f"table {ref.table!r}: parent reference {ref.column.name!r} cannot take nulls "
                                                "(each row belongs to a parent); 'empty' gives a share of rows without one")
                for share in ("orphans", "empty"):
                    if getattr(ref.column, share) and ref.target in parent_of:
                        raise fail(at + (share,), f"table {ref.table!r}: {share} of parent reference {ref.column.name!r} need a "
                                                  f"parent with its own rows; {ref.target!r} is itself a child table")
                parent_of[ref.table] = ref
            elif ref.column.distinct and ref.table not in [r.table for r in references if r.is_parent]:
                raise fail(at + ("distinct",), f"table {ref.table!r}: distinct draws are per parent; the table needs a "
                                               "parent reference (with 'count')")
        for t in parent_of:
            if "rows" in raws[t]:
                raise fail(("tables", t, "rows"), f"table {t!r}: its rows follow from 'count' of its parent "
                                                  f"{parent_of[t].target!r}; set the rows of {parent_of[t].target!r}")
        try:
            order = parents_first(names, [r.foreign_key() for r in references])
        except ValueError as exc:
            raise fail(("tables",), str(exc)) from None
        # Pass 2: each table as a one-table schema that may read its related tables' columns.
        tables: dict[str, Schema] = {}
        for t in names:
            inputs: dict[str, str | None] = {}
            for ref in references:
                if ref.table != t:
                    continue
                for col in produced[ref.target]:
                    inputs[f"{ref.column.prefix}.{col}"] = None if ref.is_parent else ref.column.name
            tables[t] = Schema.from_dict(raws[t], source=source, where=sub_where.get(t, {}), base_dir=base_dir,
                                         inputs=inputs)
        for ref in references:  # the schema's own column objects: the engine attaches lookups to them
            ref.column = next(c for c in tables[ref.table].columns if c.name == ref.column.name)  # type: ignore[assignment]
        db = cls(spec=spec, tables=tables, references=references, order=order, source=source, where=where)
        db._check(fail)
        for child, ref in parent_of.items():
            if isinstance(ref.column.count, dict):
                db.count_columns[child] = count_column(ref.column.count, f"{child}.count")
        return db

    # --- what the engine reads ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [r.foreign_key() for r in self.references]

    def parent(self, table: str) -> Reference | None:
        """The reference that makes ``table`` a child (the one with ``count``), if any."""
        return next((r for r in self.references if r.table == table and r.is_parent), None)

    def children(self, table: str) -> list[str]:
        """Tables whose parent is ``table``, in generation order."""
        return [t for t in self.order if (p := self.parent(t)) is not None and p.target == table]

    def lookups(self, table: str) -> list[Reference]:
        return [r for r in self.references if r.table == table and not r.is_parent]

    @property
    def roots(self) -> list[str]:
        """Tables without a parent: their ``rows`` are set, their descendants' follow from counts."""
        return [t for t in self.order if self.parent(t) is None]

    def root_of(self, table: str) -> str:
        while (p := self.parent(table)) is not None:
            table = p.target
        return table

    def descendants(self, table: str) -> list[str]:
        """``table`` and the tables below it, parents first."""
        out = [table]
        for child in self.children(table):
            out += self.descendants(child)
        return out

    def aggregate_phase(self, table: str) -> set[str]:
        """Columns of ``table`` made after its children: aggregates and whatever reads them."""
        schema = self.tables[table]
        late: set[str] = set()
        changed = True
        while changed:
            changed = False
            for col in schema.columns:
                if col.name in late:
                    continue
                made_from = {m.name for d in col.dependencies() if (m := schema.maker(d)) is not None}
                if isinstance(col, AggregateColumn) or made_from & late:
                    late.add(col.name)
                    changed = True
        return late

    def locate(self, table: str, path: tuple[Any, ...] = ()) -> str:
        return _Failer(self.source, self.where).locate(("tables", table) + path)

    # --- checks across tables -------------------------------------------------------------------------------
    def _check(self, fail: _Failer) -> None:
        for t, schema in self.tables.items():
            late = self.aggregate_phase(t)
            for i, col in enumerate(schema.columns):
                at = ("tables", t, "columns", i)
                if isinstance(col, AggregateColumn):
                    fn, child, column = col.parts
                    parent = self.parent(child) if child in self.tables else None
                    if parent is None or parent.target != t:
                        kids = self.children(t)
                        raise fail(at + ("expr",), f"table {t!r}: aggregate {col.name!r} summarises {child!r}, which is not a "
                                                   f"child table of {t!r} (children: {', '.join(kids) or 'none'})")
                    if column is not None and column not in self.tables[child].producer():
                        known = list(self.tables[child].producer())
                        raise fail(at + ("expr",), f"table {t!r}: aggregate {col.name!r}: table {child!r} has no column "
                                                   f"{column!r}{_suggest(column, known)}")
            parent = self.parent(t)
            if parent is None:
                continue
            p_late = self.aggregate_phase(parent.target)
            p_prefix = parent.column.prefix + "."
            reads = {d for col in schema.columns for d in col.dependencies()} | {n for e in schema.constraints for n in e.names}
            for name in sorted(reads):
                if name.startswith(p_prefix) and name[len(p_prefix):] in p_late:
                    raise fail(("tables", t), f"table {t!r} reads {name}, which is computed from the {t} rows "
                                              "themselves (an aggregate): it is not known while they are made")
            count = parent.column.count
            at = ("tables", t, "columns", _index(schema.columns, parent.column), "count")
            if isinstance(count, str):
                producer = self.tables[parent.target].producer()
                if count not in producer:
                    raise fail(at, f"table {t!r}: count {count!r} is not a column of {parent.target!r}"
                                   f"{_suggest(count, list(producer))}")
                if count in p_late:
                    raise fail(at, f"table {t!r}: count {count!r} is computed from the {t} rows themselves")
        for ref in self.references:
            if ref.is_parent:
                continue
            at = ("tables", ref.table, "columns", _index(self.tables[ref.table].columns, ref.column))
            if self.parent(ref.target) is not None:
                raise fail(at, f"table {ref.table!r}: lookup reference {ref.column.name!r} points at {ref.target!r}, "
                               f"a child table; only tables with their own 'rows' can be looked up")
            if self.root_of(ref.table) == ref.target:
                raise fail(at, f"table {ref.table!r}: lookup reference {ref.column.name!r} points at {ref.target!r}, "
                               f"the table it descends from; read its parent's columns instead")
            if ref.column.weight is not None and ref.column.weight not in self.tables[ref.target].producer():
                raise fail(at + ("weight",), f"table {ref.table!r}: weight {ref.column.weight!r} is not a column of "
                                             f"{ref.target!r}{_suggest(ref.column.weight, list(self.tables[ref.target].producer()))}")
        try:  # a family (a root and its descendants) needs the families it looks up made first
            self.family_order()
        except ValueError as exc:
            raise fail(("tables",), str(exc)) from None

    def family_order(self) -> list[str]:
        """The root tables in an order where every looked-up table's family comes before the families using it."""
        edges = [ForeignKey(self.root_of(r.table), (r.column.name,), self.root_of(r.target), (r.key,))
                 for r in self.references if not r.is_parent]
        return parents_first(self.roots, edges)


def _sub_where(where: dict[tuple[Any, ...], Location]) -> dict[Any, dict[tuple[Any, ...], Location]]:
    """Each table's field locations, with paths as a one-table schema has them (one pass: a learned schema has
    hundreds of thousands of fields).

    >>> _sub_where({("tables",): (1, 1), ("tables", "a"): (2, 3), ("tables", "a", "rows"): (3, 5), ("seed",): (9, 1)})
    {'a': {(): (2, 3), ('rows',): (3, 5)}}
    """
    out: dict[Any, dict[tuple[Any, ...], Location]] = {}
    for path, loc in where.items():
        if len(path) >= 2 and path[0] == "tables":
            out.setdefault(path[1], {})[path[2:]] = loc
    return out


def _index(columns: list[Column], col: Column) -> int:
    return next(i for i, c in enumerate(columns) if c is col or c.name == col.name)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resolve(table: str, i: int, col: ReferenceColumn, names: list[str], produced: dict[str, list[str]],
             entries: dict[str, list[Column]], fail: _Failer) -> Reference:
    at = ("tables", table, "columns", i)
    if col.table not in names:
        raise fail(at + ("table",), f"table {table!r}: reference {col.name!r} points at unknown table {col.table!r}"
                                    f"{_suggest(col.table, names)}")
    if col.columns is not None and col.name not in col.columns and col.name in produced[table]:
        raise fail(at, f"table {table!r}: reference {col.name!r}: its name labels the columns {', '.join(col.columns)} and "
                       "is also a column's name; give it a name of its own")
    keys = col.key_names()
    for key in keys:
        if key not in produced[col.table]:
            hint = "" if col.key else f"; name its key column{'s' if len(keys) > 1 else ''} with 'key:'"
            raise fail(at + ("key",) if col.key else at, f"table {table!r}: reference {col.name!r}: table {col.table!r} has no "
                                                         f"column {key!r}{_suggest(key, produced[col.table])}{hint}")
    key = keys[0]
    maker = next(c for c in entries[col.table] if key in c.output_names())
    if len(keys) == 1 and not (maker.kind in _UNIQUE_KINDS or getattr(maker, "unique", False)):
        raise fail(at, f"table {table!r}: reference {col.name!r}: key {col.table}.{key} ({maker.kind}) may repeat; a key "
                       "must be a sequence, a uuid or a column with unique: true")
    if col.weight is not None and col.is_parent:
        raise fail(at + ("weight",), f"table {table!r}: reference {col.name!r}: weight is for lookups; a parent "
                                     "reference's rows come from 'count'")
    return Reference(table=table, column=col, target=col.table, keys=keys)


def load_database(path: str | Path) -> Database:
    """Read and validate a multi-table schema file (one with ``tables:``)."""
    return Database.from_yaml(path)
