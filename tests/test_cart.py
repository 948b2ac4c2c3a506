"""synth.fit.cart grows the trees scikit-learn grows (best first, Gini / squared error, max leaves, min leaf).

scikit-learn is the reference here only (synth's fit does not import it): on the same data both must cut the
rows into the same leaves, with the same values, whether the features have ties or not.
"""

from __future__ import annotations

import numpy as np
import pytest

from synth.fit.cart import grow_tree


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("categorical", [False, True])
def test_leaves_and_values_match_scikit_learn(ties, categorical):
    tree_mod = pytest.importorskip("sklearn.tree")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2500, 4))
    if ties:
        x = np.round(x * 3)
    if categorical:
        y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5) + rng.integers(0, 2, len(x))
        reference = tree_mod.DecisionTreeClassifier(max_leaf_nodes=24, min_samples_leaf=15, random_state=0)
    else:
        y = np.floor(x[:, 0] * 2) + 0.3 * x[:, 1] + 0.1 * rng.normal(size=len(x))
        reference = tree_mod.DecisionTreeRegressor(max_leaf_nodes=24, min_samples_leaf=15, random_state=0)
    reference.fit(x, y)
    mine = grow_tree(x, y, max_leaves=24, min_leaf=15, classes=int(y.max()) + 1 if categorical else None)
    assert mine.node_count == reference.tree_.node_count
    assert _same_partition(mine.apply(x), reference.apply(x))
    if categorical:
        np.testing.assert_allclose(mine.value[mine.apply(x)], reference.predict_proba(x))
    else:
        np.testing.assert_allclose(mine.value[mine.apply(x), 0], reference.predict(x))


def test_leaves_respect_the_floor_and_the_count():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 3))
    y = (x[:, 0] * 3).round()
    tree = grow_tree(x, y, max_leaves=8, min_leaf=50, classes=None)
    leaves = np.bincount(tree.apply(x))
    assert (tree.children_left < 0).sum() == 8 and leaves[leaves > 0].min() >= 50
    assert len(tree.expanded) == 7 and tree.expanded[0] == 0


def test_a_pure_or_constant_node_is_not_split():
    x = np.arange(100.0)[:, None]
    assert grow_tree(x, np.zeros(100), max_leaves=8, min_leaf=5, classes=None).node_count == 1  # nothing to explain
    assert grow_tree(np.zeros((100, 1)), np.arange(100.0), max_leaves=8, min_leaf=5, classes=None).node_count == 1  # no cut
    two = grow_tree(x, (x[:, 0] >= 40).astype(int), max_leaves=8, min_leaf=5, classes=2)
    assert two.node_count == 3 and float(two.threshold[0]) == 39.5  # one exact cut, then both sides are pure


def test_paths_go_from_the_root_down_to_each_rows_leaf():
    # Rows stop moving at their leaf (it repeats to the last depth); every step is the child the threshold picks.
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=(800, 3)) * 2)
    y = np.where(x[:, 0] > 0, x[:, 1], -x[:, 2]) + 0.1 * rng.normal(size=800)
    tree = grow_tree(x, y, max_leaves=20, min_leaf=10, classes=None)
    paths = tree.paths(x)
    assert (paths[0] == 0).all() and (paths[-1] == tree.apply(x)).all() and (tree.children_left[paths[-1]] < 0).all()
    for above, below in zip(paths[:-1], paths[1:]):
        leaf = tree.children_left[above] < 0
        assert (below[leaf] == above[leaf]).all()
        inner = ~leaf
        goes_left = x[inner, tree.feature[above[inner]]] <= tree.threshold[above[inner]]
        expected = np.where(goes_left, tree.children_left[above[inner]], tree.children_right[above[inner]])
        assert (below[inner] == expected).all()
    assert len(paths) == 1 + max(int((tree.children_left[p] >= 0).sum()) for p in paths.T)  # as deep as the deepest row
