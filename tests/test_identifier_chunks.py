"""Identifiers are the same however the rows are cut into chunks: every identifier-like kind ``synth fit`` writes.

The same schema and seed must give byte-identical output whatever the chunk size (a child table's chunks hold
its parents' children, so their sizes vary) and for any number of workers. Each kind is generated with chunks
of 1, 7 and 64 rows, with the whole table in one chunk, and with 2 workers, and compared with the one-chunk run.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

import synth
import synth.engine
from synth.schema import Schema

ROWS = 400

#: One entry per identifier-like kind the fit writes (and the settings that change how it draws), with empty rows.
KINDS = {
    "pattern": {"kind": "pattern", "patterns": {"S######": 30, "#######": 70}, "nulls": 0.1},
    "pattern_unique": {"kind": "pattern", "patterns": {"S######": 30, "#######": 70}, "unique": True},
    "sorted_pattern": {"kind": "pattern", "patterns": {"N###??": 76, "N#####": 17, "N####?": 7}, "sorted": True,
                       "unique": True, "nulls": 0.05},
    "running_numbers": {"kind": "pattern", "patterns": {"INV-#####": 70, "INV/2024/#####": 30}, "increasing": True,
                        "start": {"INV-#####": "INV-00100", "INV/2024/#####": "INV/2024/00017"}, "step": 1.4},
    "running_numbers_one": {"kind": "pattern", "patterns": {"##-######": 1}, "increasing": True, "step": 2.5,
                            "nulls": 0.2},
    "phone": {"kind": "phone", "region": "US", "formats": {"(###) ###-####": 60, "###-###-####x##": 40},
              "nulls": 0.1},
    "phone_prefixes": {"kind": "phone", "region": "US", "formats": {"(###) ###-####": 1},
                       "leading": {"312": 70, "773": 30}},
    "sequence": {"kind": "sequence", "start": 17, "prefix": "2015-", "digits": 6, "nulls": 0.1},
    "sequence_formats": {"kind": "sequence", "start": {"INV-{}": 9, "CR-{}": 120}, "step": 3,
                         "formats": {"INV-{}": 70, "CR-{}": 30}},
    "uuid": {"kind": "uuid", "nulls": 0.1},
}


def _schema(kind: str) -> Schema:
    import json

    column = {"name": "id", **KINDS[kind]}
    return Schema.from_yaml_text(json.dumps({"columns": [column, {"name": "x", "kind": "integer", "min": 1, "max": 9}]}))


def _table(schema: Schema, chunk_rows: int, monkeypatch: pytest.MonkeyPatch, workers: int = 1) -> pa.Table:
    with monkeypatch.context() as patch:
        patch.setattr(synth.engine, "CHUNK_ROWS", chunk_rows)
        return pa.concat_tables(synth.iter_chunks(schema, rows=ROWS, seed=11, workers=workers))


@pytest.mark.parametrize("kind", list(KINDS))
def test_identifiers_do_not_depend_on_the_chunking(kind, monkeypatch):
    schema = _schema(kind)
    whole = _table(schema, 10**6, monkeypatch)["id"]
    assert whole.null_count < ROWS and len(set(whole.to_pylist())) > ROWS // 2  # real values, not a constant
    for chunk_rows in (7, 64):
        assert _table(schema, chunk_rows, monkeypatch)["id"].equals(whole), f"{kind}: chunks of {chunk_rows} rows differ"
    assert _table(schema, 7, monkeypatch, workers=2)["id"].equals(whole), f"{kind}: 2 workers differ"
    # Chunks of one row: every row is its own chunk (a spread of them, as 400 one-row chunks take seconds).
    with monkeypatch.context() as patch:
        patch.setattr(synth.engine, "CHUNK_ROWS", 1)
        plan = synth.engine.Plan(schema, rows=ROWS, seed=11)
        for row in (0, 1, 2, 3, 57, 58, 199, 200, 333, ROWS - 1):
            assert plan.chunk(row)["id"].to_pylist() == [whole[row].as_py()], f"{kind}: row {row} alone differs"


def test_identifiers_in_conditional_cases_see_their_own_rows(monkeypatch):
    # A case is drawn for some rows of the chunk only: a row-keyed column must see those rows' numbers, not
    # 0, 1, 2, ... again (which gave both cases the same numbers, and chunks of one row other codes).
    schema = Schema.from_yaml_text(
        "columns:\n"
        "  - {name: t, kind: choice, values: [a, b]}\n"
        "  - name: id\n    kind: conditional\n    on: t\n    cases:\n"
        "      a: {kind: pattern, patterns: ['A-####'], increasing: true}\n"
        "      b: {kind: pattern, patterns: ['B-####'], increasing: true}\n")
    whole = _table(schema, 10**6, monkeypatch)
    a = whole.filter(pa.compute.equal(whole["t"], "a"))["id"].to_pylist()
    assert a == [f"A-{r:04d}" for r, t in enumerate(whole["t"].to_pylist()) if t == "a"], "code r for row r"
    b = whole.filter(pa.compute.equal(whole["t"], "b"))["id"].to_pylist()
    assert b == [f"B-{r:04d}" for r, t in enumerate(whole["t"].to_pylist()) if t == "b"]
