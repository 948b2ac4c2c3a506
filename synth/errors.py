"""The one exception type users see.

Every error a user can cause (a bad schema, a missing file, an unwritable output) is raised as a
:class:`SynthError` whose message is written for the user and already names the file, line and field
where it can. The CLI prints it as one line and exits with ``exit_code``; tracebacks only with ``--debug``.
"""

from __future__ import annotations


class SynthError(Exception):
    """A user-facing error: one line of text and the exit code the CLI should use (2 = bad input)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
