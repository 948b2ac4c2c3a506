"""A database address taken apart: which database, which table, and the password (kept out of every message).

The conventions are SQLAlchemy's: ``sqlite:///shop.db`` (a relative path; ``sqlite:////abs/shop.db`` an
absolute one), ``duckdb:///shop.duckdb``, ``postgresql://user@host:5432/db``. The table is the fragment
(``#orders``) or the ``table`` parameter (``?table=sales.orders``); no table means the whole database.

A PostgreSQL password comes, in the order libpq looks, from the URL (``user:pw@``), from
``?password_env=NAME`` (an environment variable this module reads, so the password is in no shell
history), or from ``PGPASSWORD`` / ``~/.pgpass`` (read by libpq itself).

>>> url = DatabaseURL.parse(parse_address("sqlite:///data/shop.db#orders"))
>>> url.target, url.schema, url.table, url.shown
('data/shop.db', None, 'orders', 'sqlite:///data/shop.db#orders')
>>> import os; os.environ["DEMO_PW"] = "s3cret"
>>> url = DatabaseURL.parse(parse_address("postgresql://bob@db:5432/shop?table=sales.orders&password_env=DEMO_PW"))
>>> url.target, url.schema, url.table
('postgresql://bob:s3cret@db:5432/shop', 'sales', 'orders')
>>> url.shown
'postgresql://bob@db:5432/shop?table=sales.orders&password_env=DEMO_PW'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ...errors import SynthError
from ...secrets import remember
from ..address import Address, parse_address

#: Parameters of a URL that are synth's, not the driver's: taken out before the URL reaches libpq.
OWN_PARAMETERS = ("table", "password_env")


@dataclass(frozen=True)
class DatabaseURL:
    """Where a database table is: ``target`` is what the driver opens (a file path, or a libpq URL that may
    hold the password: never print it); ``shown`` is the address as typed, password replaced by ``***``."""

    scheme: str
    target: str = field(repr=False)
    schema: str | None
    table: str | None
    shown: str

    @classmethod
    def parse(cls, address: Address | str) -> DatabaseURL:
        address = parse_address(address)
        parts = urlsplit(f"{address.scheme}://{address.path}")
        params = parse_qsl(parts.query, keep_blank_values=True)
        named = [value for key, value in params if key == "table"]
        if parts.fragment and named and named[0] != parts.fragment:
            raise SynthError(f"{address}: the table is named twice (#{parts.fragment} and ?table={named[0]}); keep one")
        qualified = parts.fragment or (named[0] if named else "")
        schema, _, table = qualified.rpartition(".")
        if qualified and not table:
            raise SynthError(f"{address}: no table name after {qualified!r}")
        if address.scheme in ("sqlite", "duckdb"):
            target = _file_path(address, parts.netloc, parts.path)
        else:
            target = _libpq_url(address, parts, params)
        return cls(address.scheme, target, schema or None, table or None, str(address))

    @property
    def qualified(self) -> str:
        """The table as the user named it: ``orders`` or ``sales.orders``."""
        return f"{self.schema}.{self.table}" if self.schema else str(self.table)

    def with_table(self, qualified: str) -> DatabaseURL:
        """The same database, another table (for reading every table of a catalog)."""
        schema, _, table = qualified.rpartition(".")
        shown = self.shown.split("#", 1)[0]
        return replace(self, schema=schema or None, table=table, shown=f"{shown}#{qualified}" if "?table=" not in shown else shown)

    def __str__(self) -> str:
        return self.shown


def relative_to(address: Address | str, folder: str | os.PathLike) -> Address:
    """``address`` with an embedded database's relative file path taken from ``folder`` (a schema's folder:
    ``source: sqlite:///menu.db#items`` in ``schemas/shop.yaml`` means ``schemas/menu.db``); others unchanged.

    >>> str(relative_to("sqlite:///menu.db#items", "/srv/schemas")), str(relative_to("sqlite:////abs/m.db#t", "/srv"))
    ('sqlite:////srv/schemas/menu.db#items', 'sqlite:////abs/m.db#t')
    """
    from pathlib import Path

    address = parse_address(address)
    if address.scheme not in ("sqlite", "duckdb"):
        return address
    parts = urlsplit(f"{address.scheme}://{address.path}")
    path = Path(_file_path(address, parts.netloc, parts.path))
    if path.is_absolute() or str(path) == ":memory:":
        return address
    text = f"{address.scheme}:///{Path(folder) / path}" + (f"?{parts.query}" if parts.query else "") \
        + (f"#{parts.fragment}" if parts.fragment else "")
    return parse_address(text)


def _file_path(address: Address, netloc: str, path: str) -> str:
    # sqlite:///shop.db -> "shop.db", sqlite:////tmp/shop.db -> "/tmp/shop.db" (SQLAlchemy's reading);
    # sqlite://shop.db (two slashes) is a common slip: the name lands in the host part, and means the same.
    path = netloc + path if netloc else path[1:] if path.startswith("/") else path
    if not path:
        raise SynthError(f"{address}: no database file; write {address.scheme}:///FILE#TABLE")
    return path


def _libpq_url(address: Address, parts, params: list[tuple[str, str]]) -> str:
    netloc = parts.netloc
    if parts.password is not None:
        remember(parts.password)
    env = [value for key, value in params if key == "password_env"]
    if env:
        password = os.environ.get(env[0])
        if password is None:
            raise SynthError(f"{address}: environment variable {env[0]} (password_env) is not set")
        remember(password)
        user = netloc.rpartition("@")[0].split(":", 1)[0]
        if not user:
            raise SynthError(f"{address}: password_env needs a user name in the URL (user@host)")
        netloc = f"{user}:{quote(password, safe='')}@{netloc.rpartition('@')[2]}"
    query = urlencode([(k, v) for k, v in params if k not in OWN_PARAMETERS])
    # The scheme as libpq knows it (postgres:// and postgresql:// both; SQLAlchemy's +driver suffix dropped).
    return urlunsplit(("postgresql", netloc, parts.path, query, ""))
