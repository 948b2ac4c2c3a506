"""Secrets this process has been given (database passwords), so that no line it prints carries one.

A password is remembered where it is read (from a URL, or the environment variable a URL names), and
every line the command line prints (:func:`synth.commands.errors.report`) goes through :func:`scrub`, so
even a driver's message that echoes a connection string shows ``***``.

>>> remember("hunter2")
>>> scrub("could not connect as bob:hunter2@db")
'could not connect as bob:***@db'
"""

from __future__ import annotations

from urllib.parse import quote

_SECRETS: set[str] = set()


def remember(secret: str | None) -> None:
    """Scrub ``secret`` (and its percent-encoded spelling, as it appears inside a URL) from every printed line."""
    if secret:
        _SECRETS.update({secret, quote(secret, safe="")})


def scrub(text: str) -> str:
    """``text`` with every remembered secret replaced by ``***`` (longest first: one may contain another)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
