"""The work of ``synth fit`` (:mod:`synth.commands.fit` declares its Typer command), without Typer.

:func:`run_fit` is called by the Typer command and by the plain form of the command line
(:mod:`synth.commands.plain`: ``synth fit REAL`` with ``--out``, ``--quiet`` or ``--json``), which skips importing
Typer (~100 M instructions). Its defaults are the Typer command's (a test keeps them equal).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from ..errors import SynthError
from ..io import parse_address
from ..lazy import LazyModule

# Rich (~50 ms) only when something is printed: `synth fit --quiet` and `--json` print through neither.
console = LazyModule("synth.commands.console")

if TYPE_CHECKING:
    from ..fit import FitConfig


def run_fit(reals: list[str], query: Optional[str] = None, out_path: Optional[Path] = None,
            sample_rows: Optional[int] = None, min_count: int = 10, tail: float = 0.0, seed: int = 0, trees: bool = True,
            epsilon: Optional[float] = None, delta: float = 1e-6, holdout_out: Optional[str] = None,
            holdout_share: float = 0.2, normalize: bool = False, engine: str = "local", scheduler: Optional[str] = None,
            workers: int = 2, quiet: bool = False, as_json: bool = False,
            settings: Optional[Callable[..., Any]] = None) -> None:
    """`synth fit`: learn a schema from ``reals``; the options as the command's. ``settings(FitConfig, **values)``
    makes the fit's settings (the Typer command's reports a value out of range as Typer reports an option);
    by default ``FitConfig(**values)``."""
    from ..fit import FitConfig, SchemaFitter
    from ..io import is_table_folder
    from ..sinks import write_text_atomic
    from ..tables import read_table

    values = dict(min_count=min_count, tail=tail, seed=seed, sample_rows=sample_rows, epsilon=epsilon, delta=delta,
                  trees=trees)
    config = FitConfig(**values) if settings is None else settings(FitConfig, **values)
    if engine not in ("local", "dask"):
        raise SynthError(f"--engine {engine!r}: use one of local, dask")
    if engine == "local" and scheduler is not None:
        raise SynthError("--scheduler is for --engine dask")
    if engine == "dask":
        for flag, value in (("--epsilon", epsilon), ("--query", query), ("--normalize", normalize or None)):
            if value is not None:
                why = ("finding the tables within a table needs every key in one place" if flag == "--normalize"
                       else "it fits one Parquet dataset")
                raise SynthError(f"{flag} is not available with --engine dask ({why})")
        if len(reals) > 1 or is_table_folder(reals[0]):
            # Related tables need every key in one place (which columns are keys, which references resolve, how
            # many children each parent has, children conditioned on their parents' rows): fitted on one machine.
            raise SynthError(f"{'several tables' if len(reals) > 1 else reals[0] + ': a folder of tables'}: --engine dask "
                             f"fits one Parquet dataset (a folder of parts, a file or a URL); related tables are fitted "
                             f"on one machine (synth fit without --engine), as their keys and references need every key "
                             f"in one place")
        return _fit_dataset(reals[0], config, out_path, quiet, as_json, scheduler, workers, holdout_out, holdout_share)
    related = len(reals) > 1 or is_table_folder(reals[0]) or (query is None and _whole_database(reals[0]))
    if related or normalize:
        for flag, value in (("--epsilon", epsilon), ("--holdout-out", holdout_out), ("--sample-rows", sample_rows),
                            ("--query", query)):
            if value is not None:
                raise SynthError(f"{flag} is for one table; related tables ({', '.join(str(parse_address(r)) for r in reals)}) "
                                  "are fitted without it")
    if related:
        if normalize:
            raise SynthError("--normalize is for one flat table; these are already several tables")
        return _fit_related(reals, config, out_path, quiet, as_json)
    real = reals[0]
    frame = read_table(real, query=query)
    shown = str(parse_address(real))
    name = parse_address(real).stem
    if normalize or (not quiet and not as_json and epsilon is None):
        from ..fit.normalize import find_embedded

        embedded = find_embedded(frame, config.rule_share)
        if normalize:
            if embedded is None:
                raise SynthError(f"{real}: --normalize: no id column repeats with other columns constant within it; "
                                 "nothing to normalize")
            return _fit_related(reals, config, out_path, quiet, as_json, flat=(frame, embedded, name))
        if embedded is not None:
            console.err.print(f"note: {embedded}: an embedded {embedded.parent_name} table; --normalize learns it as "
                      f"{embedded.parent_name} + {name}, so rows of one {embedded.key} share them", markup=False)
    target = _schema_target(out_path, name)
    holdout = None
    if holdout_out is not None:
        from ..sinks import check_writable
        from ..tables import split_holdout

        check_writable(holdout_out)
        frame, holdout = split_holdout(frame, holdout_share, seed)
    started = time.perf_counter()
    with _fitting_status(quiet) as step:
        try:
            fitter = SchemaFitter(config).fit(frame, name=name, progress=step)
        except SynthError as exc:
            raise SynthError(f"{shown}: {exc.message}", exc.exit_code) from None
    if holdout is not None:
        from ..tables import write_table

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
        console.err.print(f"learned {len(learned.columns)} entries and {summary['correlations']} correlations from {len(frame):,} rows "
                  f"in {seconds:.1f}s; wrote {target}" + (f" and {len(holdout):,} held-back rows to {parse_address(holdout_out)}" if holdout is not None else ""),
                  markup=False)



def _schema_target(out_path: Optional[Path], name: str) -> Path:
    """Where the learned schema goes: ``--out`` or ``NAME.yaml``, refused unless it is a YAML name."""
    target = out_path or Path(f"{name}.yaml")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise SynthError(f"{target}: the schema is YAML; use a .yaml or .yml name")
    return target


@contextmanager
def _fitting_status(quiet: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal (none with --quiet or when piped); yields the progress callback fitters take."""
    with console.err.status("fitting", spinner="dots") if not quiet and console.err.is_terminal else nullcontext() as status:
        def step(message: str) -> None:
            if status is not None:
                status.update(f"fitting: {message}")
        yield step

def _fit_dataset(real: str, config: "FitConfig", out_path: Optional[Path], quiet: bool, as_json: bool,
                 scheduler: Optional[str], workers: int, holdout_out: Optional[str] = None, holdout_share: float = 0.2) -> None:
    """`synth fit DATASET --engine dask [--holdout-out hold/]`: see :class:`synth.fit.dataset.DatasetFitter`."""
    from ..fit.dataset import DatasetFitter
    from ..sinks import write_text_atomic

    name = Path(real.rstrip("/")).stem or "table"
    target = _schema_target(out_path, name)
    started = time.perf_counter()
    with _fitting_status(quiet) as step:
        try:
            fitter = DatasetFitter(config, engine="dask", scheduler=scheduler, workers=workers).fit(
                real, name=name, progress=step, holdout_out=holdout_out, holdout_share=holdout_share)
        except SynthError as exc:
            shown = real if (exc.message.startswith(real) or "scheduler" in exc.message
                             or exc.message.startswith("--holdout-out")) else None
            raise (exc if shown else SynthError(f"{real}: {exc.message}", exc.exit_code)) from None
    write_text_atomic(target, fitter.to_yaml())
    seconds = time.perf_counter() - started
    learned = fitter.schema_
    if not as_json:
        for note in fitter.notes_:
            console.err.print(f"note: {note}", markup=False)
    summary = {"real": real, "out": str(target), "rows": fitter.rows_, "notes": fitter.notes_, "partitions": fitter.parts_,
               "sample_rows": fitter.sampled_, "columns_from_every_row": fitter.distributed_["columns"],
               "correlations_from_every_row": len(fitter.distributed_["correlations"]),
               "entries": {c.name: c.kind for c in learned.columns}, "correlations": len(learned.spec.correlations),
               "seconds": round(seconds, 3)}
    if holdout_out is not None:
        summary.update({"holdout": holdout_out, "holdout_rows": fitter.holdout_rows_})
    if as_json:
        print(json.dumps(summary))
    elif not quiet:
        console.err.print(f"learned {len(learned.columns)} entries and {summary['correlations']} correlations from {fitter.rows_:,} rows "
                  f"in {fitter.parts_} partitions ({len(fitter.distributed_['columns'])} column shapes from every row, the "
                  f"rest from a sample of {fitter.sampled_:,}) in {seconds:.1f}s; wrote {target}"
                  + (f" and {fitter.holdout_rows_:,} held-back rows to {holdout_out}" if holdout_out is not None else ""),
                  markup=False)


def _whole_database(real: str) -> bool:
    from ..io import is_whole_database

    return is_whole_database(real)


def _fit_related(reals: list[str], config: "FitConfig", out_path: Optional[Path], quiet: bool, as_json: bool,
                 flat: tuple | None = None) -> None:
    """`synth fit FOLDER` / `synth fit a.csv b.csv ...` / `synth fit flat.csv --normalize` (``flat``: the frame, its
    embedded parent and name): one multi-table schema from related tables."""
    from ..fit.related import DatabaseFitter
    from ..io import read_tables
    from ..sinks import write_text_atomic
    from ..tables import read_table

    declared: dict = {}
    if flat is not None:
        tables = {flat[2]: flat[0]}
        name = flat[2]
    elif len(reals) == 1 and _whole_database(reals[0]):
        from ..io import read_catalog

        catalog = read_catalog(reals[0])
        if not catalog.tables:
            raise SynthError(f"{parse_address(reals[0])}: the database has no tables")
        tables, name = catalog.tables, parse_address(reals[0]).stem or "database"
        declared = {"primary_keys": catalog.primary_keys, "foreign_keys": catalog.foreign_keys}
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
    target = _schema_target(out_path, name)
    started = time.perf_counter()
    with _fitting_status(quiet) as step:
        fitter = DatabaseFitter(config)
        if flat is not None:
            fitter.fit_flat(flat[0], flat[1], name=name, progress=step)
            tables = fitter.tables_
        else:
            fitter.fit(tables, name=name, progress=step, **declared)
    write_text_atomic(target, fitter.to_yaml())
    seconds = time.perf_counter() - started
    plans = fitter.plans_
    summary = {"real": [str(parse_address(r)) for r in reals], "out": str(target),  # a URL's password as ***
               "tables": {t: len(df) for t, df in tables.items()},
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
            console.err.print(f"  {t}: {', '.join(parts)}", markup=False)
            for fk, why in p.skipped:
                console.err.print(f"  {t}: {fk} not generated ({why})", markup=False)
        console.err.print(f"learned {len(tables)} related tables in {seconds:.1f}s; wrote {target}", markup=False)
