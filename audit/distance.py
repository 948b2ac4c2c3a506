"""Total variation distance between two frequency tables: the one definition the fidelity metrics share.

>>> total_variation(np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.25, 0.25]))
0.25
>>> total_variation(pd.Series({"a": 1.0}), pd.Series({"b": 1.0}))   # labels: a value missing on one side is 0
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def total_variation(p: np.ndarray | pd.Series, q: np.ndarray | pd.Series) -> float:
    """Half the L1 distance between two frequency vectors (each summing to 1): 0 the same, 1 disjoint.

    Series are matched by label; arrays by position.
    """
    if isinstance(p, pd.Series):
        return float(0.5 * p.subtract(q, fill_value=0).abs().sum())
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())
