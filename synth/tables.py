"""Reading and writing real tables for `synth fit` and `synth audit` (addresses and formats: :mod:`synth.io`;
what kind each column is: :mod:`synth.inference`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SynthError
from .lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: `synth --help` loads this module (through the audit command) but reads no table
    np, pd = LazyModule("numpy"), LazyModule("pandas")


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


def write_table(frame: pd.DataFrame, path: str | Path, if_exists: str | None = None) -> None:
    """Write rows read by :func:`read_table` back out, whole or not at all (see :mod:`synth.io`)."""
    from .io import write_table

    write_table(frame, path, if_exists)


def read_table(path: str | Path, query: str | None = None) -> pd.DataFrame:
    """Read a table from any address :mod:`synth.io` knows (or, for a database, the rows of an SQL ``query``);
    any problem is one clear :class:`SynthError`."""
    from .io import read_table

    return read_table(path, query=query)
