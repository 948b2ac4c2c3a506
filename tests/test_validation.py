"""`synth validate` checks statically first and makes trial rows only where values could still show a mistake.

What is pinned here: the static path finds every mistake the trial run found, with the same message; a schema
it calls valid without a trial run does generate; the types it infers are the types the engine makes; and
Expression.result_type is sound (an expression it types evaluates on adversarial values of those types).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from synth.errors import SynthError
from synth.schema import Schema
from synth.validation import TRIAL_ROWS, check_schema, trial_reasons
from tests.test_generate_core import BAD

ROOT = Path(__file__).resolve().parent.parent

# Mistakes in what this change moved or rewrote (profiles, weights, catalog records, 'in' lists), beside the
# suite's own list of bad schemas.
MORE_BAD = {
    "date_profile_key": "columns:\n  - {name: d, kind: date, start: 2022-01-01, end: 2022-12-31, weekday_profile: {sunday: 2, xyz: 1}}\n",
    "date_profile_all_zero": "columns:\n  - {name: d, kind: date, start: 2022-01-01, end: 2022-12-31, month_profile: [0,0,0,0,0,0,0,0,0,0,0,0]}\n",
    "date_zero_on_every_date": "columns:\n  - {name: d, kind: date, start: 2022-01-03, end: 2022-01-04, weekday_profile: {mon: 0, tue: 0}}\n",
    "datetime_profile_key": "columns:\n  - {name: t, kind: datetime, start: 2022-01-01 00:00:00, end: 2022-01-02 00:00:00, hour_profile: {25: 1}}\n",
    "time_zero_where_reached": "columns:\n  - {name: t, kind: time, start: '06:00', end: '08:30', hour_profile: {6: 0, 7: 0, 8: 0, 9: 5}}\n",
    "time_step_skips_the_hour": "columns:\n  - {name: t, kind: time, start: '06:30', end: '09:00', step: 2h, hour_profile: {6: 0, 7: 1, 8: 0, 9: 1}}\n",
    "catalog_mixed": "columns:\n  - {name: m, kind: catalog, records: [{a: 1}, {a: x}]}\n",
    "catalog_bool_and_number": "columns:\n  - {name: m, kind: catalog, records: [{a: 1}, {a: true}]}\n",
    "catalog_keys": "columns:\n  - {name: m, kind: catalog, records: [{a: 1}, {b: 2}]}\n",
    "catalog_weight_text": "columns:\n  - {name: m, kind: catalog, weight: w, records: [{a: 1, w: x}]}\n",
    "catalog_weight_negative": "columns:\n  - {name: m, kind: catalog, weight: w, records: [{a: 1, w: -1}, {a: 2, w: 2}]}\n",
    "catalog_field": "columns:\n  - {name: m, kind: catalog, fields: [b], records: [{a: 1}]}\n",
    "choice_weights": "columns:\n  - {name: c, kind: choice, values: [a, b], weights: [1, -1]}\n",
    "weighted_lengths": "columns:\n  - {name: q, kind: integer, distribution: weighted, values: [1, 2], weights: [1]}\n",
    "weighted_outside": "columns:\n  - {name: q, kind: integer, distribution: weighted, values: [1, 2], min: 5}\n",
    "in_list_mixed": "columns:\n  - {name: a, kind: integer}\n  - {name: b, kind: expression, expr: \"a in [1, 'x']\"}\n",
    "expression_types": "columns:\n  - {name: a, kind: integer}\n  - {name: s, kind: choice, values: [x]}\n  - {name: b, kind: expression, expr: a * s}\n",
    "floor_division_by_zero": "columns:\n  - {name: a, kind: integer, min: 0, max: 0}\n  - {name: b, kind: expression, expr: 7 // a}\n",
    "unique_too_few": "rows: 50\ncolumns:\n  - {name: a, kind: integer, min: 1, max: 20, unique: true}\n",
}


def _error(path: Path, trial: bool | None) -> str:
    with pytest.raises(SynthError) as caught:
        check_schema(path, trial=trial)
    return caught.value.message


@pytest.mark.parametrize("case", sorted(BAD) + sorted(MORE_BAD))
def test_every_mistake_is_found_by_default_with_the_message_a_trial_run_gives(tmp_path, case):
    text = BAD[case][0] if case in BAD else MORE_BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    message = _error(path, None)
    assert message == _error(path, True)
    assert message.startswith(str(path)) and "\n" not in message


def test_a_mistake_only_values_show_is_still_found_by_the_trial_run_it_asks_for(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(MORE_BAD["date_zero_on_every_date"])
    assert trial_reasons(Schema.from_yaml(path), TRIAL_ROWS) == [
        "column 'd': a profile or trend weighs some instants zero or less"]
    assert "zero weight" in _error(path, None)
    check_schema(path, trial=False)  # loading alone cannot see it: that is what the trial run is for


SINGLE_TABLE_SCHEMAS = sorted(p.name for p in (ROOT / "schemas").glob("*.yaml") if "tables:" not in p.read_text())
ARROW_TYPES = {"int64": "integer", "int32": "integer", "double": "float", "string": "string", "bool": "boolean", "date32[day]": "date",
               "time32[s]": "time", "timestamp[s]": "datetime"}


def _known_types(schema: Schema) -> dict[str, str | None]:
    known: dict[str, str | None] = {}
    for col in schema.generation_order():
        known.update(col.value_types(known))
    return known


def _arrow_class(claimed: str) -> str:
    return "integer" if claimed == "int64" else claimed  # both are Arrow's int64; "integer" is also within +-2**53


def _made_types(schema: Schema, rows: int = 300) -> dict[str, str]:
    from synth.engine import Plan

    values = Plan(schema, rows=rows).working_values(0)
    out = {}
    for name, array in values.items():
        t = array.type.value_type if hasattr(array.type, "value_type") else array.type  # dictionary-encoded text
        out[name] = ARROW_TYPES.get(str(t), str(t))
    return out


@pytest.mark.parametrize("name", SINGLE_TABLE_SCHEMAS)
def test_the_types_validation_infers_are_the_types_the_engine_makes(name):
    schema = Schema.from_yaml(ROOT / "schemas" / name)
    known, made = _known_types(schema), _made_types(schema)
    claimed = {n: _arrow_class(t) for n, t in known.items() if t is not None}
    assert claimed, name
    assert {n: made[n] for n in claimed} == claimed


def test_coffee_needs_no_trial_and_every_type_is_known():
    schema = Schema.from_yaml(ROOT / "schemas" / "coffee.yaml")
    assert trial_reasons(schema, TRIAL_ROWS) == []
    assert _known_types(schema) == {
        "id": "integer", "date": "date", "time": "time", "product_id": "integer", "product": "string",
        "calories": "integer", "price": "float", "type": "string", "quantity": "integer",
        "amount": "float", "payment_type": "string"}
    assert "popularity" not in _known_types(schema)  # the catalog's weight field is not a column


# A schema the static check calls valid must generate: variations of the kinds it fully checks.
STATIC_OK = [
    "columns:\n  - {name: a, kind: sequence, start: 5, step: -2, prefix: 'A-', digits: 4}\n  - {name: b, kind: uuid}\n"
    "  - {name: c, kind: expression, expr: \"concat(a, '/', upper(b), len(b))\"}\n",
    "columns:\n  - {name: t, kind: time, start: '06:30', end: '09:00', step: 7m, hour_profile: {6: 0, 7: 2, 9: 0}}\n"
    "  - {name: h, kind: expression, expr: \"if(hour(t) < 8, 'early', 'late')\"}\n"
    "  - {name: f, kind: expression, expr: \"format(t, '%H.%M')\"}\n",
    "columns:\n  - {name: d, kind: datetime, start: 2020-01-01 00:00:00, end: 2023-01-01 00:00:00, step: 1m, trend: 0.2,"
    " hour_profile: {0-6: 0.5}, weekday_profile: {sat: 2}}\n"
    "  - {name: y, kind: expression, expr: year(d) * 100 + month(d), type: string}\n"
    "  - {name: late, kind: expression, expr: d > d, nulls: 0.5}\n",
    "columns:\n  - {name: x, kind: float, distribution: normal, mean: 0, std: 1, min: -1, round: 2, nulls: 0.2}\n"
    "  - {name: n, kind: integer, distribution: weighted, values: {1: 2, 3: 1}, max: 2}\n"
    "  - {name: r, kind: expression, expr: \"x / n - n // 2 + n % 3 + abs(x) ** 0.5 + round(n)\"}\n"
    "  - {name: b, kind: boolean, probability: 0.3}\n  - {name: v, kind: expression, expr: \"not b and x in [1.5, 2.5]\"}\n",
    "columns:\n  - {name: m, kind: catalog, weight: w, records: [{k: 1, p: 2.5, s: a, w: 0}, {k: 2, p: 3, s: null, w: 1}]}\n"
    "  - {name: e, kind: expression, expr: \"coalesce(s, 'none')\"}\n  - {name: z, kind: expression, expr: k * p}\n"
    "  - {name: c, kind: choice, values: [1, 2.5, x]}\n  - {name: q, kind: expression, expr: \"c == 'x'\"}\n",
]


@pytest.mark.parametrize("text", STATIC_OK)
def test_a_schema_called_valid_without_trial_rows_does_generate(text):
    from synth.engine import Plan

    schema = Schema.from_yaml_text(text)
    assert trial_reasons(schema, TRIAL_ROWS) == []
    made, known = _made_types(schema, rows=2000), _known_types(schema)
    assert {n: made[n] for n, t in known.items() if t} == {n: _arrow_class(t) for n, t in known.items() if t}


def test_reasons_name_the_column_and_what_values_must_show(tmp_path):
    (tmp_path / "menu.csv").write_text("product,price\nLatte,4.5\n")
    schema = Schema.from_yaml_text(
        "rows: 50\ncolumns:\n  - {name: m, kind: catalog, source: menu.csv}\n"
        "  - {name: u, kind: integer, min: 1, max: 20, unique: true}\n"
        "  - {name: d, kind: date, start: 2022-01-01, end: 2022-02-01, trend: -0.5}\n"
        "  - {name: e, kind: expression, expr: d + days(1)}\n  - {name: f, kind: faker, provider: name}\n"
        "correlations: [{columns: [u, d], rank: 0.5}]\n", base_dir=tmp_path)
    assert trial_reasons(schema, 50) == [
        "the correlations' matrix is checked by factoring it",
        "column 'm': its records are read from menu.csv",
        "column 'u': unique values: 50 rows but min..max holds 20 distinct values",
        "column 'd': a profile or trend weighs some instants zero or less",
        "column 'e': whether 'd + days(1)' evaluates on every row is known only by evaluating it",
        "column 'f': a faker column is checked by making values"]
    assert "'u'" not in " ".join(trial_reasons(schema, 20))


# --- the time column's grid check, in plain Python, against the numpy grid it replaced -----------------

@pytest.mark.parametrize("seed", range(3))
def test_the_time_columns_plain_check_agrees_with_weighing_the_whole_grid(seed):
    import random

    import numpy as np

    from synth.columns.temporal import TimeColumn

    rng = random.Random(seed)
    for _ in range(150):
        lo = rng.randrange(0, 86400)
        hi = rng.randrange(lo, 86400 + 1) if rng.random() < 0.9 else lo
        step = rng.choice([1, 59, 60, 600, 3600, 7200, 5400, 86400])
        profile = {h: rng.choice([0, 0, 0, 1, 2.5]) for h in rng.sample(range(24), rng.randrange(1, 24))}
        if all(w == 0 for w in profile.values()) and len(profile) == 24:
            continue  # refused as a profile (all zero) before any grid is weighed
        raw = {"name": "t", "kind": "time", "start": f"{lo // 3600:02}:{lo // 60 % 60:02}:{lo % 60:02}",
               "end": f"{hi // 3600:02}:{hi // 60 % 60:02}:{hi % 60:02}", "step": step, "hour_profile": profile}
        grid = TimeColumn.model_construct(**raw)._grid()  # the grid prepare() weighs, made without validation
        hours = np.ones(24)
        for h, w in profile.items():
            hours[h] = w
        expected_ok = hours[(grid % 86400) // 3600].sum() > 0
        try:
            TimeColumn.model_validate(raw)
            ok = True
        except Exception as exc:  # pydantic's ValidationError, with the grid's message
            assert "zero weight to every value between start and end" in str(exc)
            ok = False
        assert ok == expected_ok, raw


# --- Expression.result_type is sound: what it types, evaluates, on values chosen to break it -------------

def _adversarial() -> dict[str, object]:
    import datetime as dt

    import pyarrow as pa

    return {
        "integer": pa.array([0, 1, -1, 2**53, -(2**53), None, 7], pa.int64()),
        "int64": pa.array([0, 1, -1, 2**62, -(2**63), None, 2**63 - 1], pa.int64()),
        "float": pa.array([0.0, -1.5, math.nan, math.inf, -math.inf, None, 1e300]),
        "string": pa.array(["", "a", "12", None, "é", "2022-01-01", " "]),
        "boolean": pa.array([True, False, None, True, False, True, None]),
        "date": pa.array([dt.date(1970, 1, 1), dt.date(2000, 2, 29), None, dt.date(1, 1, 1), dt.date(9999, 12, 31),
                          dt.date(2022, 6, 1), dt.date(1969, 12, 31)]),
        "time": pa.array([0, 86399, None, 3600, 43200, 1, 60], pa.time32("s")),
        "datetime": pa.array([0, -1, None, 86400 * 365 * 30, 10**10, 59, -(10**10)], pa.timestamp("s")),
    }


EXPRESSIONS = [
    "a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** b", "-a", "not a", "a and b", "a or b",
    "a == b", "a != b", "a < b", "a >= b", "1 < a <= b", "a if b else a", "a in [1, 2]", "a in ['x']", "a in [1.5]",
    "a not in [True]", "round(a)", "round(a, 2)", "round(a, 0)", "abs(a)", "floor(a)", "ceil(a)", "sqrt(a)",
    "log(a)", "exp(a)", "min(a, b)", "max(a, b, 3)", "if(a, b, b)", "if(a > 0, a, b)", "coalesce(a, b)",
    "is_null(a)", "int(a)", "float(a)", "str(a)", "concat(a, '-', b)", "upper(a)", "lower(a)", "len(a)",
    "year(a)", "quarter(a)", "month(a)", "day(a)", "weekday(a)", "dayofyear(a)", "hour(a)", "minute(a)",
    "second(a)", "date(a)", "format(a, '%Y-%m-%d %H:%M %a %b')", "format(a, '%Q%')", "a // 3", "a % 2",
    "a + 1", "a * 2.5", "a == 'x'", "a < 3", "a + days(1)", "a == None", "coalesce(a, 0)",
]


def test_expression_types_are_sound_on_adversarial_values():
    from synth.expr import Expression

    columns = _adversarial()
    typed = 0
    for text in EXPRESSIONS:
        expr = Expression.parse(text)
        for ta, tb in itertools.product(columns, repeat=2):
            claimed = expr.result_type({"a": ta, "b": tb})
            if claimed is None:
                continue
            typed += 1
            out = expr.evaluate({"a": columns[ta], "b": columns[tb]}, 7)  # must not raise
            assert ARROW_TYPES.get(str(out.type)) == _arrow_class(claimed), (text, ta, tb, out.type)
            if claimed == "integer":  # and whole numbers said to be within +-2**53 are
                assert all(abs(v) <= 2**53 for v in out.to_pylist() if v is not None), (text, ta, tb)
    assert typed > 300  # it does type the usual expressions, not only refuse


@pytest.mark.parametrize("text, types", [
    ("a // b", ("integer", "integer")),  # b is 0 on some rows: floor(a / 0) is infinite, and no integer
    ("int(a)", ("float", "float")),  # NaN and infinities have no integer
    ("a + b", ("string", "string")),  # no kernel adds text
    ("year(a)", ("time", "time")),
    ("a * 1.5", ("int64", "int64")),  # beyond 2**53 a whole number has no exact float: Arrow refuses
    ("a < b", ("int64", "float")),
])
def test_what_types_cannot_prove_does_fail_on_some_values(text, types):
    import pyarrow as pa

    from synth.expr import Expression, ExpressionError

    expr = Expression.parse(text)
    assert expr.result_type(dict(zip("ab", types))) is None
    columns = _adversarial()
    with pytest.raises((ExpressionError, pa.ArrowInvalid)):
        expr.evaluate({"a": columns[types[0]], "b": columns[types[1]]}, 7)


def test_parsing_an_expression_makes_no_arrow_value():
    import subprocess
    import sys

    code = ("import sys\nfrom synth.expr import Expression\ne = Expression.parse(\"round(a * 2, 1) if b in ['x', 'y'] else None\")\n"
            "assert 'pyarrow' not in sys.modules, 'parsed with pyarrow'\nimport pyarrow as pa\n"
            "print(e.evaluate({'a': pa.array([1.25, 2.0]), 'b': pa.array(['x', 'z'])}, 2).to_pylist())\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2.5, None]"


# --- the catalog: records checked in plain Python, Arrow arrays made when values are ---------------------

def test_inline_records_are_checked_without_arrow_and_still_give_rules_and_values():
    schema = Schema.from_yaml(ROOT / "schemas" / "coffee.yaml")
    menu = next(c for c in schema.columns if c.kind == "catalog")
    assert menu._table == {}  # no Arrow array made while loading
    rules = dict(menu.rules())  # what `synth audit --schema` reads: made on demand
    assert "product_id, product, calories, price, type match one record of menu" in rules


# --- the command line -------------------------------------------------------------------------------------

def test_validate_json_says_whether_a_trial_run_was_made():
    from typer.testing import CliRunner

    from synth.cli import app

    coffee = str(ROOT / "schemas" / "coffee.yaml")
    quiet = json.loads(CliRunner().invoke(app, ["validate", coffee, "--json"]).stdout)
    assert quiet["trial"] is None and quiet["valid"] and quiet["rows"] == 10000
    forced = json.loads(CliRunner().invoke(app, ["validate", coffee, "--json", "--trial"]).stdout)
    assert forced["trial"] == {"rows": 1000, "reasons": ["asked for (--trial)"]}
    assert {k: v for k, v in forced.items() if k != "trial"} == {k: v for k, v in quiet.items() if k != "trial"}
    shop = json.loads(CliRunner().invoke(app, ["validate", str(ROOT / "schemas" / "coffee_shop.yaml"), "--json"]).stdout)
    assert shop["trial"]["reasons"] == ["related tables are checked by making their rows"] and shop["trial"]["rows"] > 0
