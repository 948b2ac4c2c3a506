"""PostgreSQL through its ADBC driver (libpq; rows move with binary COPY both ways):
``postgresql://user@host:5432/db#orders`` or ``?table=sales.orders``.

The password comes from the URL, ``?password_env=NAME``, ``PGPASSWORD`` or ``~/.pgpass`` (the last two
read by libpq itself); other URL parameters (``sslmode=require`` ...) go to libpq as they are.

A big table is read in parallel: split into ranges of its physical pages (``ctid`` ranges, which
PostgreSQL scans directly), each read on its own connection, all in one snapshot (exported by the first
connection), and put together in page order: the rows, and their order, are those of one scan.

>>> PostgresqlStore().sql_type(None, "at", pa.timestamp("us", tz="UTC"))
'TIMESTAMP WITH TIME ZONE'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...lazy import LazyModule
from ...relations import ForeignKey
from ..registry import register_store
from .base import DatabaseStore, _normalized, adbc_reader, qualified_name
from .url import DatabaseURL

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
else:
    pa = LazyModule("pyarrow")

#: A table of at least this many 8 kB pages per connection is read on several (at most PARALLEL_READS).
PAGES_PER_READ = 4096
PARALLEL_READS = min(4, os.cpu_count() or 1)

# Tables of user schemas with their foreign keys, columns in key order (one row per key; names joined by a
# separator no identifier holds in practice, to keep the query free of array types).
_FOREIGN_KEYS = """
SELECT cn.nspname, c.relname, pn.nspname, p.relname,
       string_agg(ca.attname, chr(31) ORDER BY k.i), string_agg(pa.attname, chr(31) ORDER BY k.i)
FROM pg_constraint f
JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = f.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
CROSS JOIN LATERAL unnest(f.conkey, f.confkey) WITH ORDINALITY AS k(child_col, parent_col, i)
JOIN pg_attribute ca ON ca.attrelid = f.conrelid AND ca.attnum = k.child_col
JOIN pg_attribute pa ON pa.attrelid = f.confrelid AND pa.attnum = k.parent_col
WHERE f.contype = 'f' AND cn.nspname NOT IN ('pg_catalog', 'information_schema')
GROUP BY f.oid, cn.nspname, c.relname, pn.nspname, p.relname ORDER BY c.relname, f.oid
"""


_PRIMARY_KEYS = """
SELECT n.nspname, c.relname, string_agg(a.attname, chr(31) ORDER BY k.i)
FROM pg_constraint p JOIN pg_class c ON c.oid = p.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(col, i)
JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.col
WHERE p.contype = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
GROUP BY p.oid, n.nspname, c.relname
"""

# One round trip before the rows: the snapshot the parallel reads share, the table's size in pages, and its
# columns with a flag for ``numeric`` (NULL columns: not a plain table, e.g. a view).
_PROBE = """
SELECT pg_export_snapshot(), pg_relation_size(c.oid) / current_setting('block_size')::int,
       (SELECT string_agg(quote_ident(a.attname) || CASE WHEN a.atttypid = 'numeric'::regtype THEN '1' ELSE '0' END,
                          chr(31) ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
FROM pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')
"""


def _select_list(columns: str) -> str:
    """The probe's columns as a select list: ``numeric`` cast to ``float8`` by the server (as
    :func:`~synth.io.db.base._normalized` casts the driver's numeric text, to the same nearest double, but
    without the text in between: the driver formats numerics as text row by row).

    >>> _select_list('id0' + chr(31) + '"Amount"1')
    'id, "Amount"::float8 AS "Amount"'
    """
    out = []
    for item in columns.split(chr(31)):
        name, numeric = item[:-1], item[-1] == "1"
        out.append(f"{name}::float8 AS {name}" if numeric else name)
    return ", ".join(out)


@register_store
class PostgresqlStore(DatabaseStore):
    scheme = "postgresql"
    label = "PostgreSQL"
    description = "postgresql://USER@HOST:PORT/DB#TABLE, a table in a PostgreSQL database"
    default_schema = "public"

    def connect(self, url: DatabaseURL) -> Any:
        import adbc_driver_postgresql.dbapi

        return adbc_driver_postgresql.dbapi.connect(url.target)

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        import adbc_driver_manager

        return (adbc_driver_manager.Error, OSError)

    def read_url(self, url: DatabaseURL) -> pd.DataFrame:
        with self.connection(url) as first:
            with self.errors(url):
                self.execute(first, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                found = self.rows(first, _PROBE, (qualified_name(url.schema, str(url.table)),))
            if not found or found[0][2] is None:  # not a plain table (a view), or unknown: the read says which
                return self._frame(url, self.select_table(url), first)
            snapshot, pages, columns = found[0]
            select = f"SELECT {_select_list(columns)} FROM {qualified_name(url.schema, str(url.table))}"
            parts = min(PARALLEL_READS, pages // PAGES_PER_READ)
            if parts <= 1:
                return self._frame(url, select, first)
            bounds = [pages * i // parts for i in range(parts)] + [None]
            queries = [f"{select} WHERE ctid >= '({lo},0)'::tid"
                       + (f" AND ctid < '({hi},0)'::tid" if hi is not None else "") for lo, hi in zip(bounds, bounds[1:])]

            def read_part(i: int) -> pa.Table:
                if i == 0:
                    return _normalized(adbc_reader(first, queries[0])).read_all()
                with self.connection(url) as conn:
                    self.execute(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    self.execute(conn, f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                    return _normalized(adbc_reader(conn, queries[i])).read_all()

            from concurrent.futures import ThreadPoolExecutor  # (here: every command that reads addresses imports this module)

            with self.errors(url), ThreadPoolExecutor(parts) as pool:
                table = pa.concat_tables(pool.map(read_part, range(parts)))
        return self._table_frame(url, table)

    def execute(self, conn: Any, sql: str) -> None:
        with conn.cursor() as cur:
            cur.execute(sql)

    def rows(self, conn: Any, sql: str, params: tuple = ()) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall()

    def reader(self, conn: Any, sql: str) -> pa.RecordBatchReader:
        return adbc_reader(conn, sql)

    def append(self, conn: Any, schema: str | None, table: str, data: pa.Table) -> None:
        with conn.cursor() as cur:
            cur.adbc_ingest(table, data, mode="append", db_schema_name=schema)

    def exists(self, conn: Any, url: DatabaseURL, schema: str | None = None, table: str | None = None) -> bool:
        table, schema = table or url.table, schema or url.schema
        if schema is None:  # as the search path finds it
            found = self.rows(conn, "SELECT to_regclass(quote_ident($1)) IS NOT NULL", (table,))
        else:
            found = self.rows(conn, "SELECT to_regclass(quote_ident($1) || '.' || quote_ident($2)) IS NOT NULL", (schema, table))
        return bool(found[0][0])

    def tables(self, conn: Any) -> list[str]:
        rows = self.rows(conn, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                               "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
        return [_name(schema, table) for schema, table in rows]

    def foreign_keys(self, conn: Any) -> list[ForeignKey]:
        return [ForeignKey(_name(cs, child), tuple(cols.split(chr(31))), _name(ps, parent), tuple(keys.split(chr(31))))
                for cs, child, ps, parent, cols, keys in self.rows(conn, _FOREIGN_KEYS)]


    def primary_keys(self, conn: Any) -> dict[str, tuple[str, ...]]:
        return {_name(schema, table): tuple(cols.split(chr(31))) for schema, table, cols in self.rows(conn, _PRIMARY_KEYS)}


def _name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"
