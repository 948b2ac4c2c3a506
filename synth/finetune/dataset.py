"""Fine-tuning examples in JSON Lines: reading, format detection, and the checks of one example.

Two formats:

- completion (legacy): ``{"prompt": "...", "completion": "..."}``
- chat: ``{"messages": [{"role": "system" | "user" | "assistant" | "tool", "content": "..."}, ...]}``

Every problem carries the 1-based line number it was found on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import SynthError

ROLES = {"system", "user", "assistant", "tool", "function", "developer"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"}
CHAT_KEYS = {"messages", "tools", "functions", "parallel_tool_calls"}
COMPLETION_KEYS = {"prompt", "completion"}


@dataclass
class Line:
    """One line of the file: its number, and the parsed object or why it could not be parsed."""

    number: int
    data: Any = None
    error: str | None = None


def read_lines(path: str | Path) -> Iterator[Line]:
    """Stream the file's non-blank lines, parsed; decoding and JSON errors are reported per line."""
    path = Path(path)
    if not path.exists():
        raise SynthError(f"{path}: no such file")
    if path.is_dir():
        raise SynthError(f"{path}: is a folder, not a JSONL file")
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise SynthError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Line(number, error=f"not UTF-8 (byte {exc.start})")
                continue
            try:
                yield Line(number, json.loads(text))
            except json.JSONDecodeError as exc:
                yield Line(number, error=f"invalid JSON: {exc.msg} at column {exc.colno}")


def detect_format(path: str | Path, sample: int = 1000) -> str:
    """``chat`` or ``completion``, by the keys of the first ``sample`` parseable objects."""
    votes = {"chat": 0, "completion": 0}
    for i, line in enumerate(read_lines(path)):
        if i >= sample:
            break
        if isinstance(line.data, dict):
            if "messages" in line.data:
                votes["chat"] += 1
            elif "prompt" in line.data or "completion" in line.data:
                votes["completion"] += 1
    if votes["chat"] == votes["completion"] == 0:
        raise SynthError(f"{path}: no example has 'messages' (chat) or 'prompt'/'completion' keys; use --format to say which")
    return "chat" if votes["chat"] >= votes["completion"] else "completion"


def check_example(data: Any, fmt: str) -> list[tuple[str, str]]:
    """Problems of one example as ``(code, message)``: keys, types, empty values, roles and their order."""
    if not isinstance(data, dict):
        return [("not_an_object", f"a line must be a JSON object, not {type(data).__name__}")]
    return _check_chat(data) if fmt == "chat" else _check_completion(data)


def _check_completion(data: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key in ("prompt", "completion"):
        if key not in data:
            out.append(("missing_key", f"missing key {key!r}"))
        elif not isinstance(data[key], str):
            out.append(("wrong_type", f"{key!r} must be text, not {type(data[key]).__name__}"))
        elif not data[key].strip():
            out.append(("empty_value", f"{key!r} is empty"))
    extra = sorted(set(data) - COMPLETION_KEYS)
    if extra:
        out.append(("extra_key", f"unexpected keys: {', '.join(map(repr, extra))}"))
    return out


def _check_chat(data: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    extra = sorted(set(data) - CHAT_KEYS)
    if extra:
        out.append(("extra_key", f"unexpected keys: {', '.join(map(repr, extra))}"))
    messages = data.get("messages")
    if messages is None:
        return out + [("missing_key", "missing key 'messages'")]
    if not isinstance(messages, list) or not messages:
        return out + [("wrong_type", "'messages' must be a non-empty list")]
    roles = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            out.append(("wrong_type", f"{where} must be an object"))
            continue
        role = message.get("role")
        roles.append(role)
        if role not in ROLES:
            out.append(("unknown_role", f"{where} has role {role!r}; known: {', '.join(sorted(ROLES))}"))
        unknown = sorted(set(message) - MESSAGE_KEYS)
        if unknown:
            out.append(("extra_key", f"{where} has unexpected keys: {', '.join(map(repr, unknown))}"))
        content = message.get("content")
        if "content" not in message and not message.get("tool_calls"):
            out.append(("missing_key", f"{where} has no 'content'"))
        elif content is not None and not isinstance(content, str):
            out.append(("wrong_type", f"{where}.content must be text, not {type(content).__name__}"))
        elif role in ("user", "assistant", "system") and isinstance(content, str) and not content.strip() and not message.get("tool_calls"):
            out.append(("empty_value", f"{where}.content is empty"))
    if "assistant" not in roles:
        out.append(("no_assistant", "no assistant message to learn from"))
    if "system" in roles[1:] or "developer" in roles[1:]:
        out.append(("role_order", "a system message may only come first"))
    first_turn = next((r for r in roles if r not in ("system", "developer")), None)
    if first_turn == "assistant":
        out.append(("role_order", "the conversation starts with the assistant, before any user message"))
    for a, b in zip(roles, roles[1:]):
        if a == b == "user" or a == b == "assistant":
            out.append(("role_order", f"two {a} messages in a row"))
            break
    return out


def example_texts(data: dict[str, Any], fmt: str) -> tuple[str, str]:
    """(input text, target text) of a valid example: prompt/completion, or the messages and the last assistant reply."""
    if fmt == "completion":
        return data["prompt"], data["completion"]
    messages = data["messages"]
    target = next((m.get("content") or "" for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "assistant"), "")
    context = "\n".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))
    return context, target


_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """Whitespace-normalized text, for near-duplicate detection."""
    return _SPACE.sub(" ", text).strip()


def example_key(data: dict[str, Any], fmt: str, normalize: bool) -> str:
    """A canonical string of the whole example (exact or whitespace-normalized)."""
    if fmt == "completion":
        parts = [data["prompt"], data["completion"]]
    else:
        parts = [f"{m.get('role')}\x1f{m.get('content') or ''}" for m in data["messages"] if isinstance(m, dict)]
    if normalize:
        parts = [normalized(p) for p in parts]
    return "\x1e".join(parts)
