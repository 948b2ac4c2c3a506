"""``synth draft``: an LLM writes the schema from a plain-language description; the generator does the rest.

The model writes a declarative schema (JSON via structured output), never code we run: the answer is
validated by the same code as ``synth validate`` plus a trial run of 200 rows, and any error is sent back
for a bounded number of repairs. The result always validates, or the draft fails with the last error.

>>> schema, data = draft_schema("coffee shop sales ...", LLMClient(LLMConfig.from_env()))   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .columns import KINDS
from .columns.distributions import distribution_reference
from .engine import Plan
from .errors import SynthError
from .expr import functions_reference
from .llm import LLMClient, parse_json_reply
from .schema import Schema

EXAMPLE = """{"name": "coffee_sales", "rows": 1000, "seed": 1, "columns": [
  {"name": "id", "kind": "sequence", "start": 1},
  {"name": "date", "kind": "date", "start": "2022-01-01", "end": "2022-12-31", "weekday_profile": {"sat": 1.3}},
  {"name": "time", "kind": "time", "start": "06:00", "end": "21:00", "step": "1m", "format": "%H:%M", "hour_profile": {"7-9": 3, "14-16": 0.6}},
  {"name": "menu", "kind": "catalog", "weight": "popularity", "fields": ["product", "price", "type"],
   "records": [{"product": "Latte", "price": 4.65, "type": "drink", "popularity": 12}, {"product": "Muffin", "price": 3.45, "type": "food", "popularity": 3}]},
  {"name": "quantity", "kind": "integer", "distribution": "weighted", "values": {"1": 0.7, "2": 0.2, "3": 0.1}},
  {"name": "amount", "kind": "expression", "expr": "round(price * quantity, 2)"},
  {"name": "payment_type", "kind": "choice", "values": {"credit": 46, "debit": 28, "cash": 18, "gift card": 8}},
  {"name": "customer", "kind": "faker", "provider": "name", "nulls": 0.3}],
 "correlations": [], "constraints": []}"""


def kinds_reference() -> str:
    """Each column kind with its fields, from the registry itself (so the prompt never drifts from the code)."""
    lines = []
    common = {"name", "kind", "nulls", "hidden", "description"}
    for name, cls in sorted(KINDS.items()):
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        fields = []
        for field_name, info in cls.model_fields.items():
            if field_name in common:
                continue
            annotation = info.annotation
            shown = annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")
            fields.append(f"{field_name}: {shown}" + ("" if info.is_required() else f" = {info.get_default(call_default_factory=True)!r}"))
        lines.append(f"- {name}: {doc} Fields: {'; '.join(fields) or '(none)'}")
    return "\n".join(lines)


def system_prompt() -> str:
    """The instructions for the model: kinds, distributions and expression functions all listed from their
    registries, so a new one is in the prompt as soon as it is registered (``tests/test_llm_draft.py`` checks)."""
    return (
        "You design synthetic tabular data for the `synth` generator. Answer with ONE JSON object: a schema with "
        "'name' (letters, digits, _), 'rows', 'seed', 'description', 'columns' (in output order), optional "
        "'correlations' ([{columns: [a, b], rank: -1..1}] between numeric/choice/date columns) and optional "
        "'constraints' (expressions every row must satisfy, e.g. 'end > start').\n"
        "Every column has 'name' and 'kind', optionally 'nulls' (0-1 share of empty values) and 'hidden'. Kinds:\n"
        f"{kinds_reference()}\n"
        "integer/float distributions ('distribution') with their parameters; min/max truncate any of them:\n"
        f"{distribution_reference()}\n"
        "Expressions (kind expression, and constraints) use column names, + - * / // % **, comparisons, and/or/not, "
        "x in [..], a if cond else b, and these functions (no other code):\n"
        f"{functions_reference()}\n"
        "Use realistic values (real product names, plausible prices and rates). Example:\n" + EXAMPLE
    )


def answer_schema() -> dict[str, Any]:
    """The JSON schema handed to structured output: the table's shape; each column is checked by our own validation."""
    kinds = sorted(KINDS)
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string"}, "rows": {"type": "integer"}, "seed": {"type": "integer"},
            "description": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "kind": {"type": "string", "enum": kinds}}, "required": ["name", "kind"]}},
            "correlations": {"type": "array", "items": {"type": "object"}},
            "constraints": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "columns"],
    }


def sample_block(path: Path, rows: int = 20, width: int = 60) -> str:
    """A few example rows (values cut short) to guide the draft; never more of the file than that."""
    from .tables import read_table

    frame = read_table(path).head(rows)
    frame = frame.map(lambda v: v if not isinstance(v, str) or len(v) <= width else v[:width] + "...")
    return f"Example rows of the table to imitate (columns and formats):\n{frame.to_csv(index=False)}"


def draft_schema(description: str, client: LLMClient, sample: Path | None = None, max_repairs: int = 3,
                 log: Any = None) -> tuple[Schema, dict[str, Any]]:
    """Ask for a schema, validate it, send errors back; return the first schema that validates and runs."""
    if not description.strip():
        raise SynthError("describe the table to draft, e.g. \"coffee shop sales: date, product, price, quantity\"")
    user = f"Design a schema for: {description.strip()}"
    if sample is not None:
        user += "\n\n" + sample_block(sample)
    messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": user}]
    fmt = {"type": "json_schema", "json_schema": {"name": "synth_schema", "schema": answer_schema(), "strict": False}}
    error = "no answer"
    for attempt in range(max_repairs + 1):
        reply = client.complete(messages, response_format=fmt)
        try:
            data = parse_json_reply(reply)
            schema = Schema.from_dict(data, source="draft")
            Plan(schema, rows=min(schema.spec.rows, 200)).chunk(0)
            return schema, data
        except ValueError as exc:
            error = str(exc)
        except SynthError as exc:
            error = exc.message.removeprefix("draft: ").removeprefix("draft:")
        if log is not None and attempt < max_repairs:
            log(f"draft {attempt + 1} is invalid ({error}); asking for a repair")
        messages = messages + [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That schema is invalid: {error}\nReply with the complete corrected schema as one JSON object."},
        ]
    raise SynthError(f"the model's schema is still invalid after {max_repairs} repairs: {error}")
