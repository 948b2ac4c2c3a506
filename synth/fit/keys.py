"""Which values of a parent's text key ``synth fit`` keeps: the ones child rows use as a category.

A key that many child rows reference (airports.faa, airlines.carrier, a product's name) is a category of the child
tables, not an identifier: ``flights.dest`` holding ``ATL`` 17,000 times identifies nobody, and a twin whose
``dest`` holds invented codes has nothing of the real column's shape. So a value is kept when every foreign key
that references the column references it from at least ``min_count`` (k) child rows, or from none (the privacy
guard of any category: seen in at least k rows); the other rows get fresh keys, as before. Never kept: numbers
(running numbers are regenerated as they are), and keys that point at people: an email, a phone number or a
person's name, and any text key of a table that holds such columns (a customer's user name is an id of a person).

>>> import pandas as pd
>>> faa = pd.Series(["ATL", "ORD", "BOS", "XYZ"])
>>> kept_rows(faa, [np.array([40, 12, 3, 0])], min_count=10).tolist()   # BOS: 3 rows, too few
[0, 1]
>>> emails = pd.Series(["ann@example.com", "bo@example.org", "cy@example.net"])
>>> kept_rows(emails, [np.array([50, 40, 30])], min_count=10).tolist()  # people: never kept
[]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..distinct import DistinctText
from ..inference.identity import identity_provider, names_people

__all__ = ["kept_rows", "names_people", "people_table", "person_like"]

def person_like(values: pd.Series) -> bool:
    """An email, a phone number or a person's name (a URL or a product's name is not).

    >>> person_like(pd.Series(["+1 (201) 555-0143", "+44 20 7946 0958"] * 5)), person_like(pd.Series(["ATL", "JFK"]))
    (True, False)
    """
    text = values.dropna()
    if text.empty or pd.api.types.is_numeric_dtype(text.dtype) or pd.api.types.is_bool_dtype(text.dtype):
        return False
    provider = identity_provider(DistinctText.of(text.astype(str)))
    if provider in ("email", "phone_number"):
        return True
    return provider in ("name", "first_name") and names_people(text)


def people_table(table: pd.DataFrame) -> bool:
    """Whether a table describes people: one of its text columns is person-like (its text keys are then ids of
    people, like a customer's user name)."""
    return any(person_like(table[c]) for c in table.columns
               if table[c].dtype == object or pd.api.types.is_string_dtype(table[c].dtype))


def kept_rows(key: pd.Series, counts: list[np.ndarray], min_count: int, table: pd.DataFrame | None = None) -> np.ndarray:
    """Positions of the rows whose key value is kept, most referenced first (then by value): each of ``counts``
    (child rows referencing each row, one array per foreign key) is 0 or at least ``min_count`` there, and some
    is. Empty for a numeric key, a person-like one, or a key of a ``table`` of people."""
    if pd.api.types.is_numeric_dtype(key.dtype) or pd.api.types.is_bool_dtype(key.dtype) or not counts:
        return np.zeros(0, dtype=np.int64)
    stacked = np.vstack(counts)
    ok = ((stacked == 0) | (stacked >= min_count)).all(axis=0) & (stacked >= min_count).any(axis=0)
    ok &= key.notna().to_numpy() & ~key.duplicated(keep=False).to_numpy()
    if not ok.any():
        return np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(ok)
    if person_like(key.iloc[rows]) or (table is not None and people_table(table.drop(columns=[key.name]))):
        return np.zeros(0, dtype=np.int64)
    text = key.iloc[rows].astype(str).to_numpy()
    order = np.lexsort((text, -stacked[:, rows].sum(axis=0)))
    return rows[order]
