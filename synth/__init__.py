"""synth: synthetic tabular data from a declarative schema, and audits of it against real data.

>>> import synth
>>> schema = synth.load_schema("schemas/coffee.yaml")          # doctest: +SKIP
>>> df = synth.generate(schema, rows=1000, seed=7)              # a pandas DataFrame   # doctest: +SKIP
>>> for chunk in synth.iter_chunks(schema, rows=10_000_000):    # Arrow tables, bounded memory  # doctest: +SKIP
...     ...
>>> synth.write(schema, "coffee.parquet", rows=1_000_000)       # CSV, Parquet or JSONL by extension  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .errors import SynthError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .engine import CHUNK_ROWS, Plan
    from .schema import Schema

__all__ = ["Schema", "SynthError", "Plan", "load_schema", "generate", "iter_chunks", "write", "CHUNK_ROWS"]
__version__ = "0.1.0"

# Importing the package (which every `synth` command does) must not import the engine, numpy or pyarrow:
# these names are resolved on first use.
_LAZY = {"Schema": ".schema", "Plan": ".engine", "CHUNK_ROWS": ".engine"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'synth' has no attribute {name!r}")


def load_schema(path: str | Path) -> Schema:
    """Read and validate a YAML schema file."""
    from .schema import Schema

    return Schema.from_yaml(path)


def _as_schema(schema: Schema | str | Path) -> Schema:
    from .schema import Schema

    return schema if isinstance(schema, Schema) else load_schema(schema)


def iter_chunks(schema: Schema | str | Path, rows: int | None = None, seed: int | None = None,
                workers: int = 1) -> Iterator[pa.Table]:
    """The table as a stream of Arrow tables of up to ``CHUNK_ROWS`` rows, in order."""
    from .engine import Plan

    return Plan(_as_schema(schema), rows=rows, seed=seed).iter_chunks(workers=workers)


def generate(schema: Schema | str | Path, rows: int | None = None, seed: int | None = None,
             workers: int = 1) -> pd.DataFrame:
    """The whole table in memory as a DataFrame (categories as ``category`` dtype, dates as datetimes)."""
    import pyarrow as pa

    table = pa.concat_tables(iter_chunks(schema, rows=rows, seed=seed, workers=workers), promote_options="permissive")
    return table.to_pandas(date_as_object=False)


def write(schema: Schema | str | Path, path: str | Path, rows: int | None = None, seed: int | None = None,
          workers: int = 1, progress: Callable[[int], None] | None = None) -> int:
    """Write the table to ``path`` (format by extension) chunk by chunk; returns the row count.

    ``progress`` is called with the number of rows written after each chunk.
    """
    from .engine import Plan
    from .sinks import open_sink

    plan = Plan(_as_schema(schema), rows=rows, seed=seed)
    written = 0
    with open_sink(path) as sink:
        for table in plan.iter_chunks(workers=workers, native=sink.native):
            sink.write(table)
            written += table.num_rows
            if progress is not None:
                progress(table.num_rows)
    return written
