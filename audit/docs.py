"""Text generated from the metric registry: ``python -m audit.docs`` rewrites it wherever it is shown.

- docs/audit.md's metric tables, each between ``<!-- begin NAME: python -m audit.docs -->`` and
  ``<!-- end NAME -->`` markers;
- the defaults ``synth audit --help`` lists for ``--fail-under`` (each metric's ``gate``, the privacy
  tolerance), between ``# begin NAME: python -m audit.docs`` and ``# end NAME`` in
  ``synth/commands/audit.py``. Written there rather than read from the registry when the help is shown:
  the registry's modules import pandas, scipy and scikit-learn, and `synth audit --help` would take
  seconds instead of a fraction of one.

The rest of each file is left as written. ``tests/test_audit_registry.py`` fails when a file is stale.

    >>> print(metric_table().splitlines()[0])
    | section | metric | needs | raw value | score |
    >>> print(fail_under_defaults())
    FAIL_UNDER_DEFAULTS = "every privacy test 0.99, worst_column_shape 0.5, column_variety 0.5, dependence_kept 0.5"
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .privacy import PrivacyTest
from .registry import INPUTS, units

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "audit.md"
HELP = ROOT / "synth" / "commands" / "audit.py"


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
    """One row per privacy test: what it looks for in a synthetic row."""
    rows = ["| test | a synthetic row counts when it |", "|---|---|"]
    rows += [f"| {u.name} | {_cell(u.explains)} |" for u in units("privacy") if isinstance(u, PrivacyTest)]
    return "\n".join(rows)


def fail_under_defaults() -> str:
    """The ``--fail-under`` defaults, as the Python line ``synth audit --help`` shows them from."""
    from .policy import DEFAULTS

    tests = [f"every privacy test {DEFAULTS['privacy']:g}"]
    gates = [f"{name} {minimum:g}" for name, minimum in DEFAULTS.items() if name != "privacy"]
    return f"FAIL_UNDER_DEFAULTS = {', '.join(tests + gates)!r}".replace("'", '"')


TABLES = {"metrics": metric_table, "privacy-tests": privacy_table}
HELP_TEXTS = {"fail-under-defaults": fail_under_defaults}


def render(text: str, blocks: dict = TABLES, begin: str = "<!-- begin {name}: python -m audit.docs -->",
           end: str = "<!-- end {name} -->") -> str:
    """``text`` with every generated block (of ``blocks``, between the markers) replaced by the registry's current one."""
    for name, make in blocks.items():
        opening, closing = begin.format(name=name), end.format(name=name)
        pattern = re.compile(rf"({re.escape(opening)}\n)(?:.*?\n)?({re.escape(closing)})", re.S)
        if not pattern.search(text):
            raise ValueError(f"no '{opening}' ... '{closing}' block")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def render_help(text: str) -> str:
    """``synth/commands/audit.py``'s source with its generated lines current."""
    return render(text, HELP_TEXTS, "# begin {name}: python -m audit.docs", "# end {name}")


def main(path: Path = DOC, help_path: Path | None = HELP) -> int:
    """Rewrite the generated blocks of ``path`` (and of the audit command); print whether anything changed."""
    for target, rewrite in ((path, render), (help_path, render_help)):
        if target is None:
            continue
        text = target.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            target.write_text(new, encoding="utf-8")
        print(f"{target}: {'rewritten' if new != text else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])) if len(sys.argv) > 1 else main())
