"""``synth fit``: learn a schema from a real table (or from related tables); see :class:`synth.fit.SchemaFitter`.

This module declares the Typer command; its work is :func:`synth.commands.fitting.run_fit`, which the plain form
of the command line runs without importing Typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar

import typer

from ..io import describe as describe_addresses
from .options import SchedulerOption

if TYPE_CHECKING:
    from pydantic import BaseModel

    Settings = TypeVar("Settings", bound=BaseModel)


def fit(
    ctx: typer.Context,
    reals: list[str] = typer.Argument(..., metavar="REAL...", help=f"The real table: {describe_addresses()}. A folder of "
                                      "tables, several tables, or a database address without #table (every table, with "
                                      "its declared keys): related tables, learned as one multi-table schema.",
                                      show_default=False),
    query: Optional[str] = typer.Option(None, "--query", help="With a database address (no #table): learn from the rows of "
                                        "this SQL query, e.g. --query \"SELECT * FROM orders WHERE year = 2024\"."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the schema (default: <table name>.yaml here)."),
    # The ranges of the options FitConfig holds are FitConfig's (stated in the help for people; a test keeps them equal).
    sample_rows: Optional[int] = typer.Option(None, "--sample-rows", help="Learn from a random sample of this many rows.  [x>=1]"),
    min_count: int = typer.Option(10, "--min-count", "-k", help="Privacy: leave out categories, values and combinations seen in fewer rows.  [x>=1]"),
    tail: float = typer.Option(0.0, "--tail", help="Privacy: no value beyond the --min-count-th smallest and largest is ever written; also cut numeric and date ranges at this quantile and 1 - it.  [0.0<=x<=0.2]"),
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
    engine: str = typer.Option("local", "--engine", help="local: read the table into memory here. dask: REAL is a Parquet "
                               "dataset (a folder of parts, a .parquet file or an fsspec URL) fitted partition by partition "
                               "on a Dask cluster: marginals and correlations from every row through summaries that merge, "
                               "structure from a seeded sample of --sample-rows rows (default 100,000) (pip install 'synth[dask]')."),
    scheduler: Optional[str] = SchedulerOption,
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="With --engine dask and no scheduler: the LocalCluster's worker processes."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary line."),
    as_json: bool = typer.Option(False, "--json", help="Print a summary as JSON on stdout."),
) -> None:
    """Learn a schema from a real table; then `synth generate` makes a synthetic twin of any size.

    The schema is plain YAML you can review and edit. It keeps the real table's column shapes, category
    frequencies, fixed combinations (product -> price), formulas (amount = price * quantity), time
    profiles, columns conditioned on the columns they depend on (small decision trees whose leaves
    become readable cases), rank correlations, and none of its people: rare values and combinations
    are left out, no value beyond the k-th smallest and largest is written (numeric tails go on at the spacing inside them), identifiers and rare names are regenerated (a name shared by k or more
    rows keeps its frequency).

    Example:

      synth fit real.csv --out twin.yaml && synth generate twin.yaml --rows 100000 --out twin.csv

      synth fit real.csv --epsilon 1.0 --out private.yaml

      synth fit real.csv --holdout-out holdout.csv --out twin.yaml   # then: synth audit real.csv twin.csv --holdout holdout.csv

      synth fit "postgresql://me@localhost/shop#orders" --out orders.yaml

      synth fit "postgresql://me@localhost/shop" --out shop.yaml   # every table, with the keys it declares

      synth fit sales/ --engine dask --scheduler tcp://host:8786 --out sales.yaml   # a Parquet dataset on a cluster
    """
    from functools import partial

    from .fitting import run_fit

    run_fit(reals, query=query, out_path=out_path, sample_rows=sample_rows, min_count=min_count, tail=tail, seed=seed,
            trees=trees, epsilon=epsilon, delta=delta, holdout_out=holdout_out, holdout_share=holdout_share,
            normalize=normalize, engine=engine, scheduler=scheduler, workers=workers, quiet=quiet, as_json=as_json,
            settings=partial(_settings, ctx))


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


