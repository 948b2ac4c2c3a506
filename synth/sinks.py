"""Writing chunks to CSV, Parquet or JSON Lines, chosen by the file's extension.

Writes go to a hidden temporary file beside the target, renamed over it only when every chunk is in:
an error, Ctrl-C or a kill never leaves a half-written file under the final name. A run killed outright
(SIGKILL, power loss) cannot clean up after itself, so its temporary file is named after its process
(``.coffee.csv.tmp-<pid>@<host>``) and the next run to the same target removes it once that process is gone.

>>> import pyarrow as pa, tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> with open_sink(out) as sink:
...     sink.write(pa.table({"a": [1, 2]}))
>>> out.read_text()
'"a"\\n1\\n2\\n'
"""

from __future__ import annotations

import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

from .errors import SynthError
from .lazy import LazyModule

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
else:  # commands that only write text (fit, draft, audit reports) never load pyarrow
    pa, pc = LazyModule("pyarrow"), LazyModule("pyarrow.compute")
    pacsv, pq = LazyModule("pyarrow.csv"), LazyModule("pyarrow.parquet")

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def format_of(path: str | Path) -> str:
    """``'csv'``, ``'parquet'`` or ``'jsonl'`` from the extension, or a clear error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SynthError(f"{path}: unknown output extension {suffix or '(none)'!r}; use .csv, .parquet or .jsonl")
    return FORMATS[suffix]


class Sink(Protocol):
    def write(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...


class _CsvSink:
    def __init__(self, stream: pa.NativeFile) -> None:
        self.stream = stream
        self.writer: pacsv.CSVWriter | None = None
        self.schema: pa.Schema | None = None
        self.options = pacsv.WriteOptions(quoting_style="needed")

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.schema = table.schema
            self.writer = pacsv.CSVWriter(self.stream, table.schema, write_options=self.options)
        self.writer.write_table(_conform(table, self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _ParquetSink:
    def __init__(self, stream: pa.NativeFile) -> None:
        self.stream = stream
        self.writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.stream, table.schema, compression="zstd")
        self.writer.write_table(_conform(table, self.writer.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _JsonlSink:
    def __init__(self, stream: pa.NativeFile) -> None:
        self.stream = stream

    def write(self, table: pa.Table) -> None:
        # Dates and times as ISO text: JSON has no such types, and pandas would write epoch numbers.
        columns = {}
        for name, col in zip(table.column_names, table.columns):
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            if pa.types.is_temporal(col.type):
                col = pc.cast(col, pa.string())
            columns[name] = col
        frame = pa.table(columns).to_pandas()
        text = frame.to_json(orient="records", lines=True, force_ascii=False)
        if text and not text.endswith("\n"):
            text += "\n"
        self.stream.write(text.encode("utf-8"))

    def close(self) -> None:
        pass


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Later chunks must match the first chunk's types (an all-null column has no type of its own)."""
    if table.schema.equals(schema):
        return table
    columns = []
    for col, target in zip(table.columns, schema):
        if col.type != target.type and pa.types.is_dictionary(target.type) and not pa.types.is_dictionary(col.type):
            col = pc.cast(col, target.type.value_type).dictionary_encode()
        columns.append(col.cast(target.type) if col.type != target.type else col)
    return pa.Table.from_arrays(columns, schema=schema)


_SINKS = {"csv": _CsvSink, "parquet": _ParquetSink, "jsonl": _JsonlSink}


_HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


def temporary_name(path: Path) -> Path:
    """The hidden file beside ``path`` that this process writes before renaming it to ``path``."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}@{_HOST}")


def _process_exists(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there; and this cannot be checked: keep its file
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists under another user
        return True
    return True


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove temporary files beside ``path`` left by runs on this machine whose process no longer exists.

    Never touches a file of a live process, or one written on another host (a shared folder: its process
    cannot be checked from here). Returns the files removed.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(rf"\.{re.escape(path.name)}\.tmp-(\d+)(?:@(.+))?")
    removed = []
    try:
        entries = [e.name for e in os.scandir(parent) if e.name.startswith(f".{path.name}.tmp-")]
    except OSError:
        return removed
    for name in entries:
        match = pattern.fullmatch(name)
        # Names without a host are from earlier versions of synth, which wrote only on the local machine.
        if match is None or match.group(2) not in (None, _HOST):
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _process_exists(pid):
            continue
        try:
            (parent / name).unlink()
            removed.append(parent / name)
        except OSError:
            pass  # another run removed it first, or it is not ours to remove: either way not this run's problem
    return removed


def check_writable(path: str | Path) -> Path:
    """Fail early, before any work, if ``path`` cannot be written."""
    path = Path(path)
    format_of(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise SynthError(f"{path}: cannot write: folder {parent} does not exist")
    if path.is_dir():
        raise SynthError(f"{path}: cannot write: it is a folder")
    if not os.access(parent, os.W_OK):
        raise SynthError(f"{path}: cannot write: no permission to write in {parent}")
    return path


@contextmanager
def open_sink(path: str | Path) -> Iterator[Sink]:
    """A sink for ``path`` that becomes visible under that name only if the block finishes without error."""
    path = check_writable(path)
    remove_stale_temporaries(path)
    tmp = temporary_name(path)
    try:
        stream = pa.OSFile(str(tmp), "wb")
    except OSError as exc:
        raise SynthError(f"{path}: cannot write: {exc.strerror or exc}") from None
    sink = _SINKS[format_of(path)](stream)
    done = False
    try:
        yield sink
        sink.close()
        stream.close()
        os.replace(tmp, path)
        done = True
    except OSError as exc:
        raise SynthError(f"{path}: write failed: {exc.strerror or exc}") from None
    finally:
        if not done:
            if not stream.closed:
                stream.close()
            tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a text file so that it appears whole or not at all (temp file + rename)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise SynthError(f"{path}: cannot write: folder {parent} does not exist")
    remove_stale_temporaries(path)
    tmp = temporary_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise SynthError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
