"""The ``file`` store: tables in files (plain or compressed), Parquet dataset folders, and ``-``.

Reading checks what pandas would let through silently (a header that repeats a name, an empty file) and
turns every reader error into one line naming the address. Writing goes through :class:`synth.sinks.FileSink`
(temp file + rename), :class:`synth.sinks.DatasetSink` for a folder address (``events/``: Parquet part
files in a temporary folder, ``_SUCCESS`` last, renamed into place) or, for ``-``, straight to standard output.

>>> import pandas as pd, tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv.gz"
>>> from synth.io import read_table, write_table
>>> write_table(pd.DataFrame({"a": [1, 2]}), out)
>>> read_table(out).a.tolist()
[1, 2]
"""

from __future__ import annotations

import io
import lzma
import os
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, Sequence

from ..errors import SynthError
from ..lazy import LazyModule
from .address import Address
from .registry import FORMATS, Format, Sink, Store, format_for, register_store

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
else:
    pd, pa = LazyModule("pandas"), LazyModule("pyarrow")


def open_compressed(path: str, compression: str | None) -> BinaryIO:
    """A binary stream of the file's decompressed bytes (Arrow's codecs; Python's lzma for .xz, which Arrow lacks)."""
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression is None:
        return open(path, "rb")
    return pa.input_stream(path, compression=compression)


def sniff_format(head: bytes) -> Format:
    """The format of bytes arriving on standard input: Parquet by its magic number, JSON Lines by a leading ``{``, else CSV."""
    if head.startswith(b"PAR1"):
        return FORMATS["parquet"]
    return FORMATS["jsonl"] if head.lstrip()[:1] == b"{" else FORMATS["csv"]


@register_store
class FileStore(Store):
    scheme = "file"
    description = "a file path (format by extension, optionally compressed), a Parquet dataset folder, or - for stdin/stdout"

    def read(self, address: Address, yaml_types: bool = False) -> pd.DataFrame:
        if address.is_stdio:
            data = sys.stdin.buffer.read()
            if not data.strip():
                raise SynthError("-: standard input is empty")
            fmt = sniff_format(data[:64])
            return _read(fmt, "-", lambda: io.BytesIO(data), yaml_types)
        path = Path(address.path)
        if path.is_dir():
            return _read_folder(path)
        if address.is_folder:
            raise SynthError(f"{path}: no such folder")
        fmt = format_for(address)
        if not path.exists():
            raise SynthError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise SynthError(f"{path}: the file is empty")
        if address.compression is None:  # a path: pandas and Arrow read it fastest themselves
            return _read(fmt, str(path), lambda: str(path), yaml_types)
        return _read(fmt, str(path), lambda: open_compressed(str(path), address.compression), yaml_types)

    def check_writable(self, address: Address, if_exists: str | None = None) -> None:
        if if_exists == "append":
            raise SynthError(f"{address}: --if-exists append needs a database table; a file is written whole")
        if address.is_stdio:
            return
        path = Path(address.path)
        if address.is_folder:
            return _check_dataset_writable(path)
        format_for(address, writing=True)
        if if_exists == "fail" and path.exists():
            raise SynthError(f"{path}: already exists; use --if-exists replace (the default for files)")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise SynthError(f"{path}: cannot write: folder {parent} does not exist")
        if path.is_dir():
            raise SynthError(f"{path}: cannot write: it is a folder")
        if not os.access(parent, os.W_OK):
            raise SynthError(f"{path}: cannot write: no permission to write in {parent}")

    def sink(self, address: Address, if_exists: str | None = None) -> Sink:
        from ..sinks import DatasetSink, FileSink, StdoutSink

        if address.is_stdio:
            return StdoutSink(FORMATS["csv"].writer)
        if address.is_folder:  # a folder is a Parquet dataset, for writing as for reading
            return DatasetSink(Path(address.path), FORMATS["parquet"].writer)
        return FileSink(Path(address.path), format_for(address, writing=True).writer, address.compression)


def _check_dataset_writable(path: Path) -> None:
    """A dataset folder can be written where its parent folder is, and replaces only a complete dataset.

    An existing folder is replaced (as a file is overwritten) only if it is empty or holds ``_SUCCESS``, the
    marker of a dataset written whole: any other folder may hold someone's files, and is not synth's to remove.
    """
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise SynthError(f"{path}: cannot write: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise SynthError(f"{path}: cannot write: no permission to write in {parent}")
    if path.exists() and not path.is_dir():
        raise SynthError(f"{path}: cannot write a dataset folder: it is a file")
    if path.is_dir() and any(path.iterdir()) and not (path / "_SUCCESS").is_file():
        raise SynthError(f"{path}: cannot write a dataset folder: it holds files but no _SUCCESS marker "
                         "(not a dataset written whole); not replacing it")


def _read(fmt: Format, where: str, source: Callable[[], str | BinaryIO], yaml_types: bool) -> pd.DataFrame:
    """Read with ``fmt`` from a fresh ``source()`` each time: the header first, then the whole table."""
    # pandas renames a repeated CSV name (price, price.1), so both would be learned and audited as columns;
    # on Parquet it fails with an Arrow message that does not say what is wrong.
    with _reader_errors(where, fmt.name.upper()):
        with _opened(source()) as header:
            refuse_repeated_names(where, fmt.names(header))
        with _opened(source()) as whole:
            return fmt.read(whole, yaml_types=yaml_types)


@contextmanager
def _opened(source: str | BinaryIO) -> Iterator[str | BinaryIO]:
    """A path as it is, a stream closed afterwards (readers leave streams they are given open)."""
    try:
        yield source
    finally:
        if not isinstance(source, str) and not source.closed:
            source.close()


def _read_folder(path: Path) -> pd.DataFrame:
    """A Parquet dataset as Spark and Dask write it: its files in name order (``_SUCCESS`` and hidden files ignored)."""
    import pyarrow.dataset as ds

    if not any(p.is_file() and not p.name.startswith(("_", ".")) for p in path.rglob("*")):
        raise SynthError(f"{path}: is a folder without data files (a folder is read as a Parquet dataset)")
    with _reader_errors(str(path), "Parquet dataset"):
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        refuse_repeated_names(str(path), dataset.schema.names)
        from .formats import arrow_frame

        return arrow_frame(dataset.to_table())


@contextmanager
def _reader_errors(where: str, label: str) -> Iterator[None]:
    """Every reader error as one line naming the address (and the line, when the reader says which)."""
    import re

    try:
        yield
    except pd.errors.EmptyDataError:
        raise SynthError(f"{where}: the file has no columns") from None
    except pd.errors.ParserError as exc:
        line = re.search(r"\bline (\d+)", str(exc))
        at = f":{line.group(1)}" if line else ""
        raise SynthError(f"{where}{at}: not a readable {label}: {first_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise SynthError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except (ValueError, OSError, EOFError, lzma.LZMAError) as exc:  # Arrow's errors are ValueErrors or OSErrors
        raise SynthError(f"{where}: cannot read: {first_line(exc)}") from None


def refuse_repeated_names(where: str, names: list[str]) -> None:
    """One clear line when a header names a column twice (unnamed columns are not repeats of one another)."""
    counts = Counter(name for name in names if name.strip())
    repeated = [f"{name!r} ({count} times)" for name, count in counts.items() if count > 1]
    if repeated:
        raise SynthError(f"{where}: the header repeats column name{'s' if len(repeated) > 1 else ''} "
                         f"{', '.join(repeated)}; give each column its own name")


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def row_group_runs(group_rows: Sequence[int], rows: int) -> list[tuple[tuple[int, ...], int]]:
    """A Parquet file's row groups cut into runs of whole groups of at least ``rows`` rows (the last may be short):
    the partitions that the dataset fit and the audit on Dask read one task at a time. A file always gives one run.

    >>> row_group_runs([4, 4, 4], 8)
    [((0, 1), 8), ((2,), 4)]
    >>> row_group_runs([], 8)
    [((), 0)]
    """
    runs: list[tuple[tuple[int, ...], int]] = []
    groups: list[int] = []
    count = 0
    for g, n in enumerate(group_rows):
        groups.append(g)
        count += n
        if count >= rows:
            runs.append((tuple(groups), count))
            groups, count = [], 0
    if groups or not runs:
        runs.append((tuple(groups), count))
    return runs
