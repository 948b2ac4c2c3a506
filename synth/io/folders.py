"""A folder of related tables: each table file (or Parquet dataset sub-folder) one table, named by its stem.

A folder is one of two things, and :func:`is_table_folder` tells them apart by what is in it:

- a **Parquet dataset** as Spark or Dask write it, read as *one* table: ``part-*`` / ``part.*`` files, a
  ``_SUCCESS`` or ``_metadata`` marker, or hive partition folders (``year=2013/``);
- a **folder of tables**, read as many: ``flights.csv``, ``planes.parquet``, ``airports.csv.gz``, and
  sub-folders that are Parquet datasets (``events/part-0.parquet`` is the table ``events``).

>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"id": [1, 2]}).to_csv(folder / "customers.csv", index=False)
>>> pd.DataFrame({"customer_id": [1, 1, 2]}).to_parquet(folder / "orders.parquet")
>>> is_table_folder(folder)
True
>>> {name: len(frame) for name, frame in read_tables(folder).items()}
{'customers': 2, 'orders': 3}
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SynthError
from .address import parse_address
from .registry import extensions

if TYPE_CHECKING:
    import pandas as pd

#: Files that mark a folder as one Parquet dataset (Spark writes _SUCCESS; Arrow and Spark may write _metadata).
DATASET_MARKERS = ("_SUCCESS", "_metadata", "_common_metadata")


def _visible(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if not p.name.startswith((".", "_")))


def _is_table_file(path: Path) -> bool:
    return path.is_file() and parse_address(str(path)).extension in extensions()


def is_dataset_folder(path: Path) -> bool:
    """True when ``path`` is a folder holding one Parquet dataset (markers, part files or hive partitions)."""
    if not path.is_dir():
        return False
    if any((path / marker).exists() for marker in DATASET_MARKERS):
        return True
    entries = _visible(path)
    if any(p.is_dir() and "=" in p.name for p in entries):
        return True
    files = [p for p in entries if p.is_file()]
    return bool(files) and all(p.name.startswith(("part-", "part.")) for p in files)


def is_table_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder of tables (see the module's docstring), not one Parquet dataset."""
    path = Path(path)
    if not path.is_dir() or is_dataset_folder(path):
        return False
    return any(_is_table_file(p) or is_dataset_folder(p) for p in _visible(path))


def table_addresses(path: str | Path) -> dict[str, Path]:
    """Each table of a folder of tables by name (its file's stem, or its dataset folder's name), in name order.

    Two files with one stem (``orders.csv`` beside ``orders.parquet``) are one clear error, not a silent choice.
    """
    path = Path(path)
    if not path.is_dir():
        raise SynthError(f"{path}: no such folder")
    out: dict[str, Path] = {}
    for entry in _visible(path):
        if _is_table_file(entry):
            name = parse_address(str(entry)).stem
        elif is_dataset_folder(entry):
            name = entry.name
        else:
            continue
        if name in out:
            raise SynthError(f"{path}: two files hold table {name!r} ({out[name].name} and {entry.name}); keep one")
        out[name] = entry
    if not out:
        raise SynthError(f"{path}: a folder of tables needs table files ({', '.join(extensions())}); found none")
    return out


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a folder of tables, read through :func:`synth.io.read_table` (same formats, same errors)."""
    from . import read_table

    return {name: read_table(address) for name, address in table_addresses(path).items()}
