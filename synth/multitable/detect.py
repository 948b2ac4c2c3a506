"""Whether a schema file holds one table or several: read before deciding which loader (and its imports) to use.

>>> is_multi_table("schemas/coffee_shop.yaml"), is_multi_table("schemas/coffee.yaml")
(True, False)
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SynthError
from ..yamlsafe import load_yaml_file


def is_multi_table(path: str | Path) -> bool:
    """Whether the schema file at ``path`` holds several tables (a top-level ``tables:``); False if unreadable
    (loading it then reports why)."""
    try:
        data, _ = load_yaml_file(path, keep=True)  # the load that follows does not parse again
    except SynthError:
        return False
    return isinstance(data, dict) and "tables" in data
