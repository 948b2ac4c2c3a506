"""``synth audit``: the command-line shell over :func:`audit.run`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from ..errors import SynthError
from ..io import describe as describe_addresses
from ..sinks import write_text_atomic
from ..tables import read_table
from .options import SchedulerOption

# The --fail-under defaults, generated from the metric registry (each metric's `gate`) by
# `python -m audit.docs`; a test fails when they are stale. Not read from the registry at run time: its
# modules import pandas, scipy and scikit-learn, which `synth audit --help` should not wait for.
# begin fail-under-defaults: python -m audit.docs
FAIL_UNDER_DEFAULTS = "every privacy test 0.99, worst_column_shape 0.5, column_variety 0.5, dependence_kept 0.5"
# end fail-under-defaults

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def audit_command(
    real: str = typer.Argument(..., help=f"The real rows the generator learned from: {describe_addresses()}; or a folder of related tables (one file per table, named by its stem).", show_default=False),
    synthetic: str = typer.Argument(..., help="The synthetic rows to check (the same kinds of address; a folder of tables with the same names when REAL is one).", show_default=False),
    query: Optional[str] = typer.Option(None, "--query", help="With a database address as REAL (no #table): audit against the rows of this SQL query."),
    synthetic_query: Optional[str] = typer.Option(None, "--synthetic-query", help="With a database address as SYNTHETIC (no #table): the synthetic rows are this SQL query's."),
    holdout: Optional[str] = typer.Option(None, "--holdout", help="Real rows the generator never saw: needed to tell memorised rows from realistic ones (a folder of tables with folders)."),
    target: Optional[str] = typer.Option(None, "--target", help="Column a downstream model predicts (train on synthetic, test on real); TABLE.COLUMN with folders."),
    sensitive: List[str] = typer.Option([], "--sensitive", help="A secret column an attacker may try to infer (repeatable); TABLE.COLUMN with folders."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Order rows by this column for autocorrelation checks; TABLE.COLUMN with folders."),
    kind: List[str] = typer.Option([], "--kind", help="Override a column kind: COLUMN=numeric|categorical|boolean|date|datetime|time|identifier|text (also taken from --schema); TABLE.COLUMN=KIND with folders."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the report as JSON here."),
    html_path: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
    fail_under: List[str] = typer.Option([], "--fail-under", help="Minimum score for a metric or section, e.g. exact_copies=0.98 (tolerate 2% memorised rows) or fidelity=0.7 (repeatable). Defaults: " + FAIL_UNDER_DEFAULTS + "."),
    policy_file: Optional[Path] = typer.Option(None, "--policy", help="YAML file: {fail_under: {exact_copies: 0.98, fidelity: 0.7}, alpha: 0.05, require_holdout: true}."),
    allow_no_holdout: bool = typer.Option(False, "--allow-no-holdout", help="Without --holdout, or with one too small to catch a 5% leak, pass on fidelity and utility alone (privacy is reported as not verified instead of failing the audit)."),
    schema_path: Optional[Path] = typer.Option(None, "--schema", help="Check the rules this schema declares (ranges, categories, formulas, uniqueness, constraints) on both tables; with folders, a multi-table schema: its references are the relations audited."),
    seed: int = typer.Option(0, "--seed", help="Seed for samples and models: the same inputs and seed give the same report."),
    engine: str = typer.Option("local", "--engine", help="local: this machine. dask: SYNTHETIC (a Parquet file or dataset "
                               "folder) is read partition by partition on a Dask cluster, for the fidelity summaries and the "
                               "privacy tests, with the same answers; this machine holds only the sample. A Parquet REAL is "
                               "summarised there too when there is no --holdout (pip install 'synth[dask]')."),
    sample_rows: int = typer.Option(200_000, "--sample-rows", min=1, help="Synthetic rows (a seeded sample) that the metrics "
                                    "which do not merge over partitions read: detection, Spearman, time series, utility, "
                                    "attribute inference; all rows when there are no more. The same on either engine."),
    scheduler: Optional[str] = SchedulerOption,
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="With --engine dask and no scheduler: the LocalCluster's worker processes."),
    real_shard_rows: Optional[int] = typer.Option(None, "--real-shard-rows", min=1, help="With --engine dask: the real (training and "
                                                  "holdout) rows' index for the privacy tests is cut into shards of this many rows "
                                                  "(default 1,000,000), one task per synthetic partition and shard, so no worker "
                                                  "holds more than one shard's index. The same answers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No console table; just the exit code (and files)."),
) -> None:
    """Score synthetic data against real data: fidelity, utility, privacy. Exit 0 pass, 1 a check failed, 2 bad input.

    Privacy is a set of statistical tests against the holdout (real rows the generator never saw): each
    estimates the share of synthetic rows that are memorised and fails when it is significantly above the
    tolerance (1% by default). Without --holdout, or with one too small to catch a 5% leak (the report says
    how many synthetic rows would do), privacy is not verified and the audit fails unless --allow-no-holdout.
    Keep a holdout when fitting: synth fit real.csv --holdout-out holdout.csv

    Folders of related tables (REAL and SYNTHETIC each a folder with one CSV/Parquet/... file per table, the
    same names in both): the foreign keys are discovered on the real tables; each table gets the single-table
    audit, and each foreign key referential integrity (against the real tables' own resolved share, since real
    data has orphans), the children-per-parent shape, parent-child column pairs on the joined rows, and the
    privacy tests on the joined rows; aggregate rules (a parent column that is the count, sum, mean, min or max
    of its children: the schema's aggregate columns with --schema, else found on the real tables) are checked
    on the synthetic rows. It fails if any table fails, integrity is below the real tables', an aggregate rule
    that holds on the real rows breaks, or the joined rows leak. Table options are written TABLE.COLUMN (--target orders.amount).

    Example:

      synth audit train.csv synthetic.csv --holdout holdout.csv --target price --html report.html

      synth audit real_tables/ synthetic_tables/ --holdout holdout_tables/ --html report.html

      synth audit train.csv synthetic/ --holdout holdout.csv --engine dask --scheduler tcp://host:8786

      synth audit postgresql://me@db/shop sqlite:///twin.db --query "SELECT * FROM orders WHERE year = 2024" \
          --synthetic-query "SELECT * FROM orders WHERE year = 2024" --allow-no-holdout
    """
    import audit
    from audit.policy import Policy
    from audit.report import console_summary

    kinds = {}
    for item in kind:
        col, sep, value = item.partition("=")
        if not sep:
            raise SynthError(f"--kind {item!r}: write COLUMN=KIND")
        kinds[col] = value
    policy = Policy.from_file(policy_file) if policy_file else Policy()
    policy = Policy.parse(fail_under, base=policy)
    if allow_no_holdout:
        policy.require_holdout = False
    from ..io import is_table_folder, is_whole_database, parse_address

    # A database address without a table is the whole database, unless a query says which rows.
    related = is_table_folder(real) or (is_whole_database(real) and query is None)
    if related and (query or synthetic_query):
        raise SynthError("--query and --synthetic-query are for one table; folders of tables and whole databases are "
                         "audited without them")
    if engine not in ("local", "dask"):
        raise SynthError(f"--engine {engine!r}: use one of local, dask")
    if engine == "local" and scheduler is not None:
        raise SynthError("--scheduler is for --engine dask")
    if engine == "local" and real_shard_rows is not None:
        raise SynthError("--real-shard-rows is for --engine dask")
    if engine == "dask" and (related or synthetic_query):
        raise SynthError("--engine dask audits one synthetic table given as a Parquet file or dataset folder; folders of "
                         "tables, databases and queries run on the local engine")
    if related:
        _audit_folders(real, synthetic, holdout, target, sensitive, time_column, kinds, policy, seed, quiet, json_path,
                       html_path, schema_path)
        return
    for label, given in (("SYNTHETIC", synthetic), ("--holdout", holdout)):
        if given is None:
            continue
        if is_table_folder(given) or (is_whole_database(given) and not (label == "SYNTHETIC" and synthetic_query)):
            raise SynthError(f"{parse_address(given)}: {label} is several tables (a folder of tables or a "
                             f"whole database) but REAL {parse_address(real)} is one table; give several tables for both")
    from contextlib import ExitStack

    cluster = ExitStack()
    dask_engine = None
    if engine == "dask":  # the address is checked and the cluster reached (or started) before any table is read
        from audit.cluster import DaskEngine, is_parquet

        # without --holdout a Parquet REAL is read by the workers too, and this machine holds a sample of it (with one,
        # the privacy tests' reference reads every real row here: read_table below, as on one machine)
        partitioned_real = real if holdout is None and query is None and is_parquet(real) else None
        dask_engine = DaskEngine(synthetic, scheduler=scheduler, workers=workers, real=partitioned_real,
                                 **({} if real_shard_rows is None else {"real_shard_rows": real_shard_rows}))
        cluster.enter_context(dask_engine.connected())
    with cluster:
        result = _audit_one(real, synthetic, holdout, query, synthetic_query, target, sensitive, time_column, kinds, policy,
                            seed, quiet, json_path, html_path, schema_path, dask_engine, sample_rows)
    _write_reports(result, json_path, html_path)
    if not quiet:
        out.print(console_summary(result))
        for m in result.metrics:
            if m.section == "privacy" and m.skipped is None:
                label = {"fail": "FAIL", "pass": "PASS", "undecided": "UNDECIDED"}.get(m.details["verdict"], "INFO")
                out.print(f"{label}  {m.details['sentence']}", markup=False)
        summary = ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in result.summary.items())
        out.print(f"{summary}; privacy {result.privacy_verdict}", markup=False)
        out.print("PASSED" if result.passed else "FAILED:", markup=False)
        for failure in result.failures:
            out.print(f"  - {failure}", markup=False)
        for note in result.notes:
            out.print(f"note: {note}", markup=False)
    raise typer.Exit(0 if result.passed else 1)


#: How audit.run's refusals of --target, --time-column and --sensitive begin (a column of the real table, no file named).
_OPTION_CHECKS = ("--target ", "target ", "time column ", "sensitive column ")


def _audit_one(real: str, synthetic: str, holdout: Optional[str], query: Optional[str], synthetic_query: Optional[str],
               target: Optional[str], sensitive: List[str], time_column: Optional[str], kinds: dict, policy: object,
               seed: int, quiet: bool, json_path: Optional[Path], html_path: Optional[Path], schema_path: Optional[Path],
               dask_engine: object, sample_rows: int = 200_000) -> object:
    """Read one real, synthetic (and holdout) table and run :func:`audit.run` on them; with a Dask engine the
    synthetic rows are read by its workers, and this process gets only their sample."""
    import audit

    frames = [None if getattr(dask_engine, "real_parts", None) else read_table(real, query=query),
              None if dask_engine is not None else read_table(synthetic, query=synthetic_query),
              read_table(holdout) if holdout else None]
    from ..schema import Schema

    rules_schema = Schema.from_yaml(schema_path) if schema_path is not None else None  # its kinds too; --kind wins
    for path in (json_path, html_path):
        if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
            raise SynthError(f"{path}: cannot write: folder {path.parent} does not exist")
    status = err.status("auditing", spinner="dots") if not quiet and err.is_terminal else None
    if status is not None:
        status.start()
    try:
        result = audit.run(frames[0], frames[1], frames[2], target=target, sensitive=sensitive, time_column=time_column,
                           kinds=kinds or None, policy=policy, seed=seed, schema=rules_schema, engine=dask_engine,
                           sample_rows=sample_rows, progress=(lambda m: status.update(f"auditing: {m}")) if status is not None else None)
    except SynthError as exc:
        # audit.run checks the column options against the real table and names the column; only the CLI knows the file.
        if str(exc).startswith(_OPTION_CHECKS):
            raise SynthError(f"{real}: {exc}", exc.exit_code) from None
        raise
    finally:
        if status is not None:
            status.stop()
    return result


def _by_table(option: str, value: str, tables: list[str]) -> tuple[str, str]:
    """TABLE.COLUMN taken apart (the longest table name that fits, so a table name may hold dots)."""
    for table in sorted(tables, key=len, reverse=True):
        if value.startswith(table + ".") and len(value) > len(table) + 1:
            return table, value[len(table) + 1:]
    raise SynthError(f"{option} {value!r}: with folders of tables write TABLE.COLUMN; tables: {', '.join(tables)}")


def _audit_folders(real: str, synthetic: str, holdout: Optional[str], target: Optional[str], sensitive: List[str],
                   time_column: Optional[str], kinds: dict, policy: object, seed: int, quiet: bool,
                   json_path: Optional[Path], html_path: Optional[Path], schema_path: Optional[Path] = None) -> None:
    """``synth audit REAL_DIR SYNTHETIC_DIR``: the shell over :func:`audit.related.run_related`.

    With ``--schema`` (a multi-table schema) the relations are the schema's references rather than discovered,
    and each table's rules are checked on both sides."""
    from audit.related import aggregate_metrics, link_columns, run_related

    from ..io import is_table_folder, is_whole_database, parse_address, read_catalog, read_tables

    for label, given in (("SYNTHETIC", synthetic), ("--holdout", holdout)):
        if given is not None and not (is_table_folder(given) or is_whole_database(given)):
            raise SynthError(f"{parse_address(given)}: REAL {parse_address(real)} is several tables, so {label} must be too "
                             "(a folder with a file per table, or a database address without #table)")
    for path in (json_path, html_path):
        if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
            raise SynthError(f"{path}: cannot write: folder {path.parent} does not exist")
    def read(address: str) -> dict:
        return read_catalog(address).tables if is_whole_database(address) else read_tables(address)

    declared = read_catalog(real) if is_whole_database(real) else None
    tables = declared.tables if declared is not None else read_tables(real)
    names = list(tables)
    targets = dict([_by_table("--target", target, names)]) if target else None
    secrets: dict[str, list[str]] = {}
    for item in sensitive:
        table, col = _by_table("--sensitive", item, names)
        secrets.setdefault(table, []).append(col)
    times = dict([_by_table("--time-column", time_column, names)]) if time_column else None
    table_kinds: dict[str, dict[str, str]] = {}
    for col, value in kinds.items():
        table, column = _by_table("--kind", col, names)
        table_kinds.setdefault(table, {})[column] = value
    fake = read(synthetic)
    held = read(holdout) if holdout else None
    relations, schemas = None, None
    if declared is not None:  # the keys the database declares win; discovery fills in the rest
        from ..discover import discover

        relations = discover(tables, primary_keys=declared.primary_keys, foreign_keys=declared.foreign_keys)
    if schema_path is not None:
        from ..multitable import load_database

        database = load_database(schema_path)
        unknown = [t for t in database.tables if t not in tables]
        if unknown:
            raise SynthError(f"{schema_path}: table {unknown[0]!r} of the schema is not in {parse_address(real)} (tables there: {', '.join(names)})")
        relations = [r.foreign_key() for r in database.references]
        schemas = dict(database.tables)
    status = err.status("auditing", spinner="dots") if not quiet and err.is_terminal else None
    if status is not None:
        status.start()
    try:
        result = run_related(tables, fake, held, relations=relations, policy=policy, seed=seed, targets=targets,  # type: ignore[arg-type]
                             sensitive=secrets or None, time_columns=times, kinds=table_kinds or None, schemas=schemas,
                             progress=(lambda m: status.update(f"auditing: {m}")) if status is not None else None)
    finally:
        if status is not None:
            status.stop()
    _write_reports(result, json_path, html_path)
    if not quiet:
        for name, r in result.tables.items():
            summary = ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in r.summary.items())
            out.print(f"table {name}: {summary}; privacy {r.privacy_verdict}; {'passed' if r.passed else 'FAILED'}", markup=False)
        for key, r in result.links.items():  # one line per foreign key: readable in a log, whatever its width
            by_name = {m.name: m for m in r.metrics}
            integrity = by_name.get("referential_integrity")
            real_share = integrity.details.get("real_resolved_share") if integrity is not None else None
            cells = [f"{n} {'n/a' if by_name.get(n) is None or by_name[n].score is None else f'{by_name[n].score:.3f}'}"
                     for n in link_columns()]
            out.print(f"{key}: real resolved {'n/a' if real_share is None else f'{real_share:.3f}'}, {', '.join(cells)}; "
                      f"joined-row privacy {r.privacy_verdict}", markup=False)
            for m in aggregate_metrics(r):
                if m.skipped is not None:
                    out.print(f"  {m.name}: not checked ({m.skipped})", markup=False)
                else:
                    out.print(f"  {m.name}: holds on {m.raw:.1%} of the synthetic rows, {m.details['real_share']:.1%} of the "
                              f"real; {m.details['verdict']}", markup=False)
        out.print("PASSED" if result.passed else "FAILED:", markup=False)
        for failure in result.failures:
            out.print(f"  - {failure}", markup=False)
        for note in result.notes:
            out.print(f"note: {note}", markup=False)
    raise typer.Exit(0 if result.passed else 1)


def _write_reports(result: object, json_path: Optional[Path], html_path: Optional[Path]) -> None:
    """The JSON and HTML reports asked for, each written whole or not at all."""
    if json_path is not None:
        write_text_atomic(json_path, result.to_json())  # type: ignore[attr-defined]
    if html_path is not None:
        write_text_atomic(html_path, result.to_html())  # type: ignore[attr-defined]
