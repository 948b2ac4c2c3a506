"""The LLM layer and `synth draft`, with the real `openai` client against a fake server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.draft import draft_schema
from synth.errors import SynthError
from synth.llm import REFUSED, LLMClient, LLMConfig, unreachable

from .llm_server import FakeLLM, failing, reply, status

KEY = "sk-test-SECRET-1234567890"
VALID = json.dumps({"name": "shop", "rows": 100, "seed": 1, "columns": [
    {"name": "id", "kind": "sequence"},
    {"name": "price", "kind": "float", "distribution": "uniform", "min": 1, "max": 9, "round": 2},
    {"name": "quantity", "kind": "integer", "distribution": "uniform", "min": 1, "max": 3},
    {"name": "amount", "kind": "expression", "expr": "round(price * quantity, 2)"}]})
INVALID = VALID.replace('"kind": "float"', '"kind": "flaot"')


def client(server: FakeLLM, tmp_path: Path, **kw) -> LLMClient:
    config = LLMConfig(api_key=KEY, base_url=server.url, cache_dir=tmp_path / "cache", backoff=0.01, max_retries=3, timeout=5)
    for k, v in kw.items():
        setattr(config, k, v)
    return LLMClient(config)


def test_the_prompt_lists_every_registered_kind_distribution_and_function():
    from synth.columns import KINDS
    from synth.columns.distributions import DISTRIBUTIONS
    from synth.draft import system_prompt
    from synth.expr import FUNCTIONS

    lines = system_prompt().splitlines()
    for name in KINDS:
        assert any(line.startswith(f"- {name}: ") for line in lines), f"kind {name} is not in the draft prompt"
    for name, family in DISTRIBUTIONS.items():
        line = next((line for line in lines if line.startswith(f"- {name}") and line[len(name) + 2] in " :"), None)
        assert line is not None, f"distribution {name} is not in the draft prompt"
        assert all(p in line for p in family.required + family.optional), line
    for function in FUNCTIONS.values():
        assert f"- {function.usage}: {function.doc}" in lines, f"function {function.name} is not in the draft prompt"
    assert "quantiles (quantiles)" in system_prompt() and "- dayofyear(d)" in system_prompt()  # once forgotten


def test_a_newly_registered_distribution_and_function_reach_the_prompt(monkeypatch):
    from synth.columns.distributions import DISTRIBUTIONS, Distribution
    from synth.draft import system_prompt
    from synth.expr import FUNCTIONS, Function

    class Zipf(Distribution):
        """Ranks, a few very common."""

        name = "zipf"
        required = ("a",)

    monkeypatch.setitem(DISTRIBUTIONS, "zipf", Zipf)
    monkeypatch.setitem(FUNCTIONS, "sign", Function("sign(x)", "-1, 0 or 1", abs, 1, 1))
    prompt = system_prompt()
    assert "- zipf (a): Ranks, a few very common." in prompt and "- sign(x): -1, 0 or 1" in prompt


def test_an_invalid_draft_is_sent_back_and_repaired(tmp_path):
    with FakeLLM([reply(INVALID), reply(VALID)]) as server:
        schema, data = draft_schema("a shop's sales", client(server, tmp_path))
    assert schema.output_columns == ["id", "price", "quantity", "amount"]
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"][-1]["content"]
    assert "flaot" in repair and "float" in repair  # the validation error, with its suggestion, went back
    assert server.requests[0]["response_format"]["type"] == "json_schema"


def test_a_malformed_answer_is_repaired(tmp_path):
    with FakeLLM([reply("Sure! Here is your schema: {oops"), reply("```json\n" + VALID + "\n```")]) as server:
        schema, _ = draft_schema("a shop", client(server, tmp_path))
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]
    assert schema.name == "shop"


def test_drafting_gives_up_with_the_last_error(tmp_path):
    with FakeLLM([reply(INVALID)] * 3) as server:
        with pytest.raises(SynthError, match="still invalid after 2 repairs.*flaot"):
            draft_schema("a shop", client(server, tmp_path), max_repairs=2)


def test_rate_limit_waits_for_retry_after(tmp_path):
    with FakeLLM([status(429, retry_after=1), reply("hello")]) as server:
        c = client(server, tmp_path)
        started = time.perf_counter()
        assert c.complete([{"role": "user", "content": "hi"}]) == "hello"
        assert time.perf_counter() - started >= 0.9
    assert c.usage.retries == 1 and c.usage.requests == 1 and len(server.requests) == 2


def test_server_errors_are_retried_with_backoff(tmp_path):
    with FakeLLM([status(500), status(503), reply("ok")]) as server:
        c = client(server, tmp_path)
        assert c.complete([{"role": "user", "content": "hi"}]) == "ok"
    assert c.usage.retries == 2


def test_the_cache_makes_a_rerun_free(tmp_path):
    messages = [{"role": "user", "content": "same question"}]
    with FakeLLM([reply("answer")]) as server:
        first = client(server, tmp_path)
        assert first.complete(messages) == "answer"
        second = client(server, tmp_path)
        assert second.complete(messages) == "answer"
    assert len(server.requests) == 1 and second.usage.requests == 0 and second.usage.cached == 1


def test_an_interrupted_batch_resumes_without_repeating_requests(tmp_path):
    batch = [[{"role": "user", "content": f"question {i}"}] for i in range(10)]
    echo = lambda body: reply("answer to " + body["messages"][-1]["content"])  # noqa: E731
    with FakeLLM(default=echo) as server:
        with pytest.raises(SynthError, match="budget of 4"):
            client(server, tmp_path, max_requests=4, concurrency=1).map(batch)
        assert len(server.requests) == 4
        resumed = client(server, tmp_path, concurrency=3)
        answers = resumed.map(batch)
    assert answers == [f"answer to question {i}" for i in range(10)]
    asked = [r["messages"][-1]["content"] for r in server.requests]
    assert len(asked) == 10 and len(set(asked)) == 10  # each question asked exactly once overall
    assert resumed.usage.cached == 4


def test_the_key_never_appears_in_errors_or_the_cache(tmp_path):
    with FakeLLM([status(400, message=f"bad request from key {KEY}"), reply(f"echo {KEY}")]) as server:
        c = client(server, tmp_path)
        with pytest.raises(SynthError) as info:
            c.complete([{"role": "user", "content": "a"}])
        assert KEY not in str(info.value)
        c.complete([{"role": "user", "content": "b"}])
    for path in (tmp_path / "cache").rglob("*.json"):
        assert KEY not in path.read_text()


def test_missing_key_is_one_clear_line(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["draft", "a shop", "--out", "x.yaml"])
    text = (result.stderr if hasattr(result, "stderr") else result.output).strip()
    assert result.exit_code == 2 and text.startswith("error: OPENAI_API_KEY is not set") and len(text.splitlines()) == 1


def test_an_unreachable_endpoint_fails_fast_with_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    c = LLMClient(LLMConfig(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", cache_dir=None, backoff=0.01, max_retries=1, timeout=2))
    started = time.perf_counter()
    with pytest.raises(SynthError, match="cannot reach") as info:
        c.complete([{"role": "user", "content": "hi"}])
    assert time.perf_counter() - started < 10 and KEY not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again at once: nothing listens there


def _draft(tmp_path, monkeypatch, base_url: str, *args: str):
    """`synth draft` as a user runs it (default retries and waits), with the key in the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYNTH_LLM_TIMEOUT", raising=False)
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["draft", "a shop", "--out", str(tmp_path / "d.yaml"), "--preview", "0", *args])
    return result, time.perf_counter() - started


@pytest.mark.parametrize("base_url", [lambda: f"http://127.0.0.1:{_closed_port()}/v1", lambda: "http://no-such-host.invalid/v1"],
                         ids=["refused", "unknown-host"])
def test_an_endpoint_that_cannot_heal_fails_at_once_naming_the_url_and_not_the_key(tmp_path, monkeypatch, base_url):
    url = base_url()
    result, seconds = _draft(tmp_path, monkeypatch, url)
    assert result.exit_code == 2 and seconds < 5
    assert result.stderr.startswith(f"error: cannot reach the LLM endpoint {url}: ") and len(result.stderr.splitlines()) == 1
    assert KEY not in result.stdout + result.stderr and "retrying" not in result.stderr
    assert not (tmp_path / "d.yaml").exists()


def test_a_dead_endpoint_is_found_before_the_http_client_is_imported(tmp_path):
    # Importing openai is two thirds of a failing `synth draft`: a dead endpoint must not wait for it.
    code = ("import sys\nfrom synth.errors import SynthError\nfrom synth.llm import LLMClient, LLMConfig\n"
            f"c = LLMClient(LLMConfig(api_key={KEY!r}, base_url='http://127.0.0.1:{_closed_port()}/v1', cache_dir=None))\n"
            "try:\n    c.complete([{'role': 'user', 'content': 'hi'}])\nexcept SynthError as e:\n    print(e)\n"
            "print('openai' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.splitlines()
    assert out[0].startswith("cannot reach the LLM endpoint http://127.0.0.1:") and "connection refused" in out[0]
    assert out[1] == "False"


def test_behind_a_proxy_the_endpoint_is_left_to_the_http_client(monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    assert unreachable(url) == REFUSED
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert unreachable(url) is None  # the client connects to the proxy, which answers for the endpoint


def test_rate_limits_and_server_errors_are_retried_and_each_wait_is_shown(tmp_path, monkeypatch):
    with FakeLLM([status(429, retry_after=0.2), status(503, retry_after=0.2), reply(VALID)]) as server:
        result, _ = _draft(tmp_path, monkeypatch, server.url)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == ["rate limited, retrying in 0.2 s, attempt 2 of 7",
                                              "server error 503, retrying in 0.2 s, attempt 3 of 7"]
    assert (tmp_path / "d.yaml").exists()


def test_backoff_doubles_between_attempts_and_is_announced(tmp_path):
    shown: list[str] = []
    with FakeLLM(failing(500, 2) + [reply("ok")]) as server:
        c = client(server, tmp_path, backoff=0.1, on_retry=shown.append)
        assert c.complete([{"role": "user", "content": "hi"}]) == "ok"
    waits = [float(line.split("retrying in ")[1].split(" s")[0]) for line in shown]
    assert [line.split(",")[0] for line in shown] == ["server error 500"] * 2
    assert 0.1 <= waits[0] <= 0.125 and 0.2 <= waits[1] <= 0.25 and c.usage.retries == 2


def test_the_time_limit_stops_retrying(tmp_path, monkeypatch):
    with FakeLLM(default=lambda body: status(429, retry_after=1)) as server:
        result, seconds = _draft(tmp_path, monkeypatch, server.url, "--llm-timeout", "2.5")
    assert result.exit_code == 2 and seconds < 4.5
    assert len(server.requests) == 3  # at 0, 1 and 2 s; a third wait would end past 2.5 s
    assert "time limit is 2.5 s" in result.stderr.splitlines()[-1] and "rate limited" in result.stderr.splitlines()[-1]
    assert not (tmp_path / "d.yaml").exists()


def test_the_time_limit_cuts_off_a_server_that_never_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_LLM_TIMEOUT", "1")
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))  # from_env reads it; never the user's cache
    with FakeLLM(default=lambda body: reply("late", delay=8)) as server:
        c = LLMClient(LLMConfig.from_env(api_key=KEY, base_url=server.url))
        started = time.perf_counter()
        with pytest.raises(SynthError, match="no answer .* within .*time limit is 1 s"):
            c.complete([{"role": "user", "content": "hi"}])
    assert time.perf_counter() - started < 3


def test_a_used_up_quota_is_not_retried(tmp_path):
    with FakeLLM([status(429, message="You exceeded your current quota", error_code="insufficient_quota"), reply("ok")]) as server:
        with pytest.raises(SynthError, match="quota is used up"):
            client(server, tmp_path).complete([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 1


def test_a_bad_time_limit_in_the_environment_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_LLM_TIMEOUT", "soon")
    result = CliRunner().invoke(app, ["draft", "a shop", "--out", str(tmp_path / "d.yaml")])
    assert result.exit_code == 2 and result.stderr.strip().startswith("error: SYNTH_LLM_TIMEOUT='soon'")


def test_cli_drafts_a_schema_that_validates(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    sample = tmp_path / "sample.csv"
    sample.write_text("id,price,quantity\n1,4.5,2\n2,3.0,1\n")
    with FakeLLM([reply(INVALID), reply(VALID)]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        out = tmp_path / "mine.yaml"
        result = CliRunner().invoke(app, ["draft", "shop sales: price, quantity, amount", "--out", str(out), "--from-sample", str(sample)])
        assert result.exit_code == 0, result.output
    assert "id,price,quantity" in server.requests[0]["messages"][1]["content"]  # the sample guided the draft
    assert CliRunner().invoke(app, ["validate", str(out)]).exit_code == 0
    assert "amount" in result.stdout and "2 requests" in result.stdout


LLM_TEXT_SCHEMA = """
name: reviews
columns:
  - {name: product, kind: choice, values: [Latte, Mocha, Tea]}
  - {name: rating, kind: integer, distribution: uniform, min: 4, max: 5}
  - {name: review, kind: llm_text, prompt: "A short review of a {product} rated {rating}/5.", variants: 3}
"""


def _texts(body: dict) -> dict:
    asked = body["messages"][-1]["content"]
    return reply(json.dumps({"texts": [f"{asked} #{i}" for i in range(3)]}))


def _llm_text_setup(tmp_path, monkeypatch) -> None:
    """The llm_text schema in tmp_path, a key, a private cache and no request budget from the environment."""
    (tmp_path / "s.yaml").write_text(LLM_TEXT_SCHEMA)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYNTH_MAX_REQUESTS", raising=False)


def test_llm_text_column_asks_once_per_combination_and_reruns_from_cache(tmp_path, monkeypatch):
    _llm_text_setup(tmp_path, monkeypatch)
    runner = CliRunner()
    with FakeLLM(default=_texts) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        first = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "-n", "3000", "-o", str(tmp_path / "a.csv"), "-q"])
        assert first.exit_code == 0, first.output
        assert len(server.requests) == 6  # 3 products x 2 ratings
        again = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "-n", "3000", "-o", str(tmp_path / "b.csv"), "-q"])
        assert again.exit_code == 0 and len(server.requests) == 6  # all from the cache
    import pandas as pd

    frame = pd.read_csv(tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert frame.apply(lambda r: f"{r['product']} rated {r['rating']}/5" in r["review"], axis=1).all()
    assert frame.review.nunique() == 18


def test_llm_text_budget_stops_cleanly_and_the_rerun_resumes(tmp_path, monkeypatch):
    _llm_text_setup(tmp_path, monkeypatch)
    runner = CliRunner()
    out = tmp_path / "a.csv"
    with FakeLLM(default=_texts) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        stopped = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "-n", "3000", "-o", str(out), "--max-requests", "2"])
        assert stopped.exit_code == 2 and "budget of 2" in (stopped.stderr if hasattr(stopped, "stderr") else stopped.output)
        assert not out.exists() and len(server.requests) == 2
        monkeypatch.delenv("SYNTH_MAX_REQUESTS", raising=False)
        resumed = runner.invoke(app, ["generate", str(tmp_path / "s.yaml"), "-n", "3000", "-o", str(out), "-q"])
        assert resumed.exit_code == 0
    asked = [r["messages"][-1]["content"] for r in server.requests]
    assert len(asked) == 6 and len(set(asked)) == 6  # the two answered before were not asked again


def test_llm_text_usage_is_reported(tmp_path, monkeypatch):
    (tmp_path / "s.yaml").write_text(LLM_TEXT_SCHEMA)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    with FakeLLM(default=_texts) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        result = CliRunner().invoke(app, ["generate", str(tmp_path / "s.yaml"), "-n", "500", "-o", str(tmp_path / "a.csv"), "--json"])
    assert json.loads(result.stdout)["llm"]["requests"] == 6


def _finetune_answers(body: dict) -> dict:
    system = body["messages"][0]["content"]
    last = body["messages"][-1]["content"]
    if "exam questions" in system:
        return reply(json.dumps({"questions": ["When was the bridge built?", "Who designed the bridge?"]}))
    if "Answer each question" in system:
        return reply(json.dumps({"answers": ["The bridge was built in 1932.", "Quantum pineapples designed everything."]}))
    return reply(json.dumps({"verdict": "weak" if "spam" in last else "strong"}))


def test_finetune_qa_keeps_supported_answers_and_drops_the_rest(tmp_path, monkeypatch):
    (tmp_path / "doc.html").write_text("<html><script>x()</script><p>The bridge was built in 1932 by the city.</p>"
                                       "<p>It spans the river.</p></html>")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    with FakeLLM(default=_finetune_answers) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        result = CliRunner().invoke(app, ["finetune", "qa", str(tmp_path / "doc.html"), "--out", str(tmp_path / "qa.jsonl")])
        assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in (tmp_path / "qa.jsonl").read_text().splitlines()]
    assert lines == [{"prompt": "When was the bridge built?\n\n###\n\n", "completion": " The bridge was built in 1932.\n"}]
    assert "dropped 1" in result.stdout
    assert "x()" not in server.requests[0]["messages"][-1]["content"]  # script text is not document text


def test_finetune_label_relabels_weak_examples_and_resumes_without_paying_twice(tmp_path, monkeypatch):
    write = lambda name, rows: (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))  # noqa: E731
    write("ex.jsonl", [{"prompt": f"{'spam offer' if i % 2 else 'real question'} {i}\n\n###\n\n", "completion": " yes\n"} for i in range(8)])
    write("pos.jsonl", [{"prompt": "good\n\n###\n\n", "completion": " yes\n"}])
    write("neg.jsonl", [{"prompt": "spam\n\n###\n\n", "completion": " nil\n"}])
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SYNTH_CACHE_DIR", str(tmp_path / "cache"))
    args = ["finetune", "label", str(tmp_path / "ex.jsonl"), "--positive", str(tmp_path / "pos.jsonl"),
            "--negative", str(tmp_path / "neg.jsonl"), "--out", str(tmp_path / "out.jsonl")]
    with FakeLLM(default=_finetune_answers) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        stopped = CliRunner().invoke(app, args + ["--max-requests", "3"])
        assert stopped.exit_code == 2 and not (tmp_path / "out.jsonl").exists()
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0, done.output
    asked = [r["messages"][-1]["content"] for r in server.requests]
    assert len(asked) == 8 and len(set(asked)) == 8  # the 3 answered before were not asked again
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["completion"] for r in out] == [" yes\n" if i % 2 == 0 else " nil\n" for i in range(8)]
    assert server.requests[0]["messages"][1]["content"].startswith("Input: good")  # few-shot: positive first
