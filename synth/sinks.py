"""Writing chunks: the CSV, Parquet and JSON Lines chunk writers, and how a file sink commits.

Which writer and which sink an address gets is decided by the registries in :mod:`synth.io`
(:func:`open_sink` here is that one). A file is written to a hidden temporary file beside the target,
renamed over it only when every chunk is in (:class:`FileSink`):
an error, Ctrl-C or a kill never leaves a half-written file under the final name. A run killed outright
(SIGKILL, power loss) cannot clean up after itself, so its temporary file is named after its process
(``.coffee.csv.tmp-<pid>@<host>``) and the next run to the same target removes it once that process is gone.
A Parquet dataset folder (an address ending in ``/``) is written the same way as a whole (:class:`DatasetSink`).

>>> import pyarrow as pa, tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> with open_sink(out) as sink:
...     sink.write(pa.table({"a": [1, 2]}))
>>> out.read_text()
'"a"\\n1\\n2\\n'
"""

from __future__ import annotations

import lzma
import os
import queue
import re
import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Protocol

from .errors import SynthError
from .lazy import LazyModule

if TYPE_CHECKING:
    from .io.registry import ChunkWriter, Sink

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
else:  # commands that only write text (fit, draft, audit reports) never load pyarrow
    pa, pc = LazyModule("pyarrow"), LazyModule("pyarrow.compute")
    pacsv, pq = LazyModule("pyarrow.csv"), LazyModule("pyarrow.parquet")

#: Rows per Parquet row group: chunks are buffered up to this many (readers skip and scan by row group;
#: 100,000-row groups cost them metadata and seeks, and compress worse).
ROW_GROUP_ROWS = 1_000_000
#: Rows per part file of a dataset folder (one row group each): by row count, so the same for any --workers.
PART_ROWS = ROW_GROUP_ROWS
#: The marker written last into a dataset folder (Spark's and Dask's): the folder is complete.
SUCCESS = "_SUCCESS"


class CsvWriter:
    native = False

    def __init__(self, stream: pa.NativeFile, delimiter: str = ",") -> None:
        self.stream = stream
        self.writer: pacsv.CSVWriter | None = None
        self.schema: pa.Schema | None = None
        self.options = pacsv.WriteOptions(quoting_style="needed", delimiter=delimiter)

    def write(self, table: pa.Table) -> None:
        table = _without_dictionaries(table)
        if self.writer is None:
            self.schema = table.schema
            self.writer = pacsv.CSVWriter(self.stream, table.schema, write_options=self.options)
        self.writer.write_table(_conform(table, self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class ParquetWriter:
    """Chunks buffered into row groups of ``ROW_GROUP_ROWS``: the grouping depends on row counts only, so the
    file is the same for any number of workers."""

    native = True

    def __init__(self, stream: pa.NativeFile, row_group_rows: int | None = None) -> None:
        self.stream = stream
        self.writer: pq.ParquetWriter | None = None
        self.row_group_rows = row_group_rows or ROW_GROUP_ROWS
        self.buffered: list[pa.Table] = []
        self.buffered_rows = 0

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            dictionary, delta = _encodings(table)
            self.writer = pq.ParquetWriter(self.stream, table.schema, compression="zstd", use_dictionary=dictionary,
                                           column_encoding=delta or None)
        self.buffered.append(_conform(table, self.writer.schema))
        self.buffered_rows += table.num_rows
        if self.buffered_rows >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self.buffered or self.writer is None:
            return
        group = pa.concat_tables(self.buffered)
        self.buffered, self.buffered_rows = [], 0
        self.writer.write_table(group, row_group_size=self.row_group_rows)

    def close(self) -> None:
        if self.writer is not None:
            self._flush()
            self.writer.close()


def _encodings(first: pa.Table) -> tuple[list[str], dict[str, str]]:
    """Columns worth a Parquet dictionary, and running integers worth delta encoding, judged on the first chunk.

    A dictionary pays only when values repeat; for ids and other mostly distinct columns Arrow would build
    one, find it too big and fall back, which is most of the time spent writing them. Rising integers (row
    ids) are stored as small differences instead. The first chunk is the same for any ``--workers``, so is
    the choice.
    """
    dictionary, delta = [], {}
    for name, col in zip(first.column_names, first.columns):
        n = len(col)
        if pa.types.is_dictionary(col.type) or n == 0 or pc.count_distinct(col).as_py() <= n // 2:
            dictionary.append(name)
        elif pa.types.is_integer(col.type) and col.null_count == 0:
            values = col.to_numpy()
            if n < 2 or bool((values[1:] >= values[:-1]).all()):
                delta[name] = "DELTA_BINARY_PACKED"
    return dictionary, delta


class JsonlWriter:
    native = False

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


def _without_dictionaries(table: pa.Table) -> pa.Table:
    """Categories as plain strings: Arrow's CSV writer formats a dictionary column about 15x slower than the
    same strings, and the text is the same."""
    if not any(pa.types.is_dictionary(t) for t in table.schema.types):
        return table
    columns = [pc.take(c.dictionary, c.indices) if pa.types.is_dictionary(c.type) else c
               for c in (col.combine_chunks() for col in table.columns)]
    return pa.Table.from_arrays(columns, names=table.column_names)


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


# The names these writers had before the format registry (tests and benchmarks patch them).
_CsvSink, _ParquetSink, _JsonlSink = CsvWriter, ParquetWriter, JsonlWriter


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
    # "-old": a dataset folder moved aside while its replacement was renamed in (see DatasetSink.commit).
    pattern = re.compile(rf"\.{re.escape(path.name)}\.tmp-(\d+)(?:@(.+?))?(?:-old)?")
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
            if (parent / name).is_dir() and not (parent / name).is_symlink():
                shutil.rmtree(parent / name)
            else:
                (parent / name).unlink()
            removed.append(parent / name)
        except OSError:
            pass  # another run removed it first, or it is not ours to remove: either way not this run's problem
    return removed


class _Background:
    """Writes on a thread of its own while the caller makes the next chunk.

    Arrow's CSV and Parquet writers (encoding, compression, the disk) release the GIL, so writing chunk
    ``i`` overlaps making chunk ``i + 1``; order is kept (one thread, a FIFO), so the bytes are those of a
    plain loop. The queue holds at most ``depth`` chunks: memory stays flat when the disk is the slower side.
    """

    def __init__(self, sink: ChunkWriter, depth: int = 2) -> None:
        self.sink = sink
        self.native = sink.native
        self.queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="synth-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (table := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.sink.write(table)
                except BaseException as exc:  # handed to the caller's thread by write() or close()
                    self.error = exc

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def write(self, table: pa.Table) -> None:
        self._raise()
        self.queue.put(table)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise()
        self.sink.close()

    def abort(self) -> None:
        """Stop without writing what is still queued (an error or Ctrl-C in the caller)."""
        self.error = self.error or RuntimeError("aborted")
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        self.queue.put(None)
        self.thread.join()


def _compressed(raw: pa.NativeFile, compression: str | None) -> pa.NativeFile:
    """The stream a writer writes to: ``raw`` itself, or a compressor in front of it.

    Arrow's gzip writes no time stamp in its header, so the same chunks give the same bytes. Arrow has no
    xz codec: Python's lzma does that one.
    """
    if compression is None:
        return raw
    if compression == "xz":
        return pa.PythonFile(lzma.LZMAFile(raw, "wb"), mode="w")
    return pa.CompressedOutputStream(raw, compression)


class FileSink:
    """Chunks into a hidden temporary file beside ``path``; :meth:`commit` renames it over ``path``.

    Made by the ``file`` store (:mod:`synth.io.files`); use it through :func:`open_sink`.
    """

    def __init__(self, path: Path, writer: Callable[[pa.NativeFile], ChunkWriter], compression: str | None = None) -> None:
        self.path = path
        remove_stale_temporaries(path)
        self.tmp = temporary_name(path)
        try:
            self.raw = pa.OSFile(str(self.tmp), "wb")
        except OSError as exc:
            raise SynthError(f"{path}: cannot write: {exc.strerror or exc}") from None
        self.stream = _compressed(self.raw, compression)
        self.writer = _Background(writer(self.stream))
        self.native = self.writer.native

    def write(self, table: pa.Table) -> None:
        self.writer.write(table)

    def commit(self) -> None:
        self.writer.close()
        self.stream.close()
        if not self.raw.closed:
            self.raw.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.abort()
        for stream in (self.stream, self.raw):
            if not stream.closed:
                stream.close()
        self.tmp.unlink(missing_ok=True)


def part_name(index: int) -> str:
    """The file name of a dataset's part ``index``, the one naming every writer of datasets uses.

    >>> part_name(0), part_name(12)
    ('part-00000.parquet', 'part-00012.parquet')
    """
    return f"part-{index:05d}.parquet"


class PartFiles(Protocol):
    """Where a dataset's part files go: opened by name, and told when one is complete."""

    def open(self, name: str) -> pa.NativeFile: ...

    def done(self, name: str) -> None: ...


class LocalPartFiles:
    """Part files straight into a local folder (the folder is hidden until the dataset is complete)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, name: str) -> pa.NativeFile:
        return pa.OSFile(str(self.folder / name), "wb")

    def done(self, name: str) -> None:
        pass


class Parts:
    """A chunk writer that cuts the rows into part files of ``part_rows`` rows: ``part-00000.parquet``, ...

    Each part is written by the format's own writer (``writer``) to a file of its own; the cut depends on
    row counts only, so the parts are the same for any number of workers. ``first``: the index of the first
    part written, so that a worker writing part ``i`` alone (:mod:`synth.cluster`) makes the same file, by the
    same code, as one process writing them all.
    """

    native = True

    def __init__(self, files: PartFiles | Path, writer: Callable[[pa.NativeFile], ChunkWriter], part_rows: int,
                 first: int = 0) -> None:
        self.files = LocalPartFiles(files) if isinstance(files, Path) else files
        self.make_writer, self.part_rows = writer, part_rows
        self.parts = first
        self.current: tuple[str, pa.NativeFile, ChunkWriter] | None = None
        self.rows_in_part = 0

    def _open(self) -> None:
        name = part_name(self.parts)
        stream = self.files.open(name)
        self.current, self.rows_in_part = (name, stream, self.make_writer(stream)), 0
        self.parts += 1

    def _close_part(self) -> None:
        if self.current is not None:
            name, stream, writer = self.current
            writer.close()
            stream.close()
            self.current = None
            self.files.done(name)

    def write(self, table: pa.Table) -> None:
        offset = 0
        while True:
            if self.current is None or self.rows_in_part >= self.part_rows:
                self._close_part()
                self._open()
            take = min(self.part_rows - self.rows_in_part, table.num_rows - offset)
            self.current[2].write(table.slice(offset, take))  # type: ignore[index]
            self.rows_in_part += take
            offset += take
            if offset >= table.num_rows:
                return

    def close(self) -> None:
        self._close_part()

    def abort(self) -> None:
        if self.current is not None and not self.current[1].closed:
            self.current[1].close()
        self.current = None


_Parts = Parts  # its name before synth.cluster wrote parts too


class DatasetFolder:
    """The hidden temporary folder beside ``path`` that a dataset is written into, and how it becomes ``path``.

    :meth:`commit` writes ``_SUCCESS`` last and renames the folder to ``path`` (replacing a complete dataset
    there); :meth:`abort` removes it. Whoever writes the parts (this process, or the workers of a cluster)
    writes them into :attr:`tmp`; a run killed outright leaves only the temporary folder, which the next run
    to the same target removes.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(str(path).rstrip("/" + os.sep))
        remove_stale_temporaries(self.path)
        self.tmp = temporary_name(self.path)
        try:
            self.tmp.mkdir()
        except OSError as exc:
            raise SynthError(f"{path}: cannot write: {exc.strerror or exc}") from None

    def commit(self) -> None:
        (self.tmp / SUCCESS).write_bytes(b"")  # last: the marker says every part is complete
        if not self.path.exists():
            os.rename(self.tmp, self.path)
            return
        # A complete dataset is there (check_writable allows no other folder): move it aside, move the new one
        # in, remove the old. Between the two renames the name is briefly free; never half-written.
        old = self.tmp.with_name(self.tmp.name + "-old")
        os.rename(self.path, old)
        try:
            os.rename(self.tmp, self.path)
        except OSError:
            os.rename(old, self.path)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class DatasetSink:
    """A Parquet dataset folder: part files in a hidden temporary folder beside ``path``; :meth:`commit`
    writes ``_SUCCESS`` last and renames the folder to ``path`` (:class:`DatasetFolder`).

    A reader never sees a half-written dataset: until the rename there is nothing (or the previous complete
    dataset) at ``path``; an error, Ctrl-C or kill leaves only the temporary folder, which :meth:`abort`
    removes (or, after a kill, the next run to the same target). Made by the ``file`` store for an address
    ending in ``/``; use it through :func:`open_sink`.
    """

    native = True

    def __init__(self, path: Path, writer: Callable[[pa.NativeFile], ChunkWriter], part_rows: int | None = None) -> None:
        self.folder = DatasetFolder(path)
        self.path, self.tmp = self.folder.path, self.folder.tmp
        self.parts = Parts(self.tmp, writer, part_rows or PART_ROWS)
        self.writer = _Background(self.parts)

    def write(self, table: pa.Table) -> None:
        self.writer.write(table)

    def commit(self) -> None:
        self.writer.close()
        self.folder.commit()

    def abort(self) -> None:
        self.writer.abort()
        self.parts.abort()
        self.folder.abort()


class StdoutSink:
    """Chunks straight to standard output (``--out -``): a stream has nothing to commit but a flush."""

    def __init__(self, writer: Callable[[pa.NativeFile], ChunkWriter]) -> None:
        self.target = sys.stdout.buffer
        self.writer = _Background(writer(pa.PythonFile(self.target, mode="w")))
        self.native = self.writer.native

    def write(self, table: pa.Table) -> None:
        self.writer.write(table)

    def commit(self) -> None:
        self.writer.close()
        self.target.flush()

    def abort(self) -> None:
        self.writer.abort()


def check_writable(path: str | Path, if_exists: str | None = None) -> Path:
    """Fail early, before any work, if the address ``path`` cannot be written (see :mod:`synth.io`)."""
    from .io import check_writable

    check_writable(path, if_exists)
    return Path(path)


def open_sink(path: str | Path, if_exists: str | None = None) -> ContextManager[Sink]:
    """A sink for the address ``path`` that shows under that name only if the block finishes without error.

    The same as :func:`synth.io.open_sink`; kept here where writing chunks lives.
    """
    from .io import open_sink

    return open_sink(path, if_exists)


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
