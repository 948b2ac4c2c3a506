"""Related tables: a schema of several tables tied by references, generated together with every key resolved.

>>> import synth.multitable as mt, tempfile, pathlib
>>> db = mt.load_database("schemas/coffee_shop.yaml")
>>> db.order
['customers', 'products', 'orders', 'order_items']
>>> out = pathlib.Path(tempfile.mkdtemp()) / "shop"
>>> counts = mt.write_tables(db, out, rows={"customers": 200}, seed=1)
>>> sorted(p.name for p in out.iterdir())
['customers.csv', 'order_items.csv', 'orders.csv', 'products.csv']

See :mod:`synth.multitable.schema` for the schema, :mod:`synth.multitable.engine` for how rows are made, and
:mod:`synth.multitable.cluster` for making them on a Dask cluster (``synth generate --engine dask``).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import SynthError
from .detect import is_multi_table

if TYPE_CHECKING:
    import pandas as pd

    from .engine import DatabasePlan
    from .schema import Database, Reference

__all__ = ["Database", "DatabasePlan", "Reference", "database_keys", "generate_tables", "is_multi_table", "load_database",
           "write_database", "write_tables"]


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
    ext = FORMATS[format].extensions[0]
    try:
        with ExitStack() as stack:
            sinks = {t: stack.enter_context(open_sink(folder / f"{t}{ext}")) for t in database.order}
            written = _pour(plan, sinks, workers, next(iter(sinks.values())).native, progress)
    except BaseException:
        if made_folder:  # the sinks have removed their temporary files: the folder is empty again
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return written


def database_keys(db: Database) -> tuple[dict[str, tuple[str, ...]], list]:
    """The keys a database table of each schema table is declared with: a primary key on each table's
    referenced key column, and every reference to it as a foreign key.

    A database needs a unique key behind every foreign key, so a reference to another column of the same
    table (an alternate key) is left undeclared.

    >>> keys, fks = database_keys(load_database("schemas/coffee_shop.yaml"))
    >>> keys["customers"], [str(fk) for fk in fks][:1]
    (('customer_id',), ['orders(customer_id) -> customers(customer_id)'])
    """
    primary: dict[str, tuple[str, ...]] = {}
    for ref in db.references:
        primary.setdefault(ref.target, (ref.key,))
    return primary, [fk for fk in db.foreign_keys if primary.get(fk.parent) == fk.keys]


def write_database(db: Database | str | Path, address: str, rows: dict[str, int] | None = None, seed: int | None = None,
                   workers: int = 1, if_exists: str | None = None, progress: Callable[[str, int], None] | None = None,
                   max_requests: int | None = None) -> dict[str, int]:
    """Write every table into the database at ``address`` (``postgresql://me@host/shop``, ``sqlite:///shop.db``),
    in one transaction, with primary and foreign keys declared (:func:`database_keys`); returns rows per table.

    The tables appear together at the end, or (an error, Ctrl-C) none of them: see :class:`synth.io.db.DatabaseWriter`.
    ``if_exists``: what to do with a table already there (``fail``, the default; ``replace``; ``append``).

    >>> import tempfile, pathlib, sqlite3
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
    >>> counts = write_database("schemas/coffee_shop.yaml", f"sqlite:///{path}", rows={"customers": 50}, seed=1)
    >>> with sqlite3.connect(path) as con:
    ...     con.execute("SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM customers)").fetchone()
    (0,)
    """
    from ..io import parse_address
    from ..io.db import DatabaseStore, DatabaseURL, DatabaseWriter
    from ..io.registry import store_for
    from .engine import DatabasePlan

    database = _as_database(db)
    parsed = parse_address(address)
    store = store_for(parsed)
    if not isinstance(store, DatabaseStore):
        raise SynthError(f"{parsed}: not a database address")
    url = DatabaseURL.parse(parsed)
    if url.table is not None:
        raise SynthError(f"{url}: a schema of several tables writes a whole database; leave out the table (#{url.table})")
    plan = DatabasePlan(database, rows=rows, seed=seed, max_requests=max_requests)
    primary, fks = database_keys(database)
    writer = DatabaseWriter(store, url, if_exists or "fail")
    try:
        sinks = {t: writer.table(t, primary.get(t, ()), [fk for fk in fks if fk.child == t]) for t in database.order}
        written = _pour(plan, sinks, workers, True, progress)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return written


def _pour(plan: Any, sinks: dict[str, Any], workers: int, native: bool,
          progress: Callable[[str, int], None] | None) -> dict[str, int]:
    """Every table's chunks into its sink, in the plan's order; the rows written per table."""
    written = {t: 0 for t in sinks}
    for made in plan.iter_chunks(workers=workers, native=native):
        for table, chunk in made.items():
            sinks[table].write(chunk)
            written[table] += chunk.num_rows
            if progress is not None:
                progress(table, chunk.num_rows)
    return written
