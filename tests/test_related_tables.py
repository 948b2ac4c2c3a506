"""Related tables (issue 14): keys that resolve, aggregates that add up, counts that follow their distribution,
the same bytes for any number of workers, and one clear line for a broken schema."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from synth.cli import app
from synth.errors import SynthError
from synth.multitable import Database, DatabasePlan, generate_tables, write_tables

ROOT = Path(__file__).resolve().parents[1]

SHOP = """
seed: 5
tables:
  customers:
    rows: 3000
    columns:
      - {name: customer_id, kind: sequence}
      - {name: signup, kind: date, start: 2021-01-01, end: 2022-06-30}
      - {name: loyal, kind: boolean, probability: 0.3}
      - name: n_orders
        kind: conditional
        on: loyal
        hidden: true
        cases:
          true: {kind: integer, distribution: poisson, lam: 6}
          false: {kind: integer, distribution: poisson, lam: 1}
      - {name: orders, kind: aggregate, expr: count(orders)}
      - {name: spent, kind: aggregate, expr: sum(orders.total), round: 2}
      - {name: last_order, kind: aggregate, expr: max(orders.date)}
  products:
    rows: 6
    columns:
      - {name: product_id, kind: sequence}
      - {name: price, kind: float, distribution: uniform, min: 1, max: 9, round: 2}
      - {name: popularity, kind: integer, distribution: weighted, values: {1: 1, 4: 1}}
  orders:
    columns:
      - {name: order_id, kind: sequence}
      - {name: customer_id, kind: reference, table: customers, count: n_orders}
      - {name: date, kind: expression, expr: customers.signup + days(wait)}
      - {name: wait, kind: integer, distribution: uniform, min: 0, max: 180, hidden: true}
      - {name: items, kind: aggregate, expr: count(order_items)}
      - {name: total, kind: aggregate, expr: sum(order_items.amount), round: 2}
  order_items:
    columns:
      - {name: item_id, kind: sequence}
      - {name: order_id, kind: reference, table: orders, count: {distribution: poisson, lam: 2}}
      - {name: product_id, kind: reference, table: products, weight: popularity}
      - {name: quantity, kind: integer, distribution: uniform, min: 1, max: 3}
      - {name: amount, kind: expression, expr: "round(products.price * quantity, 2)"}
"""


def shop(chunk_rows: int = 700, workers: int = 1, seed: int | None = None) -> dict[str, pd.DataFrame]:
    plan = DatabasePlan(Database.from_yaml_text(SHOP), seed=seed, chunk_rows=chunk_rows)
    return {t: table.to_pandas() for t, table in plan.tables(workers).items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return shop()  # 3,000 customers in 5 family chunks


def run(*args: str):
    return CliRunner().invoke(app, list(args))


# --- integrity and aggregates --------------------------------------------------------------------------------

def test_every_key_points_at_an_existing_row(tables):
    c, p, o, i = tables["customers"], tables["products"], tables["orders"], tables["order_items"]
    assert o.customer_id.isin(c.customer_id).all()
    assert i.order_id.isin(o.order_id).all()
    assert i.product_id.isin(p.product_id).all()
    for t, key in (("customers", "customer_id"), ("orders", "order_id"), ("order_items", "item_id")):
        ids = tables[t][key]  # running numbers across chunks: 1..N, once each
        assert ids.tolist() == list(range(1, len(ids) + 1)), t


def test_aggregates_are_exact_on_every_row(tables):
    c, o, i = tables["customers"], tables["orders"], tables["order_items"]
    per_order = i.groupby("order_id").agg(n=("amount", "size"), amount=("amount", "sum")).reindex(o.order_id)
    assert (per_order.n.fillna(0).to_numpy() == o["items"].to_numpy()).all()
    assert np.allclose(per_order.amount.fillna(0).round(2).to_numpy(), o.total.to_numpy(), atol=1e-9)
    per_customer = o.groupby("customer_id").agg(n=("total", "size"), total=("total", "sum"), last=("date", "max"))
    per_customer = per_customer.reindex(c.customer_id)
    assert (per_customer.n.fillna(0).to_numpy() == c.orders.to_numpy()).all()
    assert np.allclose(per_customer.total.fillna(0).round(2).to_numpy(), c.spent.to_numpy(), atol=1e-9)
    has = c.orders.to_numpy() > 0
    assert (pd.to_datetime(per_customer["last"]).to_numpy()[has] == pd.to_datetime(c.last_order).to_numpy()[has]).all()
    assert c.last_order[~has].isna().all()  # max of no orders is empty, not 0


def test_children_read_their_parent_and_their_lookup(tables):
    c, p, o, i = tables["customers"], tables["products"], tables["orders"], tables["order_items"]
    joined = o.merge(c, on="customer_id")
    wait = (pd.to_datetime(joined.date) - pd.to_datetime(joined.signup)).dt.days
    assert wait.between(0, 180).all()
    items = i.merge(p, on="product_id")
    assert np.allclose(items.amount, (items.price * items.quantity).round(2))


def test_returning_customers_order_more_and_some_never_order(tables):
    c = tables["customers"]
    means = c.groupby("loyal").orders.mean()
    assert 5.5 < means[True] < 6.5 and 0.8 < means[False] < 1.2
    assert (c.orders == 0).mean() > 0.2  # Poisson(1) leaves about 37% of the occasional customers without orders


def test_counts_follow_the_declared_distribution(tables):
    """Items per order are declared Poisson(2): a chi-square test accepts it and rejects Poisson(2.2)."""
    counts = tables["orders"]["items"].to_numpy()
    observed = np.bincount(np.minimum(counts, 7), minlength=8)

    def p_value(lam: float) -> float:
        expected = stats.poisson.pmf(np.arange(7), lam)
        expected = np.append(expected, 1 - expected.sum()) * len(counts)
        return stats.chisquare(observed, expected).pvalue

    assert p_value(2.0) > 0.01
    assert p_value(2.2) < 1e-6  # the test can fail: 10% more items per order is caught


def test_lookup_draws_follow_the_weight_column(tables):
    p, i = tables["products"], tables["order_items"]
    expected = p.set_index("product_id").popularity / p.popularity.sum()
    share = i.product_id.value_counts(normalize=True).reindex(expected.index).fillna(0)
    assert 0.5 * (share - expected).abs().sum() < 0.02


# --- determinism ---------------------------------------------------------------------------------------------

def test_same_tables_for_any_number_of_workers(tables):
    parallel = shop(workers=2)
    for t, frame in tables.items():
        pd.testing.assert_frame_equal(frame, parallel[t], obj=t)


def test_seed_changes_the_tables_and_files_repeat_byte_for_byte(tmp_path):
    def digest(folder: Path, seed: int) -> str:
        write_tables(Database.from_yaml_text(SHOP), folder, rows={"customers": 400}, seed=seed, format="parquet")
        return hashlib.sha256(b"".join((folder / f"{t}.parquet").read_bytes()
                                       for t in ("customers", "products", "orders", "order_items"))).hexdigest()

    assert digest(tmp_path / "a", 1) == digest(tmp_path / "b", 1) != digest(tmp_path / "c", 2)


# --- many-to-many and optional references --------------------------------------------------------------------

LINKS = """
tables:
  tracks:
    rows: 40
    columns: [{name: track_id, kind: uuid}, {name: seconds, kind: integer, min: 60, max: 400}]
  playlists:
    rows: 500
    columns:
      - {name: playlist_id, kind: sequence}
      - {name: tracks, kind: aggregate, expr: count(playlist_tracks)}
      - {name: length, kind: aggregate, expr: sum(playlist_tracks.seconds)}
  playlist_tracks:
    columns:
      - {name: playlist_id, kind: reference, table: playlists, count: {distribution: uniform, min: 0, max: 30}}
      - {name: track_id, kind: reference, table: tracks, distinct: true}
      - {name: seconds, kind: expression, expr: tracks.seconds}
  plays:
    rows: 5000
    columns:
      - {name: play_id, kind: sequence}
      - {name: track_id, kind: reference, table: tracks, nulls: 0.25}
      - {name: seconds, kind: expression, expr: tracks.seconds}
"""


def test_a_link_table_pairs_each_playlist_with_distinct_tracks():
    t = generate_tables(Database.from_yaml_text(LINKS), seed=4)
    links, playlists = t["playlist_tracks"], t["playlists"]
    assert not links.duplicated(["playlist_id", "track_id"]).any()
    assert links.track_id.isin(t["tracks"].track_id).all()
    assert (links.groupby("playlist_id").size().reindex(playlists.playlist_id).fillna(0).to_numpy() == playlists.tracks).all()
    assert links.groupby("playlist_id").size().max() == 30  # up to 30 of the 40 tracks, none twice


def test_an_optional_reference_leaves_a_share_of_keys_empty_and_their_columns_too():
    plays = generate_tables(Database.from_yaml_text(LINKS), seed=4)["plays"]
    assert plays.track_id.isna().mean() == pytest.approx(0.25, abs=0.01)
    assert (plays.seconds.isna() == plays.track_id.isna()).all()


# --- the command line ----------------------------------------------------------------------------------------

def test_generate_writes_one_file_per_table(tmp_path):
    out = tmp_path / "shop"
    result = run("generate", str(ROOT / "schemas" / "coffee_shop.yaml"), "--out", str(out), "--rows", "customers=300",
                 "--format", "parquet", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["customers.parquet", "order_items.parquet", "orders.parquet", "products.parquet"]
    customers, orders = pd.read_parquet(out / "customers.parquet"), pd.read_parquet(out / "orders.parquet")
    items = pd.read_parquet(out / "order_items.parquet")
    assert len(customers) == 300 and orders.customer_id.isin(customers.customer_id).all()
    total = items.groupby("order_id").amount.sum().astype(float).round(2).reindex(orders.order_id).fillna(0)
    assert np.allclose(total.to_numpy(), orders.total.astype(float).to_numpy())


def test_validate_describes_the_tables_and_their_references():
    result = run("validate", str(ROOT / "schemas" / "coffee_shop.yaml"))
    assert result.exit_code == 0
    assert "orders(customer_id) -> customers(customer_id)" in result.output.replace("\n", "")


def write_schema(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


TWO = """tables:
  customers:
    rows: 10
    columns:
      - {name: customer_id, kind: sequence}
      - {name: n, kind: integer, min: 0, max: 3}
  orders:
    columns:
      - {name: order_id, kind: sequence}
"""
BAD = {
    "unknown_table": (TWO + "      - {name: customer_id, kind: reference, table: custmers, count: n}\n",
                      r"bad\.yaml:10:\d+: table 'orders': reference 'customer_id' points at unknown table 'custmers' \(did you mean 'customers'\?\)"),
    "cycle": ("""tables:
  a:
    columns: [{name: id, kind: sequence}, {name: b_id, kind: reference, table: b, count: {distribution: poisson, lam: 1}}]
  b:
    columns: [{name: b_id, kind: sequence}, {name: id, kind: reference, table: a, count: {distribution: poisson, lam: 1}}]
""", r"bad\.yaml:\d+:\d+: the references between tables a, b form a cycle"),
    "aggregate_of_a_non_child": (TWO.replace("      - {name: n, kind: integer, min: 0, max: 3}\n",
                                             "      - {name: n, kind: integer, min: 0, max: 3}\n"
                                             "      - {name: t, kind: aggregate, expr: count(orders)}\n"),
                                 r"bad\.yaml:7:\d+: table 'customers': aggregate 't' summarises 'orders', which is not a child table"),
    "unknown_count_column": (TWO + "      - {name: customer_id, kind: reference, table: customers, count: nn}\n",
                             r"bad\.yaml:10:\d+: table 'orders': count 'nn' is not a column of 'customers' \(did you mean 'n'\?\)"),
    "rows_on_a_child": (TWO.replace("  orders:\n", "  orders:\n    rows: 5\n")
                        + "      - {name: customer_id, kind: reference, table: customers, count: n}\n",
                        r"bad\.yaml:8:\d+: table 'orders': its rows follow from 'count'"),
    "key_that_may_repeat": (TWO + "      - {name: n, kind: reference, table: customers}\n",
                            r"key customers\.n \(integer\) may repeat"),
    "reads_an_unknown_parent_column": (TWO + "      - {name: customer_id, kind: reference, table: customers, count: n}\n"
                                       "      - {name: x, kind: expression, expr: customers.signup + 1}\n",
                                       r"bad\.yaml:11:\d+: column 'x' refers to unknown column 'customers\.signup'"),
    "reference_in_a_one_table_schema": ("columns:\n  - {name: id, kind: reference, table: customers}\n",
                                        r"bad\.yaml:2:\d+: columns\[0\] \(id\): a reference points at another table"),
    "negative_counts": (TWO.replace("min: 0, max: 3", "min: -3, max: -1")
                        + "      - {name: customer_id, kind: reference, table: customers, count: n}\n",
                        r"count customers\.n of table 'orders': counts are whole numbers of 0 or more, got -"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_schemas_get_one_line_and_exit_2_and_write_nothing(case, tmp_path):
    text, pattern = BAD[case]
    out = tmp_path / "out"
    result = run("generate", str(write_schema(tmp_path, text)), "--out", str(out))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists()


def test_rows_of_a_child_table_cannot_be_set(tmp_path):
    result = run("generate", str(ROOT / "schemas" / "coffee_shop.yaml"), "--rows", "orders=10", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "set the rows of 'customers'" in result.stderr


def test_the_python_api_refuses_a_bad_reference_with_a_synth_error():
    with pytest.raises(SynthError, match="unknown table"):
        Database.from_yaml_text(TWO + "      - {name: customer_id, kind: reference, table: nope, count: n}\n")
