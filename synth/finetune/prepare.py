"""``synth finetune prepare``: fix what can be fixed, drop what cannot, split into train and valid files.

What it does, and counts in the summary: drops invalid lines; for the completion format adds the common
separator to prompts and the stop sequence to completions, gives each completion one leading space, and
takes inner copies of the separator/stop out; optionally strips non-text noise from prompts (links, code
blocks, long ids); removes duplicates (exact and up to whitespace, keeping the first); drops examples over
``max_tokens``; optionally maps classification labels to short single-token labels; and writes
``NAME_prepared_train.jsonl`` / ``NAME_prepared_valid.jsonl``, disjoint by construction, stratified by
label for classification, seeded.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..sinks import write_text_atomic
from .dataset import check_example, detect_format, example_key, example_texts, read_lines
from .tokens import TokenCounter, encoding_for_model
from .validate import CLASS_LIMIT, DEFAULT_SEPARATOR, _common_suffix, _ending_token

_URL = re.compile(r"https?://\S+|www\.\S+")
_CODE = re.compile(r"```.*?```", re.DOTALL)
_LONG_ID = re.compile(r"\b(?=[0-9a-fA-F-]*\d)[0-9a-fA-F-]{16,}\b|\b\d{12,}\b")
LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


@dataclass
class Prepared:
    train_path: str
    valid_path: str
    train: int
    valid: int
    format: str
    changes: Counter[str] = field(default_factory=Counter)
    separator: str | None = None
    stop: str | None = None
    label_map: dict[str, str] | None = None
    label_map_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"train": {"path": self.train_path, "examples": self.train}, "valid": {"path": self.valid_path, "examples": self.valid},
                "format": self.format, "changes": dict(self.changes), "separator": self.separator, "stop": self.stop,
                "label_map": self.label_map, "label_map_path": self.label_map_path}


def clean_noise(text: str) -> str:
    """Links, fenced code blocks and long ids out; spaces tidied. They teach the model shortcuts, not the task."""
    text = _CODE.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _LONG_ID.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip(" \t")


def prepare_file(path: str | Path, out_dir: str | Path | None = None, fmt: str | None = None, separator: str | None = None,
                 stop: str | None = None, valid_share: float = 0.2, seed: int = 0, remove_noise: bool = False,
                 label_map: bool = False, max_tokens: int = 4096, model: str = "gpt-4o-mini") -> Prepared:
    path = Path(path)
    fmt = fmt or detect_format(path)
    counter = TokenCounter(encoding_for_model(model))
    changes: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for line in read_lines(path):
        if line.error is not None or check_example(line.data, fmt):
            changes["dropped_invalid"] += 1
            continue
        examples.append(line.data)
    if remove_noise:
        examples = [_clean(e, fmt, changes) for e in examples]
    if fmt == "completion":
        separator, stop = _completion_markers(examples, separator, stop)
        examples = [_fix_completion(e, separator, stop, changes) for e in examples]
    examples = _dedupe(examples, fmt, changes)
    kept = []
    for e in examples:
        source, target = example_texts(e, fmt)
        if counter.count(source) + counter.count(target) > max_tokens:
            changes["dropped_too_long"] += 1
        else:
            kept.append(e)
    labels = [_label(e, fmt, stop) for e in kept]
    distinct = Counter(labels)
    classification = 2 <= len(distinct) <= min(CLASS_LIMIT, max(2, len(kept) // 4))
    mapping = None
    if label_map and classification:
        mapping = short_labels(list(distinct), counter)
        kept = [_relabel(e, fmt, mapping, stop) for e in kept]
        labels = [mapping[x] for x in labels]
        changes["relabelled"] = len(kept)
    train_idx, valid_idx = split_indices(labels if classification else None, len(kept), valid_share, seed)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    folder = Path(out_dir) if out_dir is not None else path.parent
    train_path, valid_path = folder / f"{stem}_prepared_train.jsonl", folder / f"{stem}_prepared_valid.jsonl"
    write_text_atomic(train_path, "".join(json.dumps(kept[i], ensure_ascii=False) + "\n" for i in train_idx))
    write_text_atomic(valid_path, "".join(json.dumps(kept[i], ensure_ascii=False) + "\n" for i in valid_idx))
    result = Prepared(str(train_path), str(valid_path), len(train_idx), len(valid_idx), fmt, changes, separator, stop, mapping)
    if mapping is not None:
        map_path = folder / f"{stem}_label_map.json"
        write_text_atomic(map_path, json.dumps(mapping, indent=2, ensure_ascii=False) + "\n")
        result.label_map_path = str(map_path)
    return result


def _clean(e: dict[str, Any], fmt: str, changes: Counter[str]) -> dict[str, Any]:
    if fmt == "completion":
        cleaned = clean_noise(e["prompt"])
        if cleaned != e["prompt"].strip(" \t"):
            changes["noise_removed"] += 1
        return {**e, "prompt": cleaned}
    messages = []
    touched = False
    for m in e["messages"]:
        if m.get("role") in ("user", "system") and isinstance(m.get("content"), str):
            cleaned = clean_noise(m["content"])
            touched |= cleaned != m["content"].strip(" \t")
            m = {**m, "content": cleaned}
        messages.append(m)
    changes["noise_removed"] += int(touched)
    return {**e, "messages": messages}


def _completion_markers(examples: list[dict[str, Any]], separator: str | None, stop: str | None) -> tuple[str, str]:
    """The separator and stop to use: given, else the shared ending already there, else a default."""
    if separator is None:
        common: str | None = None
        for e in examples:
            common = _common_suffix(common, e["prompt"])
        separator = _ending_token(common or "") or DEFAULT_SEPARATOR
    if stop is None:
        common = None
        for e in examples:
            common = _common_suffix(common, e["completion"])
        found = _ending_token(common or "")
        multiline = any("\n" in e["completion"].rstrip("\n") for e in examples)
        stop = found or (" END" if multiline else "\n")
    return separator, stop


def _fix_completion(e: dict[str, Any], separator: str, stop: str, changes: Counter[str]) -> dict[str, Any]:
    prompt, completion = e["prompt"], e["completion"]
    body = prompt[: -len(separator)] if prompt.endswith(separator) else prompt.rstrip()
    if separator in body:
        body = body.replace(separator, "\n")
        changes["separator_removed_inside"] += 1
    if not prompt.endswith(separator):
        changes["separator_added"] += 1
    text = completion[: -len(stop)] if completion.endswith(stop) else completion
    if stop in text:
        text = text.replace(stop, " ")
        changes["stop_removed_inside"] += 1
    if not completion.endswith(stop):
        changes["stop_added"] += 1
        text = text.rstrip()
    stripped = text.lstrip()
    if text != " " + stripped:
        changes["leading_space_fixed"] += 1
    return {**e, "prompt": body + separator, "completion": " " + stripped + stop}


def _dedupe(examples: list[dict[str, Any]], fmt: str, changes: Counter[str]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for e in examples:
        key = example_key(e, fmt, normalize=True)
        if key in seen:
            changes["dropped_duplicate"] += 1
            continue
        seen.add(key)
        out.append(e)
    return out


def _label(e: dict[str, Any], fmt: str, stop: str | None) -> str:
    target = example_texts(e, fmt)[1]
    if stop and target.endswith(stop):
        target = target[: -len(stop)]
    return target.strip()


def short_labels(labels: list[str], counter: TokenCounter) -> dict[str, str]:
    """Each label -> a distinct single-token label: its own first word if that is one token, else A, B, C..."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        word = (label.split() or [""])[0].lower()
        if word and word not in used and counter.is_single_token(" " + word):
            mapping[label] = word
            used.add(word)
    letters = iter(x for x in LETTERS + [f"{a}{b}" for a in LETTERS for b in LETTERS] if x.lower() not in used)
    for label in labels:
        if label not in mapping:
            mapping[label] = next(letters)
    return mapping


def _relabel(e: dict[str, Any], fmt: str, mapping: dict[str, str], stop: str | None) -> dict[str, Any]:
    label = _label(e, fmt, stop)
    if fmt == "completion":
        return {**e, "completion": " " + mapping[label] + (stop or "")}
    messages = [dict(m) for m in e["messages"]]
    for m in reversed(messages):
        if m.get("role") == "assistant":
            m["content"] = mapping[label]
            break
    return {**e, "messages": messages}


def split_indices(labels: list[str] | None, n: int, valid_share: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded train/valid split of ``range(n)``; stratified by ``labels`` when given (each class split alike)."""
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
        cut = int(round(n * valid_share))
        return sorted(order[cut:].tolist()), sorted(order[:cut].tolist())
    train, valid = [], []
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    for label in sorted(by_class):
        members = np.array(by_class[label])[rng.permutation(len(by_class[label]))]
        cut = int(round(len(members) * valid_share)) if len(members) > 1 else 0
        valid.extend(members[:cut].tolist())
        train.extend(members[cut:].tolist())
    return sorted(train), sorted(valid)
