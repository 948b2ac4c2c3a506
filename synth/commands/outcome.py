"""What a command's exception becomes for the user: one line and an exit code (no Typer, no Click).

The one error path (:mod:`synth.commands.errors`) is shared by the Typer command line and the plain forms
run without it (:mod:`synth.commands.plain`): both turn an exception into the same line and code here.

>>> from synth.errors import SynthError
>>> outcome(SynthError("coffee.yaml:3: unknown kind 'flot'"))
("error: coffee.yaml:3: unknown kind 'flot'", 2)
>>> outcome(KeyError("x"))
("internal error: KeyError: 'x' (run again with --debug for details)", 1)
"""

from __future__ import annotations

import os
import sys

from ..errors import SynthError
from ..secrets import scrub

#: The flag that shows the traceback too (taken anywhere on the command line).
DEBUG = "--debug"
INTERRUPTED = "interrupted: nothing was written under the output name"


def outcome(exc: BaseException) -> tuple[str, int]:
    """The line and exit code for ``exc``, raised by a command: bad input (a :class:`SynthError`) is its message
    and code (2); Ctrl-C or SIGTERM 130; anything else is a bug of ours, exit 1. (Errors of the command line
    itself, an option Typer refuses, are Typer's: see :class:`synth.commands.errors.CommandGroup`.)"""
    if isinstance(exc, SynthError):
        return f"error: {exc.message}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, 130
    return f"internal error: {type(exc).__name__}: {exc} (run again with --debug for details)", 1


def report(line: str, exc: BaseException, debug: bool = False) -> None:
    """Write ``line`` to stderr as one line (after the traceback, with ``debug``); never the API key."""
    if debug:
        import traceback  # (only here: the plain forms never show one, ~5 M instructions)

        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    sys.stderr.write(redact(" ".join(line.split("\n"))) + "\n")


def redact(text: str, key: str | None = None) -> str:
    """``text`` without the API key (by default the one the LLM layer reads, ``OPENAI_API_KEY``) and without
    any database password this process was given (:mod:`synth.secrets`).

    >>> redact("HTTP 401: bad key sk-secret", key="sk-secret")
    'HTTP 401: bad key ***'
    """
    key = key or os.environ.get("OPENAI_API_KEY")
    return scrub(text.replace(key, "***") if key else text)
