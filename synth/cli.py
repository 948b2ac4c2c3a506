"""The ``synth`` command line: a thin shell over the Python API. Parses, calls, prints; no logic of its own.

Each command lives in its own module under :mod:`synth.commands`, imported only when that command runs
(:mod:`synth.commands.registry`): `synth --help` and the light commands do not wait for the data stack.
"""

from __future__ import annotations

import gc
import os
import signal
from types import FrameType

import typer

# Only light modules up here: every command, `synth --help` included, pays for what is imported at the top
# (tests/test_startup.py pins it); each command imports what it needs.
from .commands.registry import COMMANDS, LazyGroup

__all__ = ["app", "main", "COMMANDS"]

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


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # same clean-up path as Ctrl-C: the temporary output is removed


def main() -> None:
    # Start-up allocates objects that are kept to the end (modules, classes, pydantic's validators) and next to no
    # garbage in cycles, yet the collector's passes over them cost `synth validate` ~4% of its instructions
    # (33 M). So it is off until a command that runs long starts: the registry turns it back on for every command
    # but the short ones (CommandSpec.collect; `synth validate`, `synth kinds`, `--help`).
    gc.disable()
    signal.signal(signal.SIGTERM, _terminate)
    # pydantic looks for plugins (observability hooks) in every installed package's entry points the first time
    # it builds a validator (~10-20 ms of `synth validate`); the command line validates schemas with no use for
    # them. Only for the command line (and its workers) and unless set: PYDANTIC_DISABLE_PLUGINS="" keeps them.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .lazy import skip_pydantic_plugin_search

    skip_pydantic_plugin_search()  # and with them off, pydantic need not import importlib.metadata (~15 ms)
    app()


if __name__ == "__main__":
    main()
