"""SQLite through its ADBC driver: ``sqlite:///shop.db#orders`` (Arrow batches both ways).

SQLite types values, not columns, and the driver types a result column by its first rows; a table whose
column mixes integers and reals (or numbers and text) is read with that column cast to what holds every
value (REAL, else TEXT), so a late 1.5 among integers does not stop the read. SQLite has no TIME or
DECIMAL storage: times are written as ``HH:MM:SS`` text (as SQLite's own time functions write them) and
decimals as REAL, in columns declared ``TIME`` and ``NUMERIC(p, s)``.

>>> SqliteStore().sql_type(None, "price", pa.decimal128(8, 2)), SqliteStore().sql_type(None, "d", pa.date32())
('NUMERIC(8, 2)', 'DATE')
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...lazy import LazyModule
from ...relations import ForeignKey
from ..registry import register_store
from .base import adbc_reader, qualified_name, quote_name
from .embedded import EmbeddedStore
from .url import DatabaseURL

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    pa, pc = LazyModule("pyarrow"), LazyModule("pyarrow.compute")


@register_store
class SqliteStore(EmbeddedStore):
    scheme = "sqlite"
    label = "SQLite"
    description = "sqlite:///FILE#TABLE, a table in an SQLite database"
    type_names = {"float": "REAL", "text": "TEXT", "binary": "BLOB", "timestamptz": "TIMESTAMP",
                  "uint64": "INTEGER"}  # stored as a signed 64-bit integer: a bigger value is refused when written
    inline_foreign_keys = True  # SQLite has no ALTER TABLE ADD CONSTRAINT; references are by name
    side_files = ("-journal", "-wal", "-shm")

    def open(self, url: DatabaseURL, path: Path) -> Any:
        import adbc_driver_sqlite.dbapi

        return adbc_driver_sqlite.dbapi.connect(str(path))

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import adbc_driver_manager

        return (adbc_driver_manager.Error, OSError)

    def execute(self, conn: Any, sql: str) -> None:
        with conn.cursor() as cur:
            cur.execute(sql)

    def rows(self, conn: Any, sql: str) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def reader(self, conn: Any, sql: str) -> pa.RecordBatchReader:
        return adbc_reader(conn, sql)

    def append(self, conn: Any, schema: str | None, table: str, data: pa.Table) -> None:
        with conn.cursor() as cur:
            cur.adbc_ingest(table, data, mode="append")

    def prepare(self, table: pa.Table) -> pa.Table:
        table = super().prepare(table)
        columns = []
        for col in table.columns:
            t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
            if pa.types.is_time(t):
                col = _time_text(col)
            elif pa.types.is_decimal(t) or pa.types.is_uint64(t):
                col = pc.cast(col, pa.float64() if pa.types.is_decimal(t) else pa.int64())
            columns.append(col)
        return pa.Table.from_arrays(columns, names=table.column_names)

    def select_table(self, url: DatabaseURL) -> str:
        # One pass over the table finds the columns whose values are of more than one storage class.
        name = qualified_name(None, str(url.table))
        with self.connection(url) as conn:
            with self.errors(url):
                columns = [row[1] for row in self.rows(conn, f"PRAGMA table_info({name})")]
                if not columns:
                    return f"SELECT * FROM {name}"  # an unknown table: the read reports it
                probes = ", ".join(f"group_concat(DISTINCT typeof({quote_name(c)}))" for c in columns)
                classes = self.rows(conn, f"SELECT {probes} FROM {name}")[0]
        chosen = []
        for column, seen in zip(columns, classes):
            kinds = set((seen or "").split(",")) - {"null", ""}
            if len(kinds) > 1:
                cast = "REAL" if kinds <= {"integer", "real"} else "TEXT"
                chosen.append(f"CAST({quote_name(column)} AS {cast}) AS {quote_name(column)}")
            else:
                chosen.append(quote_name(column))
        return f"SELECT {', '.join(chosen)} FROM {name}"

    def exists(self, conn: Any, url: DatabaseURL, schema: str | None = None, table: str | None = None) -> bool:
        table = table or url.table
        found = self.rows(conn, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = "
                          + _literal(str(table)))
        return bool(found[0][0])

    def tables(self, conn: Any) -> list[str]:
        return [r[0] for r in self.rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]

    def foreign_keys(self, conn: Any) -> list[ForeignKey]:
        keys = []
        for table in self.tables(conn):
            groups: dict[int, list[tuple]] = {}
            for row in self.rows(conn, f"PRAGMA foreign_key_list({quote_name(table)})"):
                groups.setdefault(row[0], []).append(row)  # id, seq, parent, from, to, ...
            for rows in groups.values():
                rows.sort(key=lambda r: r[1])
                parent = rows[0][2]
                to = [r[4] for r in rows]
                if any(t is None for t in to):  # REFERENCES parent without columns: the parent's primary key
                    pk = sorted((r[5], r[1]) for r in self.rows(conn, f"PRAGMA table_info({quote_name(parent)})") if r[5])
                    to = [name for _, name in pk]
                keys.append(ForeignKey(table, tuple(r[3] for r in rows), parent, tuple(to)))
        return keys


    def primary_keys(self, conn: Any) -> dict[str, tuple[str, ...]]:
        keys = {}
        for table in self.tables(conn):
            pk = sorted((r[5], r[1]) for r in self.rows(conn, f"PRAGMA table_info({quote_name(table)})") if r[5])
            if pk:
                keys[table] = tuple(name for _, name in pk)
        return keys


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _time_text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Times as ``HH:MM:SS`` (``.ffffff`` when there are fractions), the text SQLite's time functions use."""
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    as_time = pc.cast(col, pa.time64("us"))
    micros = pc.cast(as_time, pa.int64())
    text = pc.strftime(pc.cast(micros, pa.timestamp("us")), "%H:%M:%S")
    # strftime's %S carries the fraction for sub-second timestamps ("10:07:00.000000"): keep it only when non-zero.
    whole = pc.equal(pc.multiply(pc.divide(micros, 1_000_000), 1_000_000), micros)  # integer division
    return pc.if_else(whole, pc.utf8_slice_codeunits(text, 0, 8), text)
