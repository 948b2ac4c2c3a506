"""The two registries every table address goes through: file formats (by extension) and stores (by scheme).

A **format** says how a table is written in a file: CSV, Parquet ... It reads a whole file into a
DataFrame and makes a chunk writer for a byte stream. A **store** says where tables live for one address
scheme (``file`` for paths, folders and ``-``; later ``sqlite``, ``duckdb``, ``postgresql``): it reads a
table whole and opens a :class:`Sink` that takes chunks and decides how they become visible (a file: temp
file + rename; a database: a staging table swapped in; a dataset: a marker file written last).

Adding one is one class and one decorator; importing its module registers it (``synth/io/__init__.py``
imports the built-in ones)::

    @register_store
    class SqliteStore(Store):
        scheme = "sqlite"
        description = "sqlite:///FILE#TABLE, a table in an SQLite database"

        def read(self, address: Address, yaml_types: bool = False) -> pd.DataFrame: ...
        def check_writable(self, address: Address, if_exists: str | None = None) -> None: ...
        def sink(self, address: Address, if_exists: str | None = None) -> Sink: ...   # write / commit / abort

(the database stores, in :mod:`synth.io.db`, are such classes.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, ClassVar, Protocol, TypeVar

from ..errors import SynthError
from .address import COMPRESSIONS, Address

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Registered formats by name ("csv") and stores by scheme ("file"), in registration order.
FORMATS: dict[str, "Format"] = {}
STORES: dict[str, "Store"] = {}


class ChunkWriter(Protocol):
    """Encodes Arrow chunks onto a byte stream in one format; knows nothing of files or commits."""

    #: True when the format stores dates, times and decimals as such (chunks made with ``native=True``).
    native: bool

    def write(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...


class Sink(Protocol):
    """Where chunks of one table go. Nothing shows under the address until :meth:`commit`.

    Used through :func:`synth.io.open_sink`, which calls ``commit`` when the caller's block ends and
    ``abort`` on any error or interrupt, so no caller ever sees or handles the difference between stores.
    """

    native: bool

    def write(self, table: pa.Table) -> None: ...

    def commit(self) -> None:
        """Make every chunk written so far visible under the address, whole (rename, swap, marker)."""

    def abort(self) -> None:
        """Leave nothing under the address and no litter beside it; also called after a failed commit."""


class Format:
    """A file format: its extensions, how a whole file is read, and a chunk writer for a byte stream.

    ``source`` is a path (a plain file) or an open binary stream (a compressed file, standard input).
    """

    name: ClassVar[str]
    label: ClassVar[str]  # as people write it: "CSV", "JSON Lines"
    extensions: ClassVar[tuple[str, ...]]
    #: Values carry their own types (Parquet, JSON); text formats leave typing to the reader.
    typed: ClassVar[bool] = False
    #: May be compressed by suffix (``.csv.gz``) and streamed through ``-``; Parquet compresses inside itself.
    streams: ClassVar[bool] = True

    def names(self, source: str | BinaryIO) -> list[str]:
        """Column names as written in the file (before any renaming by the reader); empty if unknown."""
        return []

    def read(self, source: str | BinaryIO, yaml_types: bool = False) -> pd.DataFrame:
        """The whole table. ``yaml_types``: text cells typed as YAML types plain values (see :func:`synth.io.read_table`)."""
        raise NotImplementedError

    def writer(self, stream: pa.NativeFile) -> ChunkWriter:
        """A writer of Arrow chunks onto ``stream``."""
        raise NotImplementedError


class Store:
    """Where tables live for one address scheme. The defaults refuse, so a read-only store needs only ``read``."""

    scheme: ClassVar[str]
    #: For help texts: what an address of this scheme looks like, starting with ``scheme://``.
    description: ClassVar[str]

    def read(self, address: Address, yaml_types: bool = False) -> pd.DataFrame:
        raise SynthError(f"{address}: {self.scheme} addresses cannot be read")

    def read_query(self, address: Address, query: str) -> pd.DataFrame:
        """The rows of an SQL ``query`` run in the database at ``address`` (``--query``)."""
        raise SynthError(f"{address}: --query needs a database address "
                         f"({', '.join(s + '://' for s, store in STORES.items() if type(store).read_query is not Store.read_query)})")

    def check_writable(self, address: Address, if_exists: str | None = None) -> None:
        """Fail before any work is done if ``address`` cannot be written.

        ``if_exists``: what to do with a table already there, ``fail``, ``replace`` or ``append``; None is
        the store's default (files are replaced, database tables refused).
        """
        raise SynthError(f"{address}: {self.scheme} addresses cannot be written")

    def sink(self, address: Address, if_exists: str | None = None) -> Sink:
        """A sink for ``address`` (after :meth:`check_writable`)."""
        raise SynthError(f"{address}: {self.scheme} addresses cannot be written")


F = TypeVar("F", bound=type[Format])
S = TypeVar("S", bound=type[Store])


def register_format(cls: F) -> F:
    """Class decorator: files with ``cls.extensions`` are read and written with ``cls``."""
    FORMATS[cls.name] = cls()
    return cls


def register_store(cls: S) -> S:
    """Class decorator: addresses ``cls.scheme://...`` are read and written by ``cls``."""
    STORES[cls.scheme] = cls()
    return cls


def extensions() -> list[str]:
    """Every registered format extension, in registration order."""
    return [ext for fmt in FORMATS.values() for ext in fmt.extensions]


def format_for(address: Address, writing: bool = False) -> Format:
    """The format named by an address's extension, or one clear line listing the known ones."""
    for fmt in FORMATS.values():
        if address.extension in fmt.extensions:
            if address.compression is not None and not fmt.streams:
                raise SynthError(f"{address}: {fmt.label} is compressed inside the file; drop the "
                                 f"{address.path[address.path.rfind('.'):]} suffix")
            return fmt
    role = "output" if writing else "table"
    raise SynthError(f"{address}: unknown {role} extension {address.extension or '(none)'!r}; use "
                     f"{', '.join(extensions())} ({_compressible()} may also end in {', '.join(COMPRESSIONS)})")


def _compressible() -> str:
    labels = [fmt.label for fmt in FORMATS.values() if fmt.streams]
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else "".join(labels)


def store_for(address: Address) -> Store:
    """The store for an address's scheme, or one clear line listing the known schemes."""
    store = STORES.get(address.scheme)
    if store is None:
        raise SynthError(f"{address}: unknown address scheme {address.scheme!r}; known: "
                         f"{', '.join(s + '://' for s in STORES)} (or a file path, a Parquet folder, - for stdin/stdout)")
    return store


def describe(writing: bool = False) -> str:
    """One sentence for help texts naming every registered format, compression and scheme.

    >>> "parquet" in describe()
    True
    """
    where = "a file" + (" or a folder ending in / (a Parquet dataset, _SUCCESS written last)" if writing
                        else " or a Parquet dataset folder")
    stdio = "- for stdout (CSV)" if writing else "- for stdin"
    other = "".join(f", {store.description}" for store in STORES.values() if store.scheme != "file")
    return (f"{where} ({', '.join(extensions())}; {_compressible()} also compressed: {', '.join(COMPRESSIONS)}), "
            f"{stdio}{other}")
