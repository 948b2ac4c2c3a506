"""From a schema to rows: a plan cut into fixed-size chunks, each made independently.

Chunk ``i`` holds rows ``i*CHUNK_ROWS ..`` and draws all its randomness from (seed, i, column), so chunks
can be made in any order, in other processes or on other machines, and the output is byte-identical
however the work is split. ``--workers`` only changes how many chunks are made at once.

>>> from synth.schema import Schema
>>> schema = Schema.from_yaml_text("columns: [{name: x, kind: integer, min: 1, max: 6}]")
>>> plan = Plan(schema, rows=10, seed=1)
>>> table = plan.chunk(0)
>>> table.num_rows, table.column_names
(10, ['x'])
"""

from __future__ import annotations

import os
from typing import Iterator

from .columns import ChunkContext, Column, PlanContext
from .columns.base import stratified
from .errors import SynthError
from .expr import Expression, ExpressionError
from .lazy import np, pa, pc  # pyarrow through synth.lazy: its first conversion does not import pandas
from .schema import Schema

#: Rows per chunk. Part of the output's definition (changing it changes the data), so not a setting.
CHUNK_ROWS = 100_000
#: How often a constraint may redraw its violating rows before the schema is called unsatisfiable.
MAX_REDRAWS = 200


class Plan:
    """A schema bound to a row count and a seed, prepared once, ready to make any chunk."""

    def __init__(self, schema: Schema, rows: int | None = None, seed: int | None = None,
                 max_requests: int | None = None) -> None:
        """``max_requests``: how many LLM requests ``llm_text`` columns may make (per process; None: no limit)."""
        self.schema = schema
        self.rows = schema.spec.rows if rows is None else rows
        self.seed = schema.spec.seed if seed is None else seed
        if self.rows < 0:
            raise SynthError(f"row count must be 0 or more, got {self.rows}")
        if not 0 <= self.seed < 2**63:
            raise SynthError(f"seed must be between 0 and 2**63-1, got {self.seed}")
        self.order = schema.generation_order()
        context = PlanContext(seed=self.seed, total_rows=self.rows, base_dir=schema.base_dir, max_requests=max_requests)
        for i, col in enumerate(schema.columns):
            try:
                col.prepare(context)
            except ValueError as exc:
                raise SynthError(f"{schema.locate(('columns', i))}: columns[{i}] ({col.name}): {exc}") from None
        self.copula_names, corr = schema.correlation_matrix()
        self.copula_factor = _psd_cholesky(corr) if self.copula_names else None
        self._constraints_after = self._place_constraints()

    @property
    def chunks(self) -> int:
        # Zero rows still make one (empty) chunk, so a file gets its header and column types.
        return max(1, (self.rows + CHUNK_ROWS - 1) // CHUNK_ROWS)

    def _place_constraints(self) -> dict[str, list[Expression]]:
        """Each constraint is enforced right after the last of its columns is made, by redrawing that column."""
        position = {c.name: k for k, c in enumerate(self.order)}
        placed: dict[str, list[Expression]] = {}
        for expr in self.schema.constraints:
            makers = [m for n in expr.names if (m := self.schema.maker(n)) is not None]
            if not makers:  # reads only a parent table's columns: nothing here could be redrawn
                continue
            last = max(makers, key=lambda c: position[c.name])
            placed.setdefault(last.name, []).append(expr)
        return placed

    def chunk(self, index: int, native: bool = False) -> pa.Table:
        """Make chunk ``index`` as an Arrow table of the output columns.

        ``native``: values in their own types (dates, times, decimals) for typed formats such as Parquet,
        rather than as they are written to text (a time's ``format``).
        """
        values = self.working_values(index)
        made_by = self.schema.producer()
        if native:
            return pa.table({name: made_by[name].native(values[name]) for name in self.schema.output_columns})
        return pa.table({name: made_by[name].finalize(values[name]) for name in self.schema.output_columns})

    def working_values(self, index: int) -> dict[str, pa.Array]:
        """Every column of chunk ``index`` (hidden ones too) before finalizing: dates as dates, not text."""
        start = index * CHUNK_ROWS
        ctx = self.context(index, start, max(0, min(CHUNK_ROWS, self.rows - start)))
        for col in self.order:
            self._make(col, ctx)
        return ctx.values

    def context(self, index: int, start: int, n: int) -> ChunkContext:
        """The context chunk ``index`` is made in (rows ``start .. start + n``), with its copula draws."""
        ctx = ChunkContext(seed=self.seed, index=index, start=start, n=n, total_rows=self.rows)
        if self.copula_factor is not None and n:
            rng = ctx.rng("__copula__")
            z = rng.standard_normal((n, len(self.copula_names))) @ self.copula_factor.T
            # Keep the copula's ranks (the dependence) but put one draw in each 1/n slice (stratified margins).
            order = np.argsort(z, axis=0)
            ranks = np.empty_like(order)
            np.put_along_axis(ranks, order, np.arange(n)[:, None], axis=0)
            u = (ranks + rng.random(z.shape)) / n
            ctx.uniforms = {name: u[:, k] for k, name in enumerate(self.copula_names)}
        return ctx

    def _make(self, col: Column, ctx: ChunkContext) -> None:
        try:
            made = col.sample(ctx)
        except ExpressionError as exc:
            raise SynthError(f"{self.schema.source}: column {col.name!r}: {exc}") from None
        values = made if isinstance(made, dict) else {col.name: made}
        ctx.values.update(values)
        for expr in self._constraints_after.get(col.name, []):
            self._enforce(expr, col, ctx)
        if col.nulls > 0:
            # A chunk-free column's empty rows are chosen row by row too; others are stratified within the chunk.
            u = ctx.row_random(col.name, "nulls") if col.chunk_free else stratified(ctx.rng(col.name, "nulls"), ctx.n)
            drop = u < col.nulls
            mask = pa.array(drop)
            for name in values:  # a reference's looked-up columns are empty with its key
                ctx.values[name] = pc.if_else(mask, pa.nulls(ctx.n, ctx.values[name].type), ctx.values[name])

    def _enforce(self, expr: Expression, col: Column, ctx: ChunkContext) -> None:
        """Redraw the violating rows until ``expr`` holds everywhere (nulls pass): rejection sampling.

        First only ``col`` (the constraint's last column) is redrawn; if some rows still fail, the earlier
        columns of the constraint are redrawn with it, where nothing made since depends on them (a row
        whose ``start`` is already at the maximum cannot get an ``end`` after it otherwise).
        """
        earlier: list[Column] = []
        for n in sorted(expr.names):
            maker = self.schema.maker(n)
            if maker is not None and maker is not col and all(maker is not e for e in earlier):
                earlier.append(maker)
        free = [c for c in earlier if c.random and not self._dependents_made(c, col, ctx)]
        for attempt in range(MAX_REDRAWS):
            ok = expr.evaluate(ctx.values, ctx.n)
            bad = np.flatnonzero(~pc.fill_null(ok, True).to_numpy(zero_copy_only=False))
            if len(bad) == 0:
                return
            if not col.random:
                break  # a sequence or a computed column would come out the same
            for target in ([col] if attempt < MAX_REDRAWS // 4 else free + [col]):
                redrawn = target.sample_rows(ctx, bad, f"redraw:{attempt}")
                for name, new in (redrawn if isinstance(redrawn, dict) else {target.name: redrawn}).items():
                    ctx.values[name] = _replace_rows(ctx.values[name], bad, new)
        share = len(bad) / max(ctx.n, 1)
        raise SynthError(
            f"{self.schema.source}: constraint {expr.text!r} cannot be satisfied: after {MAX_REDRAWS} redraws of "
            f"column {col.name!r}, {share:.1%} of rows still break it"
        )

    def _dependents_made(self, column: Column, last: Column, ctx: ChunkContext) -> set[str]:
        """Columns already made (other than ``last``) that read ``column``: redrawing it would orphan them."""
        names = set(column.output_names()) | {k for k, v in self.schema.inputs.items() if v == column.name}
        return {c.name for c in self.order if c is not last and c is not column
                and c.output_names()[0] in ctx.values and c.dependencies() & names}

    def iter_chunks(self, workers: int = 1, native: bool = False) -> Iterator[pa.Table]:
        """Chunks in order. With ``workers > 1`` they are made in parallel processes, at most a few ahead."""
        if workers <= 1 or self.chunks <= 1:
            for i in range(self.chunks):
                yield self.chunk(i, native)
            return
        from concurrent.futures import ProcessPoolExecutor  # with logging and multiprocessing: only for workers

        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(self,)) as pool:
            pending = []
            ahead = 2 * workers  # bounded read-ahead keeps memory flat
            next_index = 0
            while next_index < self.chunks or pending:
                while next_index < self.chunks and len(pending) < ahead:
                    pending.append(pool.submit(_worker_chunk, next_index, native))
                    next_index += 1
                yield pending.pop(0).result()


def _replace_rows(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with the entries at ``rows`` replaced by ``new`` (in order)."""
    if pa.types.is_dictionary(values.type) and (new.type != values.type):
        values = values.dictionary_decode()
    if pa.types.is_dictionary(new.type) and new.type != values.type:
        new = new.dictionary_decode()
    if pa.types.is_dictionary(values.type):  # same dictionary type: unify dictionaries first
        merged = pa.chunked_array([values, new]).unify_dictionaries().combine_chunks()
        values, new = merged.slice(0, len(values)), merged.slice(len(values))
    order = np.arange(len(values))
    order[rows] = len(values) + np.arange(len(rows))
    if new.type != values.type:
        new = new.cast(values.type)
    return pa.concat_arrays([values, new]).take(pa.array(order))


def _psd_cholesky(r: np.ndarray) -> np.ndarray:
    """Cholesky factor of ``r``, first moved to the nearest valid correlation matrix if it is not one."""
    w, v = np.linalg.eigh(r)
    if w.min() < 1e-10:
        w = np.clip(w, 1e-6, None)
        r = (v * w) @ v.T
        d = np.sqrt(np.diag(r))
        r = r / np.outer(d, d)
    return np.linalg.cholesky(r)


_WORKER_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = plan
    # Each worker is one process on one core: keep BLAS/Arrow from oversubscribing.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pa.set_cpu_count(1)


def _worker_chunk(index: int, native: bool = False) -> pa.Table:
    assert _WORKER_PLAN is not None
    return _WORKER_PLAN.chunk(index, native)
