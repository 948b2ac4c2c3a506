"""How related tables point at each other: a foreign key is a child table's column(s) whose values are a
parent table's key.

This is the one description of a relationship shared by the multi-table schema (``kind: reference``),
relationship discovery in ``synth fit``, the multi-table audit and the database sinks (which declare the keys).

>>> fk = ForeignKey(child="flights", columns=("carrier",), parent="airlines", keys=("carrier",))
>>> str(fk)
'flights(carrier) -> airlines(carrier)'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ForeignKey:
    """``child.columns`` reference ``parent.keys`` (same length, in order; composite keys have several)."""

    child: str
    columns: tuple[str, ...]
    parent: str
    keys: tuple[str, ...]
    # The share of non-null child values that resolve to a parent row (1.0 when declared; real data has orphans).
    resolved_share: float = 1.0

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.keys) or not self.columns:
            raise ValueError(f"{self}: a foreign key needs as many child columns as parent key columns")

    def __str__(self) -> str:
        return f"{self.child}({', '.join(self.columns)}) -> {self.parent}({', '.join(self.keys)})"


def parents_first(tables: list[str], foreign_keys: list[ForeignKey]) -> list[str]:
    """The tables in an order where every parent comes before its children (input order among equals).

    >>> parents_first(["items", "orders", "customers"],
    ...     [ForeignKey("items", ("order_id",), "orders", ("id",)), ForeignKey("orders", ("cid",), "customers", ("id",))])
    ['customers', 'orders', 'items']

    A cycle (a table that is its own ancestor, other than a self-reference) raises ``ValueError``.
    """
    parents = {t: {fk.parent for fk in foreign_keys if fk.child == t and fk.parent != t} for t in tables}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(tables):
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:
            stuck = [t for t in tables if t not in placed]
            raise ValueError(f"the references between tables {', '.join(stuck)} form a cycle")
        order.append(ready[0])
        placed.add(ready[0])
    return order
