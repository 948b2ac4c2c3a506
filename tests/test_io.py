"""Sources and sinks by address: every registered format and compression, Parquet folders, stdin/stdout,
unknown schemes, a store added by one registration, catalog files typed like YAML, help and README listings."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app
from synth.errors import SynthError
from synth.io import COMPRESSIONS, FORMATS, STORES, Store, open_sink, parse_address, read_table, register_store, write_table

ROOT = Path(__file__).resolve().parents[1]
COFFEE = ROOT / "schemas" / "coffee.yaml"
TEXT_FORMATS = [f for f in FORMATS.values() if f.streams]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.output
    return lines[0]


def decompress(path: Path) -> bytes:
    """The bytes inside a compressed file, with the standard library (an independent check of what Arrow wrote)."""
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix)
    if opener is not None:
        with opener(path, "rb") as stream:
            return stream.read()
    assert path.suffix == ".zst"  # not in the standard library before Python 3.14
    with pa.input_stream(str(path), compression="zstd") as stream:
        return stream.read()


FRAME = pd.DataFrame({"code": ["00123", "A-7", None], "n": [1, 2, 3], "x": [0.5, None, 2.25]})


# --- addresses --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, scheme, path, ext, compression, stem", [
    ("real.csv", "file", "real.csv", ".csv", None, "real"),
    ("data/real.CSV.GZ", "file", "data/real.CSV.GZ", ".csv", "gzip", "real"),
    ("e.jsonl.zst", "file", "e.jsonl.zst", ".jsonl", "zstd", "e"),
    ("events/", "file", "events/", "", None, "events"),
    ("file:///tmp/t.parquet", "file", "/tmp/t.parquet", ".parquet", None, "t"),
    ("-", "file", "-", "", None, "stdin"),
    ("SQLite://shop.db/orders", "sqlite", "shop.db/orders", "", None, "orders"),
    (".gz", "file", ".gz", "", None, ".gz"),  # a hidden file called .gz, not a compressed nothing
])
def test_an_address_is_taken_apart_once(text, scheme, path, ext, compression, stem):
    a = parse_address(text)
    assert (a.scheme, a.path, a.extension, a.compression, a.stem) == (scheme, path, ext, compression, stem)


# --- every registered format, with and without compression -------------------------------------------

@pytest.mark.parametrize("fmt", TEXT_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("suffix", [""] + list(COMPRESSIONS))
def test_text_formats_round_trip_plain_and_compressed_with_the_same_bytes_inside(tmp_path, fmt, suffix):
    plain, packed = tmp_path / f"t{fmt.extensions[0]}", tmp_path / f"t{fmt.extensions[0]}{suffix}"
    write_table(FRAME, plain)
    write_table(FRAME, packed)
    if suffix:
        assert decompress(packed) == plain.read_bytes()  # compression changes the file, not the table in it
    back = read_table(packed)
    assert back.n.tolist() == [1, 2, 3] and back.x.isna().tolist() == [False, True, False]
    assert back.code.iloc[1] == "A-7" and pd.isna(back.code.iloc[2])
    again = tmp_path / "again" / packed.name
    again.parent.mkdir()
    write_table(FRAME, again)
    assert again.read_bytes() == packed.read_bytes()  # deterministic: no time stamp in a gzip header
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({plain.name, packed.name, "again"})  # no temporaries


def test_parquet_round_trips_and_refuses_a_compression_suffix(tmp_path):
    write_table(FRAME, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), FRAME, check_dtype=False)
    with pytest.raises(SynthError, match=r"t.parquet.gz: Parquet is compressed inside the file; drop the .gz suffix"):
        write_table(FRAME, tmp_path / "t.parquet.gz")
    assert not (tmp_path / "t.parquet.gz").exists()


@pytest.mark.parametrize("out", ["coffee.csv.gz", "coffee.jsonl.xz", "coffee.parquet"])
def test_generate_writes_compressed_and_parquet_outputs_holding_the_plain_table(tmp_path, out):
    assert run("generate", str(COFFEE), "-n", "500", "-o", str(tmp_path / "plain.csv"), "-q").exit_code == 0
    result = run("generate", str(COFFEE), "-n", "500", "-o", str(tmp_path / out), "-q")
    assert result.exit_code == 0, result.output
    plain = pd.read_csv(tmp_path / "plain.csv")
    if out.endswith(".csv.gz"):
        assert decompress(tmp_path / out) == (tmp_path / "plain.csv").read_bytes()
    got = read_table(tmp_path / out)
    assert list(got.columns) == list(plain.columns) and len(got) == 500
    assert got["product"].astype(str).tolist() == plain["product"].tolist()


def test_fit_and_audit_read_a_gzipped_csv_as_they_read_the_csv(tmp_path):
    real = tmp_path / "real.csv"
    assert run("generate", str(COFFEE), "-n", "1000", "-o", str(real), "-q").exit_code == 0
    (tmp_path / "real.csv.gz").write_bytes(gzip.compress(real.read_bytes()))
    for name in ("real.csv", "real.csv.gz"):
        result = run("fit", str(tmp_path / name), "--out", str(tmp_path / f"{name}.yaml"), "-q")
        assert result.exit_code == 0, result.output
    assert (tmp_path / "real.csv.yaml").read_text() == (tmp_path / "real.csv.gz.yaml").read_text()
    small = tmp_path / "small.csv"  # the audit's models make a big table slow; a small one reads the same way
    small.write_text("x,c\n" + "".join(f"{i % 17 * 1.5},{'abc'[i % 3]}\n" for i in range(300)))
    (tmp_path / "small.csv.gz").write_bytes(gzip.compress(small.read_bytes()))
    # One audit (its models are slow even on small tables): a gzipped real table against the plain CSV of the
    # same rows reads as the same table, so every fidelity score is perfect.
    result = run("audit", str(tmp_path / "small.csv.gz"), str(small), "--allow-no-holdout", "--json", str(tmp_path / "r.json"), "-q")
    assert result.exit_code in (0, 1), result.output
    scores = {m["name"]: m["score"] for m in json.loads((tmp_path / "r.json").read_text())["metrics"] if m["section"] == "fidelity"}
    assert scores["worst_column_shape"] == 1.0, scores


# --- folders, stdin, stdout ----------------------------------------------------------------------------

def test_a_parquet_dataset_folder_is_read_as_one_table_in_file_name_order(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    pq.write_table(pa.table({"id": [3, 4], "v": ["c", "d"]}), folder / "part-00001.parquet")
    pq.write_table(pa.table({"id": [1, 2], "v": ["a", "b"]}), folder / "part-00000.parquet")
    (folder / "_SUCCESS").write_text("")  # what Spark leaves beside its files
    (folder / ".part-00000.parquet.crc").write_bytes(b"\x00crc")
    frame = read_table(folder)
    assert frame.id.tolist() == [1, 2, 3, 4] and frame.v.tolist() == ["a", "b", "c", "d"]
    result = run("fit", str(folder), "--out", str(tmp_path / "twin.yaml"), "-k", "1", "-q")
    assert result.exit_code == 0, result.output
    assert "\nname: events\n" in (tmp_path / "twin.yaml").read_text()


def test_an_empty_folder_is_one_clear_line(tmp_path):
    (tmp_path / "nothing").mkdir()
    line = one_error_line(run("fit", str(tmp_path / "nothing")))
    assert f"{tmp_path / 'nothing'}: is a folder without data files" in line


@pytest.mark.parametrize("text", ["a,b\n00123,1\n7,2\n", '{"a": "00123", "b": 1}\n{"a": "7", "b": 2}\n'], ids=["csv", "jsonl"])
def test_stdin_is_read_by_its_content(monkeypatch, text):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    frame = read_table("-")
    assert list(frame.columns) == ["a", "b"] and frame.b.tolist() == [1, 2]


def test_fit_reads_stdin_and_generate_writes_stdout_the_bytes_of_the_file(tmp_path):
    out = tmp_path / "c.csv"
    assert run("generate", str(COFFEE), "-n", "300", "-o", str(out), "-q").exit_code == 0
    piped = run("generate", str(COFFEE), "-n", "300", "-o", "-", "-q")
    assert piped.exit_code == 0 and piped.stdout_bytes == out.read_bytes()
    result = run("fit", "-", "--out", str(tmp_path / "twin.yaml"), "-q", input=out.read_text())
    assert result.exit_code == 0, result.output
    assert synth.load_schema(tmp_path / "twin.yaml").name == "stdin"
    assert "standard input is empty" in one_error_line(run("fit", "-", "--out", str(tmp_path / "x.yaml"), input=""))


# --- schemes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("generate", str(COFFEE), "-n", "5", "-o", "nosuch://db/t"), ("fit", "nosuch://db/t"),
                                  ("audit", "nosuch://a", "nosuch://b")])
def test_an_unknown_scheme_is_one_line_listing_the_known_ones(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run(*args))
    assert line == ("error: nosuch://db/t" if "nosuch://db/t" in args else "error: nosuch://a") + \
        ": unknown address scheme 'nosuch'; known: file://, sqlite://, duckdb://, postgresql:// (or a file path, a Parquet folder, - for stdin/stdout)"
    assert list(tmp_path.iterdir()) == []


class MemoryStore(Store):
    """A store added the way a database store will be: one class, one registration (tables kept in a dict)."""

    scheme, description = "mem", "mem://NAME, a table in memory"
    tables: dict[str, pa.Table] = {}
    events: list[str] = []

    def read(self, address, yaml_types=False):
        return self.tables[address.path].to_pandas()

    def check_writable(self, address):
        pass

    def sink(self, address):
        store, staged = self, []

        class Staged:  # a staging table: swapped in at commit, dropped at abort
            native = True

            def write(self, table):
                staged.append(table)

            def commit(self):
                store.tables[address.path] = pa.concat_tables(staged)
                store.events.append("commit")

            def abort(self):
                staged.clear()
                store.events.append("abort")

        return Staged()


@pytest.fixture
def memory_store():
    register_store(MemoryStore)
    MemoryStore.tables.clear()
    MemoryStore.events.clear()
    yield MemoryStore
    del STORES["mem"]


def test_a_store_registered_once_works_for_write_and_read_and_is_aborted_on_error(memory_store):
    assert synth.write(COFFEE, "mem://coffee", rows=250) == 250
    assert memory_store.events == ["commit"] and read_table("mem://coffee").shape == (250, 11)
    with pytest.raises(RuntimeError), open_sink("mem://broken") as sink:
        sink.write(pa.table({"a": [1]}))
        raise RuntimeError("a bug in the middle of a run")
    assert memory_store.events == ["commit", "abort"] and "broken" not in memory_store.tables


# --- catalog files: the one reader, YAML's types --------------------------------------------------------

def test_a_catalog_file_means_what_the_same_records_in_the_schema_mean(tmp_path):
    (tmp_path / "menu.csv").write_text("sku,name,price,vegan,w\n00123,Tea,2.5,true,1\n00777,Latte,4.5,false,3\n")
    inline = ("columns:\n  - {name: m, kind: catalog, weight: w, records: [{sku: 00123, name: Tea, price: 2.5, vegan: true, w: 1},"
              " {sku: 00777, name: Latte, price: 4.5, vegan: false, w: 3}]}\n")
    from_file = "columns:\n  - {name: m, kind: catalog, source: menu.csv, weight: w}\n"
    frames = [synth.generate(synth.Schema.from_yaml_text(text, base_dir=tmp_path), rows=200, seed=3) for text in (inline, from_file)]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert set(frames[1].sku.astype(str)) == {"00123", "00777"}  # leading zeros kept: codes, not numbers
    assert frames[1].vegan.dtype == bool


def test_a_catalog_can_be_any_table_synth_reads(tmp_path):
    (tmp_path / "menu.csv.gz").write_bytes(gzip.compress(b"product,price\nTea,2.5\nLatte,4.5\n"))
    write_table(pd.DataFrame({"product": ["Tea", "Latte"], "price": [2.5, 4.5]}), tmp_path / "menu.parquet")
    for name in ("menu.csv.gz", "menu.parquet"):
        schema = synth.Schema.from_yaml_text(f"columns:\n  - {{name: m, kind: catalog, source: {name}}}\n", base_dir=tmp_path)
        frame = synth.generate(schema, rows=100)
        assert set(zip(frame["product"].astype(str), frame.price)) == {("Tea", 2.5), ("Latte", 4.5)}


# --- help texts and the README list every registered unit -------------------------------------------------

def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("command", [("generate", "--help"), ("fit", "--help"), ("audit", "--help")])
def test_help_names_every_registered_format_compression_and_scheme(command):
    text = _flat(run(*command).stdout)
    for name in [ext for f in FORMATS.values() for ext in f.extensions] + list(COMPRESSIONS):
        assert re.search(rf"{re.escape(name)}\b", text), (command, name)
    for scheme in STORES:
        assert scheme == "file" or f"{scheme}://" in text, (command, scheme)
    assert "- for std" in text


def test_readme_names_every_registered_format_compression_and_scheme():
    section = _flat((ROOT / "README.md").read_text().split("## Input and output", 1)[1].split("\n## ", 1)[0])
    for fmt in FORMATS.values():
        assert fmt.label in section and all(f"`{ext}`" in section for ext in fmt.extensions), fmt.name
    assert all(f"`{suffix}`" in section for suffix in COMPRESSIONS)
    assert all(scheme == "file" or f"`{scheme}://`" in section for scheme in STORES)


# --- writing a Parquet dataset folder: parts, _SUCCESS last, renamed into place --------------------------------
@pytest.fixture(scope="module")
def coffee_file(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("file") / "coffee.parquet"
    synth.write(COFFEE, out, rows=2500, seed=3)
    return read_table(out)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dataset_folder_holds_parts_and_success_and_reads_back_as_the_file_does(tmp_path, monkeypatch, coffee_file, workers):
    import synth.engine
    import synth.sinks

    monkeypatch.setattr(synth.engine, "CHUNK_ROWS", 1000)  # 3 chunks ...
    monkeypatch.setattr(synth.sinks, "PART_ROWS", 700)  # ... cut into 4 parts across chunk edges
    file_out = tmp_path / "coffee.parquet"
    synth.write(COFFEE, file_out, rows=2500, seed=3)
    result = run("generate", str(COFFEE), "-n", "2500", "--seed", "3", "-o", f"{tmp_path / 'events'}/", "-w", str(workers), "-q")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "events"
    assert sorted(p.name for p in folder.iterdir()) == ["_SUCCESS", "part-00000.parquet", "part-00001.parquet",
                                                        "part-00002.parquet", "part-00003.parquet"]
    assert [pq.read_metadata(folder / f"part-0000{i}.parquet").num_rows for i in range(4)] == [700, 700, 700, 400]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coffee.parquet", "events"]  # no temporary folder left
    pd.testing.assert_frame_equal(read_table(folder), read_table(file_out))


def test_a_dataset_written_again_replaces_the_complete_one(tmp_path, coffee_file):
    folder = tmp_path / "events"
    for rows in (5000, 2500):
        synth.write(COFFEE, f"{folder}/", rows=rows, seed=3)
    pd.testing.assert_frame_equal(read_table(folder), coffee_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events"]


def test_an_aborted_dataset_write_leaves_nothing(tmp_path):
    folder = tmp_path / "events"
    with pytest.raises(RuntimeError, match="boom"):
        with open_sink(f"{folder}/") as sink:
            sink.write(pa.table({"a": [1, 2]}))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_killed_dataset_write_leaves_nothing_at_the_target_and_the_next_run_clears_it(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "events"
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "generate", str(COFFEE), "-n", "50000000", "-o", f"{folder}/", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not any((p / "part-00000.parquet").exists() for p in tmp_path.iterdir()):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(f".events.tmp-{proc.pid}@"), left  # only the hidden folder
    with pytest.raises(SynthError, match="events: no such folder"):
        read_table(f"{folder}/")
    result = run("generate", str(COFFEE), "-n", "100", "-o", f"{folder}/", "-q")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["events"] and (folder / "_SUCCESS").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "holds files but no _SUCCESS marker"),
    (lambda p: p.write_text("a file"), "it is a file"),
])
def test_a_folder_or_file_that_is_not_a_complete_dataset_is_never_replaced(tmp_path, make, message):
    target = tmp_path / "events"
    make(target)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = run("generate", str(COFFEE), "-n", "100", "-o", f"{target}/")
    line = result.stderr.strip()
    assert result.exit_code == 2 and len(line.splitlines()) == 1 and f"{target}: cannot write" in line and message in line, line
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
