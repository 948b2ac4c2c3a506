"""The ``synth`` Typer app: the group of every command (:data:`synth.commands.registry.COMMANDS`).

:func:`synth.cli.main` runs it for every command line but the plain forms of the light commands
(:mod:`synth.commands.plain`), which do not need Typer's parsing.
"""

from __future__ import annotations

import typer

# Only light modules up here: every command, `synth --help` included, pays for what is imported at the top
# (tests/test_startup.py pins it); each command imports what it needs.
from .registry import COMMANDS, LazyGroup

__all__ = ["app", "COMMANDS"]

app = typer.Typer(
    cls=LazyGroup,  # the commands of synth.commands.registry; one error path for all: see synth/commands/errors.py
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


@app.callback()
def _group() -> None:
    # No options of its own: a callback makes Typer build a group, whose commands come from COMMANDS.
    pass
