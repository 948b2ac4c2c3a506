"""Embedded databases (SQLite, DuckDB): a database is a file, so reading needs it to exist and writing its folder.

>>> from synth.io import parse_address
>>> from synth.io.registry import store_for
>>> store_for(parse_address("sqlite:///no/such/folder/shop.db#t")).check_writable(parse_address("sqlite:///no/such/folder/shop.db#t"))
Traceback (most recent call last):
...
synth.errors.SynthError: sqlite:///no/such/folder/shop.db#t: cannot write: folder no/such/folder does not exist
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ...errors import SynthError
from .base import DatabaseStore
from .url import DatabaseURL


class EmbeddedStore(DatabaseStore):
    """A database in one file, opened by path; ``:memory:`` is refused (nothing would be left to read)."""

    #: Files the engine keeps beside the database while writing (journals), removed with a database we created.
    side_files: tuple[str, ...] = ()

    def path(self, url: DatabaseURL) -> Path:
        return Path(url.target)

    def may_exist(self, url: DatabaseURL) -> bool:
        return self.path(url).exists()

    def connect(self, url: DatabaseURL, ) -> Any:
        path = self.path(url)
        if url.target == ":memory:":
            raise SynthError(f"{url}: an in-memory database is gone when synth exits; name a file")
        if path.is_dir():
            raise SynthError(f"{url}: {path} is a folder, not a database file")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise SynthError(f"{url}: cannot write: folder {parent} does not exist")
        return self.open(url, path)

    def open(self, url: DatabaseURL, path: Path) -> Any:
        raise NotImplementedError

    def check_writable(self, address: Any, if_exists: str | None = None) -> None:
        url = self.table_url(address, writing=True)
        path = self.path(url)
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise SynthError(f"{url}: cannot write: folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise SynthError(f"{url}: cannot write: no permission to write in {parent}")
        super().check_writable(address, if_exists)

    def read(self, address: Any, yaml_types: bool = False) -> Any:
        self._must_exist(DatabaseURL.parse(address))
        return super().read(address, yaml_types)

    def read_query(self, address: Any, query: str) -> Any:
        self._must_exist(DatabaseURL.parse(address))
        return super().read_query(address, query)

    @contextmanager
    def batches(self, url: DatabaseURL, sql: str) -> Iterator[Any]:
        self._must_exist(url)
        with super().batches(url, sql) as reader:
            yield reader

    def _must_exist(self, url: DatabaseURL) -> None:
        # Checked before connecting: opening a missing file would create an empty database.
        if not self.may_exist(url):
            raise SynthError(f"{url}: no such database file {self.path(url)}")

    def remove_created(self, url: DatabaseURL) -> None:
        path = self.path(url)
        for name in (path, *(path.with_name(path.name + suffix) for suffix in self.side_files)):
            try:
                name.unlink(missing_ok=True)
            except OSError:
                pass
