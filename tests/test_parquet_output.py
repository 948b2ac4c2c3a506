"""Parquet output: native types, 1M-row row groups, the same bytes for any number of workers; text formats unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import synth
from synth import sinks
from synth.errors import SynthError

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"

TYPED = """
name: typed
seed: 4
columns:
  - {name: day, kind: date, start: 2024-01-01, end: 2024-12-31, format: "%d/%m/%Y"}
  - {name: at, kind: time, start: "06:00", end: "21:00", step: 1m, format: "%H:%M"}
  - {name: seen, kind: datetime, start: 2024-03-30 00:00:00, end: 2024-04-02 00:00:00, timezone: Europe/Paris}
  - {name: naive, kind: datetime, start: 2024-03-30 00:00:00, end: 2024-04-02 00:00:00}
  - {name: price, kind: float, distribution: uniform, min: 1, max: 100, round: 2}
  - {name: ratio, kind: float, distribution: uniform, min: 0, max: 1}
  - {name: qty, kind: integer, distribution: uniform, min: 1, max: 5}
  - {name: total, kind: expression, expr: "round(price * qty, 2)"}
  - {name: half, kind: expression, expr: price / 2}
  - {name: colour, kind: choice, values: [red, green]}
"""


@pytest.fixture(scope="module")
def typed(tmp_path_factory) -> tuple[pa.Table, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("typed")
    schema = synth.Schema.from_yaml_text(TYPED)
    synth.write(schema, folder / "t.parquet", rows=5000)
    synth.write(schema, folder / "t.csv", rows=5000)
    return pq.read_table(folder / "t.parquet"), pd.read_csv(folder / "t.csv", dtype=str)


def test_parquet_stores_dates_times_zoned_timestamps_and_decimals_as_such(typed):
    table, _ = typed
    types = {f.name: f.type for f in table.schema}
    assert types["day"] == pa.date32()
    assert types["at"] == pa.time64("us")
    # Parquet has no seconds unit: whole seconds come back as milliseconds
    assert pa.types.is_timestamp(types["seen"]) and types["seen"].tz == "Europe/Paris"
    assert pa.types.is_timestamp(types["naive"]) and types["naive"].tz is None
    assert types["price"] == pa.decimal128(18, 2) and types["total"] == pa.decimal128(18, 2)
    assert types["ratio"] == pa.float64() and types["half"] == pa.float64()  # no scale fixed: stays a float
    assert types["qty"] == pa.int64()


def test_parquet_values_are_the_ones_csv_writes_as_text(typed):
    table, text = typed
    frame = table.to_pandas()
    assert (frame.day.map(lambda d: d.strftime("%d/%m/%Y")) == text.day).all()
    assert (frame["at"].map(lambda t: t.strftime("%H:%M")) == text["at"]).all()
    assert (frame.price.map(str) == text.price.map(lambda v: str(Decimal(v).quantize(Decimal("0.01"))))).all()
    # the decimal is the value the float stands for: 164.95, where the CSV shows 164.95000000000002
    assert ((frame.total.map(float) - text.total.astype(float)).abs() < 1e-9).all()
    assert (frame.total.map(lambda d: d.as_tuple().exponent) == -2).all()
    # wall-clock times in the zone: the CSV's naive text, read back in Paris time
    local = frame.seen.dt.tz_convert("Europe/Paris").dt.strftime("%Y-%m-%d %H:%M:%S")
    agree = local == text.seen
    # only wall-clock times in the hour the clocks skip (2024-03-31 02:00-02:59) move, to the earlier instant
    assert text.seen[~agree].str.startswith("2024-03-31 02:").all() and agree.mean() > 0.95


def test_coffee_parquet_time_date_and_amount_have_their_own_types(tmp_path):
    out = tmp_path / "c.parquet"
    synth.write(synth.load_schema(COFFEE), out, rows=1000)
    types = {f.name: f.type for f in pq.read_schema(out)}
    assert types["time"] == pa.time64("us") and types["date"] == pa.date32()
    assert types["amount"] == pa.decimal128(18, 2)
    assert pa.types.is_dictionary(types["product"])
    first = pq.read_table(out).slice(0, 1).to_pylist()[0]
    assert isinstance(first["time"], dt.time) and dt.time(6) <= first["time"] <= dt.time(21)


ROWS = 2 * sinks.ROW_GROUP_ROWS + 3 * synth.CHUNK_ROWS + 17
CHEAP = "name: cheap\ncolumns:\n  - {name: id, kind: sequence}\n  - {name: c, kind: choice, values: [a, b, c]}\n"


def test_row_groups_hold_a_million_rows_and_bytes_do_not_depend_on_workers(tmp_path):
    schema = synth.Schema.from_yaml_text(CHEAP)
    one, three = tmp_path / "one.parquet", tmp_path / "three.parquet"
    synth.write(schema, one, rows=ROWS, workers=1)
    synth.write(schema, three, rows=ROWS, workers=3)
    meta = pq.ParquetFile(one).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1_000_000, 1_000_000, 300_017]
    assert one.read_bytes() == three.read_bytes()
    assert pq.read_table(one).column("id").to_numpy()[-1] == ROWS
    columns = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i).encodings for i in range(2)}
    assert "DELTA_BINARY_PACKED" in columns["id"] and "RLE_DICTIONARY" not in columns["id"]  # running ids: deltas
    assert "RLE_DICTIONARY" in columns["c"]  # repeated values: a dictionary


def test_a_failing_write_is_one_clear_error_and_leaves_no_file(tmp_path, monkeypatch):
    def broken(self, table):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks._CsvSink, "write", broken)
    out = tmp_path / "c.csv"
    with pytest.raises(SynthError, match="write failed: No space left on device") as info:
        synth.write(synth.load_schema(COFFEE), out, rows=3 * synth.CHUNK_ROWS)
    assert "\n" not in str(info.value)
    assert not out.exists() and not list(tmp_path.iterdir())
