"""docs/audit.md's metric tables, generated from the registry: ``python -m audit.docs`` rewrites them.

Each table sits between ``<!-- begin NAME: python -m audit.docs -->`` and ``<!-- end NAME -->`` markers;
the rest of the file is left as written. ``tests/test_audit_registry.py`` fails when the file is stale.

    >>> print(metric_table().splitlines()[0])
    | section | metric | needs | raw value | score |
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .privacy import PrivacyTest
from .registry import INPUTS, units

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def metric_table() -> str:
    """One row per registered metric: section, name, the inputs it needs or uses, its raw value, its score."""
    rows = ["| section | metric | needs | raw value | score |", "|---|---|---|---|---|"]
    for u in units():
        needs = ", ".join(f"`{INPUTS[n].option}`" for n in (*u.needs, *u.uses)) or "-"
        scoring = u.scoring + (f"; gate {u.gate:g}" if u.gate is not None else "")
        rows.append(f"| {u.section} | {u.name} | {needs} | {_cell(u.raw)} | {_cell(scoring)} |")
    return "\n".join(rows)


def privacy_table() -> str:
    """One row per privacy test: the real rows that explain a synthetic row."""
    rows = ["| test | the real rows that explain a synthetic row |", "|---|---|"]
    rows += [f"| {u.name} | {_cell(u.explains)} |" for u in units("privacy") if isinstance(u, PrivacyTest)]
    return "\n".join(rows)


TABLES = {"metrics": metric_table, "privacy-tests": privacy_table}


def render(text: str) -> str:
    """``text`` with every generated block replaced by the registry's current table."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- begin {name}: python -m audit.docs -->\n)(?:.*?\n)?(<!-- end {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"no '<!-- begin {name}: python -m audit.docs -->' ... '<!-- end {name} -->' block")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main(path: Path = DOC) -> int:
    """Rewrite the generated blocks of ``path``; print whether anything changed."""
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    print(f"{path}: {'rewritten' if new != text else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC))
