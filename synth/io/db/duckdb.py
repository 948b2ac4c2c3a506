"""DuckDB through its own Python API, which reads and writes Arrow natively: ``duckdb:///shop.duckdb#orders``.

Chunks are appended by scanning the Arrow table in place (``INSERT ... SELECT * FROM`` a registered view,
no copy through Python); results stream as record batches. DuckDB's DECIMAL holds up to 38 digits.

Foreign keys: DuckDB cannot add one to a table (no ``ALTER TABLE ... ADD FOREIGN KEY``) nor rename a table
another one refers to, so a staging table with foreign keys is not renamed into place: at commit the table is
created with its keys and filled from the staging table (``INSERT ... SELECT``, inside DuckDB), parents first.

>>> DuckdbStore().sql_type(None, "price", pa.decimal128(8, 2)), DuckdbStore().sql_type(None, "x", pa.float64())
('NUMERIC(8, 2)', 'DOUBLE')
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...lazy import LazyModule
from ...relations import ForeignKey
from ..registry import register_store
from .base import qualified_name
from .embedded import EmbeddedStore
from .url import DatabaseURL

if TYPE_CHECKING:
    import pyarrow as pa
else:
    pa = LazyModule("pyarrow")

#: Rows per record batch when streaming a result (DuckDB's default vector size is 2,048; bigger batches
#: cost less per batch in the caller and are still a few megabytes).
BATCH_ROWS = 1 << 17


@register_store
class DuckdbStore(EmbeddedStore):
    scheme = "duckdb"
    label = "DuckDB"
    description = "duckdb:///FILE#TABLE, a table in a DuckDB database"
    type_names = {"float": "DOUBLE", "text": "VARCHAR", "binary": "BLOB", "timestamptz": "TIMESTAMPTZ",
                  "uint64": "UBIGINT", "interval": "INTERVAL"}
    max_decimal_precision = 38
    side_files = (".wal",)
    default_schema = "main"

    def open(self, url: DatabaseURL, path: Path) -> Any:
        import duckdb

        return duckdb.connect(str(path))

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import duckdb

        return (duckdb.Error,)

    def begin(self, conn: Any) -> None:
        conn.begin()

    def execute(self, conn: Any, sql: str) -> None:
        conn.execute(sql)

    def rows(self, conn: Any, sql: str) -> list[tuple]:
        return conn.execute(sql).fetchall()

    def reader(self, conn: Any, sql: str) -> pa.RecordBatchReader:
        return conn.sql(sql).to_arrow_reader(BATCH_ROWS)  # a relation streams; a DB-API result is copied first

    def append(self, conn: Any, schema: str | None, table: str, data: pa.Table) -> None:
        conn.register("_synth_chunk", data)
        try:
            conn.execute(f"INSERT INTO {qualified_name(schema, table)} SELECT * FROM _synth_chunk")
        finally:
            conn.unregister("_synth_chunk")

    def put_in_place(self, conn: Any, url: DatabaseURL, sink: Any) -> None:
        if not sink.foreign_keys:
            return super().put_in_place(conn, url, sink)
        create = self.create_sql(url, sink.schema, sink.table, sink.columns, sink.primary_key)
        keys = ", ".join(self.foreign_key_sql(fk) for fk in sink.foreign_keys)
        self.execute(conn, f"{create[:-1]}, {keys})")
        self.execute(conn, f"INSERT INTO {qualified_name(sink.schema, sink.table)} SELECT * FROM "
                           f"{qualified_name(sink.schema, sink.staging)}")
        self.execute(conn, f"DROP TABLE {qualified_name(sink.schema, sink.staging)}")

    def add_foreign_keys(self, conn: Any, url: DatabaseURL, schema: str | None, table: str, keys: Any) -> None:
        pass  # declared when the table was put in place

    def exists(self, conn: Any, url: DatabaseURL, schema: str | None = None, table: str | None = None) -> bool:
        table, schema = table or url.table, schema or url.schema or self.default_schema
        return bool(conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                                 [schema, table]).fetchone()[0])

    def tables(self, conn: Any) -> list[str]:
        rows = self.rows(conn, "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal "
                               "AND database_name = current_database() ORDER BY schema_name, table_name")
        return [name if schema == self.default_schema else f"{schema}.{name}" for schema, name in rows]

    def foreign_keys(self, conn: Any) -> list[ForeignKey]:
        rows = self.rows(conn, "SELECT schema_name, table_name, constraint_column_names, referenced_table, "
                               "referenced_column_names FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' "
                               "AND database_name = current_database()")
        keys = []
        for schema, table, columns, parent, referenced in rows:
            child = table if schema == self.default_schema else f"{schema}.{table}"
            keys.append(ForeignKey(child, tuple(columns), parent, tuple(referenced)))
        return keys

    def primary_keys(self, conn: Any) -> dict[str, tuple[str, ...]]:
        rows = self.rows(conn, "SELECT schema_name, table_name, constraint_column_names FROM duckdb_constraints() "
                               "WHERE constraint_type = 'PRIMARY KEY' AND database_name = current_database()")
        return {(table if schema == self.default_schema else f"{schema}.{table}"): tuple(columns)
                for schema, table, columns in rows}
