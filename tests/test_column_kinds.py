"""Each column kind against what it promises, with fixed seeds and tolerances from the sample size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synth
from synth.errors import SynthError
from synth.expr import Expression, ExpressionError

N = 40_000


def make(columns: str, rows: int = N, seed: int = 1, extra: str = "") -> pd.DataFrame:
    return synth.generate(synth.Schema.from_yaml_text(f"columns:\n{columns}{extra}"), rows=rows, seed=seed)


@pytest.mark.parametrize("spec, frozen", [
    ("distribution: normal, mean: 10, std: 2", stats.norm(10, 2)),
    ("distribution: lognormal, mu: 1, sigma: 0.5", stats.lognorm(s=0.5, scale=np.e)),
    ("distribution: exponential, scale: 3", stats.expon(scale=3)),
    ("distribution: gamma, shape: 2, scale: 1.5", stats.gamma(a=2, scale=1.5)),
    ("distribution: beta, a: 2, b: 5", stats.beta(2, 5)),
    ("distribution: triangular, left: 0, mode: 1, right: 4", stats.triang(c=0.25, loc=0, scale=4)),
    ("distribution: uniform, min: -3, max: 7", stats.uniform(-3, 10)),
])
def test_float_distributions_pass_a_ks_test(spec, frozen):
    x = make(f"  - {{name: x, kind: float, {spec}}}\n").x
    assert stats.kstest(x, frozen.cdf).pvalue > 0.001


@pytest.mark.parametrize("family, params, frozen", [
    ("normal", {"mean": 3, "std": 2}, stats.norm(loc=3, scale=2)),
    ("uniform", {"min": -1, "max": 3}, stats.uniform(loc=-1, scale=4)),
    ("exponential", {"scale": 3, "loc": 1}, stats.expon(loc=1, scale=3)),
    ("lognormal", {"mu": 1.2, "sigma": 0.6}, stats.lognorm(s=0.6, scale=np.exp(1.2))),
    ("gamma", {"shape": 2.5, "loc": 0.5, "scale": 1.7}, stats.gamma(a=2.5, loc=0.5, scale=1.7)),
    ("beta", {"a": 2, "b": 5, "loc": 1, "scale": 3}, stats.beta(2, 5, loc=1, scale=3)),
    ("triangular", {"left": 0, "mode": 1, "right": 4}, stats.triang(c=0.25, loc=0, scale=4)),
])
def test_each_family_cdf_and_ppf_equal_scipy_stats_bit_for_bit(family, params, frozen):
    from synth.columns.distributions import DISTRIBUTIONS

    p = np.r_[0, 1e-12, np.linspace(0.001, 0.999, 999), 1 - 1e-12, 1]
    x = np.r_[-np.inf, -5, -1e-9, 0, 1e-9, np.linspace(-3, 30, 2001), np.inf]
    dist = DISTRIBUTIONS[family](**params)
    assert np.array_equal(dist.ppf(p), frozen.ppf(p), equal_nan=True)
    assert np.array_equal(dist.cdf(x), frozen.cdf(x), equal_nan=True)


def test_discrete_families_give_known_probabilities():
    from synth.columns.distributions import Poisson, Quantiles, Weighted

    assert Poisson(lam=3).probability_between(1, 6) == pytest.approx((stats.poisson.cdf(0, 3), stats.poisson.cdf(6, 3)))
    weighted = Weighted(values={1: 1, 2: 2, 5: 1})
    assert weighted.probability_between(2, None) == (0.0, 0.75)  # only the mass within the bounds
    assert weighted.cdf([0, 1, 4.9, 5]).tolist() == [0.0, 0.25, 0.75, 1.0]
    # A repeated knot is a point mass: a quarter of the values are exactly 0 (knots at 0, 0, 1, 2, 4).
    q = Quantiles([0, 0, 1, 2, 4])
    assert q.probability_between(0, 0) == (0.0, 0.25)
    assert q.probability_between(0.5, 3) == (0.375, 0.875)
    assert q.ppf([0.0, 0.5, 1.0]).tolist() == [0.0, 1.0, 4.0]


def test_fitted_families_recover_their_parameters():
    from synth.columns.distributions import DISTRIBUTIONS

    rng = np.random.default_rng(3)
    samples = {"normal": rng.normal(5, 2, 20_000), "lognormal": rng.lognormal(1, 0.5, 20_000),
               "exponential": rng.exponential(4, 20_000), "gamma": rng.gamma(3, 2, 20_000)}
    expected = {"normal": {"mean": 5, "std": 2}, "lognormal": {"mu": 1, "sigma": 0.5},
                "exponential": {"scale": 4}, "gamma": {"shape": 3, "scale": 2}}
    for name, sample in samples.items():
        fitted = DISTRIBUTIONS[name].fit(sample, sample.min(), sample.max()).parameters()
        assert fitted == pytest.approx(expected[name], rel=0.05), name
    assert DISTRIBUTIONS["lognormal"].fit(np.array([-1.0, 2.0, 3.0])) is None  # not for values <= 0
    assert DISTRIBUTIONS["poisson"].fit(samples["normal"]) is None  # no estimator: never proposed by synth fit


@pytest.fixture
def laplace_family():
    """A family registered by this test only: one class and ``@register``, nothing else."""
    from pydantic import Field

    from synth.columns.distributions import DISTRIBUTIONS, LocationScale, Parameters, register

    @register
    class Laplace(LocationScale):
        """A sharp peak at mean, tails falling off exponentially, scale wide."""

        name = "laplace_test"

        class Params(Parameters):
            mean: float
            scale: float = Field(gt=0)
            skew: float | None = Field(default=None, ge=0)  # optional, unused: only here to be checked

        def __init__(self, mean: float, scale: float, skew: float | None = None) -> None:
            super().__init__()
            self.mean, self.scale, self.skew = mean, scale, skew
            self.shift, self.stretch = mean, scale

        def standard_cdf(self, z: np.ndarray) -> np.ndarray:
            return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1 - 0.5 * np.exp(-np.maximum(z, 0)))

        def standard_ppf(self, q: np.ndarray) -> np.ndarray:
            return np.where(q < 0.5, np.log(2 * np.maximum(q, 1e-300)), -np.log(np.maximum(2 - 2 * q, 1e-300)))

    yield Laplace
    del DISTRIBUTIONS["laplace_test"]


def test_a_family_registered_elsewhere_is_usable_from_yaml_with_its_own_parameters(laplace_family):
    x = make("  - {name: x, kind: float, distribution: laplace_test, mean: 5, scale: 2, min: 0}\n").x
    assert x.min() >= 0
    a = stats.laplace.cdf(0, 5, 2)
    assert stats.kstest(x, lambda v: (stats.laplace.cdf(v, 5, 2) - a) / (1 - a)).pvalue > 0.001
    assert laplace_family.required == ("mean", "scale") and laplace_family.optional == ("skew",)
    from synth.draft import system_prompt

    assert "- laplace_test (mean, scale; optional skew): A sharp peak" in system_prompt()


@pytest.mark.parametrize("entry, where, message", [
    ("scale: -1", "(x).scale:", "greater than 0"),  # the family's own range, at the key
    ("scale: 2, skew: -1", "(x).skew:", "greater than or equal to 0"),
    ("scale: wide", "(x).scale:", "valid number"),
    ("scael: 2", "(x).scael:", "unknown field (did you mean 'scale'?)"),
    ("scale: 2, sigma: 1", "(x):", "sigma does not apply to distribution 'laplace_test'"),
    ("skew: 1", "(x):", "distribution 'laplace_test' needs scale"),
])
def test_a_family_checks_its_own_parameters_and_errors_name_the_key(laplace_family, tmp_path, entry, where, message):
    from typer.testing import CliRunner

    from synth.cli import app

    schema = tmp_path / "s.yaml"
    schema.write_text(f"columns:\n  - {{name: x, kind: float, distribution: laplace_test, mean: 5, {entry}}}\n")
    result = CliRunner().invoke(app, ["validate", str(schema)])
    line = result.stderr.strip()
    assert result.exit_code == 2 and len(line.splitlines()) == 1, result.output
    key = where.rstrip(":").split(".")[-1]
    written = f"  - {{name: x, kind: float, distribution: laplace_test, mean: 5, {entry}}}"
    column = written.index(f"{key}: ") + len(key) + 3 if "." in where else 5  # at the value, else at the entry
    assert line.startswith(f"error: {schema}:2:{column}: columns[0] (") and where in line and message in line, line


def test_numeric_columns_have_no_field_of_any_family():
    # A family owns its parameters: the column's fields are its own (bounds, uniqueness, rounding).
    from synth.columns.distributions import parameter_names
    from synth.columns.numeric import FloatColumn

    assert parameter_names() & set(FloatColumn.model_fields) == set()


def test_truncation_is_by_construction_without_piles_at_the_bounds():
    x = make("  - {name: x, kind: float, distribution: normal, mean: 0, std: 1, min: -0.5, max: 2}\n").x
    assert x.min() >= -0.5 and x.max() <= 2
    a, b = stats.norm.cdf(-0.5), stats.norm.cdf(2)
    assert stats.kstest(x, lambda v: (stats.norm.cdf(v) - a) / (b - a)).pvalue > 0.001
    assert (x == -0.5).mean() < 0.001 and (x == 2).mean() < 0.001  # clipping would put ~31% and ~2% there


def test_integers_are_whole_within_bounds_and_poisson_frequencies_hold():
    df = make("  - {name: k, kind: integer, distribution: poisson, lam: 3, min: 1, max: 6}\n"
              "  - {name: age, kind: integer, distribution: normal, mean: 40, std: 12, min: 18, max: 90}\n")
    assert df.k.between(1, 6).all() and df.age.between(18, 90).all()
    p = stats.poisson(3).pmf(np.arange(1, 7))
    p /= p.sum()
    got = df.k.value_counts(normalize=True).sort_index().to_numpy()
    assert np.abs(got - p).max() < 0.01


def test_rounding_keeps_the_requested_decimals():
    x = make("  - {name: x, kind: float, distribution: uniform, min: 0, max: 100, round: 2}\n").x
    assert np.allclose(x * 100, np.round(x * 100))


def test_weighted_and_choice_frequencies_follow_their_weights():
    df = make("  - {name: q, kind: integer, distribution: weighted, values: {1: 0.7, 2: 0.2, 3: 0.1}}\n"
              "  - {name: c, kind: choice, values: [a, b, c], weights: [1, 2, 7]}\n"
              "  - {name: flag, kind: boolean, probability: 0.3}\n")
    assert abs((df.q == 1).mean() - 0.7) < 0.01 and abs((df.q == 3).mean() - 0.1) < 0.01
    assert abs((df.c == "c").mean() - 0.7) < 0.01 and abs((df.c == "a").mean() - 0.1) < 0.01
    assert abs(df.flag.mean() - 0.3) < 0.01


def test_unique_integers_never_repeat_across_chunks():
    x = make("  - {name: t, kind: integer, distribution: uniform, min: 1000, max: 400000, unique: true}\n", rows=250_000).t
    assert x.is_unique and x.between(1000, 400000).all()


def test_sequence_with_prefix_and_digits_and_uuids():
    df = make("  - {name: order_no, kind: sequence, prefix: '2015-', digits: 6}\n  - {name: u, kind: uuid}\n", rows=2000)
    assert df.order_no.iloc[0] == "2015-000001" and df.order_no.iloc[-1] == "2015-002000"
    assert df.u.str.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").all() and df.u.is_unique


def test_time_profile_and_step_are_visible():
    t = make("  - {name: t, kind: time, start: '06:00', end: '21:00', step: 15m, hour_profile: {8: 4, 15: 0.5}}\n").t
    seconds = t.map(lambda v: v.hour * 3600 + v.minute * 60 + v.second)
    assert (seconds % 900 == 0).all() and seconds.min() >= 6 * 3600 and seconds.max() <= 21 * 3600
    hours = seconds // 3600
    ratio = (hours == 8).mean() / (hours == 15).mean()
    assert 6 < ratio < 10  # weights 4 vs 0.5


def test_weekday_month_and_year_profiles_are_visible():
    d = make("  - {name: d, kind: date, start: 2020-01-01, end: 2021-12-31, weekday_profile: {sat: 2, sun: 2},"
             " month_profile: {dec: 3}, year_profile: {2021: 2}}\n").d
    weekend = (d.dt.day_of_week >= 5).mean()
    assert abs(weekend - 4 / 9) < 0.02  # 2 weekend days at weight 2 against 5 at 1
    dec = (d.dt.month == 12).mean() / (d.dt.month == 11).mean()
    assert 2.6 < dec < 3.4
    assert 1.8 < (d.dt.year == 2021).mean() / (d.dt.year == 2020).mean() < 2.2


def test_datetime_formats_as_text_and_expressions_see_the_typed_value():
    df = make("  - {name: ts, kind: datetime, start: 2024-01-01 00:00:00, end: 2024-12-31 23:59:59, format: '%d/%m/%Y %H:%M'}\n"
              "  - {name: h, kind: expression, expr: hour(ts)}\n", rows=1000)
    parsed = pd.to_datetime(df.ts.astype(str), format="%d/%m/%Y %H:%M")
    assert (parsed.dt.hour == df.h).all() and (parsed.dt.year == 2024).all()


def test_catalog_rows_always_match_one_record_with_weighted_frequency(tmp_path):
    (tmp_path / "menu.csv").write_text("sku,name,price,w\n1,Tea,2.5,1\n2,Latte,4.5,3\n")
    schema = synth.Schema.from_yaml_text("columns:\n  - {name: m, kind: catalog, source: menu.csv, weight: w}\n", base_dir=tmp_path)
    df = synth.generate(schema, rows=20000)
    assert list(df.columns) == ["sku", "name", "price"]
    assert set(map(tuple, df[["sku", "name", "price"]].drop_duplicates().astype(str).to_numpy())) == {("1", "Tea", "2.5"), ("2", "Latte", "4.5")}
    assert abs((df.name == "Latte").mean() - 0.75) < 0.01


def test_lookup_fields_follow_their_key():
    df = make("  - {name: p, kind: choice, values: [A, B]}\n"
              "  - {name: facts, kind: lookup, key: p, records: [{p: A, price: 1.5}, {p: B, price: 9.0}]}\n", rows=1000)
    assert (df.price == np.where(df.p == "A", 1.5, 9.0)).all()


def test_faker_unique_never_repeats_beyond_its_pool():
    df = make("  - {name: email, kind: faker, provider: free_email, unique: true, pool: 500}\n"
              "  - {name: who, kind: faker, provider: name, unique: true, pool: 300}\n", rows=30_000)
    assert df.email.is_unique and df.who.is_unique
    assert df.email.str.match(r"^[^@\s]+@[^@\s]+\.[a-z]+$").all()


def test_faker_common_values_keep_their_share_and_the_rest_comes_from_faker():
    df = make("  - {name: pet, kind: faker, provider: first_name, common: {Lucy: 3, Max: 1}, common_share: 0.4}\n",
              rows=20_000)
    assert abs((df.pet == "Lucy").mean() - 0.3) < 0.01 and abs((df.pet == "Max").mean() - 0.1) < 0.01
    others = df.pet[~df.pet.isin(["Lucy", "Max"])]
    assert abs(len(others) / len(df) - 0.6) < 0.01 and others.nunique() > 100


def test_faker_common_values_cannot_be_unique():
    with pytest.raises(SynthError, match="common values cannot be used with unique"):
        make("  - {name: pet, kind: faker, provider: first_name, unique: true, common: {Lucy: 3}, common_share: 0.4}\n")


def test_faker_locale_changes_the_values():
    de = make("  - {name: city, kind: faker, provider: city, locale: de_DE, pool: 200}\n", rows=200).city
    us = make("  - {name: city, kind: faker, provider: city, locale: en_US, pool: 200}\n", rows=200).city
    assert len(set(de) & set(us)) < 20


def test_null_rate_is_close_to_requested():
    x = make("  - {name: x, kind: float, distribution: normal, mean: 0, std: 1, nulls: 0.15}\n").x
    assert abs(x.isna().mean() - 0.15) < 0.005


def test_conditional_uses_the_case_of_its_key():
    df = make("  - {name: type, kind: choice, values: [drink, food]}\n"
              "  - name: kcal\n    kind: conditional\n    on: type\n    cases:\n"
              "      drink: {kind: integer, distribution: uniform, min: 0, max: 100}\n"
              "      food: {kind: integer, distribution: uniform, min: 500, max: 600}\n")
    assert df.loc[df.type == "drink", "kcal"].between(0, 100).all()
    assert df.loc[df.type == "food", "kcal"].between(500, 600).all()


@pytest.mark.parametrize("target", [0.7, -0.4])
def test_correlations_reach_their_rank_targets_and_keep_marginals(target):
    df = make("  - {name: a, kind: float, distribution: lognormal, mu: 0, sigma: 1}\n"
              "  - {name: b, kind: integer, distribution: normal, mean: 50, std: 10, min: 0, max: 100}\n",
              extra=f"correlations:\n  - {{columns: [a, b], rank: {target}}}\n")
    assert abs(stats.spearmanr(df.a, df.b).statistic - target) < 0.05
    assert stats.kstest(df.a, stats.lognorm(s=1).cdf).pvalue > 0.001


def test_constraints_hold_on_every_row_and_the_row_count_is_exact():
    df = make("  - {name: start, kind: integer, distribution: uniform, min: 0, max: 100}\n"
              "  - {name: end, kind: integer, distribution: uniform, min: 0, max: 100}\n",
              rows=12_345, extra="constraints: [end > start]\n")
    assert len(df) == 12_345 and (df.end > df.start).all()


def test_pattern_codes_follow_their_templates_and_unique_holds():
    df = make("  - {name: lic, kind: pattern, patterns: {'S######': 1, '#######': 3}, unique: true}\n", rows=20000)
    assert df.lic.is_unique and df.lic.str.match(r"^(S\d{6}|\d{7})$").all()


@pytest.mark.parametrize("text", [
    "__import__('os').system('ls')", "price.__class__", "x[0]", "(lambda: 1)()", "round(x, ndigits=2)", "open('f')",
])
def test_expressions_refuse_anything_but_the_small_language(text):
    with pytest.raises(ExpressionError):
        Expression.parse(text)


def test_expression_language_covers_arithmetic_logic_and_nulls():
    import pyarrow as pa

    cols = {"a": pa.array([1, 2, None]), "b": pa.array([2.0, 0.5, 1.0]), "s": pa.array(["x", "y", "z"])}
    assert Expression.parse("a * b + 1").evaluate(cols, 3).to_pylist() == [3.0, 2.0, None]
    assert Expression.parse("if(a > 1, 'big', 'small')").evaluate(cols, 3).to_pylist() == ["small", "big", None]
    assert Expression.parse("1 < b <= 2 and s in ['x', 'z']").evaluate(cols, 3).to_pylist() == [True, False, False]
    assert Expression.parse("a // 2 + a % 2").evaluate(cols, 3).to_pylist() == [1, 1, None]
    assert Expression.parse("round(b / 3, 2)").evaluate(cols, 3).to_pylist() == [0.67, 0.17, 0.33]


def test_kind_facts_are_declared_on_the_kinds():
    from synth.columns import KINDS

    assert {k for k, c in KINDS.items() if not c.random} == {"sequence", "expression", "aggregate"}
    assert {k for k, c in KINDS.items() if not c.in_cases} == {"conditional", "catalog", "reference", "aggregate", "listed"}


def test_the_engine_redraws_a_kind_only_if_it_says_it_is_random(monkeypatch):
    from typing import ClassVar, Literal

    from synth.columns import KINDS
    from synth.columns.numeric import IntegerColumn

    class FixedDie(IntegerColumn):
        """An integer the engine must not redraw (as if it were computed)."""

        kind_name: ClassVar[str] = "fixed_die"
        random: ClassVar[bool] = False
        kind: Literal["fixed_die"] = "fixed_die"

    monkeypatch.setitem(KINDS, "fixed_die", FixedDie)
    columns = "  - {{name: x, kind: {}, min: 1, max: 6}}\n"
    extra = "constraints: ['x > 3']\n"
    assert (make(columns.format("integer"), rows=500, extra=extra).x > 3).all()  # redrawn until it holds
    with pytest.raises(SynthError, match="cannot be satisfied"):
        make(columns.format("fixed_die"), rows=500, extra=extra)


def test_many_cases_by_when_each_take_the_rows_no_earlier_case_took():
    # A learned schema's leaves: ranges (empty values in or out), values, lists with empty; each row goes to the first
    # case that holds on it, the rest to the default (the rows of each case are found among the rows left).
    cases = []
    for i in range(24):
        lo, hi = i % 6, i % 6 + 1 + i % 3
        size = [["S"], ["M", None], ["L"], ["S", "L"]][i % 4]
        cases.append(f"      - {{when: {{x: {{min: {lo}, below: {hi}, nulls: {'true' if i % 5 == 0 else 'false'}}}, "
                     f"size: {size}}}, kind: integer, distribution: weighted, values: {{{i}: 1}}}}\n".replace("None", "null"))
    cases.append("      - {when: {x: {below: 3}}, kind: integer, distribution: weighted, values: {90: 1}}\n")
    schema = synth.Schema.from_yaml_text("name: t\nrows: 7000\ncolumns:\n"
                                         "  - {name: size, kind: choice, values: [S, M, L], nulls: 0.1}\n"
                                         "  - {name: x, kind: float, distribution: uniform, min: 0, max: 9, nulls: 0.15}\n"
                                         "  - name: v\n    kind: conditional\n    cases:\n" + "".join(cases) +
                                         "    default: {kind: integer, distribution: weighted, values: {99: 1}}\n")
    df = synth.generate(schema)
    x, size = df.x.to_numpy(), df["size"].astype(object).to_numpy()
    expected = np.full(len(df), 99)
    for i in range(24)[::-1]:  # the first case that holds wins: fill from the last case back
        lo, hi = i % 6, i % 6 + 1 + i % 3
        wanted = [["S"], ["M", None], ["L"], ["S", "L"]][i % 4]
        in_size = np.array([(v if isinstance(v, str) else None) in wanted for v in size])
        in_x = (np.isnan(x) & (i % 5 == 0)) | ((x >= lo) & (x < hi))
        if i == 23:
            expected[(x < 3) & ~np.isnan(x)] = 90  # the last case, after every other
        expected[in_size & in_x] = i
    assert (df.v.to_numpy() == expected).all()
    assert len(set(expected)) > 10 and (expected == 99).any() and (expected == 90).any()  # every kind of row made


def test_a_range_holds_from_its_min_up_to_but_not_at_its_below_on_values_at_the_bounds():
    # Whole numbers land on the bounds: min is in, below is out; a NaN bound holds nowhere (comparisons with NaN are
    # false), an infinite one everywhere on its side (the ranges are found by slicing the sorted values).
    schema = synth.Schema.from_yaml_text("""
name: t
rows: 4000
columns:
  - {name: x, kind: integer, distribution: uniform, min: 0, max: 9, nulls: 0.1}
  - name: v
    kind: conditional
    cases:
      - {when: {x: {min: .nan}}, kind: integer, distribution: weighted, values: {7: 1}}
      - {when: {x: {below: .nan, nulls: true}}, kind: integer, distribution: weighted, values: {8: 1}}
      - {when: {x: {min: 2, below: 5}}, kind: integer, distribution: weighted, values: {1: 1}}
      - {when: {x: {min: 5.0, below: 5}}, kind: integer, distribution: weighted, values: {6: 1}}
      - {when: {x: {below: 2}}, kind: integer, distribution: weighted, values: {2: 1}}
      - {when: {x: {min: -.inf, below: 8}}, kind: integer, distribution: weighted, values: {3: 1}}
    default: {kind: integer, distribution: weighted, values: {9: 1}}
""")
    df = synth.generate(schema)
    x = df.x.to_numpy(dtype=float, na_value=np.nan)
    expected = np.select([np.isnan(x), (x >= 2) & (x < 5), x < 2, x < 8], [8, 1, 2, 3], 9)
    assert (df.v.to_numpy() == expected).all()
    assert set(expected) == {8, 1, 2, 3, 9} and set(x[expected == 1]) == {2, 3, 4} and set(x[expected == 9]) == {8, 9}


def test_a_kind_that_is_not_for_cases_is_refused_in_a_case():
    with pytest.raises(SynthError, match="case kind 'catalog' is not a kind that can be used in a case"):
        make("  - {name: t, kind: choice, values: [a]}\n"
             "  - {name: v, kind: conditional, on: t, cases: {a: {kind: catalog, records: [{p: 1}]}}}\n", rows=10)


def test_conditional_cases_by_when_pick_the_first_case_that_holds_and_bad_conditions_are_named(tmp_path):
    schema = synth.Schema.from_yaml_text("""
name: t
rows: 6000
columns:
  - {name: size, kind: choice, values: [S, M, L]}
  - {name: x, kind: float, distribution: uniform, min: 0, max: 10}
  - name: price
    kind: conditional
    cases:
      - {when: {size: [S, M], x: {below: 5}}, kind: integer, distribution: weighted, values: {1: 1}}
      - {when: {size: L}, kind: integer, distribution: weighted, values: {2: 1}}
      - {when: {x: {min: 0}}, kind: integer, distribution: weighted, values: {4: 1}}
    default: {kind: integer, distribution: weighted, values: {3: 1}}
""")
    df = synth.generate(schema)
    expected = np.where(df["size"].isin(["S", "M"]) & (df.x < 5), 1, np.where(df["size"] == "L", 2, 4))
    assert (df.price.to_numpy() == expected).all()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ncolumns:\n  - {name: s, kind: choice, values: [a]}\n  - name: p\n    kind: conditional\n"
                   "    cases:\n      - {when: {s: {min: 1, abov: 3}}, kind: integer, distribution: weighted, values: {1: 1}}\n")
    with pytest.raises(synth.SynthError, match=r"bad.yaml:4:5: .*cases\[0\].when: s: unknown key 'abov'"):
        synth.Schema.from_yaml(bad)


def test_conditional_cases_without_kind_take_the_default_kind_and_none_to_take_is_named(tmp_path):
    schema = synth.Schema.from_yaml_text("""
name: t
rows: 2000
columns:
  - {name: size, kind: choice, values: [S, L]}
  - name: price
    kind: conditional
    cases:
      - {when: {size: S}, distribution: weighted, values: {1.5: 1}}
      - {when: {size: L}, kind: integer, distribution: weighted, values: {3: 1}}
    default: {kind: float, distribution: weighted, values: {9.25: 1}}
""")
    df = synth.generate(schema)
    assert set(df.price[df["size"] == "S"]) == {1.5} and set(df.price[df["size"] == "L"]) == {3.0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ncolumns:\n  - {name: s, kind: choice, values: [a]}\n  - name: p\n    kind: conditional\n"
                   "    cases:\n      - {when: {s: a}, distribution: weighted, values: {1: 1}}\n")
    with pytest.raises(synth.SynthError, match=r"bad.yaml:4:5: .*each case needs a kind"):
        synth.Schema.from_yaml(bad)


@pytest.mark.parametrize("values", ["{values: [1, 2], weights: [1]}", "{values: {'1': 1}, weights: [1]}",
                                    "{values: [1, 2], weights: [-1, 2]}", "{values: {'1': 0, '2': 0}}"])
def test_weighted_numbers_and_choices_read_values_and_weights_alike(values):
    # One reading of values and weights (columns.base.values_and_weights): the same mistake, the same message.
    def error(entry: str) -> str:
        with pytest.raises(SynthError) as caught:
            synth.Schema.from_yaml_text(f"columns:\n  - {{name: x, {entry}, {values[1:-1]}}}\n")
        return caught.value.message.split(": ", 2)[-1]

    assert error("kind: integer, distribution: weighted") == error("kind: choice")
