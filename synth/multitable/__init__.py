"""Related tables: a schema of several tables tied by references, generated together with every key resolved.

>>> import synth.multitable as mt, tempfile, pathlib
>>> db = mt.load_database("schemas/coffee_shop.yaml")
>>> db.order
['customers', 'products', 'orders', 'order_items']
>>> out = pathlib.Path(tempfile.mkdtemp()) / "shop"
>>> counts = mt.write_tables(db, out, rows={"customers": 200}, seed=1)
>>> sorted(p.name for p in out.iterdir())
['customers.csv', 'order_items.csv', 'orders.csv', 'products.csv']

See :mod:`synth.multitable.schema` for the schema and :mod:`synth.multitable.engine` for how rows are made.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import SynthError
from .detect import is_multi_table

if TYPE_CHECKING:
    import pandas as pd

    from .engine import DatabasePlan
    from .schema import Database, Reference

__all__ = ["Database", "DatabasePlan", "Reference", "generate_tables", "is_multi_table", "load_database", "write_tables"]


# Imported on first use: the engine imports numpy and pyarrow, the schema pydantic and every column kind, and
# `synth validate` or `synth generate` on a one-table schema only needs is_multi_table.
_LAZY = {"DatabasePlan": ".engine", "Database": ".schema", "Reference": ".schema"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)


def load_database(path: str | Path) -> Database:
    """Read and validate a multi-table schema file (one with ``tables:``); see :mod:`synth.multitable.schema`."""
    from .schema import load_database as load

    return load(path)


def _as_database(db: Database | str | Path) -> Database:
    from .schema import Database

    return db if isinstance(db, Database) else load_database(db)


def generate_tables(db: Database | str | Path, rows: dict[str, int] | None = None, seed: int | None = None,
                    workers: int = 1) -> dict[str, pd.DataFrame]:
    """Every table in memory as DataFrames, by name (parents first).

    >>> tables = generate_tables("schemas/coffee_shop.yaml", rows={"customers": 50}, seed=2)
    >>> set(tables["orders"].customer_id) <= set(tables["customers"].customer_id)
    True
    """
    from .engine import DatabasePlan

    plan = DatabasePlan(_as_database(db), rows=rows, seed=seed)
    return {t: table.to_pandas(date_as_object=False) for t, table in plan.tables(workers).items()}


def write_tables(db: Database | str | Path, folder: str | Path, rows: dict[str, int] | None = None,
                 seed: int | None = None, workers: int = 1, format: str = "csv",
                 progress: Callable[[str, int], None] | None = None, max_requests: int | None = None) -> dict[str, int]:
    """Write one file per table into ``folder`` (``customers.csv`` ...), chunk by chunk; returns rows per table.

    ``format``: a registered format's name (``csv``, ``parquet``, ``jsonl``, ``tsv``). Each file is written to a
    temporary name and renamed only once every table is complete; on any error none is left, nor the folder
    if this call made it. ``progress(table, rows)`` is called after each chunk of a table.
    """
    from ..io import FORMATS, open_sink
    from .engine import DatabasePlan

    database = _as_database(db)
    if format not in FORMATS:
        raise SynthError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
    plan = DatabasePlan(database, rows=rows, seed=seed, max_requests=max_requests)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SynthError(f"{folder}: a multi-table schema writes one file per table; --out must be a folder")
    made_folder = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SynthError(f"{folder}: cannot make the folder: {exc.strerror or exc}") from None
    written = {t: 0 for t in database.order}
    ext = FORMATS[format].extensions[0]
    try:
        with ExitStack() as stack:
            sinks = {t: stack.enter_context(open_sink(folder / f"{t}{ext}")) for t in database.order}
            native = next(iter(sinks.values())).native
            for made in plan.iter_chunks(workers=workers, native=native):
                for table, chunk in made.items():
                    sinks[table].write(chunk)
                    written[table] += chunk.num_rows
                    if progress is not None:
                        progress(table, chunk.num_rows)
    except BaseException:
        if made_folder:  # the sinks have removed their temporary files: the folder is empty again
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return written
