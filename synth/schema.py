"""The schema: a YAML table description, validated into column objects, with errors that say where.

>>> schema = Schema.from_yaml_text('''
... name: demo
... rows: 5
... columns:
...   - {name: id, kind: sequence}
...   - {name: price, kind: float, distribution: uniform, min: 1, max: 9, round: 2}
...   - {name: qty, kind: integer, distribution: uniform, min: 1, max: 3}
...   - {name: amount, kind: expression, expr: "round(price * qty, 2)"}
... ''')
>>> schema.output_columns
['id', 'price', 'qty', 'amount']

Top-level keys: ``name``, ``rows`` (default row count), ``seed``, ``description``, ``columns`` (the
list of column entries; see ``synth.columns`` for every kind), ``correlations`` (target rank
correlations between columns, made with a Gaussian copula) and ``constraints`` (expressions that hold on
every row, e.g. ``end > start``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .columns import KINDS, Column
from .columns.base import new_list
from .errors import SynthError
from .expr import Expression, ExpressionError
from .lazy import np, pa, pc
from .yamlsafe import Location, dump_yaml, load_yaml_file, load_yaml_text


class Correlation(BaseModel):
    """Target Spearman (rank) correlation between two columns."""

    model_config = ConfigDict(extra="forbid")
    columns: list[str] = Field(min_length=2, max_length=2)
    rank: float = Field(ge=-1.0, le=1.0)


class TableSpec(BaseModel):
    """The top level of a schema file (columns are validated one by one, by kind)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="table", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    rows: int = Field(default=1000, ge=0)
    seed: int = Field(default=0, ge=0, lt=2**63)
    description: str | None = None
    columns: list[Any] = Field(min_length=1)
    correlations: list[Correlation] = Field(default_factory=new_list)
    constraints: list[str] = Field(default_factory=new_list)
    column_order: list[str] | None = Field(default=None, description="Output order, if not the order of 'columns'")

    @field_validator("constraints")
    @classmethod
    def _parse_constraints(cls, items: list[str]) -> list[str]:
        for text in items:
            Expression.parse(text)
        return items


@dataclass
class Schema:
    """A validated schema: the table spec, its column objects, and where each came from."""

    spec: TableSpec
    columns: list[Column]
    source: str = "<schema>"
    base_dir: Path | None = None
    where: dict[tuple[Any, ...], Location] = field(default_factory=dict)
    constraints: list[Expression] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # the plain data it was validated from
    # Columns of related tables this table reads (``customers.signup_date``), by name: None when they are given
    # before a chunk is made (the parent's), else the reference column of this table that brings them.
    inputs: dict[str, str | None] = field(default_factory=dict)

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | Path) -> "Schema":
        """Read and validate a schema file. Raises :class:`SynthError` naming file, line and field."""
        data, where = load_yaml_file(path)
        return cls.from_dict(data, source=str(path), where=where, base_dir=Path(path).resolve().parent)

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<schema>", base_dir: Path | None = None) -> "Schema":
        data, where = load_yaml_text(text, source)
        return cls.from_dict(data, source=source, where=where, base_dir=base_dir)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<schema>", where: dict | None = None,
                  base_dir: Path | None = None, inputs: dict[str, str | None] | None = None) -> "Schema":
        """Validate an already-parsed schema (e.g. from an LLM's JSON) into a :class:`Schema`.

        ``inputs``: columns of related tables the columns may read (see :attr:`inputs`; a multi-table schema's).
        """
        where = where or {}
        fail = _Failer(source, where)
        if not isinstance(data, dict):
            raise fail((), "a schema is a mapping with 'name', 'rows' and 'columns'")
        if "tables" in data:
            raise fail(("tables",), "this schema holds several tables: load it with synth.multitable.load_database "
                                    "(synth generate and synth validate take either)")
        try:
            spec = TableSpec.model_validate(data)
        except ValidationError as exc:
            raise fail.from_validation(exc, ()) from None
        columns: list[Column] = []
        for i, raw in enumerate(spec.columns):
            columns.append(_validate_column(raw, i, fail))
        schema = cls(spec=spec, columns=columns, source=source, base_dir=base_dir, where=where,
                     constraints=[Expression.parse(t) for t in spec.constraints], data=data, inputs=dict(inputs or {}))
        schema._check_references(fail)
        return schema

    # --- what the engine reads --------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def output_columns(self) -> list[str]:
        """Written columns in file order (a catalog expands in place; hidden columns left out)."""
        if self.spec.column_order is not None:
            return list(self.spec.column_order)
        return [n for c in self.columns if not c.hidden for n in c.output_names()]

    def locate(self, path: tuple[Any, ...]) -> str:
        """``file:line:column`` of a field, e.g. ``("columns", 3, "max")``, as precisely as known."""
        return _Failer(self.source, self.where).locate(path)

    def producer(self) -> dict[str, Column]:
        """Which column entry makes each column name."""
        return {n: c for c in self.columns for n in c.output_names()}

    def maker(self, name: str) -> Column | None:
        """The entry that must be made before ``name`` can be read: its producer, or the reference that brings a
        related table's column; None for a parent's column (there before the chunk starts)."""
        made_by = self.producer()
        if name in made_by:
            return made_by[name]
        brought_by = self.inputs.get(name)
        if brought_by is None:
            return None
        # the reference entry, by its name (a composite reference's name is a label, not one of its outputs)
        return next((c for c in self.columns if c.name == brought_by), None) or made_by[brought_by]

    def generation_order(self) -> list[Column]:
        """Entries in an order where every dependency comes first; ties keep the file's order."""
        pending = list(self.columns)
        done: set[str] = set()
        order: list[Column] = []
        while pending:
            for col in pending:
                if all((m := self.maker(d)) is None or m.name in done for d in col.dependencies()):
                    order.append(col)
                    done.add(col.name)
                    pending.remove(col)
                    break
            else:  # _check_references has ruled cycles out
                raise AssertionError("dependency cycle")
        return order

    def rules(self) -> list[tuple[str, Any]]:
        """Every rule the schema declares, as (name, check): each column's promises and each constraint.

        A check maps a DataFrame (as read from a file) to a boolean array, True where a row breaks the rule.
        The generator satisfies these by construction; ``synth audit --schema`` measures them on any table.
        """
        out = [rule for col in self.columns if not col.hidden for rule in col.rules()]
        for expr in self.constraints:
            out.append((f"constraint: {expr.text}", _constraint_check(expr)))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The schema as plain data, as it was read (a copy): what its YAML file holds, without comments."""
        return copy.deepcopy(self.data)

    def to_yaml(self) -> str:
        """The schema as YAML text that :meth:`from_yaml_text` reads back into the same schema.

        >>> print(Schema.from_yaml_text("name: t\\ncolumns: [{name: x, kind: uuid}]").to_yaml(), end="")
        name: t
        columns:
        - name: x
          kind: uuid
        """
        return dump_yaml(self.data)

    # --- checks across columns -----------------------------------------------------------------
    def _check_references(self, fail: "_Failer") -> None:
        seen: dict[str, int] = {}
        for i, col in enumerate(self.columns):
            for out in col.output_names():
                if out in seen:
                    raise fail(("columns", i), f"column name {out!r} is used twice (also in columns[{seen[out]}])")
                seen[out] = i
        known = list(seen)
        if self.spec.column_order is not None:
            visible = [n for c in self.columns if not c.hidden for n in c.output_names()]
            for name in self.spec.column_order:
                if name not in seen:
                    raise fail(("column_order",), f"column_order names unknown column {name!r}{_suggest(name, known)}")
            missing = [n for n in visible if n not in self.spec.column_order]
            if missing or len(set(self.spec.column_order)) != len(self.spec.column_order):
                raise fail(("column_order",), f"column_order must list every written column once (missing: {', '.join(missing) or 'none'})")
        for i, col in enumerate(self.columns):
            for dep in sorted(col.dependencies()):
                if dep not in seen and dep not in self.inputs:
                    raise fail(("columns", i), f"column {col.name!r} refers to unknown column {dep!r}{_suggest(dep, known + list(self.inputs))}")
        for j, expr in enumerate(self.constraints):
            for dep in sorted(expr.names):
                if dep not in seen and dep not in self.inputs:
                    raise fail(("constraints", j), f"constraint {expr.text!r} refers to unknown column {dep!r}{_suggest(dep, known)}")
        self._check_cycles(fail)
        made_by = self.producer()
        for j, corr in enumerate(self.spec.correlations):
            for name in corr.columns:
                if name not in seen:
                    raise fail(("correlations", j, "columns"), f"unknown column {name!r}{_suggest(name, known)}")
                col = made_by[name]
                if not col.accepts_uniforms:
                    raise fail(("correlations", j, "columns"),
                               f"column {name!r} ({col.kind}) cannot take part in a correlation; "
                               "use integer, float, choice, boolean, date, time, datetime or conditional columns")
            if corr.columns[0] == corr.columns[1]:
                raise fail(("correlations", j, "columns"), "a correlation needs two different columns")
        for i, col in enumerate(self.columns):
            if getattr(col, "unique", False) and any(col.name in e.names for e in self.constraints):
                raise fail(("columns", i), f"unique column {col.name!r} cannot also be in a constraint")

    def _check_cycles(self, fail: "_Failer") -> None:
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        index = {c.name: i for i, c in enumerate(self.columns)}

        def visit(col: Column, path: list[str]) -> None:
            state[col.name] = 1
            for dep in sorted(col.dependencies()):
                nxt = self.maker(dep)
                if nxt is None:
                    continue
                if state.get(nxt.name) == 1:
                    cycle = path[path.index(nxt.name):] + [col.name, nxt.name] if nxt.name in path else [col.name, nxt.name]
                    raise fail(("columns", index[col.name]), f"columns depend on each other in a cycle: {' -> '.join(cycle)}")
                if state.get(nxt.name) is None:
                    visit(nxt, path + [col.name])
            state[col.name] = 2

        for col in self.columns:
            if col.name not in state:
                visit(col, [])

    def correlation_matrix(self) -> tuple[list[str], np.ndarray]:
        """Columns in correlations and the normal-score correlation matrix that yields the rank targets."""
        names: list[str] = []
        for corr in self.spec.correlations:
            for n in corr.columns:
                if n not in names:
                    names.append(n)
        r = np.eye(len(names))
        for corr in self.spec.correlations:
            i, j = names.index(corr.columns[0]), names.index(corr.columns[1])
            r[i, j] = r[j, i] = normal_correlation(corr.rank)
        return names, r


def normal_correlation(rank: float) -> float:
    """The normal-score (Pearson) correlation whose bivariate normal has Spearman correlation ``rank``.

    Spearman rho of a bivariate normal with Pearson r is (6/pi) asin(r/2); this inverts it.
    """
    return float(2.0 * np.sin(np.pi * rank / 6.0))


def _constraint_check(expr: Expression) -> Any:
    def breaks(frame: Any) -> Any:
        table = pa.Table.from_pandas(frame[sorted(expr.names)], preserve_index=False)
        ok = expr.evaluate({c: table[c].combine_chunks() for c in table.column_names}, len(frame))
        return ~pc.fill_null(ok, True).to_numpy(zero_copy_only=False)
    return breaks


def _suggest(name: str, known: list[str]) -> str:
    import difflib  # (only for a mistake: every `synth validate` would pay for it)

    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _validate_column(raw: Any, i: int, fail: "_Failer") -> Column:
    path: tuple[Any, ...] = ("columns", i)
    if not isinstance(raw, dict):
        raise fail(path, "each column is a mapping with at least 'name' and 'kind'")
    label = f"columns[{i}]" + (f" ({raw['name']})" if isinstance(raw.get("name"), str) else "")
    kind = raw.get("kind")
    if kind is None:
        raise fail(path, f"{label}: missing 'kind' (one of {', '.join(sorted(KINDS))})")
    if kind not in KINDS:
        raise fail(path + ("kind",), f"{label}: unknown kind {kind!r}{_suggest(str(kind), list(KINDS))}; "
                                     f"kinds: {', '.join(sorted(KINDS))}")
    try:
        return KINDS[kind].model_validate(raw)
    except ValidationError as exc:
        raise fail.from_validation(exc, path, label, keys=KINDS[kind].yaml_keys(raw)) from None
    except ExpressionError as exc:
        raise fail(path, f"{label}: {exc}") from None


class _Failer:
    """Builds SynthErrors that start with ``file:line:column`` of the offending field."""

    def __init__(self, source: str, where: dict[tuple[Any, ...], Location]) -> None:
        self.source, self.where = source, where

    def locate(self, path: tuple[Any, ...]) -> str:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.where:
                line, col = self.where[path[:cut]]
                return f"{self.source}:{line}:{col}"
        return self.source

    def __call__(self, path: tuple[Any, ...], message: str) -> SynthError:
        return SynthError(f"{self.locate(path)}: {message}")

    def from_validation(self, exc: ValidationError, prefix: tuple[Any, ...], label: str | None = None,
                        keys: list[str] | None = None) -> SynthError:
        """The first error of ``exc``, at its field; ``keys``: the keys the entry may have, for "did you mean"."""
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("function-after", "function-before"))))
        path = prefix + loc
        field_name = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field" + (_suggest(str(loc[-1]), keys) if keys is not None and loc else _suggest_field(loc, exc))
        where = label or ".".join(str(p) for p in prefix) or "schema"
        return SynthError(f"{self.locate(path)}: {where}{'.' + field_name if field_name else ''}: {msg}")


def _suggest_field(loc: tuple[Any, ...], exc: ValidationError) -> str:
    title = exc.title
    model = KINDS.get(title) or next((k for k in KINDS.values() if k.__name__ == title), None)
    fields = list(model.model_fields) if model is not None else list(TableSpec.model_fields)
    return _suggest(str(loc[-1]), fields) if loc else ""
