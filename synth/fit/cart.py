"""A CART decision tree grown best first, in numpy: what :mod:`synth.fit.trees` conditions columns with.

scikit-learn's trees do the same, but importing ``sklearn.tree`` takes a second or more (it loads most of
scikit-learn and ``scipy.stats``), several times what fitting a small table costs; this module needs numpy only.
It grows a tree the way ``DecisionTreeClassifier`` (Gini) / ``DecisionTreeRegressor`` (squared error) do with
``max_leaf_nodes`` and ``min_samples_leaf``: always split the open node whose best split cuts the weighted
impurity most, cut half way between two neighbouring values (``x <= threshold`` goes left), and it records
the order in which nodes were split, so the trees with fewer leaves are its prefixes (held-out losses of every
size from one fit).

Each node's split is searched over every feature at once: the node's rows sorted by each feature are kept as
one ``(features, rows)`` array and split by filtering, never re-sorted (Shafer et al.'s SPRINT idea); the Gini
score of every cut point comes from running sums, without a one-hot matrix of the classes.

>>> import numpy as np
>>> x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
>>> tree = grow_tree(x, np.array([0, 0, 0, 1, 1, 1]), max_leaves=4, min_leaf=1, classes=2)
>>> tree.node_count, float(tree.threshold[0]), tree.apply(np.array([[0.5], [4.5]])).tolist()
(3, 2.5, [1, 2])
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable, Collection

import numpy as np

#: Two values closer than this are one value to a split (as in scikit-learn).
FEATURE_THRESHOLD = 1e-7


@dataclass
class Tree:
    """A fitted tree as arrays over its nodes (node 0 is the root), like scikit-learn's ``tree_``.

    ``value``: a node's class shares (``classes`` columns) or its mean (one column). ``expanded``: the nodes
    split, in the order they were split: the tree cut to its first ``k - 1`` of them has ``k`` leaves.
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    impurity: np.ndarray
    n_node_samples: np.ndarray
    expanded: list[int]

    @property
    def node_count(self) -> int:
        return len(self.children_left)

    def paths(self, x: np.ndarray) -> np.ndarray:
        """Each row's nodes from the root down, one row of the result per depth (a leaf repeats to the end)."""
        node = np.zeros(len(x), dtype=np.int64)
        out = [node]
        active = np.arange(len(x))  # the rows still at an inner node: only they move down (a leaf repeats)
        while True:
            at = node[active]
            inner = self.children_left[at] >= 0
            active, at = active[inner], at[inner]
            if len(active) == 0:
                return np.vstack(out)
            left = x[active, self.feature[at]] <= self.threshold[at]
            node = node.copy()
            node[active] = np.where(left, self.children_left[at], self.children_right[at])
            out.append(node)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The leaf each row of ``x`` falls in (:meth:`paths`' last row, without keeping the others)."""
        node = np.zeros(len(x), dtype=np.int64)
        active = np.arange(len(x))
        while True:
            at = node[active]
            inner = self.children_left[at] >= 0
            active, at = active[inner], at[inner]
            if len(active) == 0:
                return node
            left = x[active, self.feature[at]] <= self.threshold[at]
            node[active] = np.where(left, self.children_left[at], self.children_right[at])


def grow_tree(x: np.ndarray, y: np.ndarray, max_leaves: int, min_leaf: int, classes: int | None,
              keep_growing: Callable[[Tree], bool] | None = None, checkpoints: Collection[int] = ()) -> Tree:
    """Grow a tree on ``x`` (rows x features, floats) for ``y``: class codes ``0 .. classes - 1`` (Gini), or
    numbers when ``classes`` is None (squared error). At most ``max_leaves`` leaves of ``min_leaf`` rows or more.

    ``keep_growing``: asked with the tree as it stands whenever its leaf count reaches one of ``checkpoints``;
    growth ends when it says no (a caller's held-out score: the leaves not grown are never paid for).

    >>> x = np.arange(8.0)[:, None]
    >>> sizes = []
    >>> tree = grow_tree(x, np.arange(8) // 2, 8, 1, 4, lambda t: sizes.append(len(t.expanded) + 1) or False, (2, 4))
    >>> sizes, len(tree.expanded) + 1
    ([2], 2)
    """
    n, n_features = x.shape
    y_num = y.astype(np.float64)
    ycls = y.astype(np.int64) if classes is not None else None
    nodes: dict[str, list] = {k: [] for k in ("left", "right", "feature", "threshold", "value", "impurity", "n")}

    def add(rows_sorted: np.ndarray) -> int:
        rows = rows_sorted[0]
        size = len(rows)
        if ycls is not None:
            counts = np.bincount(ycls[rows], minlength=classes).astype(np.float64)
            value, impurity = counts / size, 1.0 - float((counts ** 2).sum()) / size ** 2
        else:
            v = y_num[rows]
            # (sum / size: what ndarray.mean computes, the same float, without its Python-level wrapper)
            mean = float(v.sum()) / size
            value, impurity = np.array([mean]), max(0.0, float((v * v).sum()) / size - mean * mean)
        for key, item in (("left", -1), ("right", -1), ("feature", -2), ("threshold", -2.0), ("value", value),
                          ("impurity", impurity), ("n", size)):
            nodes[key].append(item)
        return len(nodes["n"]) - 1

    order = np.argsort(x, axis=0, kind="stable").T.copy()  # (features, rows): the rows sorted by each feature
    xt = np.ascontiguousarray(x.T)
    # Small class codes sort by radix (numpy's stable sort of 8- and 16-bit integers), which the Gini search uses.
    if ycls is not None:
        ycls = ycls.astype(np.int8 if classes is not None and classes <= 127 else np.int16 if classes is not None
                           and classes <= 32767 else np.int64)
    open_nodes: list[tuple[float, int, int, float, np.ndarray, np.ndarray]] = []

    def consider(node: int, rows_sorted: np.ndarray, xs: np.ndarray) -> None:
        found = _best_split(xs, rows_sorted, y_num, ycls, min_leaf, nodes["impurity"][node])
        if found is not None:
            improvement, f, threshold = found
            heapq.heappush(open_nodes, (-improvement, node, f, threshold, rows_sorted, xs))

    root = add(order)
    consider(root, order, np.take_along_axis(xt, order, axis=1))
    expanded: list[int] = []
    goes_left = np.zeros(n, dtype=bool)
    while open_nodes and len(expanded) + 1 < max_leaves:
        _, node, f, threshold, rows_sorted, xs = heapq.heappop(open_nodes)
        rows = rows_sorted[f]
        size_left = int(np.searchsorted(xs[f], threshold, side="right"))  # feature f's rows are sorted by it
        goes_left[rows[:size_left]] = True
        in_left = goes_left[rows_sorted]
        goes_left[rows[:size_left]] = False
        size_right = len(rows) - size_left
        # Filtering keeps each feature's order: the children's rows come sorted without a sort.
        left_sorted, left_xs = (a[in_left].reshape(n_features, size_left) for a in (rows_sorted, xs))
        right_sorted, right_xs = (a[~in_left].reshape(n_features, size_right) for a in (rows_sorted, xs))
        left, right = add(left_sorted), add(right_sorted)
        nodes["left"][node], nodes["right"][node] = left, right
        nodes["feature"][node], nodes["threshold"][node] = f, threshold
        expanded.append(node)
        consider(left, left_sorted, left_xs)
        consider(right, right_sorted, right_xs)
        if keep_growing is not None and len(expanded) + 1 in checkpoints and not keep_growing(_tree(nodes, expanded)):
            break
    return _tree(nodes, expanded)


def _tree(nodes: dict[str, list], expanded: list[int]) -> Tree:
    """The tree as the node lists hold it now (copied: growth may go on)."""
    return Tree(np.array(nodes["left"], dtype=np.int64), np.array(nodes["right"], dtype=np.int64),
                np.array(nodes["feature"], dtype=np.int64), np.array(nodes["threshold"], dtype=np.float64),
                np.vstack(nodes["value"]), np.array(nodes["impurity"]), np.array(nodes["n"], dtype=np.int64),
                list(expanded))


def _best_split(xs: np.ndarray, rows_sorted: np.ndarray, y: np.ndarray, ycls: np.ndarray | None, min_leaf: int,
                impurity: float) -> tuple[float, int, float] | None:
    """The best cut of a node over every feature: (impurity decrease times the node's rows, feature, threshold).
    ``rows_sorted``: the node's rows sorted by each feature (one line per feature); ``xs``: their values.

    Only the cut points (a value and the next one apart, leaving ``min_leaf`` rows on both sides: a few percent
    of the positions, as features repeat values) are scored; the running sums they need are taken over every
    position, as before, so each score is the same number to the bit.
    """
    n_features, size = rows_sorted.shape
    if size < 2 * min_leaf or impurity <= 1e-12:
        return None
    valid = np.zeros((n_features, size), dtype=bool)
    inner = valid[:, min_leaf - 1:size - min_leaf]
    np.greater(xs[:, min_leaf:size - min_leaf + 1], xs[:, min_leaf - 1:size - min_leaf] + FEATURE_THRESHOLD, out=inner)
    cuts = np.flatnonzero(valid)  # in (feature, position) order: the first best below is the first in that order
    if len(cuts) == 0:
        return None
    at_position = cuts % size
    n_left = (at_position + 1).astype(np.float64)  # rows left of a cut after position i: i + 1
    n_right = size - n_left
    if ycls is None:
        sum_left = np.cumsum(y[rows_sorted], axis=1)
        total = sum_left[:, -1]
        left = sum_left.ravel()[cuts]
        with np.errstate(divide="ignore", invalid="ignore"):
            proxy = left ** 2 / n_left + (total[cuts // size] - left) ** 2 / n_right
        parent = total[0] ** 2 / size
    else:
        cls = ycls[rows_sorted]
        counts = np.bincount(cls[0]).astype(np.int64)
        # sum over classes of (left count)^2, run along the sorted rows: a row of class c adds 2 * (rows of
        # class c before it) + 1; and sum of (right count)^2 = sum T_c^2 - 2 sum T_c L_c + sum L_c^2.
        by_class = np.argsort(cls, axis=1, kind="stable")
        grouped = np.take_along_axis(cls, by_class, axis=1)
        starts = np.searchsorted(grouped[0], grouped[0])  # every feature's rows hold the same classes
        before = np.empty(cls.shape, dtype=np.int64)
        np.put_along_axis(before, by_class, np.arange(size)[None, :] - starts[None, :], axis=1)
        before *= 2
        before += 1
        sq_left = np.cumsum(before, axis=1).ravel()[cuts].astype(np.float64)
        cross = np.cumsum(counts[cls], axis=1).ravel()[cuts].astype(np.float64)
        sq_total = float((counts.astype(np.float64) ** 2).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            proxy = sq_left / n_left + (sq_total - 2 * cross + sq_left) / n_right
        parent = sq_total / size
    best = int(np.argmax(proxy))  # the first best: lower features, then smaller cuts, win ties
    f, i = divmod(int(cuts[best]), size)
    # Both criteria: impurity decrease * rows = proxy - parent term (Gini: sum c^2/n; squared error: sum^2/n).
    improvement = float(proxy[best] - parent)
    if improvement <= 1e-12 * max(1.0, abs(parent)):
        return None
    lo, hi = float(xs[f, i]), float(xs[f, i + 1])
    threshold = lo / 2.0 + hi / 2.0
    if threshold == hi or not np.isfinite(threshold):
        threshold = lo
    return improvement, f, threshold
