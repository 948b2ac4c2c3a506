"""The LLM parts of ``synth finetune``: question-answer pairs from documents, and few-shot labelling.

Both run on :mod:`synth.llm` (one client: cache, backoff, budget, bounded concurrency), so an interrupted
run resumes without paying twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable

from ..errors import SynthError
from ..llm import LLMClient, parse_json_reply
from .dataset import example_texts, read_lines
from .tokens import TokenCounter, encoding_for_model

SEPARATOR = "\n\n###\n\n"
_WORD = re.compile(r"[A-Za-z0-9]{4,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"):
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def read_document(path: Path) -> str:
    if not path.exists():
        raise SynthError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SynthError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if path.suffix.lower() in (".html", ".htm"):
        parser = _Text()
        parser.feed(text)
        text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def chunks(text: str, counter: TokenCounter, max_tokens: int) -> list[str]:
    """Paragraph-aligned pieces of at most ``max_tokens`` tokens (a longer paragraph is cut by sentences)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    units = []
    for p in paragraphs:
        if counter.count(p) <= max_tokens:
            units.append(p)
        else:
            units.extend(s for s in re.split(r"(?<=[.!?])\s+", p) if s)
    for unit in units:
        n = counter.count(unit)
        if current and size + n > max_tokens:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += n
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def supported(answer: str, source: str, share: float = 0.5) -> bool:
    """Is the answer grounded in the source? At least ``share`` of its content words occur there."""
    words = {w.lower() for w in _WORD.findall(answer)}
    if not words:
        return False
    present = {w.lower() for w in _WORD.findall(source)}
    return len(words & present) / len(words) >= share


@dataclass
class QAResult:
    pairs: list[dict[str, str]] = field(default_factory=list)
    chunks: int = 0
    dropped_unsupported: int = 0


def make_qa(documents: list[Path], client: LLMClient, questions: int = 5, max_chunk_tokens: int = 1500) -> QAResult:
    """Questions each chunk answers, then answers from that chunk alone; unsupported answers dropped."""
    counter = TokenCounter(encoding_for_model(client.config.model))
    result = QAResult()
    pieces = [c for doc in documents for c in chunks(read_document(doc), counter, max_chunk_tokens)]
    result.chunks = len(pieces)
    q_schema = {"type": "json_schema", "json_schema": {"name": "questions", "strict": False, "schema": {
        "type": "object", "properties": {"questions": {"type": "array", "items": {"type": "string"}}}, "required": ["questions"]}}}
    a_schema = {"type": "json_schema", "json_schema": {"name": "answers", "strict": False, "schema": {
        "type": "object", "properties": {"answers": {"type": "array", "items": {"type": "string"}}}, "required": ["answers"]}}}
    asks = [[{"role": "system", "content": "You write exam questions that a text answers. Reply as JSON {\"questions\": [...]}."},
             {"role": "user", "content": f"Write {questions} different questions that this text answers:\n\n{piece}"}] for piece in pieces]
    replies = client.map(asks, response_format=q_schema)
    qs = [_list(parse_json_reply(r), "questions") for r in replies]
    answer_asks = [[{"role": "system", "content": "Answer each question using only the text. Reply as JSON {\"answers\": [...]}, one per question, same order."},
                    {"role": "user", "content": f"Text:\n{piece}\n\nQuestions:\n" + "\n".join(f"{i + 1}. {q}" for i, q in enumerate(qlist))}]
                   for piece, qlist in zip(pieces, qs) if qlist]
    answers = iter(client.map(answer_asks, response_format=a_schema))
    for piece, qlist in zip(pieces, qs):
        if not qlist:
            continue
        alist = _list(parse_json_reply(next(answers)), "answers")
        for q, a in zip(qlist, alist):
            if supported(a, piece):
                result.pairs.append({"question": q.strip(), "answer": a.strip()})
            else:
                result.dropped_unsupported += 1
    return result


def _list(data: Any, key: str) -> list[str]:
    values = data.get(key) if isinstance(data, dict) else data
    return [str(v) for v in values] if isinstance(values, list) else []


def qa_lines(pairs: list[dict[str, str]], fmt: str) -> list[str]:
    if fmt == "chat":
        return [json.dumps({"messages": [{"role": "user", "content": p["question"]},
                                         {"role": "assistant", "content": p["answer"]}]}, ensure_ascii=False) for p in pairs]
    return [json.dumps({"prompt": p["question"] + SEPARATOR, "completion": " " + p["answer"] + "\n"}, ensure_ascii=False) for p in pairs]


def _load_examples(path: Path) -> tuple[list[dict[str, Any]], str]:
    rows = []
    for line in read_lines(path):
        if line.error is not None or not isinstance(line.data, dict):
            raise SynthError(f"{path}:{line.number}: {line.error or 'a line must be a JSON object'}")
        rows.append(line.data)
    if not rows:
        raise SynthError(f"{path}: no examples")
    return rows, ("chat" if "messages" in rows[0] else "completion")


def _show(example: dict[str, Any], fmt: str) -> str:
    source, target = example_texts(example, fmt)
    return f"Input: {source.strip()}\nOutput: {target.strip()}"


def label_examples(examples_path: Path, positive_path: Path, negative_path: Path, client: LLMClient,
                   negative_label: str = " nil", context_tokens: int = 6000,
                   progress: Callable[[int], None] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Judge each example strong or weak against few-shot examples; weak ones get ``negative_label``."""
    examples, fmt = _load_examples(examples_path)
    positives, pfmt = _load_examples(positive_path)
    negatives, nfmt = _load_examples(negative_path)
    counter = TokenCounter(encoding_for_model(client.config.model))
    system = ("You judge fine-tuning examples. A strong example has a clear input and an output that follows from it; "
              "a weak one is noisy, off-topic or unsupported. Reply as JSON {\"verdict\": \"strong\"} or {\"verdict\": \"weak\"}.")
    shots: list[dict[str, str]] = []
    budget = context_tokens - counter.count(system) - max(counter.count(_show(e, fmt)) for e in examples) - 50
    for pos, neg in zip(positives, negatives):  # alternate, and stop before the context limit
        pair = [{"role": "user", "content": _show(pos, pfmt)}, {"role": "assistant", "content": '{"verdict": "strong"}'},
                {"role": "user", "content": _show(neg, nfmt)}, {"role": "assistant", "content": '{"verdict": "weak"}'}]
        cost = sum(counter.count(m["content"]) for m in pair)
        if cost > budget:
            break
        shots.extend(pair)
        budget -= cost
    fmt_schema = {"type": "json_schema", "json_schema": {"name": "verdict", "strict": False, "schema": {
        "type": "object", "properties": {"verdict": {"type": "string", "enum": ["strong", "weak"]}}, "required": ["verdict"]}}}
    asks = [[{"role": "system", "content": system}, *shots, {"role": "user", "content": _show(e, fmt)}] for e in examples]
    replies = client.map(asks, response_format=fmt_schema)
    refined, weak = [], 0
    for example, reply in zip(examples, replies):
        try:
            verdict = str(parse_json_reply(reply).get("verdict", "")).lower()
        except (ValueError, AttributeError):
            verdict = "weak" if "weak" in reply.lower() else "strong"
        if verdict == "weak":
            weak += 1
            example = _relabel(example, fmt, negative_label)
        refined.append(example)
        if progress is not None:
            progress(1)
    return refined, weak


def _relabel(example: dict[str, Any], fmt: str, label: str) -> dict[str, Any]:
    if fmt == "completion":
        completion = example.get("completion", "")
        stop = "\n" if completion.endswith("\n") else ""
        return {**example, "completion": label + stop}
    messages = [dict(m) for m in example["messages"]]
    for m in reversed(messages):
        if m.get("role") == "assistant":
            m["content"] = label.strip()
            break
    return {**example, "messages": messages}
