"""``synth finetune validate``: every check a fine-tuning file needs, streamed in two passes.

Pass one reads each line once (JSON, keys, types, roles; tokens; duplicates by hash; the prompts' and
completions' common endings; class counts). Pass two, for the completion format, looks for the
separator and stop sequence anywhere but at the end. Memory holds hashes and counters, not the file.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "train.jsonl"
>>> _ = path.write_text('{"prompt": "2+2 ->", "completion": " 4\\\\n"}\\n' * 3)
>>> report = validate_file(path)
>>> report.ok, report.problems["duplicate"].lines  # duplicates are reported, not fatal
(True, [2, 3])
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .dataset import check_example, detect_format, example_key, example_texts, read_lines
from .tokens import TokenCounter

DEFAULT_SEPARATOR = "\n\n###\n\n"
#: Training price per million tokens, for the cost estimate (USD; check your provider's current prices).
PRICE_PER_MTOK = {"gpt-4o-mini": 3.0, "gpt-4o": 25.0, "gpt-4.1-mini": 5.0, "gpt-4.1": 25.0, "gpt-3.5-turbo": 8.0}
MAX_LINES_SHOWN = 20
CLASS_LIMIT = 50  # more distinct targets than this: not a classification set


@dataclass
class Problem:
    """All occurrences of one kind of problem: a count and the first line numbers."""

    code: str
    message: str
    severity: str = "error"  # error | warning
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < MAX_LINES_SHOWN:
            self.lines.append(line)


@dataclass
class Report:
    path: str
    format: str
    lines: int = 0
    valid: int = 0
    problems: dict[str, Problem] = field(default_factory=dict)
    tokens_total: int = 0
    tokens_max: int = 0
    separator: str | None = None
    stop: str | None = None
    classes: dict[str, int] | None = None
    model: str = "gpt-4o-mini"
    encoding: str = "cl100k_base"

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems.values())

    def problem(self, code: str, message: str, line: int, severity: str = "error") -> None:
        self.problems.setdefault(code, Problem(code, message, severity)).add(line)

    @property
    def cost_per_epoch(self) -> float | None:
        price = PRICE_PER_MTOK.get(self.model)
        return None if price is None else round(self.tokens_total / 1e6 * price, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path, "format": self.format, "lines": self.lines, "valid_examples": self.valid, "ok": self.ok,
            "problems": [{"code": p.code, "severity": p.severity, "count": p.count, "message": p.message, "lines": p.lines}
                         for p in self.problems.values()],
            "tokens": {"encoding": self.encoding, "total": self.tokens_total, "max_per_example": self.tokens_max,
                       "mean_per_example": round(self.tokens_total / self.valid, 1) if self.valid else 0},
            "cost_per_epoch_usd": self.cost_per_epoch, "model": self.model,
            "separator": self.separator, "stop": self.stop, "classes": self.classes,
        }


def _common_suffix(a: str | None, b: str) -> str:
    if a is None:
        return b
    n = 0
    limit = min(len(a), len(b))
    while n < limit and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n:] if n else ""


def validate_file(path: str | Path, fmt: str | None = None, max_tokens: int = 4096, model: str = "gpt-4o-mini",
                  encoding: str | None = None, progress: Callable[[int], None] | None = None) -> Report:
    """Check a JSONL fine-tuning file; see :class:`Report` for what comes back."""
    from .tokens import encoding_for_model

    fmt = fmt or detect_format(path)
    counter = TokenCounter(encoding or encoding_for_model(model))
    report = Report(str(path), fmt, model=model, encoding=counter.encoding_name)
    seen_exact: dict[bytes, int] = {}
    seen_loose: dict[bytes, int] = {}
    prompt_end: str | None = None
    completion_end: str | None = None
    classes: Counter[str] | None = Counter()
    no_space: list[int] = []
    for line in read_lines(path):
        report.lines += 1
        if progress is not None and report.lines % 10_000 == 0:
            progress(10_000)
        if line.error is not None:
            report.problem("invalid_json", "line is not valid JSON", line.number)
            continue
        issues = check_example(line.data, fmt)
        for code, message in issues:
            report.problem(code, message, line.number)
        if issues:
            continue
        report.valid += 1
        data = line.data
        source, target = example_texts(data, fmt)
        tokens = counter.count(source) + counter.count(target)
        report.tokens_total += tokens
        report.tokens_max = max(report.tokens_max, tokens)
        if tokens > max_tokens:
            report.problem("too_long", f"more than {max_tokens} tokens", line.number)
        exact = hashlib.blake2b(example_key(data, fmt, False).encode(), digest_size=16).digest()
        loose = hashlib.blake2b(example_key(data, fmt, True).encode(), digest_size=16).digest()
        if exact in seen_exact:
            report.problem("duplicate", f"same example as an earlier line", line.number, "warning")
        elif loose in seen_loose:
            report.problem("near_duplicate", "same example as an earlier line up to whitespace", line.number, "warning")
        seen_exact.setdefault(exact, line.number)
        seen_loose.setdefault(loose, line.number)
        if classes is not None:
            classes[target.strip()] += 1
            if len(classes) > CLASS_LIMIT:
                classes = None
        if fmt == "completion":
            prompt_end = _common_suffix(prompt_end, data["prompt"])
            completion_end = _common_suffix(completion_end, data["completion"])
            if not (data["completion"][:1].isspace() and not data["completion"][1:2].isspace()):
                no_space.append(line.number)
    if fmt == "completion" and report.valid:
        _completion_rules(path, report, prompt_end or "", completion_end or "", no_space)
    if classes is not None and report.valid >= 2 * max(1, len(classes)) and len(classes) <= max(2, report.valid // 4):
        report.classes = dict(classes.most_common())
    return report


def _completion_rules(path: str | Path, report: Report, prompt_end: str, completion_end: str, no_space: list[int]) -> None:
    """Separator and stop sequence: common to all examples, and nowhere else (a second pass)."""
    separator = _ending_token(prompt_end)
    stop = _ending_token(completion_end)
    report.separator, report.stop = separator or None, stop or None
    if not separator:
        report.problems["no_separator"] = Problem("no_separator", "prompts do not all end with one common separator "
                                                  f"(e.g. {DEFAULT_SEPARATOR!r}); `prepare` adds one", "error", report.valid)
    if not stop:
        report.problems["no_stop"] = Problem("no_stop", "completions do not all end with one common stop sequence; "
                                             "`prepare` adds one", "error", report.valid)
    for number in no_space:
        report.problem("no_leading_space", "completion does not start with exactly one whitespace", number)
    if not separator and not stop:
        return
    for line in read_lines(path):
        if line.error is not None or check_example(line.data, "completion"):
            continue
        prompt, completion = line.data["prompt"], line.data["completion"]
        if separator and separator in prompt[: -len(separator)]:
            report.problem("separator_inside", f"the separator {separator!r} also appears inside the prompt", line.number)
        if stop and stop in completion[: -len(stop)]:
            report.problem("stop_inside", f"the stop sequence {stop!r} also appears inside the completion", line.number)


def _ending_token(common: str) -> str:
    """The separator/stop a shared ending stands for, or "" if the shared ending is just text.

    A marker holds a line break, or is punctuation (``" ->"``, ``"###"``), or an upper-case word (``" END"``);
    prompts that merely all end in ``" text"`` have no separator. A shared ending may start mid-word
    (``"?\n\n###"``): the marker starts at its first line break, else at its last space.
    """
    if not common or (common.strip() == "" and "\n" not in common):
        return ""
    if common.endswith(DEFAULT_SEPARATOR):
        return DEFAULT_SEPARATOR
    if "\n" in common:
        return common[common.index("\n"):]
    tail = common[max(common.rfind(" "), common.rfind("\t"), 0):]
    word = tail.strip()
    if any(ch.isalnum() for ch in word) and not (word.isalpha() and word.isupper()):
        return ""
    return tail
