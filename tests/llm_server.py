"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests of the real `openai` client.

    with FakeLLM([reply("..."), status(429, retry_after=1), reply("...")]) as server:
        client = LLMClient(LLMConfig(api_key="sk-test", base_url=server.url, cache_dir=None))

Scripted answers are served in order (then ``default``, a function of the request, if given); every
request body is recorded in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


def reply(content: str, prompt_tokens: int = 12, completion_tokens: int = 34) -> dict[str, Any]:
    return {"status": 200, "content": content, "usage": (prompt_tokens, completion_tokens)}


def status(code: int, retry_after: float | None = None, message: str = "error") -> dict[str, Any]:
    return {"status": code, "retry_after": retry_after, "message": message}


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
                if answer["status"] != 200:
                    payload = json.dumps({"error": {"message": answer.get("message", "error"), "type": "test"}}).encode()
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
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeLLM":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
