"""Golden bytes: a small fixed-seed output of every example schema is pinned.

Our output must not drift silently when numpy, pyarrow or Faker change what they produce (Faker changes
its data between releases). When this fails after an upgrade, look at what changed; if the change is
acceptable, record it deliberately with

    SYNTH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and say so in the commit message.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import synth
from synth.multitable import is_multi_table, load_database, write_tables

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
SCHEMAS = sorted((ROOT / "schemas").glob("*.yaml"))


@pytest.mark.parametrize("schema", SCHEMAS, ids=[p.stem for p in SCHEMAS])
def test_example_schema_output_bytes_are_pinned(schema, tmp_path):
    out = tmp_path / f"{schema.stem}.csv"
    if is_multi_table(schema):  # every table, its name and bytes, in the order they are written
        db = load_database(schema)
        written = write_tables(db, tmp_path / "tables", rows={t: 200 for t in db.roots if db.children(t)}, seed=12345)
        out.write_bytes(b"".join(t.encode() + b"\n" + (tmp_path / "tables" / f"{t}.csv").read_bytes() for t in written))
    else:
        synth.write(synth.load_schema(schema), out, rows=200, seed=12345)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    pinned = GOLDEN / f"{schema.stem}.sha256"
    if os.environ.get("SYNTH_UPDATE_GOLDEN"):
        pinned.write_text(digest + "\n")
        (GOLDEN / f"{schema.stem}.head.csv").write_text("".join(out.read_text().splitlines(True)[:6]))
    assert pinned.exists(), f"no golden hash for {schema.name}: run SYNTH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py"
    expected = pinned.read_text().strip()
    if digest != expected:
        head = (GOLDEN / f"{schema.stem}.head.csv").read_text() if (GOLDEN / f"{schema.stem}.head.csv").exists() else ""
        now = "".join(out.read_text().splitlines(True)[:6])
        pytest.fail(
            f"{schema.name}: output bytes changed (sha256 {digest[:12]} != pinned {expected[:12]}).\n"
            f"pinned first rows:\n{head}\nnow:\n{now}\n"
            "If a library upgrade caused this and the change is acceptable, update deliberately: "
            "SYNTH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py"
        )
