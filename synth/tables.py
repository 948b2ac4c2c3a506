"""Reading real tables for `synth fit` and `synth audit` (what kind each column is: :mod:`synth.inference`)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SynthError
from .lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
else:  # imported on first use: `synth --help` loads this module (through the audit command) but reads no table
    np, pd, pa = LazyModule("numpy"), LazyModule("pandas"), LazyModule("pyarrow")

READERS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}


def split_holdout(frame: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split into (training rows, holdout rows), each in the table's original order.

    >>> train, hold = split_holdout(pd.DataFrame({"x": range(10)}), 0.2, seed=0)
    >>> len(train), len(hold), sorted(train.x.tolist() + hold.x.tolist()) == list(range(10))
    (8, 2, True)
    """
    if len(frame) < 2:
        raise SynthError("a holdout needs at least 2 rows in the real table")
    n_hold = min(len(frame) - 1, max(1, round(share * len(frame))))
    held = np.zeros(len(frame), dtype=bool)
    held[np.random.default_rng(seed).permutation(len(frame))[:n_hold]] = True
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write rows read by :func:`read_table` back out (.csv, .parquet or .jsonl), whole or not at all."""
    import pyarrow as pa

    from .sinks import open_sink

    with open_sink(path) as sink:
        sink.write(pa.Table.from_pandas(frame, preserve_index=False))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSON Lines table; any problem is one clear :class:`SynthError`."""
    path = Path(path)
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise SynthError(f"{path}: unknown table extension {path.suffix or '(none)'!r}; use .csv, .parquet or .jsonl")
    if not path.exists():
        raise SynthError(f"{path}: no such file")
    if path.is_dir():
        raise SynthError(f"{path}: is a folder, not a table")
    if path.stat().st_size == 0:
        raise SynthError(f"{path}: the file is empty")
    # pandas renames a repeated CSV name (price, price.1), so both would be learned and audited as columns;
    # on Parquet it fails with an Arrow message that does not say what is wrong.
    if kind in ("csv", "tsv", "parquet"):
        _refuse_repeated_names(path, _csv_header(path, "\t" if kind == "tsv" else ",") if kind != "parquet"
                               else _parquet_names(path))
    try:
        if kind in ("csv", "tsv"):
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", low_memory=False)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, lines=True)
    except pd.errors.EmptyDataError:
        raise SynthError(f"{path}: the file has no columns") from None
    except pd.errors.ParserError as exc:
        raise SynthError(f"{path}: not a readable {kind.upper()}: {_first_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise SynthError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except (ValueError, OSError) as exc:
        raise SynthError(f"{path}: cannot read: {_first_line(exc)}") from None
    if frame.shape[1] == 0:
        raise SynthError(f"{path}: the file has no columns")
    if len(frame) == 0:
        raise SynthError(f"{path}: the file has a header but no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == frame.shape[1]:
        raise SynthError(f"{path}: the header row has no column names")
    return frame


def _csv_header(path: Path, sep: str) -> list[str]:
    """The header's names as written (the first row that is not blank, as pandas reads it)."""
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as stream:
            for row in csv.reader(stream, delimiter=sep):
                if any(cell.strip() for cell in row):
                    return row
    except (csv.Error, OSError):
        pass  # pandas reads the file next and reports what is wrong with it
    return []


def _parquet_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names  # the footer only
    except (OSError, ValueError, pa.ArrowException):
        return []  # pandas reads the file next and reports what is wrong with it


def _refuse_repeated_names(path: Path, names: list[str]) -> None:
    counts = Counter(name for name in names if name.strip())  # unnamed columns are not repeats of one another
    repeated = [f"{name!r} ({count} times)" for name, count in counts.items() if count > 1]
    if repeated:
        raise SynthError(f"{path}: the header repeats column name{'s' if len(repeated) > 1 else ''} "
                         f"{', '.join(repeated)}; give each column its own name")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
