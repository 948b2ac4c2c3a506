"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests of the real `openai` client.

    with FakeLLM([reply("..."), status(429, retry_after=1), reply("...")]) as server:
        client = LLMClient(LLMConfig(api_key="sk-test", base_url=server.url, cache_dir=None))

Scripted answers are served in order (then ``default``, a function of the request, if given); every
request body is recorded in ``server.requests``. ``failing(503, 2) + [reply("...")]`` fails twice, then
answers; ``delay`` holds an answer back (a hung server), ``code`` sets the error body's code
(``insufficient_quota``).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


def reply(content: str, prompt_tokens: int = 12, completion_tokens: int = 34, delay: float = 0.0) -> dict[str, Any]:
    return {"status": 200, "content": content, "usage": (prompt_tokens, completion_tokens), "delay": delay}


def status(code: int, retry_after: float | None = None, message: str = "error", error_code: str | None = None) -> dict[str, Any]:
    return {"status": code, "retry_after": retry_after, "message": message, "code": error_code}


def failing(code: int, times: int, retry_after: float | None = None) -> list[dict[str, Any]]:
    """The same error answer ``times`` times in a row (a script prefix)."""
    return [status(code, retry_after=retry_after) for _ in range(times)]


class FakeLLM:
    def __init__(self, script: list[dict[str, Any]] | None = None,
                 default: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.script = list(script or [])
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with owner._lock:
                    owner.requests.append(body)
                    if owner.script:
                        answer = owner.script.pop(0)
                    elif owner.default is not None:
                        answer = owner.default(body)
                    else:
                        answer = status(500, message="no scripted answer left")
                time.sleep(answer.get("delay", 0.0))
                if answer["status"] != 200:
                    error = {"message": answer.get("message", "error"), "type": "test", "code": answer.get("code")}
                    payload = json.dumps({"error": error}).encode()
                    self.send_response(answer["status"])
                    if answer.get("retry_after") is not None:
                        self.send_header("Retry-After", str(answer["retry_after"]))
                else:
                    prompt, completion = answer.get("usage", (10, 10))
                    payload = json.dumps({
                        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer["content"]}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
                    }).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a time limit under test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
