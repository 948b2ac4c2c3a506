"""Children without a parent (an empty key) and parents without children (issue 14): generated in the real shares.

Known answers: a schema stating 20% empty keys and 10% orphans gives those shares while the written parents keep
their counts; ``synth fit`` learns both shares (and the share of childless parents) from built tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synth.multitable as mt
from synth.cli import app
from synth.fit import FitConfig
from synth.fit.related import DatabaseFitter

SCHEMA = """
seed: 1
tables:
  planes:
    rows: 3000
    columns:
      - {name: tailnum, kind: sequence}
      - {name: n, kind: integer, distribution: poisson, lam: 5, hidden: true}
      - {name: flights, kind: aggregate, expr: count(flights)}
  flights:
    columns:
      - {name: id, kind: sequence}
      - {name: tailnum, kind: reference, table: planes, count: n, orphans: 0.1, empty: 0.2}
"""


def test_empty_keys_and_orphans_come_in_their_shares_and_parents_keep_their_counts():
    made = mt.generate_tables(mt.Database.from_yaml_text(SCHEMA), seed=0)
    flights, planes = made["flights"], made["planes"]
    assert len(planes) == 3000
    assert abs(flights.tailnum.isna().mean() - 0.2) < 0.01
    assert abs((~flights.tailnum.dropna().isin(planes.tailnum)).mean() - 0.1) < 0.01
    assert abs(planes.flights.mean() - 5) < 0.15  # the written parents' children are theirs alone
    resolved = flights.tailnum.dropna()
    assert resolved[resolved.isin(planes.tailnum)].value_counts().sum() == planes.flights.sum()


@pytest.mark.parametrize("entry, message", [
    ("{name: p, kind: reference, table: planes, empty: 0.1}", "empty: is for a parent reference"),
    ("{name: tailnum, kind: reference, table: planes, count: n, nulls: 0.1}", "'empty' gives a share of rows"),
])
def test_cli_empty_keys_where_they_cannot_be_is_bad_input(tmp_path, entry, message):
    path = tmp_path / "s.yaml"
    path.write_text(SCHEMA.replace("{name: tailnum, kind: reference, table: planes, count: n, orphans: 0.1, empty: 0.2}", entry))
    result = CliRunner().invoke(app, ["generate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def fleet(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    planes = pd.DataFrame({"plane_id": np.arange(1, 801), "seats": rng.integers(50, 300, 800)})
    per = np.where(rng.random(800) < 0.3, 0, rng.poisson(6, 800))  # 30% of planes never fly (and some by chance)
    owner = np.repeat(planes.plane_id.to_numpy(), per).astype(float)
    n = len(owner)
    owner[rng.random(n) < 0.12] = np.nan  # 12% of flights have no plane
    flights = pd.DataFrame({"flight_id": np.arange(1, n + 1), "plane_id": owner, "minutes": rng.integers(30, 400, n)})
    return {"planes": planes, "flights": flights}


@pytest.fixture(scope="module")
def learned():
    real = fleet()
    fitted = DatabaseFitter(FitConfig(min_count=5, seed=1)).fit(real, name="fleet")
    return real, fitted, mt.generate_tables(fitted.database_, seed=2)


def test_fit_learns_the_share_of_empty_keys_and_generates_it(learned):
    real, fitted, made = learned
    ref = next(e for e in fitted.spec_["tables"]["flights"]["columns"] if e.get("name") == "plane_id")
    assert ref["count"] and ref["empty"] == pytest.approx(real["flights"].plane_id.isna().mean(), abs=1e-4)
    assert abs(made["flights"].plane_id.isna().mean() - real["flights"].plane_id.isna().mean()) < 0.02


def test_parents_without_children_keep_their_real_share(learned):
    real, _, made = learned
    share = lambda t: (~t["planes"].plane_id.isin(t["flights"].plane_id)).mean()  # noqa: E731
    assert abs(share(made) - share(real)) < 0.04
    assert abs(len(made["flights"]) / len(real["flights"]) - 1) < 0.08


def test_kept_tail_numbers_with_orphans_and_empty_keys_keep_every_share():
    # Planes whose tail numbers flights use as a category are kept; orphan flights (planes missing from the table)
    # and flights without a plane must still come in their real shares, and the twin as many flights as the real.
    rng = np.random.default_rng(3)
    tails = np.array([f"N{i:04d}X" for i in range(150)])
    planes = pd.DataFrame({"tailnum": tails, "seats": rng.integers(50, 300, 150)})
    per = np.where(rng.random(150) < 0.3, rng.integers(1, 4, 150), rng.poisson(20, 150))  # 30% fly rarely: not kept
    owner = np.repeat(tails, per).astype(object)
    n = len(owner)
    missing = np.array([f"N{i:04d}Z" for i in range(60)])
    orphan = rng.random(n) < 0.15
    owner[orphan] = missing[rng.integers(0, 60, int(orphan.sum()))]
    owner[(rng.random(n) < 0.05) & ~orphan] = None
    flights = pd.DataFrame({"flight_id": np.arange(1, n + 1), "tailnum": owner, "minutes": rng.integers(30, 400, n)})
    real = {"planes": planes, "flights": flights}
    fitted = DatabaseFitter(FitConfig(min_count=5, seed=1, trees=False)).fit(real, name="fleet")  # shares, not trees: fast
    key = next(e for e in fitted.spec_["tables"]["planes"]["columns"] if e.get("name") == "tailnum")
    assert key["kind"] == "listed"
    made = mt.generate_tables(fitted.database_, seed=2)
    share = lambda t: (t["flights"].tailnum.isna().mean(),  # noqa: E731
                       (~t["flights"].tailnum.dropna().isin(t["planes"].tailnum)).mean())
    (real_empty, real_orphans), (made_empty, made_orphans) = share(real), share(made)
    assert abs(made_empty - real_empty) < 0.015 and abs(made_orphans - real_orphans) < 0.03
    assert abs(len(made["flights"]) / len(real["flights"]) - 1) < 0.08
