"""Tables for testing audits, whose answers are known (as ``numpy.testing`` is for numpy's users).

    >>> coarse_table(5, seed=1).shape
    (5, 8)
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def coarse_table(rows: int, seed: int, owner: bool = True) -> pd.DataFrame:
    """Survey-like: eight low-cardinality columns from a fixed distribution (seven without ``owner``), so a fresh
    row often equals an earlier one: at 6,000 training rows about 8% of unseen rows repeat a training row.

    The privacy tests must pass such unseen rows and still catch planted copies. ``owner`` is drawn last, so the
    other columns are the same with or without it.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 81, rows)
    table = pd.DataFrame({
        "sex": rng.choice(["f", "m"], rows),
        "age": age,
        "region": rng.choice(["north", "south", "east", "west", "centre"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
        "degree": np.where(rng.random(rows) < np.where(age < 30, 0.2, 0.4), "yes", "no"),
        "children": rng.poisson(np.where((age > 30) & (age < 45), 1.6, 0.6)).clip(0, 4),
        "hours": rng.choice([20, 30, 40, 50], rows, p=[0.1, 0.2, 0.6, 0.1]),
        "job": rng.choice(list("ABCDEFGHIJ"), rows, p=[0.25, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.04, 0.03, 0.03]),
    })
    if owner:
        table["owner"] = np.where(rng.random(rows) < np.where(age > 40, 0.7, 0.3), "yes", "no")
    return table
