"""Benchmark (issue 17): synth's fit quality and cost against SDV's GaussianCopula and MOSTLY AI's TabularARGN.

For each real table and each tool, in one run on this machine:

- fit on the whole real table and generate as many rows as it has, timed as whole processes (wall clock,
  start to exit, imports included):
  - ``synth``:     ``synth fit real.csv --out t.yaml`` + ``synth generate t.yaml --rows N --out twin.csv``
                   (two processes, seconds summed; synth's own environment and CLI);
  - ``sdv``:       ``GaussianCopulaSynthesizer`` (defaults, metadata detected from the real table) fit + sample;
  - ``mostlyai``:  ``mostlyai-engine``'s TabularARGN: split, analyze, encode, train (capped at
                   ``--max-training-minutes``, otherwise its default early stopping), generate;
  each peer in one process of the peer environment (this file run with ``--worker``); and each tool's fit and
  sample timed inside its own process too (no start-up, no file reading: ``fit_s`` + ``generate_s``);
- score every twin with SDMetrics' ``QualityReport`` (in the peer environment) on the columns the twin and
  the real table share, metadata detected from the real table (SDV ``Metadata.detect_from_dataframes``):
  overall quality, "Column Shapes" and "Column Pair Trends", and each tool's 5 worst column pairs.
  (SDMetrics 0.32 scores only the pairs whose real association clears its threshold; the others are NaN in
  its details and left out of the pair average. ``--json`` gives how many pairs were scored.)

``--seeds 0 1 2``: synth's twins from one fit with each generate seed, scored each, the scores averaged (one
twin's utility moves by about +-0.02 between seeds). ``--synth``: another tree's CLI (from a venv with that tree
installed); the split is seeded, so two versions run one after the other fit and score the same rows.

Printed: a markdown table (table, tool, quality, shapes, pairs, seconds, seconds / synth's seconds), then
synth's 5 worst pairs per table. ``--json`` writes everything, including every tool's worst pairs and the
peers' in-process fit / generate seconds.

The peers are never synth's dependencies: they run only in ``--peer-python``'s environment (needs
``mostlyai-engine``, ``sdv``, ``sdmetrics``); synth runs only through ``--synth`` (its CLI). Threads are set
to the machine's cores (OMP/MKL/torch) for every process alike.

    python bench/bench_peers.py                                   # penguins, budget_food, gss_wages; all tools
    python bench/bench_peers.py --tables penguins budget_food --tools synth mostlyai \\
        --max-training-minutes 2 --json peers.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DEFAULT_TABLES = ["penguins", "budget_food", "gss_wages"]
# The column each table's downstream model predicts (train on the twin, test on real held-out rows).
TARGETS = {"penguins": "species", "budget_food": "wfood", "gss_wages": "realrinc", "seattle_pets": "species",
           "us_births": "births", "diamonds": "price", "males": "wage", "health_ins": "whi", "medexp": "health",
           "benefits": "ui", "rwm5yr": "outwork", "pizza": "price", "weather": "temp", "planes": "seats",
           "airports": "alt", "flights": "arr_delay"}
TOOLS = ["synth", "sdv", "mostlyai"]
PEER_PYTHON = "/work/peer-venv/bin/python"
SYNTH = str(Path(sys.executable).with_name("synth")) if Path(sys.executable).with_name("synth").exists() else "synth"
WORST = 5


# --------------------------------------------------------------------------------------------- orchestrator


def table_path(name: str) -> Path:
    """A table given by name (``penguins`` -> ../shared/data/penguins.csv) or by path."""
    p = Path(name)
    return p if p.suffix else DATA / f"{name}.csv"


def split_table(real: Path, holdout: float, work: Path) -> tuple[Path, Path]:
    """Shuffle the real rows (seed 0) into ``train.csv`` and ``holdout.csv``: every tool fits on the first."""
    import random

    with real.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(0).shuffle(body)
    cut = len(body) - int(round(len(body) * holdout))
    paths = (work / "train.csv", work / "holdout.csv")
    for path, part in zip(paths, (body[:cut], body[cut:])):
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *part])
    return paths


def count_rows(path: Path) -> int:
    """Data rows of a CSV (quoted newlines respected), without pandas: this process needs only the stdlib."""
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def thread_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    """Run one process to its exit; wall-clock seconds. Its output goes to ``log``; a failure raises with the tail."""
    t0 = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return seconds


def make_twin(tool: str, real: Path, rows: int, work: Path, args: argparse.Namespace, env: dict[str, str]
              ) -> tuple[list[Path], float, dict[str, Any]]:
    """Fit ``tool`` on ``real``, generate ``rows`` rows; the twins' paths (synth: one per ``--seeds`` seed, else one),
    whole-process seconds (synth's generate: the mean over its twins), extra facts."""
    twin = work / f"{tool}.csv"
    log = work / f"{tool}.log"
    if tool == "synth":
        schema = work / "synth.yaml"
        fit_s = run([args.synth, "fit", str(real), "--out", str(schema), "--quiet"], env, log)
        twins, gen_s = [], 0.0
        for seed in args.seeds or [None]:  # None: the schema's own seed
            path = twin if seed is None else work / f"synth-seed{seed}.csv"
            gen_s += run([args.synth, "generate", str(schema), "--rows", str(rows), "--out", str(path), "--quiet",
                          *([] if seed is None else ["--seed", str(seed)])], env, log)
            twins.append(path)
        gen_s /= len(twins)
        # The same fit and sample timed in one process, without start-up and file reading: as the peers' fit_s
        # and generate_s are (the twin scored is the CLI's).
        info = work / "synth.json"
        run([sys.executable, str(Path(__file__).resolve()), "--worker", "synth", "--real", str(real), "--rows", str(rows),
             "--info", str(info)], env, log)
        return twins, fit_s + gen_s, {"fit_process_s": round(fit_s, 3), "generate_process_s": round(gen_s, 3),
                                      **json.loads(info.read_text())}
    info = work / f"{tool}.json"
    cmd = [args.peer_python, str(Path(__file__).resolve()), "--worker", tool, "--real", str(real), "--rows", str(rows),
           "--twin", str(twin), "--info", str(info), "--max-training-minutes", str(args.max_training_minutes),
           "--threads", str(args.threads), "--workspace", str(work / f"{tool}-ws")]
    seconds = run(cmd, env, log)
    return [twin], seconds, json.loads(info.read_text())


def score(real: Path, twin: Path, work: Path, args: argparse.Namespace, env: dict[str, str],
          holdout: Path | None = None, target: str | None = None) -> dict[str, Any]:
    out = work / f"{twin.stem}.score.json"
    cmd = [args.peer_python, str(Path(__file__).resolve()), "--worker", "score", "--real", str(real), "--twin", str(twin),
           "--info", str(out)]
    if holdout is not None and target:
        cmd += ["--holdout-file", str(holdout), "--target", target]
    run(cmd, env, work / f"{twin.stem}.score.log")
    return json.loads(out.read_text())


def mean_scores(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Several twins' scores as one row: the mean of each score (one twin's utility moves by about +-0.02 between
    generate seeds), each twin's in ``per_twin``; the first twin's worst pairs and column lists."""
    if len(scores) == 1:
        return scores[0]
    keys = ("quality", "shapes", "pairs", "utility", "utility_real")
    out = dict(scores[0])
    for k in keys:
        values = [s[k] for s in scores if s.get(k) is not None]
        if values:
            out[k] = sum(values) / len(values)
    out["per_twin"] = [{k: s.get(k) for k in keys if s.get(k) is not None} for s in scores]
    return out


def _in_process(row: dict[str, Any]) -> float | None:
    """Fit + sample seconds measured inside the tool's process (no start-up, no file reading)."""
    if row.get("fit_s") is None or row.get("generate_s") is None:
        return None
    return float(row["fit_s"]) + float(row["generate_s"])


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def orchestrate(args: argparse.Namespace) -> int:
    env = thread_env(args.threads)
    results: list[dict[str, Any]] = []
    keep = Path(args.keep) if args.keep else None
    targets = {**TARGETS, **dict(t.split("=", 1) for t in args.targets)}
    for name in args.tables:
        source = table_path(name)
        label = source.stem
        split_dir = Path(tempfile.mkdtemp(prefix=f"bench-peers-{label}-split-"))
        real, holdout = split_table(source, args.holdout, split_dir) if args.holdout > 0 else (source, None)
        rows = count_rows(real)
        target = targets.get(label)
        for tool in args.tools:
            work = Path(tempfile.mkdtemp(prefix=f"bench-peers-{label}-{tool}-"))
            row: dict[str, Any] = {"table": label, "rows": rows, "tool": tool}
            try:
                twins, seconds, extra = make_twin(tool, real, rows, work, args, env)
                row.update(seconds=round(seconds, 2), **extra)
                row.update(mean_scores([score(real, twin, work, args, env, holdout, target) for twin in twins]))
            except Exception as exc:  # noqa: BLE001 - one tool failing must not end the run
                row["error"] = str(exc)[-2000:]
                print(f"[{label} / {tool}] failed: {str(exc)[-500:]}", file=sys.stderr)
            finally:
                if keep:
                    shutil.copytree(work, keep / f"{label}-{tool}", dirs_exist_ok=True)
                shutil.rmtree(work, ignore_errors=True)
            results.append(row)
            print(f"[{label} / {tool}] quality {fmt(row.get('quality'))} shapes {fmt(row.get('shapes'))} "
                  f"pairs {fmt(row.get('pairs'))} utility {fmt(row.get('utility'))} (real {fmt(row.get('utility_real'))}) "
                  f"in {fmt(row.get('seconds'), 1)} s", file=sys.stderr, flush=True)
        shutil.rmtree(split_dir, ignore_errors=True)

    synth_s = {r["table"]: r.get("seconds") for r in results if r["tool"] == "synth"}
    synth_in = {r["table"]: _in_process(r) for r in results if r["tool"] == "synth"}
    for r in results:
        base = synth_s.get(r["table"])
        r["seconds_vs_synth"] = round(r["seconds"] / base, 1) if base and r.get("seconds") else None
        base_in, mine = synth_in.get(r["table"]), _in_process(r)
        r["in_process_vs_synth"] = round(mine / base_in, 1) if base_in and mine else None

    print(f"\nSDMetrics QualityReport; fit + generate whole-process wall clock, {args.threads} threads, "
          f"TabularARGN capped at {args.max_training_minutes} min of training\n")
    print("| table | rows | tool | quality | shapes | pairs | utility (real) | seconds | / synth's | in-process fit + sample s "
          "| / synth's |")
    print("|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in results:
        ratio = "-" if r.get("seconds_vs_synth") is None else f"{r['seconds_vs_synth']:.1f}x"
        ratio_in = "-" if r.get("in_process_vs_synth") is None else f"{r['in_process_vs_synth']:.1f}x"
        tool = r["tool"] + (" (failed)" if "error" in r else "")
        print(f"| {r['table']} | {r['rows']} | {tool} | {fmt(r.get('quality'))} | {fmt(r.get('shapes'))} | "
              f"{fmt(r.get('pairs'))} | {fmt(r.get('utility'))} ({fmt(r.get('utility_real'))}) | "
              f"{fmt(r.get('seconds'), 1)} | {ratio} | {fmt(_in_process(r), 2)} | {ratio_in} |")
    for r in results:
        if r["tool"] == "synth" and r.get("worst_pairs"):
            pairs = "; ".join(f"{p['pair']} {p['score']:.3f}" for p in r["worst_pairs"])
            print(f"\nsynth's {WORST} worst pairs on {r['table']}: {pairs}")
    if args.json:
        Path(args.json).write_text(json.dumps({"max_training_minutes": args.max_training_minutes,
                                               "holdout": args.holdout,
                                               "threads": args.threads, "results": results}, indent=2))
    return 1 if any("error" in r for r in results) else 0


# ------------------------------------------------------------------------------- workers (peer environment)


def _set_threads(threads: int) -> None:
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def worker_synth(args: argparse.Namespace) -> dict[str, Any]:
    import synth
    from synth.fit import FitConfig, SchemaFitter
    from synth.tables import read_table

    real = read_table(args.real)
    t0 = time.perf_counter()
    schema = SchemaFitter(FitConfig()).fit(real).schema_
    t1 = time.perf_counter()
    synth.generate(schema, rows=args.rows)
    return {"fit_s": round(t1 - t0, 3), "generate_s": round(time.perf_counter() - t1, 3)}


def worker_sdv(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    real = pd.read_csv(args.real, low_memory=False)
    t0 = time.perf_counter()
    model = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes(data={"real": real}))
    model.fit({"real": real})  # SDV 2 takes tables by name
    t1 = time.perf_counter()
    twin = model.sample(num_rows=args.rows)
    (twin["real"] if isinstance(twin, dict) else twin).to_csv(args.twin, index=False)
    return {"fit_s": round(t1 - t0, 3), "generate_s": round(time.perf_counter() - t1, 3)}


def worker_mostlyai(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd
    from mostlyai import engine

    _set_threads(args.threads)
    engine.set_random_state(0)
    real = pd.read_csv(args.real, low_memory=False)
    ws = Path(args.workspace)
    t0 = time.perf_counter()
    engine.split(workspace_dir=ws, tgt_data=real, model_type="TABULAR")
    engine.analyze(workspace_dir=ws)
    engine.encode(workspace_dir=ws)
    engine.train(workspace_dir=ws, max_training_time=args.max_training_minutes, device="cpu")
    t1 = time.perf_counter()
    engine.generate(workspace_dir=ws, sample_size=args.rows, device="cpu")
    twin = pd.read_parquet(ws / "SyntheticData")
    twin.to_csv(args.twin, index=False)
    epochs = None
    progress = ws / "ModelStore" / "model-data" / "progress-messages.csv"
    if progress.exists():
        epochs = float(pd.read_csv(progress)["epoch"].max())
    return {"fit_s": round(t1 - t0, 3), "generate_s": round(time.perf_counter() - t1, 3), "epochs": epochs}


def worker_score(args: argparse.Namespace) -> dict[str, Any]:
    """SDMetrics QualityReport on the shared columns, metadata detected from the real table."""
    import pandas as pd
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    real = pd.read_csv(args.real, low_memory=False)
    twin = pd.read_csv(args.twin, low_memory=False)
    shared = [c for c in real.columns if c in twin.columns]
    real, twin = real[shared], twin[shared].copy()
    meta = Metadata.detect_from_dataframes(data={"real": real}).to_dict()["tables"]["real"]
    for col in shared:  # the twin read like the real column, so a kind the CSV guessed differently still compares
        if pd.api.types.is_numeric_dtype(real[col]) and not pd.api.types.is_numeric_dtype(twin[col]):
            twin[col] = pd.to_numeric(twin[col], errors="coerce")
        elif not pd.api.types.is_numeric_dtype(real[col]) and pd.api.types.is_numeric_dtype(twin[col]):
            twin[col] = twin[col].astype("string").astype(object).where(twin[col].notna())
    report = QualityReport()
    report.generate(real, twin, meta, verbose=False)
    utility = {}
    if args.holdout_file and args.target in shared:
        holdout = pd.read_csv(args.holdout_file, low_memory=False)
        utility = {"utility": _downstream_score(twin, holdout, args.target),
                   "utility_real": _downstream_score(real, holdout, args.target),
                   "utility_target": args.target}
    props = report.get_properties().set_index("Property")["Score"]
    pairs = report.get_details("Column Pair Trends")
    nan_pairs = int(pairs["Score"].isna().sum())
    worst = pairs.dropna(subset=["Score"]).sort_values("Score").head(WORST)
    return {
        "quality": float(report.get_score()),
        "shapes": float(props["Column Shapes"]),
        "pairs": float(props["Column Pair Trends"]),
        "columns_scored": shared,
        "columns_missing_from_twin": [c for c in pd.read_csv(args.real, nrows=0).columns if c not in shared],
        "pairs_scored": int(len(pairs) - nan_pairs),
        "pairs_nan": nan_pairs,
        "worst_pairs": [{"pair": f"{r['Column 1']} / {r['Column 2']}", "metric": r["Metric"],
                         "score": round(float(r["Score"]), 4)} for _, r in worst.iterrows()],
        **utility,
    }


def _downstream_score(train: Any, test: Any, target: str) -> float:
    """Train a gradient-boosting model on ``train``, score it on the real held-out ``test`` rows.

    Numbers predict with R^2 (clipped at 0), categories with macro F1. Text features become their 50 most
    common values in ``train`` (others one "rest" code); the same model and encoding for every tool.
    """
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score

    train = train[train[target].notna()]
    test = test[test[target].notna()]
    features = [c for c in test.columns if c != target and c in train.columns
                and train[c].notna().any() and test[c].notna().any()]

    def encode(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=frame.index)
        for col in features:
            if pd.api.types.is_numeric_dtype(test[col]):
                out[col] = pd.to_numeric(frame[col], errors="coerce")
            else:
                top = train[col].astype("string").value_counts().index[:50]
                out[col] = pd.Categorical(frame[col].astype("string"), categories=top).codes.astype(float)
        return out

    numeric = pd.api.types.is_numeric_dtype(test[target]) and test[target].nunique() > 10
    cats = [c for c in features if not pd.api.types.is_numeric_dtype(test[c])]
    params = {"random_state": 0, "categorical_features": [features.index(c) for c in cats] or None}
    if numeric:
        model = HistGradientBoostingRegressor(**params).fit(encode(train), pd.to_numeric(train[target]))
        return max(0.0, float(r2_score(pd.to_numeric(test[target]), model.predict(encode(test)))))
    y_train, y_test = train[target].astype("string"), test[target].astype("string")
    if y_train.nunique() < 2:
        return 0.0
    model = HistGradientBoostingClassifier(**params).fit(encode(train), y_train)
    return float(f1_score(y_test, model.predict(encode(test)), average="macro", labels=np.unique(y_test)))


WORKERS = {"synth": worker_synth, "sdv": worker_sdv, "mostlyai": worker_mostlyai, "score": worker_score}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", nargs="+", default=DEFAULT_TABLES,
                    help="table names in ../shared/data (penguins) or CSV paths")
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=TOOLS)
    ap.add_argument("--max-training-minutes", type=float, default=2.0, help="TabularARGN's training cap")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="OMP/MKL/torch threads (all tools)")
    ap.add_argument("--peer-python", default=PEER_PYTHON, help="python of the env with mostlyai-engine, sdv, sdmetrics")
    ap.add_argument("--synth", default=SYNTH, help="synth's CLI (default: beside this python, else on PATH)")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--holdout", type=float, default=0.2,
                    help="share of each real table held out (seeded): tools fit on the rest, utility is tested on it; "
                         "0 fits on the whole table and skips utility")
    ap.add_argument("--targets", nargs="*", default=[], metavar="TABLE=COLUMN",
                    help="the column the utility model predicts, beside the built-in choices")
    ap.add_argument("--keep", help="copy each run's work folder (twins, schemas, logs) under this folder")
    ap.add_argument("--seeds", nargs="+", type=int, default=[], metavar="SEED",
                    help="synth: one fit, a twin per generate seed, scores averaged (default: the schema's seed)")
    # internal: one peer step inside the peer environment
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--real", help=argparse.SUPPRESS)
    ap.add_argument("--twin", help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--info", help=argparse.SUPPRESS)
    ap.add_argument("--workspace", help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--holdout-file", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        import warnings

        warnings.filterwarnings("ignore")
        Path(args.info).write_text(json.dumps(WORKERS[args.worker](args)))
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
