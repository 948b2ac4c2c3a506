"""Databases as table addresses: SQLite, DuckDB and PostgreSQL stores (see :mod:`synth.io.db.base`)."""

from __future__ import annotations

from .base import IF_EXISTS, Catalog, DatabaseStore, DatabaseWriter, TableSink
from .url import DatabaseURL
from . import sqlite, duckdb, postgresql  # noqa: F401,E402  (registration, in the order help texts list them)

__all__ = ["Catalog", "DatabaseStore", "DatabaseURL", "DatabaseWriter", "IF_EXISTS", "TableSink"]
