"""One error path for every command: what a user sees when something goes wrong.

- bad input (a :class:`~synth.errors.SynthError`, or an option Typer refuses): one line ``error: ...`` on
  stderr and the error's exit code (2);
- a bug of ours (any other exception): one line ``internal error: ...`` with a hint, and exit code 1;
- Ctrl-C or SIGTERM: one line, exit code 130 (the sinks have removed their temporary files by then);
- a traceback only with ``--debug``: a global option, taken anywhere on the line (``synth --debug fit
  real.csv`` and ``synth fit real.csv --debug`` alike) so that no command needs to declare it.

Commands therefore never catch errors themselves: they raise, and :class:`CommandGroup` (the class of the
top-level ``synth`` group) reports. Every line is stripped of the API key and of database passwords, wherever
the text came from.

>>> import typer
>>> demo = typer.Typer(cls=CommandGroup)
>>> @demo.command()
... def hello(name: str) -> None:
...     raise SynthError(f"{name}: no such file")
>>> @demo.command()
... def other() -> None: ...  # (with one command, Typer would make no group)
>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(demo, ["hello", "missing.csv"])
>>> result.exit_code, result.stderr
(2, 'error: missing.csv: no such file\\n')
>>> lines = CliRunner().invoke(demo, ["hello", "missing.csv", "--debug"]).stderr.splitlines()
>>> lines[0], lines[-1]
('Traceback (most recent call last):', 'error: missing.csv: no such file')
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import SynthError
from .outcome import DEBUG, outcome, redact, report as write_report

__all__ = ["DEBUG", "CommandGroup", "redact", "report"]

try:  # Typer ships its own copy of Click from 0.22 on; before, it used Click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

#: Click's "no arguments: show the help" signal is a UsageError too, but not a mistake (Click >= 8.2 only).
_SHOW_HELP: tuple[type[BaseException], ...] = tuple(
    c for c in [getattr(click_errors, "NoArgsIsHelpError", None)] if c is not None)


class CommandGroup(TyperGroup):
    """A Typer group whose commands' errors all take the one path described in this module."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        """Take ``--debug`` out of the whole line (up to a ``--``), before the group and its command parse it."""
        end = args.index("--") if "--" in args else len(args)
        ctx.meta[DEBUG] = DEBUG in args[:end]
        return super().parse_args(ctx, [a for a in args[:end] if a != DEBUG] + args[end:])

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, SystemExit, BrokenPipeError, *_SHOW_HELP):
            raise  # an exit code chosen on purpose, help text, or a closed pipe (Click handles it)
        except click_errors.ClickException as exc:  # an option or argument Typer refused
            hint = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) is not None else ""
            report(f"error: {exc.format_message()}{hint}", exc, ctx)
            raise typer.Exit(exc.exit_code) from None
        except (SynthError, KeyboardInterrupt, Exception) as exc:  # bad input, Ctrl-C, or a bug of ours (one line)
            line, code = outcome(exc)
            report(line, exc, ctx)
            raise typer.Exit(code) from None


def report(line: str, exc: BaseException, ctx: typer.Context) -> None:
    """Write ``line`` to stderr as one line (after the traceback, with ``--debug``); never the API key."""
    write_report(line, exc, debug=bool(ctx.meta.get(DEBUG)))
