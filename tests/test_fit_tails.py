"""Rare values past a listed column's last common one keep their mass as a tail (issue 17: pair trends).

A column of listed values (weekly hours, build years) leaves out the values fewer than k rows hold. When those
lie past the outermost common value (60 hours: the 62, 65, ..., 80 that few work), cutting them ended the twin's
range early, and a score that bins each table on its own range (SDMetrics' pair trends) bins the twin on other
edges: hours/insured scored 0.56 on health_ins although the crosstab of hour bands matched. Their rows now go
into a tail past the last common value, as far as the column's smoothed range reaches, and no rare value is
written into the schema.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import synth
from synth.cli import app
from synth.columns.distributions import Tail, Weighted
from synth.fit import FitConfig, SchemaFitter, learn_column

K = 10  # FitConfig's min_count: the privacy k


@pytest.fixture(scope="module")
def work() -> pd.DataFrame:
    """Weekly hours by cover: common values 0, 20, 30, 40, 45, 50, 60; past 60 a thin tail of values fewer than
    k rows hold each (62 ... 84), mostly among the insured."""
    rng = np.random.default_rng(7)
    n = 4000
    insured = rng.random(n) < 0.5
    common = np.array([0, 20, 30, 40, 45, 50, 60])
    hours = np.where(insured, rng.choice(common, n, p=[0.10, 0.05, 0.10, 0.50, 0.10, 0.10, 0.05]),
                     rng.choice(common, n, p=[0.45, 0.15, 0.15, 0.15, 0.04, 0.03, 0.03]))
    rare = {62: 3, 64: 2, 66: 4, 68: 1, 70: 9, 72: 5, 75: 8, 77: 2, 80: 9, 84: 3}  # 46 rows, each value < k
    at = rng.choice(np.flatnonzero(insured), sum(rare.values()), replace=False)
    hours[at] = np.repeat(list(rare), list(rare.values()))
    return pd.DataFrame({"insured": np.where(insured, "yes", "no"), "hours": hours})


@pytest.fixture(scope="module")
def fitted(work) -> tuple[dict, pd.DataFrame]:
    fitter = SchemaFitter(FitConfig(seed=0)).fit(work, name="work")
    return fitter.spec_, synth.generate(fitter.schema_, rows=len(work), seed=1)


def _rare(values: pd.Series) -> set[float]:
    counts = values.value_counts()
    return {float(v) for v in counts.index[counts < K]}


def _numbers(entry: object) -> list[float]:
    """Every number a schema entry writes (mapping keys too: a weighted column's values are its keys)."""
    if isinstance(entry, dict):
        return [x for k, v in entry.items() for x in _numbers(k) + _numbers(v)]
    if isinstance(entry, list):
        return [x for v in entry for x in _numbers(v)]
    if isinstance(entry, bool):
        return []
    if isinstance(entry, (int, float)):
        return [float(entry)]
    if isinstance(entry, str):
        try:
            return [float(entry)]
        except ValueError:
            return []
    return []


def _pair_score(real: pd.DataFrame, twin: pd.DataFrame, number: str, category: str) -> float:
    """SDMetrics' pair trend of a number and a category: each table's number cut in 10 bins on its own range,
    then 1 - total variation distance of the two crosstabs."""
    def crosstab(t: pd.DataFrame) -> pd.Series:
        bins = np.digitize(t[number], np.histogram_bin_edges(t[number].dropna()))
        return pd.crosstab(bins, t[category], normalize=True).stack()

    a, b = crosstab(real).align(crosstab(twin), fill_value=0.0)
    return float(1 - 0.5 * (a - b).abs().sum())


def test_the_rare_values_past_the_last_common_one_become_a_tail(work):
    spec = learn_column("hours", work["hours"], FitConfig()).spec
    assert spec["distribution"] == "weighted" and max(spec["values"]) == 60
    (tail,) = spec["tails"]
    assert tail["beyond"] == 60 and tail["weight"] == 46  # every rare row past 60, none before it
    assert 80 <= tail["to"] <= 95  # the smoothed range's end: near the real 84, read only from the k-th value in
    assert "46 rows past 60 spread evenly up to" in spec["description"]


def test_the_twin_reaches_as_far_and_its_pair_trend_is_kept(work, fitted):
    _, twin = fitted
    assert twin["hours"].max() >= 80  # the old fit: 60, where the common values end
    tail_share = (twin["hours"] > 60).mean()
    assert abs(tail_share - (work["hours"] > 60).mean()) < 0.006
    # binned on its own range, the twin's hours line up with the real ones (the old fit: 0.51)
    assert _pair_score(work, twin, "hours", "insured") > 0.93


def test_no_value_fewer_than_k_rows_hold_is_written(work, fitted):
    spec, _ = fitted
    (entry,) = [c for c in spec["columns"] if c["name"] == "hours"]
    written = set(_numbers(entry))
    rare = _rare(work["hours"])
    assert rare and not (written & rare), sorted(written & rare)
    assert yaml.safe_dump(spec)  # and the schema is plain YAML


def test_cases_of_a_conditioned_column_take_the_tail(fitted):
    spec, twin = fitted
    (entry,) = [c for c in spec["columns"] if c["name"] == "hours"]
    assert entry["kind"] == "conditional"
    tails = [t for case in entry["cases"] for t in case.get("tails", [])]
    assert tails and all(t["beyond"] == 60 for t in tails)
    # the insured hold the long hours, in the twin too
    assert (twin.loc[twin.insured == "yes", "hours"] > 60).mean() > 3 * (twin.loc[twin.insured == "no", "hours"] > 60).mean()


def test_a_tail_spreads_its_weight_evenly_rising_with_the_uniform():
    family = Weighted(values={0: 50, 40: 40, 70: 10}, tails=[Tail(beyond=70, to=89, weight=20),
                                                              Tail(beyond=0, to=-5, weight=5)])
    u = (np.arange(20_000) + 0.5) / 20_000
    x = family.sample(u, None, None)
    assert (np.diff(x) >= 0).all()  # monotone in u: a copula's ranks carry through
    assert set(np.unique(x[x > 70])) == set(range(71, 90))
    assert set(np.unique(x[x < 0])) == set(range(-5, 0))
    assert abs((x > 70).mean() - 20 / 125) < 1e-3 and abs((x < 0).mean() - 5 / 125) < 1e-3
    cdf = family.cdf(np.array([-6.0, -5, -1, 0, 39, 40, 70, 71, 89, 90]))
    assert np.allclose(cdf, [0, 1 / 125, 5 / 125, 55 / 125, 55 / 125, 95 / 125, 105 / 125, (105 + 20 / 19) / 125, 1, 1])
    assert np.allclose(cdf[[2, 7]], [(x[x <= v]).size / len(x) for v in (-1, 71)], atol=1e-3)  # as drawn
    assert family.sample(u, None, 80).max() == 80 and family.sample(u, -2, None).min() == -2
    assert family.in_tails(np.array([71.0, 89, 90, 70, 72.5, -5, -6])).tolist() == [True, True, False, False,
                                                                                 False, True, False]


def test_a_schema_with_tails_generates_the_same_bytes_and_a_bad_tail_is_one_error_line(tmp_path, monkeypatch):
    import json

    import pyarrow as pa
    from typer.testing import CliRunner

    import synth.engine
    from synth.schema import Schema

    columns = [
        {"name": "hours", "kind": "integer", "distribution": "weighted", "values": {0: 50, 40: 40, 60: 10},
         "tails": [{"beyond": 60, "to": 80, "weight": 5}]},
        {"name": "share", "kind": "float", "distribution": "weighted", "values": {0.5: 3, 1.5: 1},
         "tails": [{"beyond": 1.5, "to": 2.0, "weight": 1, "step": 0.1}]}]
    schema = Schema.from_yaml_text(json.dumps({"columns": columns}))
    tables = []
    for workers in (1, 2):  # the same bytes for the same seed, however many processes make the chunks
        with monkeypatch.context() as patch:
            patch.setattr(synth.engine, "CHUNK_ROWS", 700)
            tables.append(pa.concat_tables(synth.iter_chunks(schema, rows=3000, seed=4, workers=workers)))
    assert tables[0].equals(tables[1])
    twin = tables[0].to_pandas()
    assert twin["hours"].max() > 60 and set(twin.loc[twin.hours > 60, "hours"]) <= set(range(61, 81))
    assert set(np.round(twin.loc[twin.share > 1.5, "share"], 6)) <= {1.6, 1.7, 1.8, 1.9, 2.0}
    columns[0]["tails"] = [{"beyond": 60, "to": 60, "weight": 5}]
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "rows": 10, "columns": columns}))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "tail must end past where it starts" in lines[0], lines


def test_a_partitioned_fit_writes_the_same_tails(work, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from synth.fit.dataset import DatasetFitter

    path = tmp_path / "work.parquet"
    pq.write_table(pa.Table.from_pandas(work, preserve_index=False), path, row_group_size=500)
    cfg = FitConfig(seed=0, trees=False)
    local = SchemaFitter(cfg).fit(work, name="work").spec_
    parted = DatasetFitter(cfg, partition_rows=1_000).fit(path, name="work").spec_
    hours = [[c for c in spec["columns"] if c["name"] == "hours"][0] for spec in (local, parted)]
    assert hours[0]["tails"] == hours[1]["tails"] and hours[0]["tails"][0]["weight"] == 46
    assert hours[0]["description"] == hours[1]["description"]


def test_a_lookup_key_held_as_numbers_gets_no_tail():
    """Codes 1-5 fix a name each; codes 6-8 are rare (under k rows): a tail of codes would look up nothing."""
    rng = np.random.default_rng(5)
    code = rng.choice([1, 2, 3, 4, 5], 2000)
    code[:12] = [6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8]
    names = {1: "ant", 2: "bee", 3: "cat", 4: "dog", 5: "eel", 6: "fox", 7: "gnu", 8: "hen"}
    real = pd.DataFrame({"code": code, "animal": [names[c] for c in code]})
    assert "tails" in learn_column("code", real["code"], FitConfig()).spec  # on its own, the rare codes are a tail
    fitter = SchemaFitter(FitConfig(seed=0)).fit(real, name="codes")
    (entry,) = [c for c in fitter.spec_["columns"] if c["name"] == "code"]
    assert "tails" not in entry and "tails" not in str(entry.get("description"))
    twin = synth.generate(fitter.schema_, rows=4000, seed=3)
    assert set(twin["code"]) == {1, 2, 3, 4, 5} and twin["animal"].notna().all()


def test_fewer_than_k_rows_past_the_listed_values_make_no_tail():
    """Their count alone would be a cell of fewer than k people (three who work 80 hours or more)."""
    from synth.fit.columns import rare_tails

    hours, rows = np.array([0.0, 40, 60, 80, 84, 90]), np.array([50, 300, 10, 1, 1, 1])
    assert rare_tails(hours, rows, 10, 0) == {}
    assert rare_tails(hours, np.array([50, 300, 30, 4, 3, 3]), 10, 0)["tails"][0]["weight"] == 10
