"""One column-kind inference for `synth fit`, its private mode and `synth audit`: vocabulary, thresholds, known cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import Tables, align, kinds_from_schema
from synth.columns import KINDS
from synth.datetimes import MONTHS, WEEKDAYS, datetime_format, parse_time_of_day, to_seconds
from synth.fit import FitConfig
from synth.fit.columns import learn_column
from synth.fit.private import _learn_private
from synth.inference import (COMPUTED_SCHEMA_KINDS, ColumnKind, InferenceConfig, Role, infer_column, infer_kind)
from synth.schema import Schema

ROWS = 400
rng = np.random.default_rng(0)

#: Known cases: a column, the kind both commands must see, and the schema kind `synth fit` writes.
KNOWN = {
    "flag_01": (pd.Series(rng.integers(0, 2, ROWS)), ColumnKind.BOOLEAN, "integer"),  # written back as 0/1
    "flag_text": (pd.Series(rng.choice(["True", "False", "true"], ROWS)), ColumnKind.BOOLEAN, "boolean"),
    "amount": (pd.Series(rng.normal(50, 10, ROWS).round(2)), ColumnKind.NUMERIC, "float"),
    "amount_na": (pd.Series(np.where(rng.random(ROWS) < 0.03, "N/A", rng.normal(50, 10, ROWS).round(1).astype(str))),
                  ColumnKind.NUMERIC, "float"),
    "zip_code": (pd.Series(rng.choice(["00123", "01234", "00999"], ROWS)), ColumnKind.CATEGORICAL, "choice"),
    "five_repeats": (pd.Series(np.repeat([f"c{i}" for i in range(ROWS // 5)], 5)), ColumnKind.IDENTIFIER, "pattern"),
    "ten_repeats": (pd.Series(np.repeat([f"c{i}" for i in range(ROWS // 10)], 10)), ColumnKind.CATEGORICAL, "choice"),
    "iso_date": (pd.Series(pd.date_range("2022-01-01", periods=ROWS, freq="D").strftime("%Y-%m-%d")),
                 ColumnKind.DATE, "date"),
    "us_date": (pd.Series(pd.date_range("2022-01-01", periods=ROWS, freq="D").strftime("%m/%d/%Y")),
                ColumnKind.DATE, "date"),
    "stamp": (pd.Series(pd.date_range("2022-01-01", periods=ROWS, freq="37min")), ColumnKind.DATETIME, "datetime"),
    "time_of_day": (pd.Series(pd.date_range("2022-01-01 06:00", periods=ROWS, freq="73s").strftime("%H:%M:%S")),
                    ColumnKind.TIME, "time"),
    "order_no": (pd.Series([f"2015-{i:06d}" for i in range(ROWS)]), ColumnKind.IDENTIFIER, "pattern"),
    "email": (pd.Series([f"user{i}@example.com" for i in range(ROWS)]), ColumnKind.IDENTIFIER, "faker"),
    "comment": (pd.Series([" ".join(rng.choice(["late", "parcel", "kind", "staff", "again", "very", "good"], 6))
                           for _ in range(ROWS)]), ColumnKind.TEXT, "faker"),
    "empty": (pd.Series([None] * ROWS, dtype=object), ColumnKind.CATEGORICAL, "choice"),
}


# --- the vocabulary -----------------------------------------------------------------------------------------

def test_every_kind_has_a_description_schema_kinds_and_an_audit_role():
    for kind in ColumnKind:
        assert kind.__doc__ and kind.__doc__ != ColumnKind.__doc__, kind
        assert kind.schema_kinds and set(kind.schema_kinds) <= set(KINDS), kind  # registered schema kinds
        assert isinstance(kind.role, Role)


def test_every_schema_kind_maps_to_a_column_kind_or_is_computed():
    for schema_kind in KINDS:
        kind = ColumnKind.of_schema_kind(schema_kind)
        assert (kind is None) == (schema_kind in COMPUTED_SCHEMA_KINDS), schema_kind
        if kind is not None:
            assert schema_kind in kind.schema_kinds


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_the_audit_places_every_kind_by_its_role(kind):
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    tables = Tables(frame, frame, None, {"x": kind})
    groups = {Role.NUMBER: tables.numeric, Role.CATEGORY: tables.categorical, Role.RECORD: tables.identifiers}
    assert [role for role, columns in groups.items() if "x" in columns] == [kind.role]


def test_kinds_read_and_print_as_plain_strings():
    assert ColumnKind.NUMERIC == "numeric" and f"{ColumnKind.TIME}" == "time" and str(ColumnKind.TEXT) == "text"


def test_audit_kinds_from_a_schema_use_the_vocabulary():
    schema = Schema.from_dict({"name": "t", "columns": [
        {"name": "n", "kind": "integer", "distribution": "uniform", "min": 0, "max": 9},
        {"name": "c", "kind": "choice", "values": ["a", "b"]},
        {"name": "id", "kind": "sequence"},
        {"name": "e", "kind": "expression", "expr": "n * 2"}]})
    assert kinds_from_schema(schema) == {"n": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL, "id": ColumnKind.IDENTIFIER}


# --- the thresholds -----------------------------------------------------------------------------------------

def test_the_category_threshold_comes_from_the_config():
    seven = pd.Series(np.repeat([f"v{i}" for i in range(40)], 7))
    assert infer_kind(seven) is ColumnKind.IDENTIFIER  # default: values seen in at least 10 rows
    assert infer_kind(seven, InferenceConfig(min_count=5)) is ColumnKind.CATEGORICAL
    # synth fit passes its privacy k: the same column is a category exactly when its values may be kept
    assert learn_column("v", seven, FitConfig(min_count=5)).spec["kind"] == "choice"
    assert learn_column("v", seven, FitConfig(min_count=10)).spec["kind"] != "choice"


def test_the_number_thresholds_come_from_the_config():
    words = pd.Series(["1.5"] * 96 + ["N/A"] * 4)
    assert infer_kind(words) is ColumnKind.NUMERIC  # 96% numbers, one placeholder word
    assert infer_kind(words, InferenceConfig(number_share_with_words=0.97)) is not ColumnKind.NUMERIC
    assert infer_kind(words, InferenceConfig(max_placeholder_words=0)) is not ColumnKind.NUMERIC


def test_the_format_and_free_text_thresholds_come_from_the_config():
    dates = pd.Series(["2022-01-0%d" % (i % 9 + 1) for i in range(90)] + ["0000-00-00"] * 10)
    assert infer_kind(dates) is not ColumnKind.DATE  # 90% in one format: below the 95% default
    assert infer_kind(dates, InferenceConfig(format_share=0.85)) is ColumnKind.DATE
    sentence = pd.Series([f"three words {i}" for i in range(100)])
    assert infer_kind(sentence) is ColumnKind.IDENTIFIER
    assert infer_kind(sentence, InferenceConfig(sentence_words=2)) is ColumnKind.TEXT


def test_the_identity_thresholds_come_from_the_config():
    from synth.inference.identity import identity_provider

    emails = pd.Series([f"user{i}@example.com" for i in range(92)] + [f"nobody {i}" for i in range(8)])
    assert identity_provider(emails) is None  # 92% shaped like an email: below the 95% default
    assert identity_provider(emails, InferenceConfig(identity_share=0.9)) == "email"
    people = pd.Series(["Ann Lee", "Bo Chen", "Cy Diaz", "Di Park", "Ed Ruiz", "Flo Ng", "Gus Ito", "Hal Roe"] * 12)  # 8% distinct
    assert identity_provider(people) == "name"
    assert identity_provider(people, InferenceConfig(name_distinct_share=0.1)) is None


# --- known cases, through the one function, for fit and audit -----------------------------------------------

@pytest.mark.parametrize("name", list(KNOWN))
def test_known_cases_are_the_same_kind_for_fit_and_audit(name):
    series, kind, schema_kind = KNOWN[name]
    assert infer_column(series).kind is kind
    frame = pd.DataFrame({name: series})
    assert align(frame, frame).kinds[name] is kind  # synth audit
    learned = learn_column(name, series, FitConfig())  # synth fit
    assert learned.spec["kind"] == schema_kind
    assert schema_kind in kind.schema_kinds or (kind is ColumnKind.BOOLEAN and schema_kind == "integer")
    if learned.kind is not None:  # None: a constant or empty column
        assert learned.kind is kind or (kind is ColumnKind.BOOLEAN and learned.kind is ColumnKind.NUMERIC)


@pytest.mark.parametrize("name", ["flag_text", "amount", "iso_date", "time_of_day", "order_no", "comment"])
def test_the_private_fit_uses_the_same_kinds(name):
    series, kind, _ = KNOWN[name]
    cfg = FitConfig(epsilon=1.0, dp_seed=0)
    _, _, private_kind = _learn_private(name, series, 0.5, 1e-6, ROWS, cfg, np.random.default_rng(0))
    assert private_kind is kind


def test_a_zero_one_flag_is_a_boolean_to_audit_and_stays_zero_one_in_a_fit():
    series = KNOWN["flag_01"][0]
    learned = learn_column("flag", series, FitConfig())
    assert learned.spec["distribution"] == "weighted" and set(learned.spec["values"]) == {0, 1}


# --- dates and times ----------------------------------------------------------------------------------------

def test_dates_and_times_are_read_in_one_place():
    assert datetime_format(pd.Series(["31.01.2022", "01.02.2022"] * 5)) == ("%d.%m.%Y", 1.0)
    assert to_seconds(pd.Series(["1970-01-02", None])).tolist()[0] == 86400.0
    assert np.isnan(to_seconds(pd.Series(["1970-01-02", None])).tolist()[1])
    aware = pd.Series(pd.to_datetime(["2022-06-01 10:00"]).tz_localize("Europe/Paris"))
    assert to_seconds(aware, time_of_day=True).tolist() == [8 * 3600.0]  # UTC instants
    assert to_seconds(aware, time_of_day=True, utc=False).tolist() == [10 * 3600.0]  # wall clock
    assert parse_time_of_day("07:30:15") == 7 * 3600 + 30 * 60 + 15
    assert len(WEEKDAYS) == 7 and len(MONTHS) == 12
