"""What the user types to name a table, taken apart once: scheme, path, format extension, compression.

Every command that reads or writes a table accepts the same addresses:

- a file path: ``real.csv``, ``twin.parquet``; the format comes from the extension, and a compression
  suffix may follow it (``real.csv.gz``, ``events.jsonl.zst``);
- a folder: a Parquet dataset as Spark or Dask write it (``events/part-0000.parquet`` ...), read as one table;
  written as one when the address ends in a separator (``--out events/``), ``_SUCCESS`` last;
- ``-``: standard input or output;
- a URL, ``scheme://...``: handed to the store registered for that scheme (``file://`` is a path).

>>> a = parse_address("data/real.csv.gz")
>>> a.scheme, a.path, a.extension, a.compression, a.stem
('file', 'data/real.csv.gz', '.csv', 'gzip', 'real')
>>> parse_address("sqlite:///shop.db#orders").scheme
'sqlite'
>>> parse_address("-").is_stdio
True

A password in a URL never reaches a message: ``text`` (what every error names) shows ``***`` instead,
and the password is remembered by :mod:`synth.secrets` so that any printed line is scrubbed of it.

>>> a = parse_address("postgresql://bob:pw@db:5432/shop#orders")
>>> str(a), a.stem
('postgresql://bob:***@db:5432/shop#orders', 'orders')
>>> parse_address("out/events/").is_folder, parse_address("out/events").is_folder
(True, False)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from urllib.parse import parse_qs, unquote, urlsplit

from ..secrets import remember

#: Compression suffixes, after the format's extension, and the codec each names.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}

# A scheme is letters, digits, + . - and starts with a letter (RFC 3986). "C:\data.csv" has no "//".
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Address:
    """A table's address, as typed (``text``, which every error message names) and taken apart."""

    text: str  # as typed, but a URL's password replaced by ***
    scheme: str  # "file" for paths and "-"; otherwise the URL's scheme, lower-case
    # for "file": the file-system path ("-" for the standard streams); otherwise what follows "://" (with
    # any password: never put it in a message, and not in the repr either)
    path: str = field(repr=False)
    extension: str = ""  # the format's extension, lower-case, without the compression suffix: ".csv"
    compression: str | None = None  # "gzip", "bz2", "xz" or "zstd" when the name ends in a compression suffix

    @property
    def is_stdio(self) -> bool:
        """Standard input (when reading) or standard output (when writing)."""
        return self.scheme == "file" and self.path == "-"

    @property
    def is_folder(self) -> bool:
        """A folder to write a Parquet dataset into: a path that ends in a separator (``events/``)."""
        return self.scheme == "file" and self.path.endswith(("/", os.sep)) and self.path.rstrip("/" + os.sep) != ""

    @property
    def stem(self) -> str:
        """A name for the table: the file name without extension and compression suffix (``real.csv.gz`` -> ``real``)."""
        if self.is_stdio:
            return "stdin"
        if self.scheme != "file":
            return _url_stem(self.path)
        name = PurePath(self.path.rstrip("/\\") or ".").name
        for suffix in (*([s for s, c in COMPRESSIONS.items() if c == self.compression]), self.extension):
            if suffix and name.lower().endswith(suffix):
                name = name[: -len(suffix)]
        return name or "table"

    def __str__(self) -> str:
        return self.text


def parse_address(address: str | Path | Address) -> Address:
    """Take an address apart (no file is touched: whether it exists is the store's business)."""
    if isinstance(address, Address):
        return address
    text = str(address)
    match = _URL.match(text)
    if match is not None and match.group(1).lower() != "file":
        return Address(redact_url(text), match.group(1).lower(), match.group(2))
    path = match.group(2) if match is not None else text
    if path == "-":
        return Address(text, "file", "-")
    name = PurePath(path).name.lower()
    compression = None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            compression, name = codec, name[: -len(suffix)]
            break
    return Address(text, "file", path, PurePath(name).suffix.lower(), compression)


def redact_url(text: str) -> str:
    """A URL with its password (``user:password@``) replaced by ``***``; the password is remembered as a secret.

    >>> redact_url("postgresql://bob:s%40cret@db/shop?table=orders")
    'postgresql://bob:***@db/shop?table=orders'
    >>> redact_url("postgresql://db/shop?user=bob&password=pw#orders")  # libpq's parameter form too
    'postgresql://db/shop?user=bob&password=***#orders'
    """
    for secret in re.findall(r"[?&]password=([^&#]*)", text):
        remember(secret)
        remember(unquote(secret))
    text = re.sub(r"([?&]password=)[^&#]*", r"\1***", text)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*:)([^/?#]*)(@.*)$", text, re.DOTALL)
    if match is None:
        return text
    remember(match.group(2))
    remember(unquote(match.group(2)))
    return f"{match.group(1)}***{match.group(3)}"


def _url_stem(rest: str) -> str:
    """A table's name in a URL: the ``#table`` or ``?table=`` (without its schema), else the last path part."""
    parts = urlsplit("x://" + rest)
    table = parts.fragment or (parse_qs(parts.query).get("table") or [""])[0]
    if table:
        return table.split(".")[-1] or "table"
    name = parts.path.rstrip("/").split("/")[-1]
    return PurePath(name).stem or "table"
