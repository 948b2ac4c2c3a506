"""The built-in file formats: CSV, TSV, Parquet and JSON Lines (how each is read whole and written in chunks).

A new format is one more class here (or in a module of its own) with ``@register_format``:

>>> from synth.io.registry import FORMATS
>>> [(f.name, f.extensions) for f in FORMATS.values()][:2]
[('csv', ('.csv', '.txt')), ('tsv', ('.tsv',))]
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, BinaryIO

from ..lazy import LazyModule
from .registry import ChunkWriter, Format, register_format

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
else:  # `synth --help` lists the formats without loading pandas or pyarrow
    np, pd = LazyModule("numpy"), LazyModule("pandas")
    pa, pq = LazyModule("pyarrow"), LazyModule("pyarrow.parquet")


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as the DataFrame every reader gives: decimals as float64, cast in Arrow (pandas would make
    a ``decimal.Decimal`` object per cell, and ``synth fit`` would learn those differently from the same
    numbers read from a database or a CSV file).

    >>> import decimal
    >>> arrow_frame(pa.table({"amount": pa.array([decimal.Decimal("2.50")], pa.decimal128(8, 2))})).amount.dtype
    dtype('float64')
    """
    if any(pa.types.is_decimal(t) for t in table.schema.types):
        table = pa.Table.from_arrays([c.cast(pa.float64()) if pa.types.is_decimal(c.type) else c for c in table.columns],
                                     schema=pa.schema([f.with_type(pa.float64()) if pa.types.is_decimal(f.type) else f
                                                       for f in table.schema], metadata=table.schema.metadata))
    return table.to_pandas()


def _text(source: str | BinaryIO) -> io.TextIOBase:
    # utf-8-sig: a byte-order mark is not part of the first column's name; pandas reads the file next and
    # reports undecodable bytes properly, so here they are only replaced.
    if isinstance(source, str):
        return open(source, newline="", encoding="utf-8-sig", errors="replace")
    return io.TextIOWrapper(source, newline="", encoding="utf-8-sig", errors="replace")


def _yaml_typed(cells: pd.Series) -> pd.Series:
    """Text cells as the YAML loader types plain values (each distinct text resolved once), as Python objects."""
    from ..yamlsafe import plain_scalar

    codes, distinct = pd.factorize(cells)
    resolved = np.empty(len(distinct), dtype=object)
    resolved[:] = [plain_scalar(text) for text in distinct]
    return pd.Series(resolved[codes], index=cells.index, dtype=object)


@register_format
class Csv(Format):
    name, label, extensions = "csv", "CSV", (".csv", ".txt")
    delimiter = ","

    def names(self, source: str | BinaryIO) -> list[str]:
        """The header's names as written (the first row that is not blank, as pandas reads it)."""
        try:
            with _text(source) as stream:
                for row in csv.reader(stream, delimiter=self.delimiter):
                    if any(cell.strip() for cell in row):
                        return row
        except (csv.Error, OSError):
            pass  # pandas reads the file next and reports what is wrong with it
        return []

    def read(self, source: str | BinaryIO, yaml_types: bool = False) -> pd.DataFrame:
        if not yaml_types:
            return pd.read_csv(source, sep=self.delimiter, low_memory=False)
        # Cells as written ("00123" stays "00123"; an empty cell, or one a short row lacks, is ""), then
        # typed by the YAML rules.
        text = pd.read_csv(source, sep=self.delimiter, dtype=str, keep_default_na=False, low_memory=False)
        return pd.DataFrame({name: _yaml_typed(text[name]) for name in text.columns})

    def writer(self, stream: pa.NativeFile) -> ChunkWriter:
        from ..sinks import CsvWriter

        return CsvWriter(stream, delimiter=self.delimiter)


@register_format
class Tsv(Csv):
    name, label, extensions = "tsv", "TSV", (".tsv",)
    delimiter = "\t"


@register_format
class Parquet(Format):
    name, label, extensions = "parquet", "Parquet", (".parquet", ".pq")
    typed, streams = True, False

    def names(self, source: str | BinaryIO) -> list[str]:
        try:
            return pq.read_schema(source).names  # the footer only
        except (OSError, ValueError, pa.ArrowException):
            return []  # pandas reads the file next and reports what is wrong with it

    def read(self, source: str | BinaryIO, yaml_types: bool = False) -> pd.DataFrame:
        return arrow_frame(pq.read_table(source))

    def writer(self, stream: pa.NativeFile) -> ChunkWriter:
        from ..sinks import ParquetWriter

        return ParquetWriter(stream)


@register_format
class JsonLines(Format):
    name, label, extensions = "jsonl", "JSON Lines", (".jsonl", ".ndjson")
    typed = True

    def read(self, source: str | BinaryIO, yaml_types: bool = False) -> pd.DataFrame:
        if yaml_types:  # JSON's own types, as YAML (a superset of JSON) reads them: "00123" stays a string
            return pd.read_json(source, lines=True, dtype=False, convert_dates=False)
        return pd.read_json(source, lines=True)

    def writer(self, stream: pa.NativeFile) -> ChunkWriter:
        from ..sinks import JsonlWriter

        return JsonlWriter(stream)
