"""Making related tables: each root table's chunk and, below it, its children's rows for exactly those parents.

A *family* is a root table (no parent) and the tables below it. Family chunk ``c`` holds root rows
``c*R .. (c+1)*R``; each of them draws how many child rows it has (from the parent's ``count`` column or a
count distribution, seeded by (seed, table, c)), so child chunk ``c`` has exactly ``sum(counts)`` rows whose
parent keys are known by construction (the parent's key repeated ``count`` times), and whose ``parent.column``
inputs are the parent's values repeated the same way. Grandchildren follow from child chunk ``c``, and the
parents' aggregates (``sum(order_items.amount)``) are computed from the child chunk before the parent chunk is
finished. Nothing needs more than one family chunk in memory, plus the lookup tables (``products``), which
are made, kept and written first.

Child rows' global numbers (a ``sequence`` id) need how many rows earlier chunks had: a first, sequential
*count pass* makes only the columns the counts depend on; after it every chunk knows where its rows start,
so chunks can be made in any order, by any number of processes, with byte-identical output.

>>> from synth.multitable.schema import Database
>>> db = Database.from_yaml_text('''
... tables:
...   customers:
...     rows: 4
...     columns: [{name: customer_id, kind: sequence}, {name: n, kind: integer, min: 0, max: 3, hidden: true},
...               {name: orders, kind: aggregate, expr: count(orders)}]
...   orders:
...     columns: [{name: order_id, kind: sequence}, {name: customer_id, kind: reference, table: customers, count: n}]
... ''')
>>> tables = DatabasePlan(db, seed=1).tables()
>>> tables["customers"].to_pydict()
{'customer_id': [1, 2, 3, 4], 'orders': [0, 3, 1, 2]}
>>> tables["orders"].column("customer_id").to_pylist()
[2, 2, 2, 3, 4, 4]
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..columns.related import AggregateColumn, ReferenceColumn
from ..engine import CHUNK_ROWS, Plan
from ..errors import SynthError
from .schema import Database

#: Phantom rows (made, never written) at least, under a table whose composite key a reference with ``orphans``
#: points at: each may repeat a written key, and the orphans need one that does not.
COMPOSITE_PHANTOMS = 32


def table_seed(seed: int, table: str) -> int:
    """The seed of one table's random streams: tables with a column of the same name draw it independently.

    >>> table_seed(1, "orders") != table_seed(1, "customers")
    True
    """
    digest = hashlib.blake2b(f"{seed}:{table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


class DatabasePlan:
    """A multi-table schema bound to root row counts and a seed, ready to make any family chunk.

    ``rows``: rows of root tables by name (others keep the schema's ``rows``); ``chunk_rows``: root rows per
    family chunk (part of the output's definition, like :data:`synth.engine.CHUNK_ROWS`, which is the default).
    """

    def __init__(self, db: Database, rows: dict[str, int] | None = None, seed: int | None = None,
                 max_requests: int | None = None, chunk_rows: int | None = None) -> None:
        self.db = db
        self.seed = db.spec.seed if seed is None else seed
        if not 0 <= self.seed < 2**63:
            raise SynthError(f"seed must be between 0 and 2**63-1, got {self.seed}")
        self.chunk_rows = chunk_rows or CHUNK_ROWS
        self.max_requests = max_requests
        self.rows = {t: db.tables[t].spec.rows for t in db.roots}
        for table, n in (rows or {}).items():
            if table not in db.tables:
                raise SynthError(f"--rows {table}={n}: no table {table!r} in {db.source} (tables: {', '.join(db.order)})")
            if table not in self.rows:
                parent = db.parent(table)
                raise SynthError(f"--rows {table}={n}: the rows of {table!r} follow from the count per {parent.target} "  # type: ignore[union-attr]
                                 f"row; set the rows of {db.root_of(table)!r} instead")
            if n < 0:
                raise SynthError(f"--rows {table}={n}: row count must be 0 or more")
            self.rows[table] = n
        # Phantom rows: a root table referenced with ``orphans`` gets that many more rows, made but never written;
        # their keys are unique with the written ones by construction, so keys pointing at them resolve nowhere.
        self.phantoms: dict[str, int] = {t: 0 for t in self.rows}
        self.phantoms_for: dict[Any, int] = {}  # reference (table, column) -> phantom rows it points at
        # A parent reference's empty keys: as many phantom rows again, after the orphans', whose children are written
        # with an empty key (the written parents keep their counts): rows [first, first + m) of the parent, by child.
        self.empty_rows: dict[str, tuple[int, int]] = {}
        for ref in db.references:
            s = ref.column.orphans
            n = self.rows.get(ref.target, 0)
            m = max(1, round(n * s / (1 - s))) if s > 0 and n > 0 else 0
            if m and len(ref.keys) > 1:
                # A composite key's parts are drawn, not counted up: a phantom row may repeat a written key (weather's
                # 3 phantoms of origin x hour all did, for half of the seeds). Enough of them that one is new.
                m = max(m, COMPOSITE_PHANTOMS)
            e = ref.column.empty
            if ref.is_parent and e > 0 and n > 0:
                extra = max(1, round((n + m) * e / (1 - e)))
                self.empty_rows[ref.table] = (n + m, n + m + extra)
                m += extra
            self.phantoms_for[(ref.table, ref.column.name)] = m
            if ref.target in self.phantoms:
                self.phantoms[ref.target] = max(self.phantoms[ref.target], m)
        self.plans: dict[str, Plan] = {}
        self.sizes: dict[str, list[int]] = {}  # rows of each table in each family chunk
        self.starts: dict[str, list[int]] = {}
        self.late = {t: db.aggregate_phase(t) for t in db.order}
        self.reads: dict[str, list[str]] = {}  # child -> the parent's columns it reads (always the key)
        for t in db.order:
            parent = db.parent(t)
            if parent is not None:
                prefix = parent.column.prefix + "."
                names = {n[len(prefix):] for n, m in db.tables[t].inputs.items() if m is None and n.startswith(prefix)}
                read = _reads(db.tables[t])
                self.reads[t] = [parent.key] + sorted(n for n in names if prefix + n in read and n != parent.key)
        self._kept: dict[str, dict[str, list[pa.Array]]] = {}  # lookup tables, while their family is made
        self._keep = self._lookup_columns()
        self._ready: set[str] = set()
        self._closures: dict[tuple[str, ...], dict[str, set[str]]] = {}  # the count pass's columns, per level

    def writers(self, table: str) -> dict[str, Any]:
        """Which column writes each output of ``table``: a reference's values are written as the key column it
        copies is (a date or time key is formatted as its table formats it), through chains of references. Asked
        when chunks are made: a catalog knows its columns only once its source is read."""
        writers = dict(self.db.tables[table].producer())
        for ref in self.db.references:
            if ref.table == table and ref.target != table:
                target = self.writers(ref.target)
                for column, key in zip(ref.columns, ref.keys):
                    writers[column] = target[key]
        return writers

    # --- public ------------------------------------------------------------------------------------------------
    def total(self, root: str) -> int:
        """Rows a root table is made with: its rows and its phantom rows (the last ones, never written)."""
        return self.rows[root] + self.phantoms[root]

    def chunks(self, root: str) -> int:
        return max(1, -(-self.total(root) // self.chunk_rows))

    def iter_chunks(self, workers: int = 1, native: bool = False) -> Iterator[dict[str, pa.Table]]:
        """Family chunks, family by family (looked-up tables first): each a table name -> Arrow table mapping."""
        for root in self.db.family_order():
            self.prepare_family(root)
            self.keep_from(root)
            for made, kept in self._family_chunks(root, workers, native):
                self.keep(kept)
                yield made
            self.kept_done(root)

    def tables(self, workers: int = 1) -> dict[str, pa.Table]:
        """Every table whole, in memory (small runs and tests)."""
        parts: dict[str, list[pa.Table]] = {t: [] for t in self.db.order}
        for made in self.iter_chunks(workers):
            for table, chunk in made.items():
                parts[table].append(chunk)
        return {t: pa.concat_tables(parts[t], promote_options="permissive") for t in self.db.order}

    def row_counts(self) -> dict[str, int]:
        """Rows of each table prepared so far (all of them after :meth:`iter_chunks` ran)."""
        return {t: self.rows[t] if t in self.rows else sum(self.sizes[t]) for t in self.db.order if t in self.sizes}

    # --- preparing a family: attach what its columns draw from, then count its rows level by level ---------------
    def prepare_family(self, root: str) -> None:
        """Attach the columns of ``root``'s family and count its rows, level by level (the count pass).

        Each level is one :meth:`count_chunk` per family chunk, then a running sum (:meth:`end_level`); the
        chunks are independent, so a cluster runs them as tasks (:mod:`synth.cluster`) with the same counts.
        """
        if root in self._ready:
            return
        self.begin_family(root)
        for below in self.levels(root):
            self.end_level(below, [self.count_chunk(root, c, below) for c in range(self.chunks(root))])
        self.end_family(root)

    def levels(self, root: str) -> list[list[str]]:
        """The tables below ``root``, level by level (children, grandchildren, ...): the count pass's steps.

        >>> from synth.multitable import load_database
        >>> DatabasePlan(load_database("schemas/coffee_shop.yaml")).levels("customers")
        [['orders'], ['order_items']]
        """
        out: list[list[str]] = []
        level = [root]
        while below := [c for t in level for c in self.db.children(t)]:
            out.append(below)
            level = below
        return out

    def begin_family(self, root: str) -> None:
        """Attach the family's columns (lookups read the kept columns of families made before) and lay out the
        root's chunks; the levels below are counted next."""
        for t in self.db.descendants(root):
            self._attach(t)
        total = self.total(root)
        self.sizes[root] = [min(self.chunk_rows, max(0, total - c * self.chunk_rows)) for c in range(self.chunks(root))]
        self.starts[root] = [c * self.chunk_rows for c in range(self.chunks(root))]
        self.plans[root] = self._plan(root, total)

    def count_chunk(self, root: str, c: int, below: list[str]) -> dict[str, int]:
        """Rows of each table of level ``below`` in family chunk ``c`` (the levels above it counted already).

        Makes only the columns the counts depend on; changes nothing in the plan, so it can run anywhere.
        """
        key = tuple(below)
        if key not in self._closures:
            self._closures[key] = self._count_closure(below)
        record: dict[str, list[int]] = {t: [] for t in below}
        self._walk(root, c, self.starts[root][c], self.sizes[root][c], {}, self._closures[key], record, {})
        return {t: record[t][0] for t in below}

    def end_level(self, below: list[str], counts: list[dict[str, int]]) -> None:
        """Take the level's rows per family chunk (:meth:`count_chunk` of each chunk, in order): where each
        chunk's rows start, and each table's plan for its total rows."""
        for t in below:
            self.sizes[t] = [int(n[t]) for n in counts]
            self.starts[t] = list(np.concatenate(([0], np.cumsum(self.sizes[t])[:-1])).astype(int))
            self.plans[t] = self._plan(t, sum(self.sizes[t]))

    def end_family(self, root: str) -> None:
        self.keep_from(root)
        self._ready.add(root)

    def keep_from(self, root: str) -> None:
        """Start keeping the lookup columns of ``root``'s family afresh (its chunks are about to be made)."""
        for t in self.db.descendants(root):
            if t in self._keep:
                self._kept[t] = {}

    def keep(self, kept: dict[str, dict[str, pa.Array]]) -> None:
        """Add a family chunk's lookup columns (:meth:`family_chunk`'s second value); chunks in order."""
        for table, values in kept.items():
            for name, array in values.items():
                self._kept[table].setdefault(name, []).append(array)

    def kept_done(self, root: str) -> None:
        """Every chunk of ``root``'s family is made: its lookup columns are whole, for the families after it."""
        for table in self.db.descendants(root):
            if table in self._kept:
                self._kept[table] = {k: [pa.concat_arrays(v)] for k, v in self._kept[table].items()}

    def _plan(self, table: str, rows: int) -> Plan:
        return Plan(self.db.tables[table], rows=rows, seed=table_seed(self.seed, table), max_requests=self.max_requests)

    def _attach(self, table: str) -> None:
        schema = self.db.tables[table]
        read = _reads(schema)
        parent = self.db.parent(table)
        for col in schema.columns:
            if isinstance(col, AggregateColumn):
                col.attach()
        for ref in self.db.references:
            if ref.table != table:
                continue
            if ref.is_parent:
                ref.column.attach(ref.keys, [])
                continue
            brings = sorted(n for n, m in schema.inputs.items() if m == ref.column.name and n in read)
            kept = {k: v[0] for k, v in self._kept[ref.target].items()}
            weight = kept[ref.column.weight].to_numpy(zero_copy_only=False) if ref.column.weight else None
            group = f"{parent.column.prefix}.{parent.key}" if parent is not None and ref.column.distinct else None
            lookup = {name: kept[name] for name in [*ref.keys] + [b.split(".", 1)[1] for b in brings]}
            try:
                ref.column.attach(ref.keys, brings, lookup, weight, group, real_rows=self.rows[ref.target])
            except ValueError as exc:
                raise SynthError(f"{self.db.locate(table)}: reference {ref.column.name!r}: {exc}") from None

    def _lookup_columns(self) -> dict[str, set[str]]:
        """For each looked-up table, the columns kept in memory: keys, weights and columns read through it."""
        keep: dict[str, set[str]] = {}
        for ref in self.db.references:
            if ref.is_parent:
                continue
            names = keep.setdefault(ref.target, set())
            names.update(ref.keys)
            if ref.column.weight:
                names.add(ref.column.weight)
            read = _reads(self.db.tables[ref.table])
            names |= {n.split(".", 1)[1] for n, m in self.db.tables[ref.table].inputs.items()
                      if m == ref.column.name and n in read}
        return keep

    def _count_closure(self, below: list[str]) -> dict[str, set[str]]:
        """The columns each ancestor must make for the counts of ``below`` (and the parent columns those read)."""
        db = self.db
        wanted: dict[str, set[str]] = {}
        for child in below:
            ref = db.parent(child)
            assert ref is not None
            names = wanted.setdefault(ref.target, set())
            if isinstance(ref.column.count, str):
                names.add(ref.column.count)
        needed: dict[str, set[str]] = {}
        for table in reversed(db.order):
            if table not in wanted:
                continue
            entries, parent_columns = self._closure(table, wanted[table])
            needed[table] = entries
            parent = db.parent(table)
            if parent is not None:  # the parent makes these rows' inputs, and how many of them there are
                up = wanted.setdefault(parent.target, set())
                up.update(parent_columns)
                if isinstance(parent.column.count, str):
                    up.add(parent.column.count)
        return needed

    def _closure(self, table: str, names: set[str]) -> tuple[set[str], set[str]]:
        """Entries of ``table`` that making ``names`` needs, and the parent's columns they read."""
        schema = self.db.tables[table]
        parent = self.db.parent(table)
        prefix = parent.column.prefix + "." if parent is not None else None
        entries: set[str] = set()
        parent_columns: set[str] = set()
        work = list(names)
        while work:
            name = work.pop()
            maker = schema.maker(name)
            if maker is None:
                if prefix and name.startswith(prefix):
                    parent_columns.add(name[len(prefix):])
                continue
            if maker.name in entries:
                continue
            entries.add(maker.name)
            work.extend(maker.dependencies())
            if isinstance(maker, ReferenceColumn) and parent is not None and (maker.is_parent or maker.distinct):
                parent_columns.add(parent.key)
        by_name = {col.name: col for col in schema.columns}
        made = {n for e in entries for n in by_name[e].output_names()} | {n for n, m in schema.inputs.items() if m in entries}
        if any(expr.names & made for expr in schema.constraints):
            # A redraw's choices depend on which columns exist: make them all, as the full pass does.
            entries = {c.name for c in schema.columns if c.name not in self.late[table]}
            parent_columns = set(self.reads.get(table, []))
        return entries, parent_columns

    # --- making one family chunk ----------------------------------------------------------------------------------
    def _family_chunks(self, root: str, workers: int, native: bool) -> Iterator[tuple[dict[str, pa.Table], dict]]:
        count = self.chunks(root)
        if workers <= 1 or count <= 1:
            for c in range(count):
                yield self.family_chunk(root, c, native)
            return
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(self,)) as pool:
            pending: list[Any] = []
            next_index = 0
            while next_index < count or pending:
                while next_index < count and len(pending) < 2 * workers:  # bounded read-ahead
                    pending.append(pool.submit(_worker_chunk, root, next_index, native))
                    next_index += 1
                yield pending.pop(0).result()

    def family_chunk(self, root: str, c: int, native: bool = False) -> tuple[dict[str, pa.Table], dict[str, dict[str, pa.Array]]]:
        """Chunk ``c`` of every table of ``root``'s family (as written), and the lookup columns kept from it."""
        out: dict[str, dict[str, pa.Array]] = {}
        self._walk(root, c, self.starts[root][c], self.sizes[root][c], {}, None, {}, out)
        made: dict[str, pa.Table] = {}
        kept: dict[str, dict[str, pa.Array]] = {}
        for table, values in out.items():
            schema = self.db.tables[table]
            producer = self.writers(table)
            final = (lambda col, v: col.native(v)) if native else (lambda col, v: col.finalize(v))
            made[table] = pa.table({name: final(producer[name], values[name]) for name in schema.output_columns})
            if self.phantoms.get(table):  # the phantom rows (the root's last ones) are made, never written
                start = self.starts[table][c]
                made[table] = made[table].slice(0, max(0, min(made[table].num_rows, self.rows[table] - start)))
            if table in self._keep:
                kept[table] = {name: values[name] for name in sorted(self._keep[table])}
        return made, kept

    def _walk(self, table: str, c: int, start: int, n: int, inputs: dict[str, pa.Array],
              needed: dict[str, set[str]] | None, record: dict[str, list[int]],
              out: dict[str, dict[str, pa.Array]]) -> dict[str, pa.Array]:
        """Make ``table``'s chunk ``c`` (rows ``start ..``, ``n`` of them) and, below it, its children's.

        ``needed``: the count pass's columns per table (None: every column); ``record``: the tables whose rows per
        chunk are being counted, each with the list their count is appended to.
        """
        plan = self.plans[table]
        ctx = plan.context(c, start, n)
        ctx.values.update(inputs)
        late = self.late[table]
        for col in plan.order:
            if col.name not in late and (needed is None or col.name in needed.get(table, ())):
                plan._make(col, ctx)
        schema = self.db.tables[table]
        for child in self.db.children(table):
            if needed is not None and child not in needed and child not in record:
                continue
            counts = self._counts(child, ctx)
            if self.phantoms.get(table):  # a child has rows under the phantoms its orphans need, no more
                ref = self.db.parent(child)
                first = self.rows[table] + self.phantoms_for[(child, ref.column.name)]  # type: ignore[union-attr]
                counts[ctx.start + np.arange(n) >= first] = 0
            if child in record:
                record[child].append(int(counts.sum()))
            if needed is not None and child not in needed:
                continue
            ref = self.db.parent(child)
            assert ref is not None
            rows = pa.array(np.repeat(np.arange(n, dtype=np.int64), counts))
            child_inputs = {f"{ref.column.prefix}.{name}": ctx.values[name].take(rows)
                            for name in self.reads[child] if name in ctx.values}
            values = self._walk(child, c, self.starts[child][c], len(rows), child_inputs, needed, record, out)
            if child in self.empty_rows and ref.column.name in values:  # children of the empty-key phantoms: no key
                lo, hi = self.empty_rows[child]
                owner = ctx.start + rows.to_numpy()
                empty = pa.array((owner >= lo) & (owner < hi))
                values[ref.column.name] = pc.if_else(empty, pa.nulls(len(rows), values[ref.column.name].type),
                                                     values[ref.column.name])
            if needed is None:
                for col in schema.columns:
                    if isinstance(col, AggregateColumn) and col.parts[1] == child:
                        column = col.parts[2]
                        try:
                            ctx.memo[("aggregate", col.name)] = col.summarise(n, counts, values[column] if column else None)
                        except ValueError as exc:
                            raise SynthError(f"{self.db.locate(table)}: aggregate {col.name!r}: {exc}") from None
        if needed is None:
            for col in plan.order:
                if col.name in late:
                    plan._make(col, ctx)
            out[table] = ctx.values
        return ctx.values

    def _counts(self, child: str, ctx: Any) -> np.ndarray:
        """How many ``child`` rows each row of the parent chunk has."""
        ref = self.db.parent(child)
        assert ref is not None
        count = ref.column.count
        if isinstance(count, str):
            values = ctx.values[count]
            where = f"{self.db.locate(ref.target)}: count {ref.target}.{count} of table {child!r}"
        else:
            values = self.db.count_columns[child].sample(ctx)
            where = f"{self.db.locate(child)}: count of table {child!r}"
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_boolean(values.type)):
            raise SynthError(f"{where}: counts are whole numbers, got {values.type}")
        x = np.asarray(pc.fill_null(values.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False))
        if len(x) and (not np.all(np.isfinite(x)) or (x < 0).any() or (x != np.round(x)).any()):
            bad = x[~np.isfinite(x) | (x < 0) | (x != np.round(x))][0]
            raise SynthError(f"{where}: counts are whole numbers of 0 or more, got {bad:g}")
        return x.astype(np.int64)


def _reads(schema: Any) -> set[str]:
    """Every name a table's columns and constraints read."""
    return {d for col in schema.columns for d in col.dependencies()} | {n for e in schema.constraints for n in e.names}


_WORKER_PLAN: DatabasePlan | None = None


def _init_worker(plan: DatabasePlan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = plan
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pa.set_cpu_count(1)


def _worker_chunk(root: str, c: int, native: bool) -> tuple[dict[str, pa.Table], dict]:
    assert _WORKER_PLAN is not None
    return _WORKER_PLAN.family_chunk(root, c, native)

