"""The ``synth`` command line: a thin shell over the Python API. Parses, calls, prints; no logic of its own.

Each command lives in its own module under :mod:`synth.commands`, imported only when that command runs
(:mod:`synth.commands.registry`): `synth --help` and the light commands do not wait for the data stack.
The plain forms of the light commands (`synth validate FILE`, `synth kinds`) do not even import Typer
(:mod:`synth.commands.plain`); ``app`` (the Typer app, :mod:`synth.commands.app`) is imported on first use.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .commands.app import COMMANDS, app

__all__ = ["app", "main", "COMMANDS"]


def __getattr__(name: str) -> Any:
    # `from synth.cli import app`: Typer (~50 ms) is imported by who asks for it, not by every `synth` process.
    if name in ("app", "COMMANDS"):
        from .commands import app as module

        return getattr(module, name)
    raise AttributeError(f"module 'synth.cli' has no attribute {name!r}")


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
    from .lazy import skip_compute_option_docs, skip_pydantic_plugin_search

    skip_pydantic_plugin_search()  # and with them off, pydantic need not import importlib.metadata (~15 ms)
    skip_compute_option_docs()  # pyarrow.compute's import (fit and generate) parses no docstrings (~85 M instructions)
    from .commands.plain import run_plain

    code = run_plain(sys.argv[1:])  # `synth validate FILE`, `synth kinds`: no Typer (same output, same codes)
    if code is not None:
        sys.exit(code)
    from .commands.app import app

    app()


if __name__ == "__main__":
    main()
