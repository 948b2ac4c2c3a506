"""Benchmark (issue 14): ``synth fit`` on related tables against SDV's HMASynthesizer, in one run on this machine.

For a folder of related tables (default ``../shared/data/nycflights13``; ``--max-rows N`` keeps each table's first N
rows, a subset for when HMA cannot do the whole):

- ``synth``: ``synth fit DIR --out t.yaml`` + ``synth generate t.yaml --out gen/`` (two processes of synth's CLI,
  seconds summed, imports included);
- ``hma``: SDV ``HMASynthesizer`` fit + ``sample(scale=1)`` in one process of the peer environment (this file run
  with ``--worker hma``), on the real tables with orphan rows dropped (``sdv.utils.drop_unknown_references``: HMA
  needs every reference resolved), capped at ``--timeout-minutes`` and ``--max-memory-gb`` (resident memory polled
  twice a second): a run over either is recorded as ``timeout`` / ``out of memory``, not as a failure of the script.

Both are scored by SDMetrics in the peer environment against the same real tables (orphans dropped, as SDMetrics
assumes resolved references): the multi-table ``QualityReport`` (overall, Column Shapes, Column Pair Trends,
Cardinality, Intertable Trends) and ``CardinalityShapeSimilarity`` per relationship. The metadata is the same for
both: column kinds detected by SDV, keys and relationships from synth's discovery (one-column keys only; SDV has no
composite foreign keys), so the relationships judged are the ones a user's tables have, not ones synth chose.

Printed: a markdown table (tool, status, seconds, seconds / synth's, peak memory, quality and its properties,
cardinality shape), then the cardinality shape per relationship. ``--json`` writes everything.

    OMP_NUM_THREADS=1 python bench/bench_fit_related.py --max-rows 30000      # a subset first
    OMP_NUM_THREADS=1 python bench/bench_fit_related.py --timeout-minutes 20  # the whole of nycflights13
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "nycflights13"
PEER_PYTHON = "/work/peer-venv/bin/python"
SYNTH = str(Path(sys.executable).with_name("synth")) if Path(sys.executable).with_name("synth").exists() else "synth"


# --------------------------------------------------------------------------------------------- orchestrator


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc; 0 once gone."""
    total = 0.0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def run(cmd: list[str], log: Path, timeout_s: float, max_mb: float) -> dict[str, Any]:
    """Run one process to its exit, polling its memory: seconds, peak MB and a status (ok / timeout / out of memory
    / failed)."""
    t0 = time.perf_counter()
    peak = 0.0
    status = "ok"
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = max(peak, rss_mb(proc.pid))
            if peak > max_mb:
                status = "out of memory"
            elif time.perf_counter() - t0 > timeout_s:
                status = "timeout"
            if status != "ok":
                proc.kill()
                proc.wait()
                break
            time.sleep(0.5)
    seconds = time.perf_counter() - t0
    if status == "ok" and proc.returncode != 0:
        tail = log.read_text(errors="replace")[-1500:]
        status = "out of memory" if "MemoryError" in tail or proc.returncode == -9 else "failed"
        print(f"{' '.join(cmd[:3])} ... exited {proc.returncode}:\n{tail}", file=sys.stderr)
    return {"seconds": round(seconds, 2), "peak_mb": round(peak), "status": status}


def relations_file(data: Path, out: Path) -> dict[str, Any]:
    """One-column primary keys and foreign keys of the tables, by synth's discovery (shared by both tools' scoring)."""
    sys.path.insert(0, str(ROOT))
    from synth.discover import discover, read_folder

    tables = read_folder(data)
    rel = discover(tables)
    found = {"primary_keys": {t: k[0] for t, k in rel.primary_keys.items() if len(k) == 1},
             "foreign_keys": [{"child": fk.child, "column": fk.columns[0], "parent": fk.parent, "key": fk.keys[0]}
                              for fk in rel.foreign_keys if len(fk.columns) == 1 and fk.child != fk.parent]}
    found["foreign_keys"] = [fk for fk in found["foreign_keys"] if found["primary_keys"].get(fk["parent"]) == fk["key"]]
    out.write_text(json.dumps(found))
    return found


def subset(data: Path, out: Path, max_rows: int) -> Path:
    """Each table's first ``max_rows`` rows (CSV), for a smaller run."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(data.glob("*.csv")):
        pd.read_csv(f, nrows=max_rows, low_memory=False).to_csv(out / f.name, index=False)
    return out


def orchestrate(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-fit-related-"))
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data)
    if args.max_rows:
        data = subset(data, work / "real", args.max_rows)
    rel = relations_file(data, work / "relations.json")
    rows = {f.stem: sum(1 for _ in f.open()) - 1 for f in sorted(data.glob("*.csv"))}
    timeout_s, max_mb = args.timeout_minutes * 60, args.max_memory_gb * 1024
    results: dict[str, dict[str, Any]] = {}
    for tool in args.tools:
        gen = work / f"{tool}-gen"
        log = work / f"{tool}.log"
        if tool == "synth":
            fit = run([args.synth, "fit", str(data), "--out", str(work / "synth.yaml"), "--quiet"], log, timeout_s, max_mb)
            r = dict(fit, fit_s=fit["seconds"])
            if fit["status"] == "ok":
                g = run([args.synth, "generate", str(work / "synth.yaml"), "--out", str(gen), "--quiet"], log,
                        timeout_s - fit["seconds"], max_mb)
                r = {"seconds": round(fit["seconds"] + g["seconds"], 2), "peak_mb": max(fit["peak_mb"], g["peak_mb"]),
                     "status": g["status"], "fit_s": fit["seconds"], "generate_s": g["seconds"]}
        else:
            r = run([args.peer_python, __file__, "--worker", "hma", "--data", str(data), "--relations",
                     str(work / "relations.json"), "--out", str(gen), "--info", str(work / "hma.json")], log, timeout_s, max_mb)
            if (work / "hma.json").exists():
                r.update(json.loads((work / "hma.json").read_text()))
        if r["status"] == "ok":
            s = run([args.peer_python, __file__, "--worker", "score", "--data", str(data), "--relations",
                     str(work / "relations.json"), "--out", str(gen), "--info", str(work / f"{tool}.score.json")],
                    work / f"{tool}.score.log", 3 * timeout_s, 1e9)
            if s["status"] == "ok":
                r.update(json.loads((work / f"{tool}.score.json").read_text()))
            else:
                r["score_status"] = s["status"]
        results[tool] = r
        print(f"{tool}: {r['status']} in {r['seconds']}s", file=sys.stderr, flush=True)
    base = results.get("synth", {}).get("seconds")
    print(f"\nrelated tables: {data} ({', '.join(f'{t} {n:,}' for t, n in rows.items())} rows); "
          f"relationships scored: {len(rel['foreign_keys'])}\n")
    cols = ["quality", "Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends", "cardinality_shape"]
    print("| tool | status | seconds | x synth | peak MB | " + " | ".join(cols) + " |")
    print("|---|---|---|---|---|" + "---|" * len(cols))
    for tool, r in results.items():
        ratio = f"{r['seconds'] / base:.1f}" if base else "-"
        vals = [f"{r[c]:.3f}" if isinstance(r.get(c), float) else "-" for c in cols]
        print(f"| {tool} | {r['status']} | {r['seconds']} | {ratio} | {r['peak_mb']} | " + " | ".join(vals) + " |")
    print("\ncardinality shape per relationship:")
    for tool, r in results.items():
        for k, v in r.get("cardinality_by_relationship", {}).items():
            print(f"  {tool:6s} {k}: {v:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"data": str(data), "rows": rows, "relations": rel, "results": results}, indent=1))
    return 0


# --------------------------------------------------------------------------------------------- peer workers


def _peer_data(args: argparse.Namespace):
    """The real tables, the SDV metadata (detected kinds; keys and relationships from ``--relations``) and the
    tables with orphan rows dropped."""
    import pandas as pd
    from sdv.metadata import Metadata
    from sdv.utils import drop_unknown_references

    rel = json.loads(Path(args.relations).read_text())
    tables = {f.stem: pd.read_csv(f, low_memory=False) for f in sorted(Path(args.data).glob("*.csv"))}
    d = Metadata.detect_from_dataframes(tables).to_dict()
    d["relationships"] = []
    keys = set()
    for t, spec in d["tables"].items():
        spec.pop("primary_key", None)
        if t in rel["primary_keys"]:
            spec["primary_key"] = rel["primary_keys"][t]
            keys.add((t, rel["primary_keys"][t]))
    for fk in rel["foreign_keys"]:
        keys.add((fk["child"], fk["column"]))
        d["relationships"].append({"parent_table_name": fk["parent"], "parent_primary_key": fk["key"],
                                   "child_table_name": fk["child"], "child_foreign_key": fk["column"]})
    for t, spec in d["tables"].items():
        for c, col in spec["columns"].items():
            if (t, c) in keys:
                spec["columns"][c] = {"sdtype": "id"}
            elif col.get("sdtype") == "id":  # an id SDV guessed that no relationship uses: a plain category
                spec["columns"][c] = {"sdtype": "categorical"}
    for t, c in keys:  # keys as text on both sides of every relationship (SDV matches them by type)
        tables[t][c] = tables[t][c].astype("string").astype(object).where(tables[t][c].notna())
    metadata = Metadata.load_from_dict(d)
    metadata.validate()
    clean = drop_unknown_references(tables, metadata, verbose=False)
    return tables, metadata, clean


def worker_hma(args: argparse.Namespace) -> dict[str, Any]:
    from sdv.multi_table import HMASynthesizer

    t0 = time.perf_counter()
    _, metadata, clean = _peer_data(args)
    model = HMASynthesizer(metadata)
    t1 = time.perf_counter()
    model.fit(clean)
    t2 = time.perf_counter()
    children = {r["child_table_name"] for r in metadata.to_dict()["relationships"]}
    root = next(t for t in clean if t not in children)  # SDV 2 sizes a sample by one root table: as many rows as real
    made = model.sample(num_rows=len(clean[root]), main_table_name=root)
    t3 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for t, df in made.items():
        df.to_csv(out / f"{t}.csv", index=False)
    return {"prepare_s": round(t1 - t0, 2), "fit_s": round(t2 - t1, 2), "sample_s": round(t3 - t2, 2)}


def worker_score(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    import pandas as pd
    from sdmetrics.multi_table import CardinalityShapeSimilarity
    from scipy.stats import ks_2samp
    from sdmetrics.reports.multi_table import QualityReport
    from sdmetrics.utils import get_cardinality_distribution

    warnings.simplefilter("ignore")
    _, metadata, real = _peer_data(args)
    synth = {t: pd.read_csv(Path(args.out) / f"{t}.csv", low_memory=False) for t in real}
    meta = metadata.to_dict()
    for t, df in real.items():  # the synthetic columns read like the real ones
        twin = synth[t]
        for c in df.columns:
            if c not in twin.columns:
                continue
            kind = meta["tables"][t]["columns"][c].get("sdtype")
            if kind == "datetime":
                for frame in (df, twin):
                    frame[c] = pd.to_datetime(frame[c], errors="coerce", utc=True).dt.tz_localize(None)
                meta["tables"][t]["columns"][c].pop("datetime_format", None)
            elif kind == "id" or not pd.api.types.is_numeric_dtype(df[c]):
                twin[c] = twin[c].astype("string").astype(object).where(twin[c].notna())
                df[c] = df[c].astype("string").astype(object).where(df[c].notna())
            elif not pd.api.types.is_numeric_dtype(twin[c]):
                twin[c] = pd.to_numeric(twin[c], errors="coerce")
        synth[t] = twin[[c for c in df.columns if c in twin.columns]]
    from sdv.utils import drop_unknown_references

    # the real tables are scored without their orphans (SDMetrics assumes resolved references): so are the synthetic
    # ones (synth generates the real share of orphans)
    synth = drop_unknown_references(synth, metadata, verbose=False)
    import numpy as np

    # SDMetrics subsamples large tables for ContingencySimilarity through pandas' global RNG: unseeded, two scorings
    # of the same files differ (Intertable Trends 0.452 and 0.472 on one twin of the whole of nycflights13).
    np.random.seed(0)
    report = QualityReport()
    report.generate(real, synth, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    # SDMetrics' own breakdown keys by (parent, child): flights.origin and flights.dest -> airports would collide.
    by_rel = {}
    for r in meta["relationships"]:
        a = get_cardinality_distribution(real[r["parent_table_name"]][r["parent_primary_key"]], real[r["child_table_name"]][r["child_foreign_key"]])
        b = get_cardinality_distribution(synth[r["parent_table_name"]][r["parent_primary_key"]], synth[r["child_table_name"]][r["child_foreign_key"]])
        name = f"{r['child_table_name']}({r['child_foreign_key']}) -> {r['parent_table_name']}"
        by_rel[name] = float(1 - ks_2samp(a, b).statistic)
    whole = float(CardinalityShapeSimilarity.compute(real, synth, meta))
    return {"quality": float(report.get_score()), **{str(k): float(v) for k, v in props.items()},
            "cardinality_shape": whole,
            "cardinality_by_relationship": by_rel}


WORKERS = {"hma": worker_hma, "score": worker_score}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DATA), help="a folder of related tables (CSV)")
    p.add_argument("--max-rows", type=int, default=None, help="keep each table's first N rows (a subset)")
    p.add_argument("--tools", nargs="+", default=["synth", "hma"], choices=["synth", "hma"])
    p.add_argument("--timeout-minutes", type=float, default=20.0)
    p.add_argument("--max-memory-gb", type=float, default=12.0)
    p.add_argument("--synth", default=SYNTH)
    p.add_argument("--peer-python", default=PEER_PYTHON)
    p.add_argument("--keep", default=None, help="work folder to keep (default: a temporary one)")
    p.add_argument("--json", default=None)
    p.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--relations", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--info", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        info = WORKERS[args.worker](args)
        Path(args.info).write_text(json.dumps(info))
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
