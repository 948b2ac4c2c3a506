"""Columns conditioned on the columns they depend on, through small decision trees.

A price fixed by a pizza *and* its size, a wage that rises with education and experience in steps, the
occupations that men and women hold: one Gaussian copula cannot say these, a tree can. Columns are put in an
order (categories with few values first, then the rest as in the table); each number, category or flag is
fitted with a decision tree on the columns before it, and every leaf of the tree becomes one case of a
``conditional`` column: the rows the leaf holds (``when: {pizza: [...], size: L}``) and the shape of the
value there (learned as any column's shape is). So a lookup on a combination of columns (91 pizza-size pairs,
one price each) comes out as 91 cases of one value each, and a dependence between numbers as a piecewise one.

How big a tree is comes from held-out rows: one tree is grown best first on three quarters of the rows and
scored on the rest at 2, 4, 8, ... leaves. Every leaf is a case to learn, write, validate and draw from, so a
leaf must pay for itself: growth stops at the first doubling whose held-out gain is less than ``LEAF_COST``
(a share of the plain shape's loss) per new leaf past the first ``FREE_LEAVES``, the size kept is the one with the least loss plus that cost
per leaf (grown again on every row), and none is kept when it does not beat the column's plain shape. Privacy: every leaf holds at least ``max(3 * min_count, 30)`` rows, and
its shape is learned with the same guards as a whole column's (values and categories seen in fewer than
``min_count`` rows left out, ranges cut at the tails).

What is left within each leaf still correlates with the other columns through the copula (the column's
score within its leaf stands for it there, taken as it is: see :mod:`.copula`). A number ranked closely with an earlier number (``COPULA_RANK``:
price with carat) is not split on it, which would cut a smooth dependence into steps; it takes that number's
cases instead of its own when they explain more of it, so the copula ties the two ranks within the same rows.

>>> import numpy as np, pandas as pd
>>> from synth.fit import FitConfig, learn_column
>>> rng = np.random.default_rng(0)
>>> size = rng.choice(["S", "M", "L"], 3000)
>>> real = pd.DataFrame({"size": size, "price": np.select([size == "S", size == "M"], [2.5, 3.0], 3.5)})
>>> cfg = FitConfig()
>>> learned = {c: learn_column(c, real[c], cfg) for c in real}
>>> found = condition_on_trees(learned, skip=set(), cfg=cfg)
>>> [case["when"] for case in found.entries["price"]["cases"]]
[{'size': 'S'}, {'size': 'M'}, {'size': 'L'}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TYPE_CHECKING

import numpy as np

from ..inference import NUMBER_KINDS
from .arrays import average_ranks, int_codes
from .cart import Tree, grow_tree
from .columns import Learned, learn_boolean, learn_numeric, plain_number
from .structure import value_positions, within_groups

if TYPE_CHECKING:
    from .config import FitConfig

#: Rows the tree search looks at (its leaves' shapes are learned from every row).
SEARCH_ROWS = 20_000
#: Earlier columns a tree may split on: the ones that tell most about the column.
MAX_FEATURES = 8
#: Leaf counts tried, doubling; the search stops where leaves would fall below their floor.
LEAF_COUNTS = (2, 4, 8, 16, 32, 64, 128, 256, 512)
#: Numbers this closely ranked with an earlier number are left to the copula: it keeps a monotone dependence
#: whole, where a tree's cases would cut it into steps and lose how the two move together inside each. Such
#: a number takes the earlier number's cases when they explain more of it than its own (see ``_explained``).
COPULA_RANK = 0.9
#: Rows that say whether a number closely ranked with an earlier one takes that number's cases or its own.
EXPLAINED_ROWS = 5_000
#: A tree must cut the held-out loss by this share of the plain shape's loss to be kept.
MIN_GAIN = 0.02
#: What a leaf costs, as a share of the plain shape's held-out loss: a tree's size is the one with the least
#: held-out loss plus this cost per leaf, so a leaf pays for itself or is not grown. Every leaf is a case to
#: learn, write, validate and draw; leaves that buy less than this fit noise more than they keep dependence.
LEAF_COST = 0.0001
#: Leaves that cost nothing: a tree's first leaves are cheap next to the column itself, and a column of a few
#: dozen cases (an altitude by longitude band) loses what a downstream model reads if they are pruned.
FREE_LEAVES = 64
#: A category column with more values is split on its most common ones (the rest as one "other" class);
#: its cases still list every value seen in at least ``min_count`` of their rows.
TREE_CLASSES = 64
#: Cases of a column with at most this many listed values (codes, small counts, categories) take the values
#: rare in their case from a pool counted over all cases, spread over every value it holds.
POOLED_VALUES = 20
#: Cases of a category with more values (dog and cat breeds) take from the pool only the values that get
#: at least this many rows' weight: the breeds rare in each case but common over all still appear, and a
#: case does not list hundreds of values at a hundredth of a row each.
POOLED_WEIGHT = 1.0


@dataclass
class Conditioned:
    """What the trees found: the ``conditional`` entries, and each conditioned column's leaf per row."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    leaves: dict[str, np.ndarray] = field(default_factory=dict)
    #: The category columns each conditioned column's cases split on: its rank within a case is even
    #: across their values by construction, so a rank correlation with them would be an artifact of ties.
    split_on: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class _Feature:
    """A column as a tree sees it: one number per row, and how to say a range of those numbers in a schema."""

    name: str
    x: np.ndarray  # numbers (nulls below every value) or category positions in the target's order
    labels: list[Any] | None = None  # categories (position -> value, None = empty), or None for numbers
    has_nulls: bool = False

    def condition(self, lo: float, hi: float) -> Any:
        """The schema's ``when`` for rows whose ``x`` lies in [lo, hi)."""
        if self.labels is not None:
            chosen = [v for i, v in enumerate(self.labels) if lo <= i < hi]
            return chosen[0] if len(chosen) == 1 and chosen[0] is not None else chosen
        out: dict[str, Any] = {}
        if math.isfinite(lo):
            out["min"] = lo
        if math.isfinite(hi):
            out["below"] = hi
        if self.has_nulls and not math.isfinite(lo):
            out["nulls"] = True
        return out


def tree_order(learned: dict[str, Learned], names: list[str], given: frozenset[str] = frozenset(),
               first: frozenset[str] = frozenset()) -> list[str]:
    """Categories and flags by how few values they have, then numbers, each group in table order; ``given``
    columns (known before the others: a parent's, in a child table) first of all, then the ``first`` ones."""
    def rank(c: str) -> tuple[int, int]:
        if c in given:
            return (-2, 0)
        if c in first:
            return (-1, 0)
        spec = learned[c].spec
        if spec.get("kind") == "boolean":
            return (0, 2)
        if spec.get("kind") == "choice":
            return (0, len(spec["values"]))
        return (1, 0)
    return sorted(names, key=rank)


def condition_on_trees(learned: dict[str, Learned], skip: set[str], cfg: FitConfig,
                       keys: set[str] = frozenset(), given: frozenset[str] = frozenset(),
                       first: frozenset[str] = frozenset()) -> Conditioned:  # type: ignore[assignment]
    """Fit each eligible column on the columns before it; return the columns a tree improves.

    ``skip``: columns made by rules (lookups, formulas), neither conditioned nor split on. ``keys``: lookup
    keys; one held as numbers is split on but not conditioned (a case's shape would make numbers between
    its codes, which look nothing up). ``given``: columns split on first and never conditioned themselves.
    ``first``: columns next in order (lookup keys that pool rare values as ``other``: the columns that go with
    the pooled rows, a piston engine with the rare small planes, are told apart by it only when split on it).
    """
    names = [c for c, l in learned.items() if c not in skip and l.codes is not None and _eligible(l)]
    order = tree_order(learned, names, frozenset(given), frozenset(first))
    out = Conditioned()
    if len(order) < 2:
        return out
    n = len(learned[order[0]].codes)  # type: ignore[arg-type]
    floor = max(3 * cfg.min_count, 30)
    if n < 4 * floor:
        return out
    rng = np.random.default_rng(cfg.seed)
    search = np.sort(rng.choice(n, SEARCH_ROWS, replace=False)) if n > SEARCH_ROWS else np.arange(n)
    held_out = rng.random(len(search)) < 0.25
    summaries = {c: _summary(learned[c], search) for c in order}
    grown: dict[str, tuple[Tree, list[_Feature], np.ndarray]] = {}
    for t, target in enumerate(order):
        l = learned[target]
        # A lookup key held as number codes (occupation 4130) is a category in all but its spelling: conditioned
        # as one (its cases list the codes they hold), never by a smooth shape (numbers between codes look
        # nothing up). A key with no list of codes is left to the copula.
        nominal = target in keys and l.spec.get("kind") != "choice"
        if (nominal and l.spec.get("distribution") != "weighted") or target in given:
            continue
        earlier = [c for c in order[:t]]
        if not earlier:
            continue
        positions = _code_positions(l) if nominal else None
        y = (positions if positions is not None else l.codes)[search]  # type: ignore[index]
        present = ~np.isnan(y)
        if present.sum() < 4 * floor:
            continue
        categorical = nominal or l.spec.get("kind") in ("choice", "boolean")
        partner, split_on = None, None
        if not categorical:
            # given columns (a parent's, a drawn row's) are not in the child's copula: a tree is all that can carry them
            partners = {c: r for c in earlier if c not in given and (r := _rank_with(learned[c], l, search)) >= COPULA_RANK}
            earlier = [c for c in earlier if c not in partners]
            partner = max(partners, key=lambda c: (partners[c], -order.index(c))) if partners else None
        telling = {**summaries, target: int_codes(y)} if nominal else summaries
        own = _own_tree(target, l, earlier, learned, telling, search, y, present, held_out, floor, categorical)
        if partner is not None:
            # A number ranked with an earlier one (price with carat) is never split on it: the copula ties their
            # ranks, within each one's cases. Cases of its own cut the rows unlike the partner's, and two ranks
            # within different groups agree less than in the real rows (diamonds: price's cases by table and
            # depth, carat's by clarity and color: Spearman's rho of price and carat 0.963 real, 0.905 in the
            # twin). So it takes whichever says more of it: its own cases, or the partner's (none if the
            # partner has none), each with the copula's share of what is left within them.
            rows = search[::max(1, len(search) // EXPLAINED_ROWS)]  # the two scores differ by far more than their noise
            tied = within_groups(learned[partner].codes[rows], _at(out.leaves.get(partner), rows))  # type: ignore[index]
            follow = grown.get(partner)
            theirs, mine = (_explained(l.codes[rows], _at(t[2] if t else None, rows), tied) for t in (follow, own))  # type: ignore[index]
            if theirs > mine:
                own, split_on = follow, out.split_on.get(partner, set())
                if own is None:
                    continue
        if own is None:
            continue
        tree, features, leaf_of = own
        entry, leaves = _entry(target, l, tree, features, leaf_of, cfg, floor, nominal)
        if entry is not None:
            out.entries[target] = entry
            out.leaves[target] = leaves
            out.split_on[target] = set(split_on) if split_on is not None else {f.name for f in features if f.labels is not None}
            grown[target] = own
    return out


def _own_tree(target: str, l: Learned, earlier: list[str], learned: dict[str, Learned],
              summaries: dict[str, np.ndarray], search: np.ndarray, y: np.ndarray, present: np.ndarray,
              held_out: np.ndarray, floor: int, categorical: bool) -> tuple[Tree, list[_Feature], np.ndarray] | None:
    """The column's own tree on the ``earlier`` columns that tell most about it, its features and each row's
    leaf; None if no tree pays. ``categorical``: ``y`` holds classes (categories, flags, a key's codes)."""
    chosen = _most_telling(summaries, target, earlier)
    if not chosen:
        return None
    features = [_feature(c, learned[c], search, y, categorical) for c in chosen]
    x = np.column_stack([f.x for f in features])
    tree = _grow(x[search], y, present, held_out, categorical, floor)
    if tree is None:
        return None
    return tree, features, tree.apply(x)


def _at(leaves: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """Each of ``rows``' case (None: the column has no cases)."""
    return None if leaves is None else leaves[rows]


def _explained(codes: np.ndarray, leaves: np.ndarray | None, tied: np.ndarray) -> float:
    """The share of a number's rank variance its cases (``leaves``; None: no cases) and then the copula with
    ``tied`` (the partner's rank within its own cases) explain: between-case share, plus the squared rank
    correlation within cases times what is left.

    >>> x = np.arange(200.0)
    >>> round(_explained(x, None, x / 200), 3), round(_explained(x, None, np.cos(x)), 3) < 0.05
    (1.0, True)
    """
    ok = ~np.isnan(codes) & ~np.isnan(tied)
    if ok.sum() < 30:
        return 0.0
    r = average_ranks(codes[ok], pct=True)
    between = 0.0
    if leaves is not None:
        g = leaves[ok].astype(np.int64) + 1
        size = np.bincount(g)
        means = np.bincount(g, weights=r) / np.maximum(size, 1)
        total = float(r.var())
        between = float(((means[g] - r.mean()) ** 2).mean()) / total if total > 0 else 0.0
    within = within_groups(codes[ok], leaves[ok] if leaves is not None else None)
    rho = np.corrcoef(average_ranks(within), average_ranks(tied[ok]))[0, 1]
    return between + (1.0 - between) * (float(rho) ** 2 if np.isfinite(rho) else 0.0)


def _code_positions(l: Learned) -> np.ndarray | None:
    """Each row's position among a weighted number column's listed values (NaN where empty or not listed)."""
    positions = value_positions(l)
    return None if positions is None else np.where(positions >= 0, positions, np.nan).astype(float)


def _eligible(l: Learned) -> bool:
    kind = l.spec.get("kind")
    if kind in ("choice", "boolean"):
        return True
    return l.kind in NUMBER_KINDS and kind in ("integer", "float")


def _rank_with(a: Learned, b: Learned, rows: np.ndarray) -> float:
    """How closely two number columns are ranked alike (or opposite): |Spearman's rho|, 0 for a category."""
    if a.spec.get("kind") in ("choice", "boolean"):
        return 0.0
    x, y = a.codes[rows], b.codes[rows]  # type: ignore[index]
    ok = ~np.isnan(x) & ~np.isnan(y)
    if ok.sum() < 30:
        return 0.0
    r = np.corrcoef(average_ranks(x[ok]), average_ranks(y[ok]))[0, 1]
    return float(abs(r)) if np.isfinite(r) else 0.0


def _summary(l: Learned, rows: Any) -> np.ndarray:
    """The column as small integer codes (numbers in 16 quantile bins), -1 where empty: for telling scores."""
    codes = l.codes[rows]  # type: ignore[index]
    if l.spec.get("kind") in ("choice", "boolean"):
        return int_codes(codes)
    ranks = average_ranks(codes, pct=True)
    return np.where(np.isnan(ranks), -1, np.minimum((np.nan_to_num(ranks) * 16).astype(np.int64), 15))


def _most_telling(summaries: dict[str, np.ndarray], target: str, earlier: list[str]) -> list[str]:
    """Up to ``MAX_FEATURES`` earlier columns by the information they carry about ``target`` (normalised MI)."""
    y = summaries[target]
    scored = []
    for c in earlier:
        score = _uncertainty_coefficient(summaries[c], y)
        if score > 0.005:
            scored.append((score, c))
    scored.sort(key=lambda p: -p[0])
    return [c for _, c in scored[:MAX_FEATURES]]


def _uncertainty_coefficient(x: np.ndarray, y: np.ndarray) -> float:
    """How much knowing ``x`` cuts the entropy of ``y`` (0: nothing, 1: all), bias-corrected (Miller-Madow)."""
    ok = (x >= 0) & (y >= 0)
    if ok.sum() < 30:
        return 0.0
    x, y = x[ok], y[ok]
    nx, ny = int(x.max()) + 1, int(y.max()) + 1
    joint = np.bincount(x * ny + y, minlength=nx * ny).reshape(nx, ny).astype(float)
    n = joint.sum()

    def entropy(counts: np.ndarray) -> float:
        p = counts[counts > 0] / n
        return float(-(p * np.log(p)).sum()) + (len(p) - 1) / (2 * n)

    hy = entropy(joint.sum(axis=0))
    if hy <= 0:
        return 0.0
    mi = hy + entropy(joint.sum(axis=1)) - entropy(joint.ravel())
    return max(0.0, mi / hy)


def _feature(name: str, l: Learned, search: np.ndarray, y: np.ndarray, categorical: bool) -> _Feature:
    """Column ``name`` as a tree feature, on every row. Categories are put in the order of what they say
    about ``y`` on the search rows (the mean rank of a number; the first principal axis of the class shares
    of a category), so that the best split of the categories into two sets is among the splits of that order
    (Breiman et al., 1984)."""
    codes = l.codes  # type: ignore[assignment]
    assert codes is not None
    if l.spec.get("kind") not in ("choice", "boolean"):
        filled = ~np.isnan(codes)
        low = (float(np.min(codes[filled])) - 1.0) if filled.any() else 0.0  # empty values: below every number
        return _Feature(name, np.where(filled, codes, low), None, bool((~filled).any()))
    values = list(l.spec["values"]) if l.spec.get("kind") == "choice" else [False, True]
    groups = np.where(np.isnan(codes), len(values), codes).astype(np.int64)  # empty: a group of its own
    k = len(values) + 1
    g, target = groups[search], y
    ok = ~np.isnan(target)
    if categorical:
        classes = int_codes(target[ok])
        nc = int(classes.max()) + 1 if len(classes) else 1
        shares = np.bincount(g[ok] * nc + classes, minlength=k * nc).reshape(k, nc).astype(float)
        weight = shares.sum(axis=1)
        shares = (shares + 0.5) / (weight[:, None] + 0.5 * nc)
        centred = shares - np.average(shares, axis=0, weights=np.maximum(weight, 1e-9))
        _, _, vt = np.linalg.svd(centred * np.sqrt(weight)[:, None], full_matrices=False)
        score = centred @ vt[0]
    else:
        r = average_ranks(target[ok], pct=True)
        weight = np.bincount(g[ok], minlength=k).astype(float)
        score = np.bincount(g[ok], weights=r, minlength=k) / np.maximum(weight, 1)
    seen = np.bincount(g, minlength=k) > 0
    # Categories the search rows missed go last, so every category has a place (and a case) all the same.
    order = list(np.argsort(np.where(seen, score, np.inf), kind="stable"))
    order = [int(i) for i in order if np.bincount(groups, minlength=k)[i] > 0]
    labels = [(values[i] if i < len(values) else None) for i in order]
    rank = np.full(k, float(len(order)))
    rank[order] = np.arange(len(order))
    return _Feature(name, rank[groups], labels)


def _grow(x: np.ndarray, y: np.ndarray, present: np.ndarray, held_out: np.ndarray, categorical: bool,
          floor: int) -> Tree | None:
    """The tree with the best held-out loss among 2, 4, 8, ... leaves (the smallest near the best), or None."""
    fit_rows, test_rows = present & ~held_out, present & held_out
    if test_rows.sum() < floor:
        return None
    target = _lumped(int_codes(y)) if categorical else average_ranks(y, pct=True)
    classes = int(target[present].max()) + 1 if categorical else None
    train_floor = max(2, int(floor * 0.75))
    if categorical:
        counts = np.bincount(target[fit_rows])
        shares = counts[target[test_rows]] / counts.sum() if counts.size else np.zeros(int(test_rows.sum()))
        plain = float(-np.log(0.98 * shares + 0.02 / max(len(counts), 1)).mean())
    else:
        plain = float(((target[test_rows] - target[fit_rows].mean()) ** 2).mean())
    most = max([k for k in LEAF_COUNTS if k * train_floor <= fit_rows.sum()], default=0)
    if plain <= 0 or most == 0:
        return None
    # One tree grown best first: the trees with fewer leaves are its first expansions, and their held-out
    # losses come from the same fit. It stops growing at the first doubling whose held-out gain does not pay
    # for its new leaves (LEAF_COST each).
    x_test, y_test = x[test_rows], target[test_rows]
    seen: list[tuple[int, float]] = [(1, plain)]

    def pays(tree: Tree) -> bool:
        k = len(tree.expanded) + 1
        loss = _loss(tree, tree.apply(x_test), y_test, categorical)  # the tree as grown so far: its own leaves
        before, previous = seen[-1]
        seen.append((k, loss))
        return previous - loss > LEAF_COST * plain * (max(k, FREE_LEAVES) - max(before, FREE_LEAVES))

    model = grow_tree(x[fit_rows], target[fit_rows], most, train_floor, classes, pays, LEAF_COUNTS)
    # The held-out losses at 2, 4, 8, ... leaves are those pays() took as the tree grew through each size (the
    # tree cut to k leaves is the tree as it stood at k: :func:`_prefix_losses` of the grown tree, to the bit);
    # only a last size that is not a checkpoint (no split left to make) is scored here.
    results = seen[1:]
    final = len(model.expanded) + 1
    if not results or results[-1][0] != final:
        results.append((final, _loss(model, model.apply(x_test), y_test, categorical)))
    best = min(score for _, score in results)
    if plain - best < MIN_GAIN * plain:
        return None
    exact = [k for k, score in results if score <= 0.0005 * plain]
    if exact:
        # A value fixed by the columns split on (a price by pizza and size): a lookup on the combination
        # needs every leaf it has, whatever they cost.
        return grow_tree(x[present], target[present], exact[0], floor, classes)
    # Each leaf is a case to learn, write, check and draw: the size chosen is the one whose loss plus its
    # leaves' cost is least.
    results = [(k, score + LEAF_COST * plain * max(0, k - FREE_LEAVES)) for k, score in results]
    best = min(score for _, score in results)
    # The smallest tree about as good as the best: near-exact rules (one price per pizza and size) need
    # every leaf they have, so "about" is measured against the plain loss, not against the gain.
    leaves = next(k for k, score in results if score <= best + 0.0005 * plain)
    return grow_tree(x[present], target[present], leaves, floor, classes)


def _prefix_losses(tree: Tree, x: np.ndarray, truth: np.ndarray, categorical: bool) -> list[tuple[int, float]]:
    """Held-out loss of the tree cut to its first 2, 4, 8, ... leaves (log loss or squared error)."""
    paths = tree.paths(x)  # (depth, rows): each row's nodes from the root down
    out: list[tuple[int, float]] = []
    expanded = tree.expanded
    open_ = np.ones(tree.node_count, bool)
    counts = [k for k in LEAF_COUNTS if k <= len(expanded)] + [len(expanded) + 1]
    columns = np.arange(len(x))
    for count in counts:
        open_[:] = True
        open_[expanded[:count - 1]] = False
        # Each row's leaf in the cut tree: the first node on its path that is not split (its leaf always is not).
        leaf = paths[np.argmax(open_[paths], axis=0), columns]
        out.append((count, _loss(tree, leaf, truth, categorical)))
    return out


def _loss(tree: Tree, leaf: np.ndarray, truth: np.ndarray, categorical: bool) -> float:
    """Held-out loss of rows whose leaf is ``leaf`` (log loss or squared error)."""
    if categorical:
        value = tree.value
        found = truth < value.shape[1]  # a class the fitted rows never had: no share of it anywhere
        got = np.where(found, value[leaf, np.minimum(truth, value.shape[1] - 1)], 0.0)
        # Shares within a leaf, shrunk a little towards even (a leaf never rules a value out entirely).
        return float(-np.log(0.98 * got + 0.02 / value.shape[1]).mean())
    return float(((tree.value[leaf, 0] - truth) ** 2).mean())


def _lumped(classes: np.ndarray) -> np.ndarray:
    """Class codes with all but the ``TREE_CLASSES - 1`` most common as one class (-1 stays -1)."""
    counts = np.bincount(classes[classes >= 0])
    if len(counts) <= TREE_CLASSES:
        return classes
    top = np.argsort(-counts, kind="stable")[:TREE_CLASSES - 1]
    remap = np.full(len(counts), TREE_CLASSES - 1)
    remap[top] = np.arange(TREE_CLASSES - 1)
    return np.where(classes >= 0, remap[np.maximum(classes, 0)], -1)


def _paths(tree: Tree, features: list[_Feature]) -> dict[int, dict[str, Any]]:
    """Each leaf's ``when``: per feature, the range of its numbers the leaf's rows have."""
    t = tree
    out: dict[int, dict[str, Any]] = {}
    stack: list[tuple[int, dict[int, tuple[float, float]]]] = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        if t.children_left[node] < 0:
            out[node] = {features[f].name: features[f].condition(lo, hi) for f, (lo, hi) in sorted(bounds.items())}
            continue
        f = int(t.feature[node])
        # The tree cuts half way between two values seen (x <= cut goes left), so x < cut says the same of them.
        cut = _short(float(t.threshold[node]))
        lo, hi = bounds.get(f, (-math.inf, math.inf))
        stack.append((int(t.children_right[node]), {**bounds, f: (cut, hi)}))
        stack.append((int(t.children_left[node]), {**bounds, f: (lo, cut)}))
    return out


def _entry(name: str, l: Learned, tree: Tree, features: list[_Feature], leaf_of: np.ndarray, cfg: FitConfig,
           floor: int, nominal: bool = False) -> tuple[dict[str, Any] | None, np.ndarray]:
    """The ``conditional`` entry: one case per leaf with its rows' shape; the column's shape as default.
    ``nominal``: the column's listed numbers are codes, so every case lists the codes it holds."""
    overall = {k: v for k, v in l.spec.items() if k not in ("name", "nulls", "description")}
    present = l.present if l.present is not None else ~np.isnan(l.codes)  # type: ignore[arg-type]
    paths = _paths(tree, features)
    nodes = list(paths)  # left to right, so cases read in the order of the values split on
    position = np.zeros(tree.node_count, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    leaf_ids = position[leaf_of]
    order = np.argsort(leaf_ids, kind="stable")
    bounds = np.searchsorted(leaf_ids[order], np.arange(len(paths) + 1))
    cases: list[dict[str, Any]] = []
    keys = list(overall.get("values", {})) if l.spec.get("kind") == "choice" else None
    n_values = int(np.count_nonzero(~np.isnan(l.codes)))  # type: ignore[arg-type]
    within = (float(overall["min"]), float(overall["max"])) if "min" in overall and "max" in overall else None
    # A column learned as a list of values: its cases choose among those values only (the rest were too rare).
    listed = (np.array([float(v) for v in overall["values"]]) if keys is None and overall.get("distribution") == "weighted"
              else None)
    if listed is not None and len(listed):
        within = (float(listed.min()), float(listed.max()))
    labels = keys if keys is not None else (list(overall["values"]) if listed is not None else None)
    case_rows = [order[bounds[i]:bounds[i + 1]] for i in range(len(nodes))]
    case_codes = []
    for rows in case_rows:
        codes = l.codes[rows[present[rows]]]  # type: ignore[index]
        case_codes.append(codes[~np.isnan(codes)])
    pooled = (_pooled_counts(case_codes, listed, len(labels), cfg.min_count)
              if labels is not None else None)
    tails = list(overall.pop("tails", [])) if listed is not None else []
    in_tail = _tail_rows(case_codes, listed, tails) if tails else None
    listed_cases: dict[int, int] = {}  # a listed case's position in ``cases`` -> its leaf, to give it tails below
    own_shape = np.zeros(len(nodes), bool)  # leaves with a shape of their own (the others draw the default's tails)
    for i, node in enumerate(nodes):
        rows = case_rows[i]
        if not paths[node] or len(rows) < floor:
            continue
        nulls = 1 - int(np.count_nonzero(present[rows])) / len(rows)
        codes = case_codes[i]
        if listed is not None:
            codes = codes[np.isin(codes, listed)]
        if len(codes) < cfg.min_count:
            case = dict(overall, **({"tails": tails} if tails else {}))
        elif pooled is not None and (keys is not None or nominal
                                     or _listed_case(pooled[0][i], len(labels), cfg.min_count)):  # type: ignore[arg-type]
            # Categories, or a column of listed values (codes, small counts: a smooth shape would make
            # values between the listed ones, which the column never has): the case's count of each
            # value seen in at least k of its rows, and its other rows spread by the pooled shares.
            counts, pool = pooled[0][i], pooled[1]
            kept_mass = np.where(counts >= cfg.min_count, counts, 0)
            if not kept_mass.any():
                continue
            # Over a few values (codes, small counts, a handful of categories) the pool spreads over all of
            # them; over many categories, only where it gives a value POOLED_WEIGHT rows or more: else every
            # case would list every value, and the schema would grow by cases times values.
            spread = (counts.sum() - kept_mass.sum()) * pool
            if len(labels) > POOLED_VALUES:  # type: ignore[arg-type]
                # Categories and a key's codes only: many listed numbers (ages, years) read as a smooth shape
                # past a few values.
                spread = np.where(spread >= POOLED_WEIGHT, spread, 0.0) if keys is not None or nominal else 0.0
            weights = kept_mass + spread
            case = dict(overall, values={labels[j]: _weight(weights[j]) for j in range(len(labels)) if weights[j] > 0})  # type: ignore[index]
            case.pop("description", None)
            listed_cases[len(cases)] = i
            own_shape[i] = True
        elif l.spec.get("kind") == "boolean":
            case = {k: v for k, v in learn_boolean(name, codes).spec.items() if k != "name"}
        else:
            own_shape[i] = True
            # A case's range ends where the column's does, cut by the same share of its rows (a case holds
            # at least 3k rows, so its extremes are a group's, not a person's).
            k = max(1, round(cfg.min_count * len(codes) / max(1, n_values)))
            spec = learn_numeric(name, codes, cfg, range_k=k, within=within).spec
            case = {k: v for k, v in spec.items() if k not in ("name", "nulls", "description")}
            if case.get("kind") == "integer" and overall.get("kind") == "float":
                # Whole numbers in a case of a column with fractions (every value 12 where educ is 12):
                # still the column's kind, rounded as whole numbers.
                case["kind"] = "float"
                if case.get("distribution") != "weighted":
                    case["round"] = 0
            if case.get("kind") != overall.get("kind"):
                case = dict(overall)
        if nulls > 0:
            case["nulls"] = round(nulls, 4)
        if case.get("kind") == overall.get("kind"):
            case.pop("kind")  # each case takes the default's kind: said once, not once per case
        cases.append({"when": paths[node], **case})
    if len(cases) < 2:
        return None, leaf_ids
    if in_tail is not None:
        sizes = np.array([len(c) - int(in_tail[:, i].sum()) for i, c in enumerate(case_codes)])
        pooled_tails = np.where(own_shape, in_tail, 0)  # the default's tails hold the other leaves' tail rows
        for position, case_tails in _case_tails(tails, pooled_tails, listed_cases, sizes, cfg.min_count).items():
            cases[position]["tails"] = case_tails
    default = dict(overall, **({"tails": tails} if tails else {}))
    if "nulls" in l.spec:
        default["nulls"] = l.spec["nulls"]
    on = ", ".join(f.name for f in features if any(f.name in c["when"] for c in cases))
    description = f"shape by {on}: {len(cases)} cases, each seen in at least {floor} rows"
    fixed = _fixed_share(l.codes, leaf_ids)  # type: ignore[arg-type]
    if fixed >= 0.95:
        description = f"fixed by {on} on {fixed:.1%} of rows (one value per case): {len(cases)} cases, each seen in at least {floor} rows"
    entry = {"name": name, "kind": "conditional", "description": description, "cases": cases, "default": default}
    return entry, leaf_ids


def _pooled_counts(case_codes: list[np.ndarray], listed: np.ndarray | None, width: int,
                   k: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Each case's count of every listed value (category positions, or the ``listed`` numbers), and the
    shares of the pool: the values rare within their case (fewer than ``k`` of its rows), summed over the
    cases, kept where the sum reaches ``k``.

    A case writes only the values it saw at least ``k`` times; its other rows take their values from the
    pool, which says nothing about any one case (a value enters it only when ``k`` rows across the cases
    hold it), so the column's shape keeps the values that are rare in every case (a year of schooling
    that few have, spread over many cases) instead of losing them to the common ones.

    >>> counts, pool = _pooled_counts([np.array([0.0] * 40 + [1.0] * 6), np.array([0.0] * 40 + [1.0] * 5)], None, 2, 10)
    >>> [c.tolist() for c in counts], pool.tolist()
    ([[40, 6], [40, 5]], [0.0, 1.0])
    """
    counts = []
    at = {float(v): j for j, v in enumerate(listed)} if listed is not None else {}
    for codes in case_codes:
        if listed is not None:
            uniq, n = np.unique(codes, return_counts=True)  # a case's few distinct values: a dict per value is cheap
            positions = np.array([at.get(float(v), -1) for v in uniq], dtype=np.int64)
            c = np.zeros(width, dtype=np.int64)
            np.add.at(c, positions[positions >= 0], n[positions >= 0])
        else:
            c = np.bincount(codes.astype(np.int64), minlength=width)[:width]
        counts.append(c)
    sized = [c for c in counts if c.sum() >= k]  # smaller cases take the column's whole shape
    rare = np.sum([np.where(c < k, c, 0) for c in sized], axis=0) if sized else np.zeros(width)
    rare = np.where(rare >= k, rare, 0).astype(float)
    pool = rare / rare.sum() if rare.sum() > 0 else rare
    return counts, pool


def _tail_rows(case_codes: list[np.ndarray], listed: np.ndarray, tails: list[dict[str, Any]]) -> np.ndarray:
    """Each tail's rows in each case (tails x cases): the values past the outermost listed one on its side."""
    lo, hi = float(listed.min()), float(listed.max())
    out = np.zeros((len(tails), len(case_codes)), dtype=np.int64)
    for t, tail in enumerate(tails):
        for i, codes in enumerate(case_codes):
            out[t, i] = np.count_nonzero(codes > hi) if tail["to"] > tail["beyond"] else np.count_nonzero(codes < lo)
    return out


def _case_tails(tails: list[dict[str, Any]], in_tail: np.ndarray, listed_cases: dict[int, int], sizes: np.ndarray,
                k: int) -> dict[int, list[dict[str, Any]]]:
    """The tails of the cases that list their values (``listed_cases``: position in the entry -> leaf), each
    as long as the column's: a case with at least ``k`` rows in a tail writes their count; the tail rows of
    every other case (``in_tail``: fewer than ``k`` each, or a case with a smooth shape) are pooled and, where the pool
    holds ``k`` rows or more, spread over those listed cases by their rows (``sizes``), as rare values are.

    >>> tail = [{"beyond": 70, "to": 88, "weight": 20}]
    >>> _case_tails(tail, np.array([[12, 3, 4, 5]]), {0: 0, 1: 1, 2: 2}, np.array([100, 300, 100, 50]), 10)
    {0: [{'beyond': 70, 'to': 88, 'weight': 12}], 1: [{'beyond': 70, 'to': 88, 'weight': 9}], 2: [{'beyond': 70, 'to': 88, 'weight': 3}]}
    """
    out: dict[int, list[dict[str, Any]]] = {}
    leaves = np.array(list(listed_cases.values()), dtype=np.int64)
    for t, tail in enumerate(tails):
        counts = in_tail[t]
        own = np.zeros(len(counts), bool)
        own[leaves] = counts[leaves] >= k
        pool = int(counts[~own].sum())
        takers = leaves[~own[leaves]]
        share = sizes[takers] / sizes[takers].sum() if pool >= k and len(takers) and sizes[takers].sum() > 0 else None
        for position, leaf in listed_cases.items():
            weight: float = int(counts[leaf]) if own[leaf] else 0.0
            if not own[leaf] and share is not None:
                weight = float(pool * share[np.flatnonzero(takers == leaf)[0]])
            if weight > 0:
                out.setdefault(position, []).append(dict(tail, weight=_weight(weight)))
    return out


def _listed_case(counts: np.ndarray, listed: int, k: int) -> bool:
    """Whether a case of a listed-values column lists its values too: always for a few values (codes, small
    counts), else when those seen in ``k`` of its rows hold 90% of them (many values, each rare in the case,
    read better as a smooth shape, as a whole column's would)."""
    return listed <= POOLED_VALUES or counts[counts >= k].sum() >= 0.9 * counts.sum()


def _weight(x: float) -> int | float:
    """A case's weight for a value: a count, or (with pooled rows) a count with one decimal."""
    return int(x) if float(x).is_integer() else round(float(x), 2)


def _fixed_share(codes: np.ndarray, leaf_ids: np.ndarray) -> float:
    """The share of rows (with a value) holding the most common value of their case: 1.0 for a lookup on
    the columns the cases split on (a price fixed by pizza and size).

    >>> _fixed_share(np.array([1.0, 1.0, 2.0, 3.0, 3.0, np.nan]), np.array([0, 0, 0, 1, 1, 1]))
    0.8
    """
    ok = ~np.isnan(codes)
    if not ok.any():
        return 0.0
    _, value = np.unique(codes[ok], return_inverse=True)
    pairs, counts = np.unique(leaf_ids[ok].astype(np.int64) * (int(value.max()) + 1) + value, return_counts=True)
    most = np.zeros(int(leaf_ids.max()) + 1, dtype=np.int64)
    np.maximum.at(most, pairs // (int(value.max()) + 1), counts)  # each case's count of its commonest value
    return float(most.sum() / ok.sum())


def _short(x: float) -> float:
    """A cut point in six significant digits (it lies half way between two values, so it need not be exact)."""
    return float(f"{x:.6g}")
