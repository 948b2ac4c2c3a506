"""How long `synth` takes to start, and how much memory, for the commands a new user runs first.

Each command runs as a whole new process (interpreter start, imports, work, exit) several times; the
median wall time, the median CPU time (user + system: less sensitive than wall time to other jobs on a
shared machine) and the peak resident memory are reported beside baselines measured in the same run:
`python -c pass` (the interpreter alone) and `python -c "import typer"` (the least any Typer command line
pays), and floors: the same plus the libraries a trial run of a schema needs (numpy, pyarrow.compute), the
static check needs (yaml, pydantic; and a validated pydantic model, which brings importlib.metadata with it,
as `synth validate schemas/coffee.yaml` does), or all that `validate --trial` imports, with no synth code
(but the hook that keeps pyarrow from importing pandas). The runs are interleaved (one of each case, then the next round),
so a burst of load from other jobs slows every case alike and the ratios stay comparable.
The target is 0.3 s for `synth --help`, `synth kinds` and `synth validate schemas/coffee.yaml` (median, on an
idle machine); `/ typer` (median over median) compares across machines and loads.

Child processes run with bytecode caches on (``PYTHONDONTWRITEBYTECODE`` removed from their
environment): an installed package has its ``.pyc`` files, and compiling synth's sources on every start
would add ~0.3 s that no user pays.

    python bench/bench_startup.py             # 9 rounds
    python bench/bench_startup.py --runs 15 --json
    git archive main | tar -x -C /tmp/before && python bench/bench_startup.py --before /tmp/before
    python bench/bench_startup.py --instructions --before /tmp/before     # needs valgrind

``--before DIR``: the same commands run from another source tree (an older version, with this interpreter
and its packages) in the same rounds, for a before/after comparison under the same load.

``--more``: also ``synth generate schemas/coffee.yaml --rows 10``, ``synth fit penguins.csv`` (from
../shared/data, when there; ``--quiet`` too) and ``synth generate`` of the schema fitted from it (344 rows), whose start-up is mostly numpy, pyarrow and pandas (bench/bench_whole.py times
the work itself).

``--wheel``: run both trees as users run them, from wheels: each tree's wheel is built (``pip wheel``) and
installed without dependencies into a scratch venv whose other packages are this interpreter's (a ``.pth``
line), and its ``synth`` script is what runs; the floors run with that venv's interpreter. Without it, the
trees run from source through ``python -c`` (an editable install's import finder, ~29 ms, is then paid too).

``--instructions``: each case once under valgrind's cachegrind instead, its instruction count (the work
itself, whatever the load: on a shared machine, the figure to compare), with ``/ typer`` its ratio to
``import typer``'s and an idle-machine estimate at 0.37 ns an instruction (what the quiet floors measured,
typer + yaml + pydantic 0.25 s and typer + numpy + pyarrow.compute 0.30 s, work out to; it misses page
faults and threads, so it is low for commands that make values). Slow (~50x): minutes.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# A static check validates the schema through pydantic models: building the first validator imports pydantic's
# plugin loader and importlib.metadata (the plugin search itself is off, as `synth` turns it off).
_ONE_MODEL = ("import os; os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__')\n"
              "import typer, yaml; from pydantic import BaseModel, Field\n"
              "class M(BaseModel):\n    x: int = Field(ge=0)\nM.model_validate({'x': 1})")
# The same libraries as synth imports them: PyYAML's Python-parser patterns compiled on first use, pydantic's
# plugin loader (and importlib.metadata) not imported while plugins are off (synth.lazy; two small functions).
_ONE_MODEL_AS_SYNTH = ("import os; os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__')\n"
                       "from synth.lazy import import_with_lazy_patterns, skip_pydantic_plugin_search\n"
                       "skip_pydantic_plugin_search(); import typer; import_with_lazy_patterns('yaml')\n"
                       "from pydantic import BaseModel, Field\n"
                       "class M(BaseModel):\n    x: int = Field(ge=0)\nM.model_validate({'x': 1})")
# What the plain form `synth validate FILE` (no Typer since synth.commands.plain) cannot go below: the same, without typer.
_ONE_MODEL_NO_TYPER = _ONE_MODEL_AS_SYNTH.replace(" import typer;", "")
_ALL_LIBRARIES = (_ONE_MODEL + "\nfrom synth.lazy import hide_pandas_from_pyarrow; hide_pandas_from_pyarrow()\n"
                  "import numpy, pyarrow.compute")


def synth_command() -> list[str]:
    """The installed `synth` script beside this interpreter (what a user runs), else the same entry point via -c."""
    script = Path(sys.executable).parent / "synth"
    if script.exists():
        return [str(script)]
    found = shutil.which("synth")
    return [found] if found else [sys.executable, "-c", "from synth.cli import main; main()"]


def wheel_venv(tree: Path, scratch: Path) -> Path:
    """A venv with ``tree``'s wheel installed (its dependencies: this interpreter's packages); its ``bin``."""
    venv, wheels = scratch / f"venv-{len(list(scratch.iterdir()))}", scratch / "wheels"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    shutil.rmtree(wheels, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(tree)], check=True,
                   stdout=subprocess.DEVNULL)
    wheel = next(wheels.glob("*.whl"))
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)], check=True,
                   stdout=subprocess.DEVNULL)
    # pip --target writes no console script: the same two lines pip would write
    script = venv / "bin" / "synth"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom synth.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    ours = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "zz_dependencies.pth").write_text(ours + "\n")  # after the wheel's own synth on the path
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", site], check=True)  # as pip install does
    return venv / "bin"


def run_once(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of one process (its own rusage, not earlier children's)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {process.returncode}): {process.stderr.read().decode()[-500:]}")
    process.stderr.close()
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KB


#: Seconds per instruction on the idle machine, from its floors (0.25 s for typer + yaml + pydantic's 674 M
#: instructions, 0.30 s for typer + numpy + pyarrow.compute's 810 M).
NS_PER_INSTRUCTION = 0.37


def instructions(argv: list[str]) -> int:
    """The instructions one run of ``argv`` executes (valgrind's cachegrind, no cache simulation)."""
    run_once(argv)  # bytecode caches written first, as for any second run
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
                          cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    line = next(row for row in done.stderr.splitlines() if "I   refs:" in row or "I refs:" in row)
    return int(line.rsplit(":", 1)[1].replace(",", "").strip())


def measure(cases: dict[str, list[str]], runs: int) -> dict[str, dict[str, float]]:
    """Every case ``runs`` times, interleaved; the median and fastest wall time, the median CPU time, peak MB."""
    for argv in cases.values():
        run_once(argv)  # warm-up: bytecode caches and the OS file cache, as for any second run
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            samples[name].append(run_once(argv))
    return {name: {"median_s": statistics.median(s for s, _, _ in got), "min_s": min(s for s, _, _ in got),
                   "cpu_s": statistics.median(c for _, c, _ in got), "peak_mb": max(mb for _, _, mb in got)}
            for name, got in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--before", type=Path, help="also run the commands from this source tree (same rounds)")
    parser.add_argument("--instructions", action="store_true", help="count instructions (valgrind) instead of timing")
    parser.add_argument("--more", action="store_true", help="also generate 10 rows of coffee.yaml, fit penguins.csv and "
                        "generate its twin")
    parser.add_argument("--wheel", action="store_true", help="run each tree from its wheel installed in a scratch venv")
    args = parser.parse_args()

    commands = {"--help": ["--help"], "kinds": ["kinds"], "validate schemas/coffee.yaml": ["validate", "schemas/coffee.yaml"],
                "validate --json schemas/coffee.yaml": ["validate", "--json", "schemas/coffee.yaml"],
                "validate --trial schemas/coffee.yaml": ["validate", "--trial", "schemas/coffee.yaml"]}
    scratch = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    atexit.register(shutil.rmtree, scratch, True)
    if args.more:
        # What the output costs is the same for both trees (10 rows); the start-up is what differs.
        commands["generate schemas/coffee.yaml --rows 10"] = ["generate", "schemas/coffee.yaml", "--rows", "10", "--out",
                                                              str(scratch / "coffee.csv")]
        penguins = ROOT.parent / "shared" / "data" / "penguins.csv"
        if not penguins.exists():
            penguins = Path("/work/shared/data/penguins.csv")
        if penguins.exists():
            commands["fit penguins.csv"] = ["fit", str(penguins), "--out", str(scratch / "penguins.yaml")]
            commands["fit --quiet penguins.csv"] = ["fit", str(penguins), "--quiet", "--out", str(scratch / "penguins_q.yaml")]
            # the twin of the schema fitted here (by the first fit, in the warm-up round), at its 344 rows
            commands["generate penguins.yaml (344 rows)"] = ["generate", str(scratch / "penguins.yaml"), "--quiet", "--out",
                                                             str(scratch / "twin.csv")]
        else:
            print(f"(no {penguins.name}: fit left out)", file=sys.stderr)
    python = sys.executable
    if args.wheel:
        ours_bin = wheel_venv(ROOT, scratch)
        before_bin = wheel_venv(args.before, scratch) if args.before is not None else None
        python = str(ours_bin / "python")
    cases = {
        "baseline: python -c pass": [python, "-c", "pass"],
        "baseline: python -c 'import typer'": [python, "-c", "import typer"],
        # Floors: the least a command pays that imports these (no synth code at all). A trial run makes Arrow
        # arrays with numpy and pyarrow's compute kernels; a static check of a schema needs YAML and pydantic.
        "floor: typer + numpy + pyarrow.compute": [python, "-c", "import typer, numpy, pyarrow.compute"],
        "floor: typer + yaml + pydantic": [python, "-c", "import typer, yaml; from pydantic import BaseModel, Field"],
        # Every library `validate schemas/coffee.yaml` imports, and what the first validated model costs: what
        # validate adds over this is synth's own code and work.
        "floor: + one pydantic model validated": [python, "-c", _ONE_MODEL],
        "floor: the same, as synth imports them": [python, "-c", _ONE_MODEL_AS_SYNTH],
        # `synth validate FILE` and `synth kinds` run without Typer (synth.commands.plain): their floor has no typer.
        "floor: the same, without typer": [python, "-c", _ONE_MODEL_NO_TYPER],
        # Every library `validate --trial` imports (pyarrow told that pandas is absent, as synth does).
        "floor: validate --trial's libraries": [python, "-c", _ALL_LIBRARIES],
    }
    def entry(tree: Path) -> list[str]:
        """`synth` from the source tree ``tree`` (its package first on the path, ahead of the installed one)."""
        return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tree.resolve())!r}); from synth.cli import main; main()"]

    # With --before, both trees run the same way (the same entry, the same interpreter); else the installed script.
    if args.wheel:
        ours, before = [str(ours_bin / "synth")], [str(before_bin / "synth")] if before_bin is not None else None
    else:
        ours = entry(ROOT) if args.before is not None else synth_command()
        before = entry(args.before) if args.before is not None else None
    cases.update({f"synth {name}": ours + argv for name, argv in commands.items()})
    if before is not None:
        # (the schema is this tree's; older trees' validate always made a trial run, and had no --trial)
        cases.update({f"before: synth {name}": before + argv for name, argv in commands.items()
                      if "--trial" not in argv})
    if args.instructions:
        counts = {name: instructions(argv) for name, argv in cases.items()}
        if args.json:
            print(json.dumps({"instructions": counts}, indent=2))
            return
        typer = counts["baseline: python -c 'import typer'"]
        print(f"{'command':50} {'instructions':>14} {'/ typer':>8} {'idle (est.)':>12}")
        for name, n in counts.items():
            print(f"{name:50} {n:14,} {n / typer:8.2f} {n * NS_PER_INSTRUCTION * 1e-9:11.3f}s")
        return
    results = measure(cases, args.runs)
    if args.json:
        print(json.dumps({"runs": args.runs, "target_s": TARGET_SECONDS, "results": results}, indent=2))
        return
    typer = results["baseline: python -c 'import typer'"]["median_s"]
    print(f"{'command':50} {'median':>8} {'min':>8} {'cpu':>8} {'/ typer':>8} {'- typer':>8} {'peak RSS':>9}   "
          f"({args.runs} interleaved runs each; / typer: median over the median of `import typer`; - typer: "
          "median minus it, what synth adds to the least a Typer command line pays)")
    for name, r in results.items():
        verdict = ""
        if name.startswith(("synth", "before")):
            verdict = "  ok" if r["median_s"] <= TARGET_SECONDS else f"  over the {TARGET_SECONDS} s target (median)"
        print(f"{name:50} {r['median_s']:7.3f}s {r['min_s']:7.3f}s {r['cpu_s']:7.3f}s {r['median_s'] / typer:8.2f} "
              f"{r['median_s'] - typer:+7.3f}s {r['peak_mb']:7.0f} MB{verdict}")

if __name__ == "__main__":
    main()
