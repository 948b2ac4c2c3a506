"""``synth generate``: write a table (or related tables) from a schema, in chunks; see :func:`synth.write`.

This module declares the Typer command; its work is :func:`synth.commands.generating.run_generate`, which the
plain form of the command line runs without importing Typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..io import describe as describe_addresses
from .options import SchedulerOption


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
    from .generating import run_generate

    run_generate(schema, rows=rows, seed=seed, out_path=out_path, file_format=file_format, if_exists=if_exists,
                 workers=workers, engine=engine, scheduler=scheduler, max_requests=max_requests, quiet=quiet,
                 as_json=as_json)
