"""Where tables come from and where they go: one address syntax for every command, resolved by registries.

What the user types (``real.csv``, ``real.csv.gz``, ``events/`` (a Parquet folder), ``-``, ``scheme://...``)
is an :class:`Address`; its scheme picks a :class:`Store` from :data:`STORES`, and for files the extension
picks a :class:`Format` from :data:`FORMATS`. ``synth fit``, ``audit``, ``generate --out`` and catalog
files all read and write through the three functions below, so an address that works in one works in all.

>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with open_sink(folder / "t.jsonl.gz") as sink:        # commits (renames) when the block ends
...     sink.write(pa.table({"a": [1, 2]}))
>>> read_table(folder / "t.jsonl.gz").a.tolist()
[1, 2]
>>> read_table("nosuch://x")
Traceback (most recent call last):
...
synth.errors.SynthError: nosuch://x: unknown address scheme 'nosuch'; known: file://, sqlite://, duckdb://, postgresql:// (or a file path, a Parquet folder, - for stdin/stdout)

A new store (a database) or format is one class with :func:`register_store` or :func:`register_format`,
in a module imported below: see :mod:`synth.io.registry`.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import SynthError
from ..lazy import LazyModule
from .address import COMPRESSIONS, Address, parse_address
from .registry import FORMATS, STORES, ChunkWriter, Format, Sink, Store, describe, register_format, register_store, store_for
from . import files, formats  # noqa: F401,E402  (registration of the built-in formats and the file store)
from .folders import is_table_folder, read_tables, table_addresses  # noqa: E402
from . import db  # noqa: F401,E402  (registration of the database stores: sqlite, duckdb, postgresql)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
else:
    pd, pa = LazyModule("pandas"), LazyModule("pyarrow")

__all__ = ["Address", "COMPRESSIONS", "ChunkWriter", "FORMATS", "Format", "STORES", "Sink", "Store", "check_writable",
           "describe", "is_table_folder", "is_whole_database", "open_sink", "parse_address", "read_batches", "read_catalog", "read_table",
           "read_tables", "register_format", "register_store", "table_addresses", "write_table"]


def read_table(address: str | Path | Address, yaml_types: bool = False, query: str | None = None) -> pd.DataFrame:
    """The whole table at ``address``; any problem is one :class:`SynthError` naming the address.

    ``yaml_types``: cells of text formats (CSV, TSV) typed the way the YAML loader types plain values
    (``00123`` stays text, ``12`` is a number, ``true`` a boolean, an empty cell missing), so that records
    in a catalog file mean what the same records typed into a schema mean; typed formats keep their types.
    ``query``: for a database address, the rows of this SQL query instead of a table (``--query``).
    """
    address = parse_address(address)
    store = store_for(address)
    frame = store.read(address, yaml_types=yaml_types) if query is None else store.read_query(address, query)
    where = Path(address.path) if address.scheme == "file" and not address.is_stdio else address
    what = "the file" if address.scheme == "file" else "the query" if query is not None else "the table"
    if frame.shape[1] == 0:
        raise SynthError(f"{where}: {what} has no columns")
    if len(frame) == 0:
        raise SynthError(f"{where}: {what} has {'a header but ' if address.scheme == 'file' else ''}no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == frame.shape[1]:
        raise SynthError(f"{where}: the header row has no column names")
    return frame


def check_writable(address: str | Path | Address, if_exists: str | None = None) -> Address:
    """Fail early, before any work, if ``address`` cannot be written; returns it taken apart.

    ``if_exists``: ``fail``, ``replace`` or ``append`` when the table is already there; None: the store's
    default (a file is replaced, a database table refused).
    """
    address = parse_address(address)
    if if_exists is not None and if_exists not in db.IF_EXISTS:
        raise SynthError(f"--if-exists {if_exists!r}: use one of {', '.join(db.IF_EXISTS)}")
    if if_exists is None:
        store_for(address).check_writable(address)  # stores written before --if-exists existed take no such argument
    else:
        store_for(address).check_writable(address, if_exists=if_exists)
    return address


@contextmanager
def open_sink(address: str | Path | Address, if_exists: str | None = None) -> Iterator[Sink]:
    """A sink for ``address`` whose chunks show under that address only if the block finishes without error.

    The sink's store decides what showing means (a file is renamed into place, a database's staging table
    swapped in); on an error or Ctrl-C in the block the sink is aborted and nothing is left under the address.
    ``if_exists``: see :func:`check_writable`.
    """
    address = check_writable(address, if_exists)
    store = store_for(address)
    sink = store.sink(address) if if_exists is None else store.sink(address, if_exists=if_exists)
    try:
        yield sink
        sink.commit()
    except OSError as exc:
        sink.abort()
        where = Path(address.path) if address.scheme == "file" else address
        raise SynthError(f"{where}: write failed: {exc.strerror or exc}") from None
    except BaseException:
        sink.abort()
        raise


def write_table(frame: pd.DataFrame, address: str | Path | Address, if_exists: str | None = None) -> None:
    """Write a DataFrame (rows read by :func:`read_table`) to ``address``, whole or not at all."""
    with open_sink(address, if_exists) as sink:
        sink.write(pa.Table.from_pandas(frame, preserve_index=False))


@contextmanager
def read_batches(address: str | Path | Address, query: str | None = None) -> Iterator[pa.RecordBatchReader]:
    """The rows at a database ``address`` (a table, or ``query``'s rows) as a stream of Arrow record batches:
    memory holds one batch at a time, however big the table. The connection closes when the block ends.

    >>> import tempfile, pathlib
    >>> url = f"duckdb:///{pathlib.Path(tempfile.mkdtemp()) / 'big.duckdb'}"
    >>> write_table(pd.DataFrame({"n": range(300_000)}), url + "#big")
    >>> with read_batches(url + "#big") as reader:
    ...     sizes = [batch.num_rows for batch in reader]
    >>> sum(sizes), len(sizes) > 1
    (300000, True)
    """
    address = parse_address(address)
    store = store_for(address)
    if not isinstance(store, db.DatabaseStore):
        raise SynthError(f"{address}: streaming record batches needs a database address")
    url = db.DatabaseURL.parse(address)
    if query is None:
        url = store.table_url(address)
    elif url.table is not None:
        raise SynthError(f"{url}: give either a table (#{url.table}) or a query, not both")
    with store.batches(url, query if query is not None else store.select_table(url)) as reader:
        yield reader


def is_whole_database(address: str | Path | Address) -> bool:
    """True for a database address that names no table: ``sqlite:///shop.db``, ``postgresql://me@host/shop``
    (``synth fit`` learns every table of it, ``synth generate`` writes every table of a multi-table schema to it).

    >>> is_whole_database("sqlite:///shop.db"), is_whole_database("sqlite:///shop.db#orders"), is_whole_database("shop.csv")
    (True, False, False)
    """
    address = parse_address(address)
    if address.scheme == "file":
        return False
    return isinstance(store_for(address), db.DatabaseStore) and db.DatabaseURL.parse(address).table is None


def read_catalog(address: str | Path | Address) -> db.Catalog:
    """Every table of the database at ``address`` and the foreign keys its catalog declares between them.

    >>> import tempfile, pathlib, sqlite3
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
    >>> with sqlite3.connect(path) as con:
    ...     _ = con.executescript("CREATE TABLE customers (id INTEGER PRIMARY KEY, city TEXT);"
    ...         "CREATE TABLE orders (id INTEGER, customer_id INTEGER REFERENCES customers (id));"
    ...         "INSERT INTO customers VALUES (1, 'Oslo'); INSERT INTO orders VALUES (7, 1);")
    >>> catalog = read_catalog(f"sqlite:///{path}")
    >>> sorted(catalog.tables), [str(fk) for fk in catalog.foreign_keys]
    (['customers', 'orders'], ['orders(customer_id) -> customers(id)'])
    """
    address = parse_address(address)
    store = store_for(address)
    if not isinstance(store, db.DatabaseStore):
        raise SynthError(f"{address}: a whole database is read from a database address "
                         f"({', '.join(s + '://' for s, x in STORES.items() if isinstance(x, db.DatabaseStore))})")
    return store.catalog(address)
