"""``synth generate``: write a table (or related tables) from a schema, in chunks; see :func:`synth.write`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from ..errors import SynthError
from ..io import describe as describe_addresses, parse_address
from .options import SchedulerOption

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


SchemaArg = typer.Argument(..., help="The YAML schema file, e.g. schemas/coffee.yaml", show_default=False)


def generate(
    schema: Path = SchemaArg,
    rows: Optional[list[str]] = typer.Option(
        None, "--rows", "-n", help="Rows to make (default: the schema's `rows`). With several tables: TABLE=N for a table "
        "without a parent (repeat for more; its children follow their counts per parent row), or plain N for every "
        "table that has child tables (tables that are only looked up keep their rows)."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Random seed (default: the schema's `seed`). Same seed, same bytes."),
    out_path: Optional[str] = typer.Option(
        None, "--out", "-o", help=f"Where to write: {describe_addresses(writing=True)} (default: <schema name>.csv here). "
        "With several tables: a folder, one file per table (default: <schema name>/), or a database address without "
        "#table (every table, with primary and foreign keys)."),
    file_format: Optional[str] = typer.Option(
        None, "--format", "-f", help="With several tables: the files' format (csv, tsv, parquet, jsonl; default csv)."),
    if_exists: Optional[str] = typer.Option(
        None, "--if-exists", help="When the output table is already there: fail, replace or append (append: database "
        "tables only). Default: a file is replaced, a database table refused.", show_default=False),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Processes making chunks in parallel; the output is identical for any number. "
                                "With --engine dask and no scheduler: the LocalCluster's worker processes."),
    engine: str = typer.Option("local", "--engine", help="local: this machine. dask: each part file of a Parquet dataset "
                               "(--out DIR/ or s3://bucket/DIR/) a task on a Dask cluster, the same bytes as local "
                               "(pip install 'synth[dask]')."),
    scheduler: Optional[str] = SchedulerOption,
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1, help="For llm_text columns: stop after this many LLM requests (cached answers are free; rerun to resume)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary line."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Generate a table (or related tables) from a schema and write it, in chunks (any size, bounded memory).

    Examples:

      synth generate schemas/coffee.yaml

      synth generate schemas/coffee.yaml --rows 10000000 --out coffee.parquet --workers 2

      synth generate schemas/coffee_shop.yaml --out shop/ --rows customers=100000 --format parquet
      synth generate schemas/coffee.yaml --out "postgresql://me@localhost/shop#coffee" --if-exists replace

      synth generate schemas/coffee.yaml --rows 1000000000 --out coffee/ --engine dask --scheduler tcp://host:8786
    """
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


