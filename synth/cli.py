"""The ``synth`` command line: a thin shell over the Python API. Parses, calls, prints; no logic of its own."""

from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Optional, TypeVar

import typer
from rich.console import Console

# Only light modules up here: every command, `synth --help` included, pays for what is imported at the top
# (tests/test_startup.py pins it); each command imports what it needs.
from .commands.errors import CommandGroup
from .errors import SynthError
from .io import describe as describe_addresses, parse_address

if TYPE_CHECKING:
    from .fit import FitConfig
    from pydantic import BaseModel
    from rich.progress import Progress

    Settings = TypeVar("Settings", bound=BaseModel)

app = typer.Typer(
    cls=CommandGroup,  # one error path for every command: see synth/commands/errors.py
    help=(
        "Make synthetic tabular data from a YAML schema, and check it against real data.\n\n"
        "Start with:  synth generate schemas/coffee.yaml --rows 1000 --out coffee.csv\n\n"
        "Write your own schema (see `synth kinds` for every column kind), check it with "
        "`synth validate`, then generate any number of rows, reproducibly, by seed.\n\n"
        "Errors are one line (exit code 2 for bad input); add --debug anywhere to see the traceback."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)


def _progress(quiet: bool) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
        TimeElapsedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=quiet or not err.is_terminal,
    )


SchemaArg = typer.Argument(..., help="The YAML schema file, e.g. schemas/coffee.yaml", show_default=False)


@app.command()
def generate(
    schema: Path = SchemaArg,
    rows: Optional[list[str]] = typer.Option(
        None, "--rows", "-n", help="Rows to make (default: the schema's `rows`). With several tables: TABLE=N for a table "
        "without a parent (repeat for more; its children follow their counts per parent row), or plain N for every "
        "table that has child tables (tables that are only looked up keep their rows)."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Random seed (default: the schema's `seed`). Same seed, same bytes."),
    out_path: Optional[str] = typer.Option(
        None, "--out", "-o", help=f"Where to write: {describe_addresses(writing=True)} (default: <schema name>.csv here). "
        "With several tables: a folder, one file per table (default: <schema name>/)."),
    file_format: Optional[str] = typer.Option(
        None, "--format", "-f", help="With several tables: the files' format (csv, tsv, parquet, jsonl; default csv)."),
    if_exists: Optional[str] = typer.Option(
        None, "--if-exists", help="When the output table is already there: fail, replace or append (append: database "
        "tables only). Default: a file is replaced, a database table refused.", show_default=False),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Processes making chunks in parallel; the output is identical for any number. "
                                "With --engine dask and no scheduler: the LocalCluster's worker processes."),
    engine: str = typer.Option("local", "--engine", help="local: this machine. dask: each part file of a Parquet dataset "
                               "(--out DIR/ or s3://bucket/DIR/) a task on a Dask cluster, the same bytes as local "
                               "(pip install 'synth[dask]')."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: the cluster's scheduler "
                                            "(tcp://host:8786; default: $DASK_SCHEDULER_ADDRESS, else a LocalCluster "
                                            "of --workers processes)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1, help="For llm_text columns: stop after this many LLM requests (cached answers are free; rerun to resume)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary line."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Generate a table (or related tables) from a schema and write it, in chunks (any size, bounded memory).

    Examples:

      synth generate schemas/coffee.yaml

      synth generate schemas/coffee.yaml --rows 10000000 --out coffee.parquet --workers 2

      synth generate schemas/coffee_shop.yaml --out shop/ --rows customers=100000 --format parquet
      synth generate schemas/coffee.yaml --out "postgresql://me@localhost/shop#coffee" --if-exists replace

      synth generate schemas/coffee.yaml --rows 1000000000 --out coffee/ --engine dask --scheduler tcp://host:8786
    """
    from . import ENGINES
    from .multitable import is_multi_table

    if engine not in ENGINES:
        raise SynthError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
    if is_multi_table(schema):
        if engine != "local" or scheduler is not None:
            raise SynthError(f"{schema}: --engine dask makes one table for now; a schema of several tables runs on "
                             "the local engine (--workers N)")
        if if_exists is not None:
            raise SynthError("--if-exists is for one database table; the tables of a multi-table schema go to a folder")
        return _generate_tables(schema, rows, seed, out_path, file_format, workers, max_requests, quiet, as_json)
    from . import load_schema, write

    if file_format is not None:
        raise SynthError("--format is for schemas of several tables; a single table's format is --out's extension")
    count = _single_rows(rows)
    loaded = load_schema(schema)
    target = out_path or (f"{loaded.name}/" if engine == "dask" else f"{loaded.name}.csv")
    shown = str(parse_address(target))  # a URL's password is *** in everything printed
    if as_json and parse_address(target).is_stdio:
        raise SynthError("--json prints the summary on stdout, where --out - writes the table; leave out one of them")
    total = loaded.spec.rows if count is None else count
    started = time.perf_counter()
    with _progress(quiet) as bar:
        task = bar.add_task(f"{loaded.name} -> {shown}", total=total)
        written = write(loaded, target, rows=count, seed=seed, workers=workers, max_requests=max_requests,
                        progress=lambda n: bar.advance(task, n), if_exists=if_exists, engine=engine,
                        scheduler=scheduler)
    seconds = time.perf_counter() - started
    summary = {"schema": str(schema), "out": shown, "rows": written,
               "seed": loaded.spec.seed if seed is None else seed, "columns": loaded.output_columns,
               "seconds": round(seconds, 3), "rows_per_second": round(written / seconds) if seconds > 0 else None}
    spent = [u for c in loaded.columns if hasattr(c, "usage") and (u := c.usage()) is not None]
    if spent:
        summary["llm"] = {"requests": sum(u.requests for u in spent), "cached": sum(u.cached for u in spent),
                          "prompt_tokens": sum(u.prompt_tokens for u in spent), "completion_tokens": sum(u.completion_tokens for u in spent)}
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        err.print(f"wrote {written:,} rows x {len(summary['columns'])} columns to {shown} in {seconds:.2f}s", markup=False)
        for u in spent:
            err.print(f"LLM: {u.line()}", markup=False)


def _single_rows(rows: Optional[list[str]]) -> Optional[int]:
    """``--rows N`` for a one-table schema."""
    if not rows:
        return None
    if len(rows) > 1 or not rows[0].strip().lstrip("-").isdigit():
        raise SynthError(f"Invalid value for '--rows' / '-n': {' '.join(rows)!r}: a schema of one table takes one whole "
                         "number (--rows 1000)")
    return int(rows[0])


def _table_rows(rows: Optional[list[str]], roots: list[str], parents: list[str]) -> dict[str, int]:
    """``--rows TABLE=N`` (repeatable) or plain ``--rows N`` (every root table with child tables) for several tables."""
    out: dict[str, int] = {}
    for item in rows or []:
        table, _, number = item.rpartition("=")
        if not number.strip().lstrip("-").isdigit():
            raise SynthError(f"Invalid value for '--rows' / '-n': {item!r}: give TABLE=N (--rows customers=100000) "
                             "or a whole number")
        if table:
            out[table.strip()] = int(number)
        else:
            out.update({t: int(number) for t in roots if t in parents})
    return out


def _generate_tables(schema: Path, rows: Optional[list[str]], seed: Optional[int], out_path: Optional[str],
                     file_format: Optional[str], workers: int, max_requests: Optional[int], quiet: bool, as_json: bool) -> None:
    from .multitable import load_database, write_tables

    db = load_database(schema)
    target = Path(out_path or db.name)
    if out_path is not None and parse_address(out_path).is_stdio:
        raise SynthError("--out -: a schema of several tables writes one file per table; give a folder")
    if out_path is not None and target.suffix and not target.is_dir():
        raise SynthError(f"{out_path}: a schema of several tables writes one file per table; give --out a folder "
                         f"(and --format {target.suffix.lstrip('.')})")
    parents = [t for t in db.roots if db.children(t)]
    wanted = _table_rows(rows, db.roots, parents)
    started = time.perf_counter()
    with _progress(quiet) as bar:
        tasks: dict[str, object] = {}

        def advance(table: str, n: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(f"{table} -> {target}", total=None)
            bar.advance(tasks[table], n)  # type: ignore[arg-type]

        written = write_tables(db, target, rows=wanted, seed=seed, workers=workers, format=file_format or "csv",
                               progress=advance, max_requests=max_requests)
    seconds = time.perf_counter() - started
    summary = {"schema": str(schema), "out": str(target), "format": file_format or "csv",
               "seed": db.spec.seed if seed is None else seed, "tables": written,
               "seconds": round(seconds, 3), "rows_per_second": round(sum(written.values()) / seconds) if seconds > 0 else None}
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        made = ", ".join(f"{t} {n:,}" for t, n in written.items())
        err.print(f"wrote {len(written)} tables to {target}/ in {seconds:.2f}s: {made} rows", markup=False)


@app.command()
def validate(
    schema: Path = SchemaArg,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
) -> None:
    """Check a schema without writing anything: fields, references, files, and a trial run of 1,000 rows.

    Exit code 0 when valid, 2 with one line naming the file, line and field when not.
    """
    from .multitable import is_multi_table

    if is_multi_table(schema):
        from .multitable import DatabasePlan, load_database

        db = load_database(schema)
        trial = DatabasePlan(db, rows={t: min(db.tables[t].spec.rows, 1000) for t in db.roots})
        for _ in trial.iter_chunks():
            pass
        tables = {t: db.tables[t].output_columns for t in db.order}
        result = {"schema": str(schema), "valid": True, "name": db.name, "tables": tables,
                  "references": [str(fk) for fk in db.foreign_keys]}
        if as_json:
            print(json.dumps(result))
        else:
            out.print(f"ok: {schema} defines {len(tables)} tables ({', '.join(tables)}) with "
                      f"{len(db.references)} references ({'; '.join(result['references'])})", markup=False)
        return
    from . import load_schema
    from .engine import Plan

    loaded = load_schema(schema)
    plan = Plan(loaded, rows=min(loaded.spec.rows, 1000))
    for _ in plan.iter_chunks():
        pass
    result = {"schema": str(schema), "valid": True, "name": loaded.name, "rows": loaded.spec.rows,
              "columns": loaded.output_columns}
    if as_json:
        print(json.dumps(result))
    else:
        out.print(f"ok: {schema} defines table {loaded.name!r} with {len(loaded.output_columns)} columns "
                  f"({', '.join(loaded.output_columns)}), {loaded.spec.rows:,} rows by default", markup=False)


@app.command()
def fit(
    ctx: typer.Context,
    reals: list[str] = typer.Argument(..., metavar="REAL...", help=f"The real table: {describe_addresses()}. A folder of "
                                      "tables or several tables: related tables, learned as one multi-table schema.",
                                      show_default=False),
    query: Optional[str] = typer.Option(None, "--query", help="With a database address (no #table): learn from the rows of "
                                        "this SQL query, e.g. --query \"SELECT * FROM orders WHERE year = 2024\"."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the schema (default: <table name>.yaml here)."),
    # The ranges of the options FitConfig holds are FitConfig's (stated in the help for people; a test keeps them equal).
    sample_rows: Optional[int] = typer.Option(None, "--sample-rows", help="Learn from a random sample of this many rows.  [x>=1]"),
    min_count: int = typer.Option(10, "--min-count", "-k", help="Privacy: leave out categories, values and combinations seen in fewer rows.  [x>=1]"),
    tail: float = typer.Option(0.0, "--tail", help="Privacy: numeric and date ranges always end at the --min-count-th smallest and largest values; also cut them at this quantile and 1 - it.  [0.0<=x<=0.2]"),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed written into the schema and used while fitting.  [0<=x<2**63]"),
    trees: bool = typer.Option(True, "--trees/--no-trees", help="Condition each column on the columns it depends on "
                               "(a price on pizza and size): decision-tree cases, sized on held-out rows. "
                               "--no-trees: one Gaussian copula over all columns (a shorter schema)."),
    epsilon: Optional[float] = typer.Option(
        None, "--epsilon", help="Differentially private fitting with this total budget (noisy counts, histograms "
        "and correlations; the schema states the split). Smaller is more private and less faithful.  [x>=0.0001]"),
    delta: float = typer.Option(1e-6, "--delta", help="With --epsilon: the delta of the (epsilon, delta) guarantee.  [1e-12<=x<=0.01]"),
    holdout_out: Optional[str] = typer.Option(
        None, "--holdout-out", help="Keep back a seeded share of the real rows (see --holdout-share), write them here (any "
        "output address, like --out of generate) and fit on the rest: `synth audit` needs them with --holdout to test privacy."),
    holdout_share: float = typer.Option(0.2, "--holdout-share", min=0.01, max=0.9, help="With --holdout-out: the share of rows kept back."),
    normalize: bool = typer.Option(False, "--normalize", help="A flat table whose id repeats across rows with other "
                                   "columns constant within it (order lines with the order's date): learn it as parent + "
                                   "child tables, so generated rows of one id share those columns."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary line."),
    as_json: bool = typer.Option(False, "--json", help="Print a summary as JSON on stdout."),
) -> None:
    """Learn a schema from a real table; then `synth generate` makes a synthetic twin of any size.

    The schema is plain YAML you can review and edit. It keeps the real table's column shapes, category
    frequencies, fixed combinations (product -> price), formulas (amount = price * quantity), time
    profiles, columns conditioned on the columns they depend on (small decision trees whose leaves
    become readable cases), rank correlations, and none of its people: rare values and combinations
    are left out, ranges end at the k-th smallest and largest values, identifiers and rare names are regenerated (a name shared by k or more
    rows keeps its frequency).

    Example:

      synth fit real.csv --out twin.yaml && synth generate twin.yaml --rows 100000 --out twin.csv

      synth fit real.csv --epsilon 1.0 --out private.yaml

      synth fit real.csv --holdout-out holdout.csv --out twin.yaml   # then: synth audit real.csv twin.csv --holdout holdout.csv

      synth fit "postgresql://me@localhost/shop#orders" --out orders.yaml
    """
    from .fit import FitConfig, SchemaFitter
    from .io import is_table_folder
    from .sinks import write_text_atomic
    from .tables import read_table

    config = _settings(ctx, FitConfig, min_count=min_count, tail=tail, seed=seed, sample_rows=sample_rows,
                       epsilon=epsilon, delta=delta, trees=trees)
    related = len(reals) > 1 or is_table_folder(reals[0])
    if related or normalize:
        for flag, value in (("--epsilon", epsilon), ("--holdout-out", holdout_out), ("--sample-rows", sample_rows),
                            ("--query", query)):
            if value is not None:
                raise SynthError(f"{flag} is for one table; related tables ({', '.join(reals)}) are fitted without it")
    if related:
        if normalize:
            raise SynthError("--normalize is for one flat table; these are already several tables")
        return _fit_related(reals, config, out_path, quiet, as_json)
    real = reals[0]
    frame = read_table(real, query=query)
    shown = str(parse_address(real))
    name = parse_address(real).stem
    if normalize or (not quiet and not as_json and epsilon is None):
        from .fit.normalize import find_embedded

        embedded = find_embedded(frame, config.rule_share)
        if normalize:
            if embedded is None:
                raise SynthError(f"{real}: --normalize: no id column repeats with other columns constant within it; "
                                 "nothing to normalize")
            return _fit_related(reals, config, out_path, quiet, as_json, flat=(frame, embedded, name))
        if embedded is not None:
            err.print(f"note: {embedded}: an embedded {embedded.parent_name} table; --normalize learns it as "
                      f"{embedded.parent_name} + {name}, so rows of one {embedded.key} share them", markup=False)
    target = out_path or Path(f"{name}.yaml")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise SynthError(f"{target}: the schema is YAML; use a .yaml or .yml name")
    holdout = None
    if holdout_out is not None:
        from .sinks import check_writable
        from .tables import split_holdout

        check_writable(holdout_out)
        frame, holdout = split_holdout(frame, holdout_share, seed)
    started = time.perf_counter()
    with err.status("fitting", spinner="dots") if not quiet and err.is_terminal else nullcontext() as status:
        def step(message: str) -> None:
            if status is not None:
                status.update(f"fitting: {message}")
        try:
            fitter = SchemaFitter(config).fit(frame, name=name, progress=step)
        except SynthError as exc:
            raise SynthError(f"{shown}: {exc.message}", exc.exit_code) from None
    if holdout is not None:
        from .tables import write_table

        write_table(holdout, holdout_out)
    write_text_atomic(target, fitter.to_yaml())
    seconds = time.perf_counter() - started
    learned = fitter.schema_
    summary = {"real": shown, "out": str(target), "rows": len(frame), "columns": len(frame.columns),
               "entries": {c.name: c.kind for c in learned.columns}, "correlations": len(learned.spec.correlations),
               "seconds": round(seconds, 3)}
    if holdout is not None:
        summary.update({"holdout": str(parse_address(holdout_out)), "holdout_rows": len(holdout)})
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        err.print(f"learned {len(learned.columns)} entries and {summary['correlations']} correlations from {len(frame):,} rows "
                  f"in {seconds:.1f}s; wrote {target}" + (f" and {len(holdout):,} held-back rows to {parse_address(holdout_out)}" if holdout is not None else ""),
                  markup=False)


def _fit_related(reals: list[str], config: "FitConfig", out_path: Optional[Path], quiet: bool, as_json: bool,
                 flat: tuple | None = None) -> None:
    """`synth fit FOLDER` / `synth fit a.csv b.csv ...` / `synth fit flat.csv --normalize` (``flat``: the frame, its
    embedded parent and name): one multi-table schema from related tables."""
    from .fit.related import DatabaseFitter
    from .io import read_tables
    from .sinks import write_text_atomic
    from .tables import read_table

    if flat is not None:
        tables = {flat[2]: flat[0]}
        name = flat[2]
    elif len(reals) == 1:
        tables = read_tables(reals[0])
        name = Path(reals[0]).name or "database"
    else:
        tables = {}
        for real in reals:
            stem = parse_address(real).stem
            if stem in tables:
                raise SynthError(f"{real}: two tables are named {stem!r}; rename one file")
            tables[stem] = read_table(real)
        name = "database"
    target = out_path or Path(f"{name}.yaml")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise SynthError(f"{target}: the schema is YAML; use a .yaml or .yml name")
    started = time.perf_counter()
    with err.status("fitting", spinner="dots") if not quiet and err.is_terminal else nullcontext() as status:
        def step(message: str) -> None:
            if status is not None:
                status.update(f"fitting: {message}")
        fitter = DatabaseFitter(config)
        if flat is not None:
            fitter.fit_flat(flat[0], flat[1], name=name, progress=step)
            tables = fitter.tables_
        else:
            fitter.fit(tables, name=name, progress=step)
    write_text_atomic(target, fitter.to_yaml())
    seconds = time.perf_counter() - started
    plans = fitter.plans_
    summary = {"real": list(reals), "out": str(target), "tables": {t: len(df) for t, df in tables.items()},
               "primary_keys": {t: list(k) for t, k in fitter.relations_.primary_keys.items()},
               "parents": {t: str(p.parent) for t, p in plans.items() if p.parent is not None},
               "lookups": {t: [str(fk) for fk in p.lookups] for t, p in plans.items() if p.lookups},
               "not_generated": [f"{fk}: {why}" for p in plans.values() for fk, why in p.skipped],
               "seconds": round(seconds, 3)}
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        for t, p in plans.items():
            parts = ([f"child of {p.parent.parent} by {p.parent.columns[0]}"] if p.parent else ["own rows"]) + \
                    [f"draws {fk.parent} by {fk.columns[0]}" for fk in p.lookups]
            err.print(f"  {t}: {', '.join(parts)}", markup=False)
            for fk, why in p.skipped:
                err.print(f"  {t}: {fk} not generated ({why})", markup=False)
        err.print(f"learned {len(tables)} related tables in {seconds:.1f}s; wrote {target}", markup=False)


def _settings(ctx: typer.Context, model: type[Settings], **values: object) -> Settings:
    """``model(**values)`` from a command's options, the model checking their ranges. A value it refuses is
    reported as Typer reports an option it refuses: ``Invalid value for '--tail': Input should be ...``."""
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = next(p for p in ctx.command.params if p.name == first["loc"][0])
        raise typer.BadParameter(first["msg"], ctx=ctx, param=option) from None


@app.command()
def kinds(kind: Optional[str] = typer.Argument(None, help="Show the fields of one kind.")) -> None:
    """List the column kinds a schema can use, or the fields of one kind."""
    from rich.table import Table

    from .columns import KINDS

    if kind is not None:
        if kind not in KINDS:
            raise SynthError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(KINDS))}")
        cls = KINDS[kind]
        out.print((cls.__doc__ or "").strip(), markup=False)
        table = Table("field", "type", "default", "meaning")
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            default = "required" if info.is_required() else repr(info.get_default(call_default_factory=True))
            annotation = info.annotation
            shown = annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")
            table.add_row(name, shown, default, info.description or "")
        out.print(table)
        if cls.reference():
            out.print(cls.reference(), markup=False)
        module_doc = sys.modules[cls.__module__].__doc__ or ""
        example = module_doc.split("code-block:: yaml", 1)[1].split('"""')[0] if "code-block:: yaml" in module_doc else ""
        if f"kind: {kind}" in example:  # a module's example may show a sibling kind only
            out.print("Example:\n" + example, markup=False)
        return
    table = Table("kind", "what it makes")
    for name in sorted(KINDS):
        table.add_row(name, (KINDS[name].__doc__ or "").strip().splitlines()[0])
    out.print(table)
    out.print("`synth kinds NAME` shows a kind's fields and an example.", markup=False)


from .commands.finetune import finetune_app  # noqa: E402

app.add_typer(finetune_app, name="finetune")


def _register_optional_commands() -> None:
    """Commands that live in their own modules (each a plain function with Typer-annotated parameters)."""
    from .commands.audit import audit_command
    from .commands.draft import draft_command

    app.command("audit")(audit_command)
    app.command("draft")(draft_command)


_register_optional_commands()


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # same clean-up path as Ctrl-C: the temporary output is removed


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    app()


if __name__ == "__main__":
    main()
