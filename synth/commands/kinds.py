"""``synth kinds``: the column kinds a schema can use, and the fields of one.

What it prints comes from :mod:`synth.commands.kinds_facts`, a table generated from the kinds' registry
(:data:`synth.columns.KINDS`) by ``python -m synth.commands.kinds``: reading every kind's pydantic fields
at run time means importing pydantic and building every kind's class, which took `synth kinds` several
times longer than printing. ``tests/test_startup.py`` fails when the table is stale (a kind, a field, a
docstring or an example changed): then run ``python -m synth.commands.kinds`` and commit the file.

>>> facts = kind_facts()
>>> facts["uuid"]["summary"]
'Random version-4 UUIDs in the usual 8-4-4-4-12 hex form, from the seeded generator.'
>>> [row[0] for row in facts["uuid"]["fields"]]
['name', 'nulls', 'hidden', 'description']
>>> KIND_FACTS["uuid"] == facts["uuid"]
True
"""

from __future__ import annotations

import sys
from pathlib import Path
from pprint import pformat
from typing import Any, Optional

import typer

from ..errors import SynthError
from .console import out
from .kinds_facts import KIND_FACTS

FACTS_FILE = Path(__file__).with_name("kinds_facts.py")


def kinds(kind: Optional[str] = typer.Argument(None, help="Show the fields of one kind.")) -> None:
    """List the column kinds a schema can use, or the fields of one kind."""
    from rich.table import Table

    if kind is not None:
        if kind not in KIND_FACTS:
            raise SynthError(f"unknown kind {kind!r}; kinds: {', '.join(sorted(KIND_FACTS))}")
        facts = KIND_FACTS[kind]
        out.print(facts["doc"], markup=False)
        table = Table("field", "type", "default", "meaning")
        for row in facts["fields"]:
            table.add_row(*row)
        out.print(table)
        if facts["reference"]:
            out.print(facts["reference"], markup=False)
        if facts["example"]:
            out.print("Example:\n" + facts["example"], markup=False)
        return
    table = Table("kind", "what it makes")
    for name in sorted(KIND_FACTS):
        table.add_row(name, KIND_FACTS[name]["summary"])
    out.print(table)
    out.print("`synth kinds NAME` shows a kind's fields and an example.", markup=False)


# --- the table, generated from the registry ---------------------------------------------------------
def kind_facts() -> dict[str, dict[str, Any]]:
    """What `synth kinds` shows of each registered kind, read from its class: the first line of its docstring
    (``summary``), the whole docstring, one (field, type, default, meaning) row per YAML key, the kind's
    :meth:`~synth.columns.Column.reference` and the YAML example of its module's docstring (if it shows
    this kind)."""
    from ..columns import KINDS

    facts: dict[str, dict[str, Any]] = {}
    for kind in sorted(KINDS):
        cls = KINDS[kind]
        doc = (cls.__doc__ or "").strip()
        rows = []
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            default = "required" if info.is_required() else repr(info.get_default(call_default_factory=True))
            annotation = info.annotation
            shown = annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")
            rows.append((name, shown, default, info.description or ""))
        module_doc = sys.modules[cls.__module__].__doc__ or ""
        example = module_doc.split("code-block:: yaml", 1)[1].split('"""')[0] if "code-block:: yaml" in module_doc else ""
        facts[kind] = {"summary": doc.splitlines()[0] if doc else "", "doc": doc, "fields": rows,
                       "reference": cls.reference(),
                       "example": example if f"kind: {kind}" in example else ""}  # an example may show a sibling only
    return facts


def facts_module_text() -> str:
    """The source of :mod:`synth.commands.kinds_facts` for the kinds registered now."""
    return ('"""What `synth kinds` shows of every column kind: generated from synth.columns.KINDS by\n'
            '`python -m synth.commands.kinds`; do not edit (tests/test_startup.py checks it is current)."""\n\n'
            f"KIND_FACTS = {pformat(kind_facts(), width=120, sort_dicts=False)}\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m synth.commands.kinds``: rewrite the table; ``--check``: exit 1 if it is stale."""
    args = sys.argv[1:] if argv is None else argv
    text = facts_module_text()
    if FACTS_FILE.read_text(encoding="utf-8") == text:
        return 0
    if "--check" in args:
        print(f"{FACTS_FILE} is stale: run `python -m synth.commands.kinds`", file=sys.stderr)
        return 1
    FACTS_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {FACTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
