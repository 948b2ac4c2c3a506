"""``synth audit``: the command-line shell over :func:`audit.run`."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from ..errors import SynthError
from ..sinks import write_text_atomic
from ..tables import read_table

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def audit_command(
    real: Path = typer.Argument(..., help="The real rows the generator learned from (.csv or .parquet).", show_default=False),
    synthetic: Path = typer.Argument(..., help="The synthetic rows to check.", show_default=False),
    holdout: Optional[Path] = typer.Option(None, "--holdout", help="Real rows the generator never saw: needed to tell memorised rows from realistic ones."),
    target: Optional[str] = typer.Option(None, "--target", help="Column a downstream model predicts (train on synthetic, test on real)."),
    sensitive: List[str] = typer.Option([], "--sensitive", help="A secret column an attacker may try to infer (repeatable)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Order rows by this column for autocorrelation checks."),
    kind: List[str] = typer.Option([], "--kind", help="Override a column kind: COLUMN=numeric|categorical|boolean|date|datetime|time|identifier|text (also taken from --schema)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the report as JSON here."),
    html_path: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
    fail_under: List[str] = typer.Option([], "--fail-under", help="Minimum score, e.g. privacy=0.8 or dcr=0.9 (repeatable). Default: privacy=0.7."),
    policy_file: Optional[Path] = typer.Option(None, "--policy", help="YAML file: {fail_under: {privacy: 0.8, fidelity: 0.7}}."),
    schema_path: Optional[Path] = typer.Option(None, "--schema", help="Check the rules this schema declares (ranges, categories, formulas, uniqueness, constraints) on both tables."),
    seed: int = typer.Option(0, "--seed", help="Seed for samples and models: the same inputs and seed give the same report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No console table; just the exit code (and files)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Score synthetic data against real data: fidelity, utility, privacy. Exit 0 pass, 1 a threshold failed, 2 bad input.

    Example:

      synth audit real.csv synthetic.csv --holdout holdout.csv --target price --html report.html --fail-under privacy=0.8
    """
    import audit
    from audit.policy import Policy
    from audit.report import console_summary

    try:
        kinds = {}
        for item in kind:
            col, sep, value = item.partition("=")
            if not sep:
                raise SynthError(f"--kind {item!r}: write COLUMN=KIND")
            kinds[col] = value
        policy = Policy.from_file(policy_file) if policy_file else Policy()
        policy = Policy.parse(fail_under, base=policy)
        frames = [read_table(real), read_table(synthetic), read_table(holdout) if holdout else None]
        from ..schema import Schema

        rules_schema = Schema.from_yaml(schema_path) if schema_path is not None else None
        if rules_schema is not None:
            from audit.data import kinds_from_schema

            declared = {c: k for c, k in kinds_from_schema(rules_schema).items() if c in frames[0].columns}
            kinds = {**declared, **kinds}  # --kind wins over the schema
        for path in (json_path, html_path):
            if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
                raise SynthError(f"{path}: cannot write: folder {path.parent} does not exist")
        status = err.status("auditing", spinner="dots") if not quiet and err.is_terminal else None
        if status is not None:
            status.start()
        try:
            result = audit.run(frames[0], frames[1], frames[2], target=target, sensitive=sensitive, time_column=time_column,
                               kinds=kinds or None, policy=policy, seed=seed, schema=rules_schema,
                               progress=(lambda m: status.update(f"auditing: {m}")) if status is not None else None)
        finally:
            if status is not None:
                status.stop()
        if json_path is not None:
            write_text_atomic(json_path, result.to_json())
        if html_path is not None:
            write_text_atomic(html_path, result.to_html())
    except SynthError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"error: {exc.message}\n")
        raise typer.Exit(exc.exit_code) from None
    if not quiet:
        out.print(console_summary(result))
        summary = ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in result.summary.items())
        out.print(f"{summary}: {'PASSED' if result.passed else 'FAILED (' + '; '.join(result.failures) + ')'}", markup=False)
        for note in result.notes:
            out.print(f"note: {note}", markup=False)
    raise typer.Exit(0 if result.passed else 1)
