"""synth: synthetic tabular data from a declarative schema, and audits of it against real data.

>>> import synth
>>> schema = synth.load_schema("schemas/coffee.yaml")
>>> df = synth.generate(schema, rows=1000, seed=7)              # a pandas DataFrame
>>> for chunk in synth.iter_chunks(schema, rows=10_000_000):    # Arrow tables, bounded memory  # doctest: +SKIP
...     ...
>>> synth.write(schema, "coffee.parquet", rows=1_000_000)       # CSV, Parquet or JSONL by extension  # doctest: +SKIP
1000000

File names are relative to the current folder; the examples here run in the project's folder.
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

__all__ = ["Schema", "SynthError", "Plan", "load_schema", "generate", "iter_chunks", "write", "CHUNK_ROWS", "ENGINES"]
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
    """Read and validate a YAML schema file; a mistake raises :class:`SynthError` naming file, line and field.

    >>> schema = load_schema("schemas/coffee.yaml")
    >>> schema.name, schema.output_columns[:3]
    ('coffee_sales', ['id', 'date', 'time'])
    >>> load_schema("schemas/no_such.yaml")
    Traceback (most recent call last):
    ...
    synth.errors.SynthError: schemas/no_such.yaml: no such file
    """
    from .schema import Schema

    return Schema.from_yaml(path)


def _as_schema(schema: Schema | str | Path) -> Schema:
    from .schema import Schema

    return schema if isinstance(schema, Schema) else load_schema(schema)


def iter_chunks(schema: Schema | str | Path, rows: int | None = None, seed: int | None = None,
                workers: int = 1) -> Iterator[pa.Table]:
    """The table as a stream of Arrow tables of up to ``CHUNK_ROWS`` rows, in order.

    >>> [chunk.num_rows for chunk in iter_chunks("schemas/coffee.yaml", rows=250_000)]
    [100000, 100000, 50000]
    """
    from .engine import Plan

    return Plan(_as_schema(schema), rows=rows, seed=seed).iter_chunks(workers=workers)


def generate(schema: Schema | str | Path, rows: int | None = None, seed: int | None = None,
             workers: int = 1) -> pd.DataFrame:
    """The whole table in memory as a DataFrame (categories as ``category`` dtype, dates as datetimes).

    >>> df = generate("schemas/coffee.yaml", rows=5, seed=7)
    >>> df[["id", "date", "time"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'id': [1, 2, 3, 4, 5],
     'date': [Timestamp('2022-09-06 00:00:00'), Timestamp('2022-05-29 00:00:00'), Timestamp('2022-04-29 00:00:00'),
              Timestamp('2022-12-27 00:00:00'), Timestamp('2022-02-04 00:00:00')],
     'time': ['10:07', '09:00', '14:56', '07:41', '13:40']}
    >>> generate("schemas/coffee.yaml", rows=5, seed=7).equals(df)  # same schema and seed, same table
    True
    """
    import pyarrow as pa

    table = pa.concat_tables(iter_chunks(schema, rows=rows, seed=seed, workers=workers), promote_options="permissive")
    return table.to_pandas(date_as_object=False)


#: How a table can be made: ``local`` (this machine, ``workers`` processes) or ``dask`` (a Dask cluster).
ENGINES = ("local", "dask")


def write(schema: Schema | str | Path, path: str | Path, rows: int | None = None, seed: int | None = None,
          workers: int = 1, progress: Callable[[int], None] | None = None, max_requests: int | None = None,
          if_exists: str | None = None, engine: str = "local", scheduler: Any = None) -> int:
    """Write the table to ``path`` chunk by chunk; returns the row count.

    ``path`` is any address :mod:`synth.io` knows: a file (format by extension), ``-``, or a database
    table (``sqlite:///shop.db#coffee``, ``postgresql://user@host/db#coffee``). The table appears only once
    complete (see :mod:`synth.sinks`; a database's staging table is swapped in). ``if_exists``: ``fail``,
    ``replace`` or ``append`` when the table is already there (default: files are replaced, database
    tables refused). ``progress`` is called with the number
    of rows written after each chunk. ``max_requests`` caps the requests ``llm_text`` columns make (in
    each worker process; cached answers are free, so a rerun resumes); None: no limit.

    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "coffee.csv"
    >>> write("schemas/coffee.yaml", out, rows=150_000, seed=1, progress=lambda n: print("+", n))
    + 100000
    + 50000
    150000
    >>> out.read_text().splitlines()[0]
    '"id","date","time","product_id","product","calories","price","type","quantity","amount","payment_type"'

    ``engine="dask"`` makes the parts of a Parquet dataset (``path`` a folder ending in ``/`` or an fsspec URL
    such as ``s3://bucket/coffee/``) as tasks of a Dask cluster: ``scheduler`` (an address or a
    ``distributed.Client``; default ``DASK_SCHEDULER_ADDRESS``, else a LocalCluster of ``workers`` processes).
    The files are byte-identical to the local engine's (see :mod:`synth.cluster`).
    """
    if engine not in ENGINES:
        raise SynthError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "dask":
        if if_exists is not None:
            raise SynthError("--if-exists is for database tables; --engine dask writes a dataset folder "
                             "(a complete dataset there is replaced)")
        from .cluster import write_dataset

        return write_dataset(schema, path, rows=rows, seed=seed, scheduler=scheduler, workers=workers,
                             progress=progress, max_requests=max_requests)
    if scheduler is not None:
        raise SynthError("--scheduler is for --engine dask")
    from .engine import Plan
    from .sinks import open_sink

    plan = Plan(_as_schema(schema), rows=rows, seed=seed, max_requests=max_requests)
    written = 0
    with open_sink(path, if_exists) as sink:
        for table in plan.iter_chunks(workers=workers, native=sink.native):
            sink.write(table)
            written += table.num_rows
            if progress is not None:
                progress(table.num_rows)
    return written
