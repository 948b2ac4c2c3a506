"""What every database store shares: streaming reads, SQL types for Arrow columns, staged atomic writes, catalogs.

A database store is one subclass of :class:`DatabaseStore` that says how to connect, run SQL, stream a
query's rows as Arrow record batches and append an Arrow table to a table (``sqlite``, ``duckdb`` and
``postgresql`` in this package); everything else is here, written once:

- **reading** streams record batches (:meth:`DatabaseStore.batches`), so a caller that consumes them one
  at a time holds one batch in memory; :meth:`~DatabaseStore.read` collects them for ``synth fit``;
- **writing** (:class:`DatabaseWriter`) opens one transaction, creates a staging table per target table
  with SQL types chosen from the data (:meth:`~DatabaseStore.sql_type`), appends every chunk to it, and
  at commit swaps each staging table in (``--if-exists replace``), appends it (``append``) or refuses
  (``fail``), then commits once. An error, Ctrl-C or a killed process rolls the transaction back: the old
  table is untouched and no staging table is left. Several tables (with primary and foreign keys, see
  :class:`synth.relations.ForeignKey`) go through one writer and appear together, parents first;
- **catalogs** (:meth:`~DatabaseStore.catalog`): every table and the foreign keys the database declares.

>>> import tempfile, pathlib, pyarrow as pa
>>> db = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
>>> from synth.io import open_sink, read_table
>>> with open_sink(f"sqlite:///{db}#orders") as sink:
...     sink.write(pa.table({"id": [1, 2], "price": [2.5, 4.0]}))
>>> read_table(f"sqlite:///{db}#orders").price.tolist()
[2.5, 4.0]
>>> read_table(f"sqlite:///{db}", query="SELECT sum(price) AS total FROM orders").total.tolist()
[6.5]
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Sequence

from ...errors import SynthError
from ...lazy import LazyModule
from ...relations import ForeignKey, parents_first
from ...secrets import scrub
from ..address import Address
from ..registry import Store
from .url import DatabaseURL

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    pd, pa, pc = LazyModule("pandas"), LazyModule("pyarrow"), LazyModule("pyarrow.compute")

#: What ``--if-exists`` accepts; databases default to ``fail`` (a table is not replaced unless asked).
IF_EXISTS = ("fail", "replace", "append")


def quote_name(name: str) -> str:
    """An SQL identifier in double quotes (the standard, and all three engines), inner quotes doubled.

    >>> quote_name("a b")
    '"a b"'
    """
    return '"' + name.replace('"', '""') + '"'


def qualified_name(schema: str | None, table: str) -> str:
    return f"{quote_name(schema)}.{quote_name(table)}" if schema else quote_name(table)


@dataclass
class Catalog:
    """A whole database: its tables (by name; ``schema.table`` outside the default schema) and the foreign
    keys its catalog declares between them."""

    tables: dict[str, pd.DataFrame]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    #: Declared primary keys, by table (tables without one are absent).
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)


class DatabaseStore(Store):
    """A store for one database engine; subclasses fill in the engine-specific methods below the line."""

    label: ClassVar[str]  # as people write it: "SQLite"
    default_schema: ClassVar[str | None] = None  # the schema a table name without one lives in
    #: SQL type names for the types whose spelling differs between engines.
    type_names: ClassVar[dict[str, str]] = {
        "float": "DOUBLE PRECISION", "text": "TEXT", "binary": "BYTEA", "timestamptz": "TIMESTAMP WITH TIME ZONE",
        "uint64": "NUMERIC(20, 0)", "interval": "INTERVAL"}
    max_decimal_precision: ClassVar[int] = 1000

    # --- the Store interface ----------------------------------------------------------------------------

    def read(self, address: Address, yaml_types: bool = False) -> pd.DataFrame:
        return self.read_url(self.table_url(address))

    def read_url(self, url: DatabaseURL) -> pd.DataFrame:
        """The table ``url`` names, whole (a store may read it faster than one ``SELECT *``: PostgreSQL does)."""
        return self._frame(url, self.select_table(url))

    def read_query(self, address: Address, query: str) -> pd.DataFrame:
        url = DatabaseURL.parse(address)
        if url.table is not None:
            raise SynthError(f"{url}: give either a table (#{url.table}) or --query, not both")
        return self._frame(url, query)

    def check_writable(self, address: Address, if_exists: str | None = None) -> None:
        url = self.table_url(address, writing=True)
        mode = check_if_exists(if_exists)
        if not self.may_exist(url):
            return
        with self.connection(url) as conn, self.errors(url):
            if mode == "fail" and self.exists(conn, url):
                raise SynthError(f"{url}: table {url.qualified} already exists; use --if-exists replace or append")

    def sink(self, address: Address, if_exists: str | None = None) -> TableSink:
        url = self.table_url(address, writing=True)
        writer = DatabaseWriter(self, url, check_if_exists(if_exists))
        return writer.table(url.qualified, own_writer=True)

    # --- reading ----------------------------------------------------------------------------------------

    def table_url(self, address: Address, writing: bool = False) -> DatabaseURL:
        url = DatabaseURL.parse(address)
        if url.table is None:
            verb = "write to" if writing else "read"
            raise SynthError(f"{url}: name the table to {verb}: {url.shown}#TABLE or ?table=TABLE"
                             + ("" if writing else " (or --query)") + self._known_tables(url, writing))
        return url

    def _known_tables(self, url: DatabaseURL, writing: bool) -> str:
        if writing or not self.may_exist(url):
            return ""
        try:
            with self.connection(url) as conn, self.errors(url):
                names = self.tables(conn)
        except SynthError:
            return ""
        return f"; its tables: {', '.join(names)}" if names else "; it has no tables"

    def select_table(self, url: DatabaseURL) -> str:
        return f"SELECT * FROM {qualified_name(url.schema, str(url.table))}"

    @contextmanager
    def batches(self, url: DatabaseURL, sql: str) -> Iterator[pa.RecordBatchReader]:
        """The rows of ``sql`` as a stream of Arrow record batches (the connection closes when the block ends)."""
        with self.connection(url) as conn:
            with self.errors(url):
                reader = self.reader(conn, sql)
                yield _normalized(reader)

    def _frame(self, url: DatabaseURL, sql: str, conn: Any = None) -> pd.DataFrame:
        """The rows of ``sql`` as a DataFrame (on ``conn``, or a connection of its own)."""
        if conn is None:
            with self.batches(url, sql) as reader:
                with self.errors(url):
                    return self._table_frame(url, reader.read_all())
        with self.errors(url):
            return self._table_frame(url, _normalized(self.reader(conn, sql)).read_all())

    def _table_frame(self, url: DatabaseURL, table: pa.Table) -> pd.DataFrame:
        from ..files import refuse_repeated_names

        from ..formats import arrow_frame

        refuse_repeated_names(str(url), table.column_names)
        return arrow_frame(table)

    def catalog(self, address: Address | str) -> Catalog:
        """Every table of the database at ``address`` (read whole) and the foreign keys declared between them."""
        url = DatabaseURL.parse(address)
        if not self.may_exist(url):
            raise SynthError(f"{url}: no such database file")
        with self.connection(url) as conn:
            with self.errors(url):
                names, keys, primary = self.tables(conn), self.foreign_keys(conn), self.primary_keys(conn)
        tables = {name: self.read_url(url.with_table(name)) for name in names}
        return Catalog(tables, keys, {t: k for t, k in primary.items() if t in tables})

    # --- writing ----------------------------------------------------------------------------------------

    def sql_type(self, url: DatabaseURL, name: str, dtype: pa.DataType) -> str:
        """The SQL type a column of Arrow type ``dtype`` is created with; one line if the engine has none."""
        t, names = dtype, self.type_names
        if pa.types.is_dictionary(t):
            t = t.value_type
        simple = [(pa.types.is_boolean, "BOOLEAN"), (pa.types.is_int8, "SMALLINT"), (pa.types.is_int16, "SMALLINT"),
                  (pa.types.is_uint8, "SMALLINT"), (pa.types.is_int32, "INTEGER"), (pa.types.is_uint16, "INTEGER"),
                  (pa.types.is_int64, "BIGINT"), (pa.types.is_uint32, "BIGINT"), (pa.types.is_uint64, names.get("uint64")),
                  (pa.types.is_floating, names["float"]), (pa.types.is_date, "DATE"), (pa.types.is_time, "TIME"),
                  (pa.types.is_null, names["text"]), (pa.types.is_duration, names.get("interval")),
                  (lambda x: pa.types.is_string(x) or pa.types.is_large_string(x) or x == pa.string_view(), names["text"]),
                  (lambda x: pa.types.is_binary(x) or pa.types.is_large_binary(x) or pa.types.is_fixed_size_binary(x), names["binary"])]
        for test, sql in simple:
            if test(t) and sql is not None:
                return sql
        if pa.types.is_timestamp(t):
            return names["timestamptz"] if t.tz is not None else "TIMESTAMP"
        if pa.types.is_decimal(t) and t.precision <= self.max_decimal_precision:
            return f"NUMERIC({t.precision}, {t.scale})"
        raise SynthError(f"{url}: column {name!r} holds {t}, which {self.label} cannot hold")

    def create_sql(self, url: DatabaseURL, schema: str | None, table: str, columns: pa.Schema,
                   primary_key: Sequence[str] = (), foreign_keys: Sequence[ForeignKey] = ()) -> str:
        body = [f"{quote_name(f.name)} {self.sql_type(url, f.name, f.type)}" for f in columns]
        if primary_key:
            body.append(f"PRIMARY KEY ({', '.join(map(quote_name, primary_key))})")
        body += [self.foreign_key_sql(fk) for fk in foreign_keys if self.inline_foreign_keys]
        return f"CREATE TABLE {qualified_name(schema, table)} ({', '.join(body)})"

    #: Foreign keys written inside CREATE TABLE (SQLite: no ALTER TABLE ADD CONSTRAINT) rather than at commit.
    inline_foreign_keys: ClassVar[bool] = False

    def foreign_key_sql(self, fk: ForeignKey) -> str:
        schema, _, parent = fk.parent.rpartition(".")
        return (f"FOREIGN KEY ({', '.join(map(quote_name, fk.columns))}) REFERENCES "
                f"{qualified_name(schema or None, parent)} ({', '.join(map(quote_name, fk.keys))})")

    def add_foreign_keys(self, conn: Any, url: DatabaseURL, schema: str | None, table: str, keys: Sequence[ForeignKey]) -> None:
        """Declare ``keys`` on a table already in place (after every table of a write is swapped in)."""
        for fk in keys:
            self.execute(conn, f"ALTER TABLE {qualified_name(schema, table)} ADD {self.foreign_key_sql(fk)}")

    def prepare(self, table: pa.Table) -> pa.Table:
        """A chunk in types the drivers append as the columns were declared: every float as float64 (the
        column is a double: PostgreSQL's binary COPY takes 8 bytes), dates as date32. An engine lacking
        some Arrow type converts more (SQLite: times, decimals)."""
        if not any(pa.types.is_floating(t) and t != pa.float64() or pa.types.is_date64(t) for t in table.schema.types):
            return table
        columns = [pc.cast(c, pa.float64()) if pa.types.is_floating(c.type) else
                   pc.cast(c, pa.date32()) if pa.types.is_date64(c.type) else c for c in table.columns]
        return pa.Table.from_arrays(columns, names=table.column_names)

    def put_in_place(self, conn: Any, url: DatabaseURL, sink: TableSink) -> None:
        """Make the staging table of ``sink`` the table (the old one is gone): a rename."""
        self.execute(conn, self.rename_sql(sink.schema, str(sink.staging), sink.table))

    def rename_sql(self, schema: str | None, old: str, new: str) -> str:
        return f"ALTER TABLE {qualified_name(schema, old)} RENAME TO {quote_name(new)}"

    def may_exist(self, url: DatabaseURL) -> bool:
        """False when the database surely does not exist yet (an embedded database's missing file)."""
        return True

    def remove_created(self, url: DatabaseURL) -> None:
        """Remove a database an aborted write created (an embedded database's file)."""

    # --- engine-specific: connections, SQL, Arrow in and out ------------------------------------------------

    def connect(self, url: DatabaseURL) -> Any:
        raise NotImplementedError

    @contextmanager
    def connection(self, url: DatabaseURL) -> Iterator[Any]:
        with self.errors(url):
            conn = self.connect(url)
        try:
            yield conn
        finally:
            conn.close()

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    @contextmanager
    def errors(self, url: DatabaseURL) -> Iterator[None]:
        """The driver's errors (bad SQL, an unknown table, a refused login) as one line naming the address."""
        try:
            yield
        except SynthError:
            raise
        except (*self.driver_errors(), pa.ArrowException) as exc:
            raise SynthError(f"{url}: {driver_message(exc)}") from None

    def execute(self, conn: Any, sql: str) -> None:
        raise NotImplementedError

    def rows(self, conn: Any, sql: str) -> list[tuple]:
        raise NotImplementedError

    def reader(self, conn: Any, sql: str) -> pa.RecordBatchReader:
        raise NotImplementedError

    def append(self, conn: Any, schema: str | None, table: str, data: pa.Table) -> None:
        raise NotImplementedError

    def begin(self, conn: Any) -> None:
        pass  # ADBC connections are in a transaction from the start (autocommit off)

    def exists(self, conn: Any, url: DatabaseURL, schema: str | None = None, table: str | None = None) -> bool:
        raise NotImplementedError

    def tables(self, conn: Any) -> list[str]:
        raise NotImplementedError

    def foreign_keys(self, conn: Any) -> list[ForeignKey]:
        raise NotImplementedError

    def primary_keys(self, conn: Any) -> dict[str, tuple[str, ...]]:
        """Each table's declared primary key columns, in key order (named as :meth:`tables` names them)."""
        raise NotImplementedError


def check_if_exists(if_exists: str | None) -> str:
    mode = if_exists or "fail"
    if mode not in IF_EXISTS:
        raise SynthError(f"--if-exists {mode!r}: use one of {', '.join(IF_EXISTS)}")
    return mode


def driver_message(exc: BaseException) -> str:
    """A driver's error as one readable line: ADBC's status prefix and echoed query dropped, passwords scrubbed.

    >>> driver_message(ValueError("INVALID_ARGUMENT: [SQLite] Failed to prepare query: no such table: x\\nquery: SELECT"))
    'no such table: x'
    """
    import re

    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"^[A-Z_]+: ", "", text)  # ADBC's status code
    text = re.sub(r"^\[[A-Za-z]+\] ", "", text)  # [SQLite], [libpq]
    text = re.sub(r"^Failed to prepare query: ", "", text)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("query:")]
    line = lines[0] if lines else type(exc).__name__
    if line.endswith(":") and len(lines) > 1:  # "Parser Error: syntax error ..." is complete; libpq's "...failed:" is not
        line = f"{line} {lines[1]}"
    return scrub(" ".join(line.split()))


def adbc_reader(conn: Any, sql: str) -> pa.RecordBatchReader:
    """The rows of ``sql`` on an ADBC connection as a stream of record batches (the cursor lives as long as the stream)."""
    cur = conn.cursor()
    cur.execute(sql)
    stream = cur.fetch_record_batch()

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from stream
        finally:
            cur.close()

    return pa.RecordBatchReader.from_batches(stream.schema, batches())


def _normalized(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """Columns in plain Arrow types: a driver's extension types (PostgreSQL's ``numeric`` arrives as text
    tagged numeric) become their values (numbers as floats, others as their text)."""
    fields = list(reader.schema)
    if not any(hasattr(f.type, "storage_type") for f in fields):
        return reader
    targets = []
    for f in fields:
        t = f.type
        if hasattr(t, "storage_type"):
            numeric = getattr(t, "type_name", "") == "numeric"
            targets.append(pa.field(f.name, pa.float64() if numeric else t.storage_type))
        else:
            targets.append(f)
    schema = pa.schema(targets)

    def convert() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            columns = []
            for col, target in zip(batch.columns, schema):
                if hasattr(col.type, "storage_type"):
                    col = col.storage
                    if target.type != col.type:
                        col = pc.cast(col, target.type)
                columns.append(col)
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, convert())


class TableSink:
    """The chunks of one table of a :class:`DatabaseWriter`, into its staging table (a :class:`synth.io.Sink`).

    ``native``: chunks carry dates, times and decimals as such, and each becomes its SQL type.
    """

    native = True

    def __init__(self, writer: DatabaseWriter, qualified: str, primary_key: Sequence[str] = (),
                 foreign_keys: Sequence[ForeignKey] = (), own_writer: bool = False) -> None:
        self.writer, self.qualified = writer, qualified
        schema, _, self.table = qualified.rpartition(".")
        self.schema = schema or None
        self.primary_key, self.foreign_keys = tuple(primary_key), tuple(foreign_keys)
        self.own_writer = own_writer  # a single-table sink commits and aborts its writer too
        self.staging: str | None = None
        self.columns: pa.Schema | None = None
        self.rows = 0
        self.put_in_place = False  # the staging table became the table (not appended to an old one)

    def write(self, table: pa.Table) -> None:
        """Queue ``table`` for the writer's thread (an error there is raised by a later write or the commit)."""
        self.writer.background.write((self, table))

    def stage(self, table: pa.Table) -> None:
        """Append ``table`` to the staging table (created from the first chunk's columns); on the writer's thread."""
        store, url, conn = self.writer.store, self.writer.url, self.writer.conn
        if self.staging is None:
            self.columns = table.schema
            # Unique per process and table; invisible to other sessions until commit, and renamed away by it.
            self.staging = f"_synth_staging_{os.getpid()}_{len(self.writer.staged)}_{self.table}"[:63]
            sql = store.create_sql(url, self.schema, self.staging, table.schema, self.primary_key, self.foreign_keys)
            with store.errors(url):
                store.execute(conn, sql)
        elif not table.schema.equals(self.columns):
            from ...sinks import _conform

            table = _conform(table, self.columns)
        with store.errors(url):
            store.append(conn, self.schema, self.staging, store.prepare(table))
        self.rows += table.num_rows

    def commit(self) -> None:
        if self.own_writer:
            self.writer.commit()

    def abort(self) -> None:
        if self.own_writer:
            self.writer.abort()


class DatabaseWriter:
    """Tables into one database in one transaction: each staged as it is written, all in place at :meth:`commit`.

    ``synth.io.open_sink`` makes one for a single table; writing related tables is::

        writer = DatabaseWriter(store, url, "replace")
        customers = writer.table("customers", primary_key=["id"])
        orders = writer.table("orders", primary_key=["id"],
                              foreign_keys=[ForeignKey("orders", ("customer_id",), "customers", ("id",))])
        ... customers.write(chunk) / orders.write(chunk) ...
        writer.commit()   # or writer.abort(): nothing changes

    The tables are swapped in parents first (:func:`synth.relations.parents_first`) and the foreign keys
    declared once every table is in place, in the same transaction.
    """

    def __init__(self, store: DatabaseStore, url: DatabaseURL, if_exists: str = "fail") -> None:
        self.store, self.url, self.if_exists = store, url, check_if_exists(if_exists)
        self.created_file = not store.may_exist(url)  # an embedded database this write brings into being
        self.staged: dict[str, TableSink] = {}
        with store.errors(url):
            self.conn = store.connect(url)
            store.begin(self.conn)
        self.done = False
        # Chunks go to the database on one thread of this writer's (in order: one connection is used by one
        # thread), while the caller makes the next chunk; the drivers release the GIL while they work.
        from ...sinks import _Background

        self.background = _Background(_Stager())

    @property
    def native(self) -> bool:
        return True

    def table(self, qualified: str, primary_key: Sequence[str] = (), foreign_keys: Sequence[ForeignKey] = (),
              own_writer: bool = False) -> TableSink:
        """A sink for the table ``qualified`` (``orders`` or ``sales.orders``) in this write."""
        if qualified in self.staged:
            raise ValueError(f"{qualified}: already part of this write")
        sink = TableSink(self, qualified, primary_key, foreign_keys, own_writer)
        self.staged[qualified] = sink
        return sink

    def commit(self) -> None:
        self.background.close()  # every queued chunk staged (or its error raised here)
        store, conn = self.store, self.conn
        keys = [fk for sink in self.staged.values() for fk in sink.foreign_keys]
        order = parents_first(list(self.staged), keys)
        if self.if_exists == "replace":  # old tables go children first: a parent cannot go while a child refers to it
            for name in reversed(order):
                self._drop_old(self.staged[name])
        for name in order:
            self._swap(self.staged[name])
        if not store.inline_foreign_keys:
            for name in order:
                sink = self.staged[name]
                if sink.put_in_place:
                    with store.errors(self.url):
                        store.add_foreign_keys(conn, self.url, sink.schema, sink.table, sink.foreign_keys)
        with store.errors(self.url):
            conn.commit()
        self.done = True
        conn.close()

    def _drop_old(self, sink: TableSink) -> None:
        store, conn = self.store, self.conn
        if sink.staging is None:
            return
        try:
            if store.exists(conn, self.url, sink.schema, sink.table):
                store.execute(conn, f"DROP TABLE {qualified_name(sink.schema, sink.table)}")
        except (*store.driver_errors(), pa.ArrowException) as exc:
            raise SynthError(f"{self.url.with_table(sink.qualified)}: cannot replace table {sink.qualified}: "
                             f"{driver_message(exc)}") from None

    def _swap(self, sink: TableSink) -> None:
        store, conn, url = self.store, self.conn, self.url
        if sink.staging is None:
            return  # no chunk came: nothing to put in place (an empty result keeps the old table)
        with store.errors(url):
            exists = store.exists(conn, url, sink.schema, sink.table)
            target = qualified_name(sink.schema, sink.table)
            if exists and self.if_exists == "fail":
                raise SynthError(f"{url.with_table(sink.qualified)}: table {sink.qualified} already exists; "
                                 "use --if-exists replace or append")
            if exists and self.if_exists == "append":
                names = ", ".join(quote_name(n) for n in sink.columns.names)
                try:
                    store.execute(conn, f"INSERT INTO {target} ({names}) SELECT {names} FROM "
                                        f"{qualified_name(sink.schema, sink.staging)}")
                except (*store.driver_errors(), pa.ArrowException) as exc:
                    raise SynthError(f"{url.with_table(sink.qualified)}: cannot append to table {sink.qualified}: "
                                     f"{driver_message(exc)}") from None
                store.execute(conn, f"DROP TABLE {qualified_name(sink.schema, sink.staging)}")
                return  # the table keeps the keys it has
            if exists:
                store.execute(conn, f"DROP TABLE {target}")
            store.put_in_place(conn, url, sink)
            sink.put_in_place = True

    def abort(self) -> None:
        """Roll everything back: old tables untouched, staging tables gone (they never left the transaction)."""
        if self.done:
            return
        self.done = True
        self.background.abort()
        try:
            self.conn.rollback()
        except Exception:  # the connection may be what failed; the server rolls back a lost session itself
            pass
        finally:
            try:
                self.conn.close()
            except Exception:
                pass
        if self.created_file:
            self.store.remove_created(self.url)


class _Stager:
    """The chunk writer behind a :class:`DatabaseWriter`'s thread: each item is a (table sink, chunk) pair."""

    native = True

    def write(self, item: tuple[TableSink, pa.Table]) -> None:
        sink, table = item
        sink.stage(table)

    def close(self) -> None:
        pass
