"""A flat table that embeds a parent: an id repeated across rows whose other columns are constant within the id
(an order-lines export: ``order_id, date, time, product, quantity``, the order's date and time on every line).

:func:`find_embedded` notices it; :func:`split_embedded` makes the parent table (one row per id) and the child
table (the lines), which :class:`~synth.fit.related.DatabaseFitter` learns as related tables (``synth fit
--normalize``), so the generated lines of one order share its date and time.

>>> import pandas as pd
>>> lines = pd.DataFrame({"order_id": [1, 1, 2, 3, 3, 3] * 20, "date": ["d1", "d1", "d2", "d1", "d1", "d1"] * 20,
...                       "product": list("abcabc") * 20})
>>> lines["order_id"] += pd.Series(range(120)) // 6 * 10
>>> found = find_embedded(lines)
>>> found.key, found.columns
('order_id', ['date'])
>>> parent, child = split_embedded(lines, found)
>>> len(parent), list(parent.columns), list(child.columns)
(60, ['order_id', 'date'], ['order_id', 'product'])
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..discover import DiscoveryConfig, id_like, key_family

#: An embedded parent's id repeats: at most this share of the rows are distinct ids (else it is nearly a key).
MAX_DISTINCT_SHARE = 0.8
#: ... and has at least this many ids (else it is a category, not a parent).
MIN_IDS = 20


@dataclass
class Embedded:
    """``key`` repeats across rows; ``columns`` are constant within each of its values (the parent's columns)."""

    key: str
    columns: list[str]
    constant_share: dict[str, float]

    @property
    def parent_name(self) -> str:
        """The parent table's name: ``order_id`` -> ``orders``."""
        base = self.key.lower()
        for suffix in ("_id", "_key", "_no", "_number", "id"):
            if base.endswith(suffix) and len(base) > len(suffix):
                base = base[: -len(suffix)].rstrip("_")
                break
        return base if base.endswith("s") else base + "s"

    def __str__(self) -> str:
        return f"{self.key} repeats across rows with {', '.join(self.columns)} constant within it"


def find_embedded(df: pd.DataFrame, share: float = 0.999) -> Embedded | None:
    """The best embedded parent of a flat table, or None: the id-like column (whole numbers or short text, an id's
    name) that repeats and holds the most columns constant within each of its values on ``share`` of its ids."""
    n = len(df)
    best: Embedded | None = None
    config = DiscoveryConfig()
    for key in map(str, df.columns):
        values = df[key]
        if values.isna().any() or key_family(values, config) not in ("int", "text") or not id_like(key):
            continue
        ids = values.nunique()
        if ids < MIN_IDS or ids > MAX_DISTINCT_SHARE * n:
            continue
        # Vectorized: distinct values of every other column within each id, in one groupby.
        others = [c for c in df.columns if c != key]
        distinct = df.groupby(key, sort=False)[others].nunique(dropna=False)
        constant = (distinct <= 1).mean()
        cols = [str(c) for c in others if constant[c] >= share and df[c].nunique() > 1]
        if cols and (best is None or len(cols) > len(best.columns)):
            best = Embedded(key, cols, {c: round(float(constant[c]), 6) for c in cols})
    return best


def split_embedded(df: pd.DataFrame, embedded: Embedded) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(parent, child): one row per id with its constant columns (the first row's values), and the rows without them."""
    parent = df[[embedded.key] + embedded.columns].drop_duplicates(embedded.key).reset_index(drop=True)
    child = df.drop(columns=embedded.columns).reset_index(drop=True)
    return parent, child
