"""How big the decision trees of ``synth fit`` grow: a leaf must pay for itself on held-out rows.

Every leaf is a case of a ``conditional`` column, learned, written, validated and drawn from, so a tree stops
growing at the first doubling whose held-out gain does not cover its new leaves (``trees.LEAF_COST`` each past
the first ``trees.FREE_LEAVES``) and
keeps the size whose loss plus leaf cost is least. Known answers: a column with four steps gets four cases, and
the search does not grow leaves it will not keep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.fit import FitConfig, learn_column
from synth.fit import trees
from synth.fit.cart import grow_tree
from synth.fit.trees import condition_on_trees


def _conditioned(real: pd.DataFrame) -> dict:
    cfg = FitConfig()
    learned = {c: learn_column(c, real[c], cfg) for c in real}
    return condition_on_trees(learned, skip=set(), cfg=cfg).entries


@pytest.fixture(scope="module")
def steps() -> pd.DataFrame:
    """y in four steps of x (plus a little noise): a four-leaf tree says all there is."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 4, 8000)
    return pd.DataFrame({"x": np.round(x, 3), "y": np.round(np.floor(x) * 10 + rng.normal(0, 1, len(x)), 2)})


def test_four_steps_give_four_cases_and_the_search_stops_early(steps, monkeypatch):
    grown: list[int] = []
    real_grow = trees.grow_tree

    def recording(*args, **kwargs):
        tree = real_grow(*args, **kwargs)
        grown.append(len(tree.expanded) + 1)
        return tree

    monkeypatch.setattr(trees, "grow_tree", recording)
    monkeypatch.setattr(trees, "COPULA_RANK", 1.1)  # x and y rank alike: let the tree have them here
    entry = _conditioned(steps)["y"]
    assert len(entry["cases"]) == 4
    cuts = [case["when"]["x"].get("below") for case in entry["cases"]]
    assert cuts[-1] is None and cuts[:3] == pytest.approx([1.0, 2.0, 3.0], abs=0.02)
    # The search grew 4 leaves, then 8 (which did not pay), and stopped: not the 512 the rows would allow;
    # the tree kept has 4.
    assert grown == [8, 4]


def test_a_smooth_dependence_is_cut_into_fewer_cases_when_leaves_cost_more(monkeypatch):
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 6, 20_000)
    real = pd.DataFrame({"x": np.round(x, 4), "y": np.round(np.sin(x) + rng.normal(0, 0.3, len(x)), 3)})
    monkeypatch.setattr(trees, "COPULA_RANK", 1.1)
    monkeypatch.setattr(trees, "FREE_LEAVES", 0)  # every leaf costs: the search here stays under 64 leaves
    counts = []
    for cost in (0.0, trees.LEAF_COST, 0.01):
        monkeypatch.setattr(trees, "LEAF_COST", cost)
        counts.append(len(_conditioned(real)["y"]["cases"]))
    assert counts[0] >= counts[1] >= counts[2] >= 2
    assert counts[2] < counts[0]
