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
synth.errors.SynthError: nosuch://x: unknown address scheme 'nosuch'; known: file:// (or a file path, a Parquet folder, - for stdin/stdout)

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

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
else:
    pd, pa = LazyModule("pandas"), LazyModule("pyarrow")

__all__ = ["Address", "COMPRESSIONS", "ChunkWriter", "FORMATS", "Format", "STORES", "Sink", "Store", "check_writable",
           "describe", "is_table_folder", "open_sink", "parse_address", "read_table", "read_tables", "register_format", "register_store", "table_addresses", "write_table"]


def read_table(address: str | Path | Address, yaml_types: bool = False) -> pd.DataFrame:
    """The whole table at ``address``; any problem is one :class:`SynthError` naming the address.

    ``yaml_types``: cells of text formats (CSV, TSV) typed the way the YAML loader types plain values
    (``00123`` stays text, ``12`` is a number, ``true`` a boolean, an empty cell missing), so that records
    in a catalog file mean what the same records typed into a schema mean; typed formats keep their types.
    """
    address = parse_address(address)
    frame = store_for(address).read(address, yaml_types=yaml_types)
    where = Path(address.path) if address.scheme == "file" and not address.is_stdio else address
    if frame.shape[1] == 0:
        raise SynthError(f"{where}: the file has no columns")
    if len(frame) == 0:
        raise SynthError(f"{where}: the file has a header but no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == frame.shape[1]:
        raise SynthError(f"{where}: the header row has no column names")
    return frame


def check_writable(address: str | Path | Address) -> Address:
    """Fail early, before any work, if ``address`` cannot be written; returns it taken apart."""
    address = parse_address(address)
    store_for(address).check_writable(address)
    return address


@contextmanager
def open_sink(address: str | Path | Address) -> Iterator[Sink]:
    """A sink for ``address`` whose chunks show under that address only if the block finishes without error.

    The sink's store decides what showing means (a file is renamed into place); on an error or Ctrl-C in
    the block the sink is aborted and nothing is left under the address.
    """
    address = check_writable(address)
    sink = store_for(address).sink(address)
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


def write_table(frame: pd.DataFrame, address: str | Path | Address) -> None:
    """Write a DataFrame (rows read by :func:`read_table`) to ``address``, whole or not at all."""
    with open_sink(address) as sink:
        sink.write(pa.Table.from_pandas(frame, preserve_index=False))
