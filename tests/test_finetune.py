"""synth finetune: planted problems are found on their lines, prepare fixes them, splits are disjoint, metrics are right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.finetune import evaluate, prepare_file, validate_file
from synth.finetune.dataset import example_key
from synth.finetune.tokens import TokenCounter

SEP = "\n\n###\n\n"


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def good(i: int, label: str = "positive") -> dict:
    return {"prompt": f"Review number {i}: it was fine{SEP}", "completion": f" {label}\n"}


def test_token_counts_match_openai_encodings():
    assert TokenCounter("cl100k_base").encode("Hello world, this is a test.") == [9906, 1917, 11, 420, 374, 264, 1296, 13]
    counter = TokenCounter("cl100k_base")
    long_text = "word " * 20_000  # longer than one piece: counted in pieces split before spaces
    assert counter.count(long_text) == 20_000 + 1  # "word", 19,999 x " word", and the trailing " "
    assert counter.count("word " * 1500) == len(counter.encode("word " * 1500))


def test_planted_problems_are_reported_on_their_lines(tmp_path):
    rows = [good(0), good(1, "negative"), '{"prompt": "x"', ["not", "an", "object"], {"prompt": "a" + SEP},
            {"prompt": "", "completion": " negative\n"}, {"prompt": "b" + SEP, "completion": 5},
            {"prompt": "c" + SEP, "completion": " positive\n", "extra": 1}, good(0), good(2)]
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", rows))
    lines = {code: p.lines for code, p in report.problems.items()}
    assert lines["invalid_json"] == [3]
    assert lines["not_an_object"] == [4]
    assert lines["missing_key"] == [5]
    assert lines["empty_value"] == [6]
    assert lines["wrong_type"] == [7]
    assert lines["extra_key"] == [8]
    assert lines["duplicate"] == [9]
    assert not report.ok and report.valid == 4


def test_a_separator_inside_a_prompt_is_found(tmp_path):
    rows = [good(i) for i in range(5)] + [{"prompt": f"part one{SEP}part two{SEP}", "completion": " positive\n"}]
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", rows))
    assert report.separator == SEP
    assert report.problems["separator_inside"].lines == [6]


def test_a_clean_file_passes_and_counts_tokens(tmp_path):
    rows = [good(i, "positive" if i % 2 else "negative") for i in range(40)]
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", rows), model="gpt-4")
    assert report.ok, report.to_dict()["problems"]
    counter = TokenCounter("cl100k_base")
    assert report.tokens_total == sum(counter.count(r["prompt"]) + counter.count(r["completion"]) for r in rows)
    assert report.classes == {"negative": 20, "positive": 20}


def test_chat_roles_and_order_are_checked(tmp_path):
    rows = [
        {"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": "user", "content": "hi"}]},
        {"messages": [{"role": "wizard", "content": "hi"}, {"role": "assistant", "content": "ok"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}, {"role": "assistant", "content": "ok"}]},
        {"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "ok"}]},
    ]
    report = validate_file(write_jsonl(tmp_path / "c.jsonl", rows))
    assert report.format == "chat"
    assert report.problems["no_assistant"].lines == [2]
    assert report.problems["unknown_role"].lines == [3]
    assert report.problems["role_order"].lines == [4]
    assert report.problems["wrong_type"].lines == [5]


def test_prepare_fixes_completion_rules_and_the_result_validates(tmp_path):
    rows = [{"prompt": f"Review {i}: text", "completion": "positive" if i % 3 else "negative"} for i in range(60)]
    rows.append({"prompt": "Review 1: text", "completion": "positive"})  # duplicate
    rows.append("{broken")
    result = prepare_file(write_jsonl(tmp_path / "raw.jsonl", rows), valid_share=0.25, seed=1)
    assert result.changes["dropped_duplicate"] == 1 and result.changes["dropped_invalid"] == 1
    assert result.changes["separator_added"] == 61 and result.changes["stop_added"] == 61
    for path in (result.train_path, result.valid_path):
        report = validate_file(path)
        assert report.ok, report.to_dict()["problems"]
    assert Path(result.train_path).name == "raw_prepared_train.jsonl"


def test_train_and_valid_share_no_example_and_keep_class_balance(tmp_path):
    rows = [good(i, "positive" if i % 4 else "negative") for i in range(400)]
    rows += [{"prompt": f"Review number {i}:  it was   fine{SEP}", "completion": " positive\n"} for i in range(1, 400, 4)]  # whitespace twins
    result = prepare_file(write_jsonl(tmp_path / "d.jsonl", rows), valid_share=0.2, seed=3)
    read = lambda p: [json.loads(x) for x in Path(p).read_text().splitlines()]  # noqa: E731
    train, valid = read(result.train_path), read(result.valid_path)
    keys = lambda rs: {example_key(r, "completion", normalize=True) for r in rs}  # noqa: E731
    assert not keys(train) & keys(valid)
    assert len(train) + len(valid) == 400
    share = lambda rs: sum(r["completion"].strip() == "negative" for r in rs) / len(rs)  # noqa: E731
    assert abs(share(train) - 0.25) < 0.02 and abs(share(valid) - 0.25) < 0.02


def test_split_is_seeded(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [good(i) for i in range(50)])
    a = Path(prepare_file(path, out_dir=tmp_path / "a", seed=7).valid_path) if (tmp_path / "a").mkdir() is None else None
    b = Path(prepare_file(path, out_dir=tmp_path / "b", seed=7).valid_path) if (tmp_path / "b").mkdir() is None else None
    assert a.read_text() == b.read_text()


def test_label_map_gives_single_token_labels(tmp_path):
    rows = [good(i, ["very positive sentiment", "quite negative sentiment", "neutral"][i % 3]) for i in range(90)]
    result = prepare_file(write_jsonl(tmp_path / "l.jsonl", rows), label_map=True)
    counter = TokenCounter("o200k_base")
    assert len(set(result.label_map.values())) == 3
    assert all(counter.is_single_token(" " + v) for v in result.label_map.values())
    assert json.loads(Path(result.label_map_path).read_text()) == result.label_map


def test_noise_is_removed_from_prompts(tmp_path):
    rows = [{"prompt": f"See https://x.example/{i} and ```code {i}``` id 0123456789abcdef0123{SEP}", "completion": " ok\n"} for i in range(5)]
    result = prepare_file(write_jsonl(tmp_path / "n.jsonl", rows), remove_noise=True, valid_share=0)
    text = Path(result.train_path).read_text()
    assert "https://" not in text and "```" not in text and "0123456789abcdef0123" not in text
    assert result.changes["noise_removed"] == 5


def test_metrics_match_hand_computed_values():
    labels = ["1", "1", "1", "0", "0", "0", "0", "1"]
    preds = ["1", "0", "1", "0", "1", "0", "0", "1"]
    result = evaluate(labels, preds)["predicted"]
    # tp=3, fn=1, fp=1, tn=3
    assert result["accuracy"] == pytest.approx(6 / 8)
    assert result["precision"] == pytest.approx(3 / 4) and result["recall"] == pytest.approx(3 / 4)
    assert result["f1"] == pytest.approx(0.75)
    assert result["confusion_matrix"]["matrix"] == [[3, 1], [1, 3]]
    scores = [0.9, 0.4, 0.8, 0.1, 0.6, 0.2, 0.3, 0.7]
    scored = evaluate(labels, preds, scores=__import__("numpy").array(scores), threshold=0.35)
    # positives 0.9, 0.4, 0.8, 0.7 vs negatives 0.1, 0.6, 0.2, 0.3: 15 of 16 pairs ordered (0.4 < 0.6)
    assert scored["auroc"] == pytest.approx(15 / 16)
    assert scored["at_0.35"]["recall"] == pytest.approx(1.0)


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    clean = write_jsonl(tmp_path / "ok.jsonl", [good(i) for i in range(10)])
    dirty = write_jsonl(tmp_path / "bad.jsonl", [good(0), "{oops"])
    assert runner.invoke(app, ["finetune", "validate", str(clean)]).exit_code == 0
    assert runner.invoke(app, ["finetune", "validate", str(dirty)]).exit_code == 1
    missing = runner.invoke(app, ["finetune", "validate", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such file" in (missing.stderr if hasattr(missing, "stderr") else missing.output)
    as_json = runner.invoke(app, ["finetune", "validate", str(dirty), "--json"])
    assert json.loads(as_json.stdout)["problems"][0]["lines"] == [2]
