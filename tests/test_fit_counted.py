"""Running numbers without zero padding (``INV-9, INV-10, INV-11``): sorted by the number inside, not as text.

The fit must see that they count up, and the twin's ids must count up too, in the same unpadded shape (text
around a number of growing width), in the same format shares, and never be real ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.errors import SynthError
from synth.fit import FitConfig, SchemaFitter

N = 3000


def _numbers(rng: np.random.Generator) -> np.ndarray:
    return 5 + np.cumsum(rng.integers(1, 3, N))  # 7, 8, 10, ... up to ~4,500: widths 1 to 4 digits


def _fit_and_twin(ids: list[str], rows: int = N, **options) -> tuple[dict, pd.Series]:
    rng = np.random.default_rng(1)
    real = pd.DataFrame({"id": ids, "amount": rng.gamma(2, 10, len(ids)).round(2)})
    schema = SchemaFitter(FitConfig(**options)).fit(real, name="t").schema_.to_dict()
    twin = synth.generate(synth.Schema.from_dict(schema), rows=rows, seed=4)
    return next(c for c in schema["columns"] if c["name"] == "id"), twin["id"].astype(str)


def _number(ids: pd.Series) -> np.ndarray:
    return ids.str.extract(r"(\d+)(?:\D*)$")[0].astype(np.int64).to_numpy()


@pytest.mark.parametrize("shape", ["INV-{}", "INV/2024/{}", "A-{}-X", "{}"])
def test_unpadded_running_numbers_count_up_in_the_same_shape(shape):
    rng = np.random.default_rng(7)
    numbers = _numbers(rng)
    real = [shape.format(k) for k in numbers]
    if shape == "{}":  # plain numbers held as text are numbers, not codes: not this test's business
        real = [f"#{k}" for k in numbers]
        shape = "#{}"
    spec, twin = _fit_and_twin(real)
    assert spec["kind"] == "sequence", spec
    prefix, suffix = shape.split("{}")
    assert twin.str.startswith(prefix).all() and twin.str.endswith(suffix).all()
    inner = twin.str.slice(len(prefix), len(twin.iloc[0]) - len(suffix) if suffix else None)
    assert inner.str.fullmatch(r"[1-9]\d*").all(), "no zero padding where the real ids have none"
    number = _number(twin)
    assert (np.diff(number) > 0).all(), "the twin's ids rise by their number"
    assert number[0] > numbers.max(), "counting on from past the largest real id"
    assert not twin.isin(set(real)).any(), "no real id is copied"
    assert 1 <= spec["step"] <= 2  # the real steps are 1 or 2


def test_several_unpadded_formats_keep_their_shares_and_each_counts_up():
    rng = np.random.default_rng(8)
    numbers = _numbers(rng)
    credit = rng.random(N) < 0.3
    real = [f"CR-{k}" if c else f"INV-{k}" for k, c in zip(numbers, credit)]
    spec, twin = _fit_and_twin(real, rows=6000)
    assert spec["kind"] == "sequence" and set(spec["formats"]) == {"INV-{}", "CR-{}"}, spec
    is_credit = twin.str.startswith("CR-")
    assert abs(is_credit.mean() - credit.mean()) < 0.03
    for part in (twin[is_credit], twin[~is_credit]):
        assert (np.diff(_number(part)) > 0).all()
    assert not twin.isin(set(real)).any()


def test_zero_padding_that_the_numbers_outgrow_is_kept():
    numbers = 5 + np.arange(N) * 3  # 005 ... 9002: padded to 3 digits, then wider
    real = [f"17-{k:03d}" for k in numbers]
    spec, twin = _fit_and_twin(real, rows=50)
    assert spec["kind"] == "sequence" and spec["digits"] == 3 and spec["prefix"] == "17-", spec
    assert (np.diff(_number(twin)) > 0).all() and not twin.isin(set(real)).any()


def test_unpadded_ids_in_no_order_are_not_running_numbers():
    rng = np.random.default_rng(9)
    real = [f"INV-{k}" for k in rng.permutation(_numbers(rng))]
    spec, twin = _fit_and_twin(real)
    assert spec["kind"] == "pattern" and not spec.get("increasing") and not spec.get("sorted"), spec


def test_a_format_seen_in_fewer_than_k_rows_is_not_written():
    rng = np.random.default_rng(10)
    numbers = _numbers(rng)
    real = [f"INV-{k}" for k in numbers]
    for i in (100, 900, 2000):  # three rare ones, each its own format
        real[i] = f"SECRET{i}-{numbers[i]}"
    spec, twin = _fit_and_twin(real, min_count=5)
    assert spec["kind"] == "sequence" and "formats" not in spec and spec["prefix"] == "INV-", spec
    assert not twin.str.contains("SECRET").any()


def test_unpadded_running_numbers_round_trip_from_the_command_line(tmp_path):
    rng = np.random.default_rng(11)
    real = pd.DataFrame({"id": [f"INV-{k}" for k in _numbers(rng)], "v": rng.normal(size=N)})
    real.to_csv(tmp_path / "real.csv", index=False)
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(tmp_path / "real.csv"), "--out", str(tmp_path / "twin.yaml")])
    assert fitted.exit_code == 0, fitted.output
    made = runner.invoke(app, ["generate", str(tmp_path / "twin.yaml"), "--rows", "500", "--out",
                               str(tmp_path / "twin.csv"), "--quiet"])
    assert made.exit_code == 0, made.output
    twin = pd.read_csv(tmp_path / "twin.csv", dtype=str)["id"]
    assert twin.str.fullmatch(r"INV-[1-9]\d*").all() and (np.diff(_number(twin)) > 0).all()


@pytest.mark.parametrize("column, message", [
    ({"formats": {"INV-{}": 1, "INV-1{}": 1}}, "can make the same value"),
    ({"formats": {"INV-": 1}}, "must hold {} \\(the number\\) once"),
    ({"formats": {"A{}": 1}, "prefix": "x"}, "leave prefix and suffix out"),
    ({"formats": {"A{}": 1}, "start": {"B{}": 3}}, "start names 'B{}'"),
    ({"start": {"A{}": 3}}, "only with formats"),
])
def test_bad_sequence_formats_fail_with_one_line(column, message):
    schema = {"name": "bad", "columns": [{"name": "c", "kind": "sequence", **column}]}
    with pytest.raises(SynthError, match=message) as info:
        synth.generate(synth.Schema.from_dict(schema), rows=10)
    assert "\n" not in str(info.value)
