"""Where the commands print: ``out`` (results, stdout) and ``err`` (progress, notes and summaries, stderr).

Only the commands that print through Rich import this module (and Rich with it).
"""

from __future__ import annotations

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)
