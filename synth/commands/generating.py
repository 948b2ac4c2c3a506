"""The work of ``synth generate`` (:mod:`synth.commands.generate` declares its Typer command), without Typer.

:func:`run_generate` is called by the Typer command and by the plain form of the command line
(:mod:`synth.commands.plain`: ``synth generate SCHEMA`` with ``--rows``, ``--seed``, ``--out``, ``--quiet`` or
``--json``), which skips importing Typer (~100 M instructions, ~7% of generating a fitted schema's twin).
Its defaults are the Typer command's (a test keeps them equal).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from ..errors import SynthError
from ..io import parse_address

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..multitable.schema import Database


class _NoProgress:
    """What a disabled Rich progress bar does (nothing), without importing Rich for it."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def advance(self, task: object, advance: float = 1) -> None:
        return None


def _progress(quiet: bool) -> Progress | _NoProgress:
    """A progress bar on stderr when it is a terminal and not ``quiet``; else nothing, and Rich's progress module
    (~15 ms) not imported (with ``quiet``, Rich itself: ~30 ms more)."""
    if quiet:
        return _NoProgress()
    from .console import err

    if not err.is_terminal:
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True,
    )


def run_generate(schema: Path, rows: Optional[list[str]] = None, seed: Optional[int] = None,
                 out_path: Optional[str] = None, file_format: Optional[str] = None, if_exists: Optional[str] = None,
                 workers: int = 1, engine: str = "local", scheduler: Optional[str] = None,
                 max_requests: Optional[int] = None, quiet: bool = False, as_json: bool = False) -> None:
    """`synth generate`: write the table (or tables) of ``schema``; the options as the command's."""
    from .. import ENGINES
    from ..multitable import is_multi_table

    if engine not in ENGINES:
        raise SynthError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if is_multi_table(schema):
        if engine == "dask":
            if if_exists is not None:
                raise SynthError("--if-exists is for database tables; --engine dask writes a folder of datasets "
                                 "(a complete one there is replaced)")
            if file_format not in (None, "parquet"):
                raise SynthError(f"--format {file_format}: --engine dask writes Parquet datasets (one folder per table)")
            return _generate_tables(schema, rows, seed, out_path, "parquet", workers, max_requests, quiet, as_json,
                                    engine="dask", scheduler=scheduler)
        if scheduler is not None:
            raise SynthError("--scheduler is for --engine dask")
        to_database = out_path is not None and _whole_database(out_path)
        if if_exists is not None and not to_database:
            raise SynthError("--if-exists is for database tables; the tables of a multi-table schema go to a folder "
                             "or a database (--out postgresql://me@host/shop)")
        if to_database:
            if file_format is not None:
                raise SynthError("--format is for files; a database holds the tables itself")
            return _generate_tables(schema, rows, seed, out_path, None, workers, max_requests, quiet, as_json, if_exists)
        return _generate_tables(schema, rows, seed, out_path, file_format, workers, max_requests, quiet, as_json)
    from .. import load_schema, write

    if file_format is not None:
        raise SynthError("--format is for schemas of several tables; a single table's format is --out's extension")
    count = _single_rows(rows)
    loaded = load_schema(schema)
    target = out_path or (f"{loaded.name}/" if engine == "dask" else f"{loaded.name}.csv")
    shown = str(parse_address(target))  # a URL's password is *** in everything printed
    if as_json and parse_address(target).is_stdio:
        raise SynthError("--json prints the summary on stdout, where --out - writes the table; leave out one of them")
    total = loaded.spec.rows if count is None else count
    started = time.perf_counter()
    with _progress(quiet) as bar:
        task = bar.add_task(f"{loaded.name} -> {shown}", total=total)
        written = write(loaded, target, rows=count, seed=seed, workers=workers, max_requests=max_requests,
                        progress=lambda n: bar.advance(task, n), if_exists=if_exists, engine=engine,
                        scheduler=scheduler)
    seconds = time.perf_counter() - started
    summary = {"schema": str(schema), "out": shown, "rows": written,
               "seed": loaded.spec.seed if seed is None else seed, "columns": loaded.output_columns,
               "seconds": round(seconds, 3), "rows_per_second": round(written / seconds) if seconds > 0 else None}
    spent = [u for c in loaded.columns if hasattr(c, "usage") and (u := c.usage()) is not None]
    if spent:
        summary["llm"] = {"requests": sum(u.requests for u in spent), "cached": sum(u.cached for u in spent),
                          "prompt_tokens": sum(u.prompt_tokens for u in spent), "completion_tokens": sum(u.completion_tokens for u in spent)}
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        from .console import err

        err.print(f"wrote {written:,} rows x {len(summary['columns'])} columns to {shown} in {seconds:.2f}s", markup=False)
        for u in spent:
            err.print(f"LLM: {u.line()}", markup=False)


def _single_rows(rows: Optional[list[str]]) -> Optional[int]:
    """``--rows N`` for a one-table schema."""
    if not rows:
        return None
    if len(rows) > 1 or not rows[0].strip().lstrip("-").isdigit():
        raise SynthError(f"Invalid value for '--rows' / '-n': {' '.join(rows)!r}: a schema of one table takes one whole "
                         "number (--rows 1000)")
    return int(rows[0])


def _table_rows(rows: Optional[list[str]], roots: list[str], parents: list[str]) -> dict[str, int]:
    """``--rows TABLE=N`` (repeatable) or plain ``--rows N`` (every root table with child tables) for several tables."""
    out: dict[str, int] = {}
    for item in rows or []:
        table, _, number = item.rpartition("=")
        if not number.strip().lstrip("-").isdigit():
            raise SynthError(f"Invalid value for '--rows' / '-n': {item!r}: give TABLE=N (--rows customers=100000) "
                             "or a whole number")
        if table:
            out[table.strip()] = int(number)
        else:
            out.update({t: int(number) for t in roots if t in parents})
    return out


def _generate_tables(schema: Path, rows: Optional[list[str]], seed: Optional[int], out_path: Optional[str],
                     file_format: Optional[str], workers: int, max_requests: Optional[int], quiet: bool, as_json: bool,
                     if_exists: Optional[str] = None, engine: str = "local", scheduler: Optional[str] = None) -> None:
    """Several related tables: a file per table or a database here, or (``engine="dask"``) a dataset folder per
    table written by a Dask cluster (:mod:`synth.multitable.cluster`)."""
    from ..multitable import load_database, write_database, write_tables

    db = load_database(schema)
    if engine == "dask":
        out = out_path or f"{db.name}/"
        if parse_address(out).is_stdio:
            raise SynthError("--out -: --engine dask writes a dataset folder per table; give a folder (--out shop/)")
        wanted = _table_rows(rows, db.roots, [t for t in db.roots if db.children(t)])
        return _run_tables(schema, db, str(parse_address(out)), "parquet", seed, quiet, as_json, lambda advance:
                           _on_dask(db, out, wanted, seed, scheduler, workers, advance, max_requests))
    to_database = out_path is not None and _whole_database(out_path)
    target = parse_address(out_path) if to_database else Path(out_path or db.name)  # a URL shows its password as ***
    if to_database:
        from ..io import check_writable

        for table in db.order:  # before any work: the server answers, and no table is refused by --if-exists
            check_writable(f"{out_path}#{table}", if_exists)
    if out_path is not None and parse_address(out_path).is_stdio:
        raise SynthError("--out -: a schema of several tables writes one file per table; give a folder")
    if not to_database and out_path is not None and target.suffix and not target.is_dir():
        raise SynthError(f"{out_path}: a schema of several tables writes one file per table; give --out a folder "
                         f"(and --format {target.suffix.lstrip('.')})")
    parents = [t for t in db.roots if db.children(t)]
    wanted = _table_rows(rows, db.roots, parents)

    def make(advance: Callable[[str, int], None]) -> dict[str, int]:
        if to_database:
            return write_database(db, out_path, rows=wanted, seed=seed, workers=workers, if_exists=if_exists,  # type: ignore[arg-type]
                                  progress=advance, max_requests=max_requests)
        return write_tables(db, target, rows=wanted, seed=seed, workers=workers, format=file_format or "csv",
                            progress=advance, max_requests=max_requests)

    shown = str(target) if to_database else f"{target}/"
    _run_tables(schema, db, shown, "database" if to_database else file_format or "csv", seed, quiet, as_json, make)


def _on_dask(db: Database, out: str, rows: dict[str, int], seed: Optional[int], scheduler: Optional[str],
             workers: int, advance: Callable[[str, int], None], max_requests: Optional[int]) -> dict[str, int]:
    from ..multitable.cluster import write_tables

    return write_tables(db, out, rows=rows, seed=seed, scheduler=scheduler, workers=workers, progress=advance,
                        max_requests=max_requests)


def _run_tables(schema: Path, db: Database, shown: str, form: str, seed: Optional[int], quiet: bool, as_json: bool,
                make: Callable[[Callable[[str, int], None]], dict[str, int]]) -> None:
    """Run ``make`` (it writes the tables, calling ``advance(table, rows)``) under a progress bar per table, then
    print the summary (one line, or JSON)."""
    started = time.perf_counter()
    with _progress(quiet) as bar:
        tasks: dict[str, object] = {}

        def advance(table: str, n: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(f"{table} -> {shown}", total=None)
            bar.advance(tasks[table], n)  # type: ignore[arg-type]

        written = make(advance)
    seconds = time.perf_counter() - started
    summary = {"schema": str(schema), "out": shown.rstrip("/") if form != "database" else shown, "format": form,
               "seed": db.spec.seed if seed is None else seed, "tables": written,
               "seconds": round(seconds, 3), "rows_per_second": round(sum(written.values()) / seconds) if seconds > 0 else None}
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        from .console import err

        made = ", ".join(f"{t} {n:,}" for t, n in written.items())
        err.print(f"wrote {len(written)} tables to {shown} in {seconds:.2f}s: {made} rows", markup=False)


def _whole_database(address: str) -> bool:
    from ..io import is_whole_database

    return is_whole_database(address)


