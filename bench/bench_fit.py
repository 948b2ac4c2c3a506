"""Benchmark: `synth fit` + generate vs SDV's GaussianCopulaSynthesizer on the real tables in ../shared/data.

Quality is reported twice: over every column SDV scores, and without the columns synth deliberately
regenerates as identities (names, licence numbers: Faker/pattern columns that never copy real values and
so cannot match real values' frequencies; SDV learns e.g. pet names as categories and copies them).

Same train/holdout split (80/20, seeded), same row counts (as many synthetic rows as training rows), and
for both twins the same measures, computed in this one run:

- quality: SDMetrics' QualityReport properties "Column Shapes" (KS / TV complement) and "Column Pair
  Trends" (correlation and contingency similarity): the standard definitions;
- utility: train-on-synthetic, test-on-real-holdout (random forest) vs train-on-real, per table target,
  averaged over ``--tstr-twins`` twins per tool (one twin's score moves with its random draw);
- privacy: share of synthetic rows whose nearest real row is a training row rather than a holdout row
  (50% = no memorisation; computed on standardized numeric + one-hot categorical features), and the
  privacy section score and verdict of `synth audit` (audit.run) against the holdout;
- speed: fit + sample seconds, the best of ``--repeats`` runs for each (after a warm-up run of both).

SDV is not a dependency of synth: run this in an environment that has it, e.g.

    python -m venv /tmp/sdv && /tmp/sdv/bin/pip install torch==2.13.0 sdv && /tmp/sdv/bin/pip install -e .
    /tmp/sdv/bin/python bench/bench_fit.py [--tables penguins budget_food ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import f1_score, r2_score
from sklearn.neighbors import NearestNeighbors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

import synth  # noqa: E402
from synth.fit import FitConfig, SchemaFitter  # noqa: E402

TARGETS = {"penguins": "species", "budget_food": "wfood", "gss_wages": "realrinc", "seattle_pets": "species",
           "us_births": "births"}


def roundtrip_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Read a frame back the way the real CSV was read, so both twins are compared on equal terms."""
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    buf.seek(0)
    return pd.read_csv(buf)


IDENTITY_KINDS = ("faker", "pattern", "sequence", "uuid")


def best_of(repeats: int, run):  # noqa: ANN001, ANN201
    """Run ``repeats`` times; the last result and the fastest time (timeit's rule: the minimum is the least noisy)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return result, min(times)


def run_synth(train: pd.DataFrame, name: str, repeats: int):  # noqa: ANN201
    """The twin, the seconds for fit + sample, the columns synth regenerated as identities (never copied),
    and a function making further twins from the same fitted schema (for TSTR over several twins)."""
    def once() -> tuple[synth.Schema, pd.DataFrame]:
        schema = SchemaFitter(FitConfig(seed=0)).fit(train, name=name).schema_
        return schema, synth.generate(schema, rows=len(train), seed=1)

    (schema, twin), seconds = best_of(repeats, once)
    identity = [c.name for c in schema.columns if c.kind in IDENTITY_KINDS]
    more = lambda k: synth.generate(schema, rows=len(train), seed=1 + k)  # noqa: E731
    return twin, seconds, identity, more


def run_sdv(train: pd.DataFrame, name: str, repeats: int):  # noqa: ANN201
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    def once() -> tuple[Metadata, Any, pd.DataFrame]:
        metadata = Metadata.detect_from_dataframes(data={name: train})
        model = GaussianCopulaSynthesizer(metadata)
        model.fit({name: train})  # SDV 2 takes tables by name
        return metadata, model, _one_table(model.sample(num_rows=len(train)), name)

    (metadata, model, twin), seconds = best_of(repeats, once)
    more = lambda k: _one_table(model.sample(num_rows=len(train)), name)  # noqa: E731
    return twin, seconds, metadata.to_dict()["tables"][name], more


def _one_table(sampled: Any, name: str) -> pd.DataFrame:
    return sampled[name] if isinstance(sampled, dict) else sampled


def warm_up() -> None:
    """Imports and first-call set-up (Faker's providers, SDV's transformers) happen before any timing."""
    tiny = pd.DataFrame({"a": np.arange(200) % 7, "b": np.linspace(0, 1, 200), "c": ["x", "y"] * 100,
                         "who": [f"Anna{i}" for i in range(200)]})
    run_synth(tiny, "warm", 1)
    run_sdv(tiny, "warm", 1)


def quality(real: pd.DataFrame, fake: pd.DataFrame, meta: dict, skip: tuple[str, ...] = ()) -> tuple[float, float]:
    """Column shapes and pair trends with SDMetrics' metric units, averaged over columns and pairs.

    (SDMetrics' QualityReport itself returns NaN for most pairs under pandas 3, so the units are called
    directly.) Numbers and dates: KS complement, Pearson correlation similarity; categories: TV complement,
    contingency similarity; a number paired with a category is cut into 10 quantile bins of the real data.
    Identifier-like columns (SDV sdtype id or PII) are left out, as SDMetrics does.
    """
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.single_column import KSComplement, TVComplement

    kinds = {}
    for col, info in meta["columns"].items():
        if col in skip:
            continue
        sdtype = info["sdtype"]
        if sdtype in ("numerical", "datetime"):
            kinds[col] = "num"
        elif sdtype in ("categorical", "boolean", "ordinal"):
            kinds[col] = "cat"
    def numeric(frame: pd.DataFrame, col: str) -> pd.Series:
        if meta["columns"][col]["sdtype"] == "datetime":
            return pd.to_datetime(frame[col], errors="coerce", format="mixed").astype("int64").where(lambda x: x > -2**62)
        return pd.to_numeric(frame[col], errors="coerce")
    real_v = {c: numeric(real, c) if k == "num" else real[c].astype(str) for c, k in kinds.items()}
    fake_v = {c: numeric(fake, c) if k == "num" else fake[c].astype(str) for c, k in kinds.items()}
    shapes = []
    for c, k in kinds.items():
        metric = KSComplement if k == "num" else TVComplement
        shapes.append(metric.compute(real_v[c].dropna(), fake_v[c].dropna()))
    def binned(c: str) -> tuple[pd.Series, pd.Series]:
        if kinds[c] == "cat":
            return real_v[c], fake_v[c]
        edges = np.unique(np.nanquantile(real_v[c], np.linspace(0, 1, 11)))
        cut = lambda s: pd.Series(np.digitize(s, edges[1:-1]), index=s.index).where(s.notna(), -1).astype(str)  # noqa: E731
        return cut(real_v[c]), cut(fake_v[c])
    pairs = []
    cols = list(kinds)
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            if kinds[a] == kinds[b] == "num":
                r = pd.DataFrame({a: real_v[a], b: real_v[b]}).dropna()
                f = pd.DataFrame({a: fake_v[a], b: fake_v[b]}).dropna()
                pairs.append(CorrelationSimilarity.compute(r, f, coefficient="Pearson"))
            else:
                (ra, fa), (rb, fb) = binned(a), binned(b)
                pairs.append(ContingencySimilarity.compute(pd.DataFrame({a: ra, b: rb}), pd.DataFrame({a: fa, b: fb})))
    return float(np.nanmean(shapes)), float(np.nanmean(pairs)) if pairs else float("nan")


def _features(frames: list[pd.DataFrame], drop: list[str]) -> list[np.ndarray]:
    both = pd.concat(frames, keys=range(len(frames)))
    both = both.drop(columns=[c for c in drop if c in both.columns])
    numeric = both.select_dtypes("number")
    numeric = (numeric - numeric.mean()) / numeric.std().replace(0, 1)
    cats = both.drop(columns=numeric.columns).astype(str)
    for col in cats.columns:  # the 30 most common values of each text column, the rest as one
        top = cats[col].value_counts().index[:30]
        cats[col] = cats[col].where(cats[col].isin(top), "(other)")
    parts = [numeric.fillna(0)] + ([pd.get_dummies(cats, dtype=float)] if cats.shape[1] else [])
    encoded = pd.concat(parts, axis=1).to_numpy(float)
    if encoded.shape[1] == 0:
        encoded = np.zeros((len(both), 1))
    sizes = np.cumsum([0] + [len(f) for f in frames])
    return [encoded[sizes[i]:sizes[i + 1]] for i in range(len(frames))]


def tstr(train: pd.DataFrame, test: pd.DataFrame, target: str) -> float:
    """R² (numeric target) or macro F1 (categorical) of a forest trained on ``train``, tested on real ``test``."""
    train = train.dropna(subset=[target])
    test = test.dropna(subset=[target])
    x_train, x_test = _features([train, test], drop=[target])
    y_train, y_test = train[target], test[target]
    if pd.api.types.is_numeric_dtype(y_test) and y_test.nunique() > 20:
        model = RandomForestRegressor(n_estimators=60, max_depth=12, n_jobs=2, random_state=0)
        model.fit(x_train, pd.to_numeric(y_train, errors="coerce").fillna(y_train.median() if len(y_train) else 0))
        return float(r2_score(y_test, model.predict(x_test)))
    model = RandomForestClassifier(n_estimators=60, max_depth=12, n_jobs=2, random_state=0)
    model.fit(x_train, y_train.astype(str))
    return float(f1_score(y_test.astype(str), model.predict(x_test), average="macro"))


def closer_to_train(train: pd.DataFrame, holdout: pd.DataFrame, fake: pd.DataFrame) -> float:
    """Share of synthetic rows nearer a training row than any holdout row (equal-size samples)."""
    rng = np.random.default_rng(0)
    m = min(len(train), len(holdout), 20_000)
    tr = train.iloc[rng.choice(len(train), m, replace=False)]
    ho = holdout.iloc[rng.choice(len(holdout), m, replace=False)]
    fk = fake.iloc[rng.choice(len(fake), min(len(fake), 20_000), replace=False)]
    a, b, c = _features([tr, ho, fk], drop=[])
    d_train = NearestNeighbors(n_neighbors=1).fit(a).kneighbors(c)[0][:, 0]
    d_hold = NearestNeighbors(n_neighbors=1).fit(b).kneighbors(c)[0][:, 0]
    return float(np.mean(d_train < d_hold) + 0.5 * np.mean(d_train == d_hold))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", nargs="*", default=list(TARGETS))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--repeats", type=int, default=3, help="timing runs per table (best kept); 1 above 100,000 rows")
    ap.add_argument("--tstr-twins", type=int, default=3, help="twins per tool whose TSTR is averaged")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    warm_up()
    rows = []
    for name in args.tables:
        path = DATA / f"{name}.csv"
        if not path.exists():
            print(f"skip {name}: {path} not found")
            continue
        real = pd.read_csv(path)
        holdout = real.sample(frac=0.2, random_state=0)
        train = real.drop(holdout.index).reset_index(drop=True)
        holdout = holdout.reset_index(drop=True)
        repeats = args.repeats if len(train) <= 100_000 else 1
        synth_twin, synth_s, identity, synth_more = run_synth(train, name, repeats)
        sdv_twin, sdv_s, meta, sdv_more = run_sdv(train, name, repeats)
        synth_twin, sdv_twin = roundtrip_csv(synth_twin), roundtrip_csv(sdv_twin)
        target = TARGETS[name]
        row = {"table": name, "rows": len(train), "trtr": tstr(train, holdout, target)}
        for label, twin, seconds, more in (("synth", synth_twin, synth_s, synth_more), ("sdv", sdv_twin, sdv_s, sdv_more)):
            # One twin's TSTR moves with its random draw about as much as the tools differ: average several.
            scores = [tstr(twin, holdout, target)] + [tstr(roundtrip_csv(more(k)), holdout, target)
                                                      for k in range(1, args.tstr_twins)]
            shapes, pairs = quality(train, twin, meta)
            shapes_x, pairs_x = quality(train, twin, meta, skip=tuple(identity)) if identity else (shapes, pairs)
            import audit

            from synth.errors import SynthError

            try:
                privacy = audit.run(train, twin[train.columns], holdout=holdout, seed=0)
                row[f"{label}_audit_privacy"] = privacy.summary["privacy"]
                row[f"{label}_audit_passed"] = privacy.passed
            except SynthError as exc:  # e.g. a date column that came out as licence plates
                row[f"{label}_audit_privacy"] = None
                row[f"{label}_audit_passed"] = f"not auditable: {exc}"
            row.update({f"{label}_shapes": shapes, f"{label}_pairs": pairs,
                        f"{label}_shapes_no_id": shapes_x, f"{label}_pairs_no_id": pairs_x,
                        f"{label}_tstr": float(np.mean(scores)), f"{label}_tstr_spread": float(np.ptp(scores)),
                        f"{label}_closer_to_train": closer_to_train(train, holdout, twin), f"{label}_seconds": seconds})
        row["identity_columns"] = ",".join(identity)
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    table = pd.DataFrame(rows).set_index("table")
    pd.set_option("display.width", 200)
    print()
    print(table.round(3).to_string())
    print(f"\nmean shapes: synth {table.synth_shapes.mean():.3f} vs sdv {table.sdv_shapes.mean():.3f}; "
          f"mean pair trends: synth {table.synth_pairs.mean():.3f} vs sdv {table.sdv_pairs.mean():.3f}; "
          f"speed-up (sdv s / synth s): {(table.sdv_seconds / table.synth_seconds).round(1).to_dict()}")
    if args.json:
        args.json.write_text(table.reset_index().to_json(orient="records", indent=2))


if __name__ == "__main__":
    main()
