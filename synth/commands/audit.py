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

# The --fail-under defaults, generated from the metric registry (each metric's `gate`) by
# `python -m audit.docs`; a test fails when they are stale. Not read from the registry at run time: its
# modules import pandas, scipy and scikit-learn, which `synth audit --help` should not wait for.
# begin fail-under-defaults: python -m audit.docs
FAIL_UNDER_DEFAULTS = "every privacy test 0.99, worst_column_shape 0.5, column_variety 0.5, dependence_kept 0.5"
# end fail-under-defaults

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def audit_command(
    real: str = typer.Argument(..., help=f"The real rows the generator learned from: {describe_addresses()}.", show_default=False),
    synthetic: str = typer.Argument(..., help="The synthetic rows to check (the same kinds of address).", show_default=False),
    holdout: Optional[str] = typer.Option(None, "--holdout", help="Real rows the generator never saw: needed to tell memorised rows from realistic ones."),
    target: Optional[str] = typer.Option(None, "--target", help="Column a downstream model predicts (train on synthetic, test on real)."),
    sensitive: List[str] = typer.Option([], "--sensitive", help="A secret column an attacker may try to infer (repeatable)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="Order rows by this column for autocorrelation checks."),
    kind: List[str] = typer.Option([], "--kind", help="Override a column kind: COLUMN=numeric|categorical|boolean|date|datetime|time|identifier|text (also taken from --schema)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the report as JSON here."),
    html_path: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
    fail_under: List[str] = typer.Option([], "--fail-under", help="Minimum score for a metric or section, e.g. exact_copies=0.98 (tolerate 2% memorised rows) or fidelity=0.7 (repeatable). Defaults: " + FAIL_UNDER_DEFAULTS + "."),
    policy_file: Optional[Path] = typer.Option(None, "--policy", help="YAML file: {fail_under: {exact_copies: 0.98, fidelity: 0.7}, alpha: 0.05, require_holdout: true}."),
    allow_no_holdout: bool = typer.Option(False, "--allow-no-holdout", help="Without --holdout, or with one too small to catch a 5% leak, pass on fidelity and utility alone (privacy is reported as not verified instead of failing the audit)."),
    schema_path: Optional[Path] = typer.Option(None, "--schema", help="Check the rules this schema declares (ranges, categories, formulas, uniqueness, constraints) on both tables."),
    seed: int = typer.Option(0, "--seed", help="Seed for samples and models: the same inputs and seed give the same report."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No console table; just the exit code (and files)."),
) -> None:
    """Score synthetic data against real data: fidelity, utility, privacy. Exit 0 pass, 1 a check failed, 2 bad input.

    Privacy is a set of statistical tests against the holdout (real rows the generator never saw): each
    estimates the share of synthetic rows that are memorised and fails when it is significantly above the
    tolerance (1% by default). Without --holdout, or with one too small to catch a 5% leak (the report says
    how many synthetic rows would do), privacy is not verified and the audit fails unless --allow-no-holdout.
    Keep a holdout when fitting: synth fit real.csv --holdout-out holdout.csv

    Example:

      synth audit train.csv synthetic.csv --holdout holdout.csv --target price --html report.html
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
    frames = [read_table(real), read_table(synthetic), read_table(holdout) if holdout else None]
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
                           kinds=kinds or None, policy=policy, seed=seed, schema=rules_schema,
                           progress=(lambda m: status.update(f"auditing: {m}")) if status is not None else None)
    finally:
        if status is not None:
            status.stop()
    if json_path is not None:
        write_text_atomic(json_path, result.to_json())
    if html_path is not None:
        write_text_atomic(html_path, result.to_html())
    if not quiet:
        out.print(console_summary(result))
        for m in result.metrics:
            if m.section == "privacy" and m.skipped is None:
                label = {"fail": "FAIL", "pass": "PASS"}.get(m.details["verdict"], "INFO")
                out.print(f"{label}  {m.details['sentence']}", markup=False)
        summary = ", ".join(f"{k} {'n/a' if v is None else f'{v:.3f}'}" for k, v in result.summary.items())
        out.print(f"{summary}; privacy {result.privacy_verdict}", markup=False)
        out.print("PASSED" if result.passed else "FAILED:", markup=False)
        for failure in result.failures:
            out.print(f"  - {failure}", markup=False)
        for note in result.notes:
            out.print(f"note: {note}", markup=False)
    raise typer.Exit(0 if result.passed else 1)
