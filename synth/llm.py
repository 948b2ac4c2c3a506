"""The one place that talks to an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp ...).

Configuration: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``SYNTH_MODEL`` (default ``gpt-4o-mini``),
``SYNTH_CACHE_DIR`` (default ``~/.cache/synth/llm``), ``SYNTH_LLM_TIMEOUT`` (seconds one request may take,
retries included; default 300). What every caller gets:

- a disk cache keyed by the request (model, messages, response format, temperature): a re-run costs
  nothing, an interrupted batch resumes where it stopped, and the same cache gives the same output;
- retries with exponential backoff and jitter on rate limits (429, honouring ``Retry-After``), server
  errors, timeouts and dropped connections, each wait announced on stderr, all within ``time_limit``
  (the ``openai`` client's own retries are off, so ours are the only ones);
- no retries for what will not heal: a refused connection, an unknown host, a malformed URL, a used-up
  quota fail at once with one line naming the URL;
- a request budget (``max_requests``) that stops cleanly, and usage counters (requests, cache hits, tokens);
- bounded concurrency for batches (:meth:`LLMClient.map`);
- errors as one line, with the API key never in them (nor in the cache, logs or reports).

>>> client = LLMClient(LLMConfig.from_env(model="gpt-4o-mini"))              # doctest: +SKIP
>>> client.complete([{"role": "user", "content": "Say hi"}])                 # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import socket
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import SynthError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_URL = "https://api.openai.com/v1"
DEFAULT_TIME_LIMIT = 300.0
TIME_LIMIT_ENV = "SYNTH_LLM_TIMEOUT"


def _to_stderr(message: str) -> None:
    # One write per line: batches retry from several threads at once.
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass
class LLMConfig:
    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    cache_dir: Path | None = None  # None: no cache
    max_requests: int | None = None
    max_retries: int = 6
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    timeout: float = 120.0  # one attempt; never beyond what is left of time_limit
    time_limit: float | None = DEFAULT_TIME_LIMIT  # one request, every attempt and wait included; None: no limit
    concurrency: int = 4
    temperature: float = 0.0
    on_retry: Callable[[str], None] | None = _to_stderr  # told before each wait, so a slow run never looks hung

    @classmethod
    def from_env(cls, **overrides: Any) -> "LLMConfig":
        cache = os.environ.get("SYNTH_CACHE_DIR") or str(Path.home() / ".cache" / "synth" / "llm")
        config = cls(api_key=os.environ.get("OPENAI_API_KEY") or None, base_url=os.environ.get("OPENAI_BASE_URL") or None,
                     model=os.environ.get("SYNTH_MODEL") or DEFAULT_MODEL, cache_dir=Path(cache),
                     time_limit=overrides.get("time_limit") or time_limit_from_env())
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config


def time_limit_from_env() -> float:
    """``SYNTH_LLM_TIMEOUT`` in seconds, or the default; a value that is not a positive number is a clear error."""
    text = os.environ.get(TIME_LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_TIME_LIMIT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise SynthError(f"{TIME_LIMIT_ENV}={text!r}: give the time limit as a positive number of seconds, e.g. 60")
    return value


@dataclass
class Usage:
    requests: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0

    def line(self) -> str:
        return (f"{self.requests} requests ({self.cached} from cache, {self.retries} retries), "
                f"{self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens")


@dataclass
class LLMClient:
    config: LLMConfig
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        if not self.config.api_key and not self.config.base_url:
            raise SynthError("OPENAI_API_KEY is not set: export it, or set OPENAI_BASE_URL to a local OpenAI-compatible server")
        self._client: Any = None  # the openai client, made before the first request (cached answers need none)
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        """The ``openai`` client, made on the first request that is not in the cache.

        Importing ``openai`` takes about two thirds of a failing ``synth draft`` (2.2 of 3.4 billion instructions):
        an endpoint where nothing listens, or whose host does not exist, is found first with one plain TCP
        connection, so that mistake is reported before the import.
        """
        with self._lock:
            if self._client is None:
                lasting = unreachable(self.config.base_url or DEFAULT_URL)
                if lasting is not None:
                    raise SynthError(f"cannot reach the LLM endpoint {self.url}: {lasting} (check OPENAI_BASE_URL)")
                import openai

                self._openai = openai
                # A local server (Ollama, vLLM) needs no key, but the client wants a string.
                self._client = openai.OpenAI(api_key=self.config.api_key or "not-needed", base_url=self.config.base_url,
                                             max_retries=0, timeout=self.config.timeout)
            return self._client

    # --- one request ------------------------------------------------------------------------
    def complete(self, messages: list[dict[str, str]], response_format: dict[str, Any] | None = None,
                 temperature: float | None = None) -> str:
        """The assistant's reply text for ``messages`` (from the cache when this exact request was made before)."""
        request = {"model": self.config.model, "messages": messages,
                   "temperature": self.config.temperature if temperature is None else temperature}
        if response_format is not None:
            request["response_format"] = response_format
        key = hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        cached = self._cache_get(key)
        if cached is not None:
            with self._lock:
                self.usage.cached += 1
            return cached
        with self._lock:
            if self.config.max_requests is not None and self.usage.requests >= self.config.max_requests:
                raise SynthError(f"request budget of {self.config.max_requests} used up; run again to continue "
                                 "(answers so far are cached and cost nothing the next time)")
            self.usage.requests += 1
        response = self._send(request)
        text = response.choices[0].message.content or ""
        if response.usage is not None:
            with self._lock:
                self.usage.prompt_tokens += response.usage.prompt_tokens or 0
                self.usage.completion_tokens += response.usage.completion_tokens or 0
        self._cache_put(key, text)
        return text

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str = "answer") -> Any:
        """Structured output: a reply that must parse as JSON (``ValueError`` with the reason if it does not)."""
        text = self.complete(messages, response_format={"type": "json_schema",
                                                        "json_schema": {"name": name, "schema": schema, "strict": False}})
        return parse_json_reply(text)

    def map(self, requests: list[list[dict[str, str]]], response_format: dict[str, Any] | None = None) -> list[str]:
        """Many requests, at most ``concurrency`` at a time, answers in order. Stops cleanly on the budget."""
        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            futures = [pool.submit(self.complete, messages, response_format) for messages in requests]
            results, error = [], None
            for future in futures:
                try:
                    results.append(future.result())
                except SynthError as exc:
                    error = error or exc
            if error is not None:
                raise error
            return results

    def _send(self, request: dict[str, Any]) -> Any:
        client = self._connect()
        openai = self._openai
        limit = self.config.time_limit
        started = time.monotonic()
        deadline = started + limit if limit else math.inf
        attempts = self.config.max_retries + 1
        delay = self.config.backoff
        for attempt in range(1, attempts + 1):
            asked_wait = None  # the server's Retry-After, when it gave one
            try:
                # A hung attempt must not outlive the whole request's limit.
                timeout = max(0.1, min(self.config.timeout, deadline - time.monotonic()))
                return client.chat.completions.create(**request, timeout=timeout)
            except openai.AuthenticationError:
                raise SynthError("the endpoint refused the API key (check OPENAI_API_KEY)") from None
            except openai.APIConnectionError as exc:  # APITimeoutError included
                lasting = _lasting_connection_problem(exc)
                if lasting is not None:
                    raise SynthError(f"cannot reach the LLM endpoint {self.url}: {lasting} (check OPENAI_BASE_URL)") from None
                problem = (f"no answer from {self.url} within {_seconds(timeout)} s" if isinstance(exc, openai.APITimeoutError)
                           else f"connection to {self.url} failed ({_cause_name(exc)})")
            except openai.RateLimitError as exc:
                if "insufficient_quota" in (exc.code, exc.type):  # billing, not load: waiting will not help
                    raise SynthError(f"the LLM endpoint {self.url} says the account's quota is used up: "
                                     f"{self._describe(exc)}") from None
                problem, asked_wait = "rate limited", _retry_after(exc)
            except openai.InternalServerError as exc:
                problem, asked_wait = f"server error {exc.status_code}", _retry_after(exc)
            except openai.APIStatusError as exc:
                raise SynthError(f"the LLM endpoint refused the request: {self._describe(exc)}") from None
            elapsed = time.monotonic() - started
            if attempt == attempts:
                raise SynthError(f"the LLM endpoint {self.url} failed after {attempt} attempts in {_seconds(elapsed)} s; "
                                 f"last: {problem}") from None
            wait = min(60.0, asked_wait if asked_wait is not None else delay * (1 + 0.25 * random.random()))
            delay *= 2
            if started + elapsed + wait >= deadline:
                raise SynthError(f"gave up on the LLM endpoint {self.url} after {attempt} attempts in {_seconds(elapsed)} s "
                                 f"({problem}): the time limit is {limit:g} s (--llm-timeout or {TIME_LIMIT_ENV})") from None
            with self._lock:
                self.usage.retries += 1
            if self.config.on_retry is not None:
                self.config.on_retry(f"{problem}, retrying in {_seconds(wait)} s, attempt {attempt + 1} of {attempts}")
            time.sleep(wait)
        raise AssertionError("unreachable")

    @property
    def url(self) -> str:
        """The endpoint as it may be shown: without user, password or query, and never with the key."""
        url = re.sub(r"//[^/@]*@", "//", self.config.base_url or DEFAULT_URL).split("?", 1)[0]
        return self.redact(url)

    def _describe(self, exc: Exception) -> str:
        status = getattr(exc, "status_code", None)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return self.redact((f"HTTP {status}: " if status else "") + message[:300])

    def redact(self, text: str) -> str:
        """Remove the API key from any text that might be shown or stored."""
        key = self.config.api_key
        return text.replace(key, "***") if key else text

    # --- the cache ----------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path | None:
        return None if self.config.cache_dir is None else Path(self.config.cache_dir) / key[:2] / f"{key}.json"

    def _cache_get(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))["content"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is simply asked again

    def _cache_put(self, key: str, text: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"content": self.redact(text)}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (the client wraps the transport's error, which wraps the socket's)."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return chain


REFUSED = "connection refused (is the server running, on that port?)"
UNKNOWN_HOST = "unknown host"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def unreachable(url: str, timeout: float = 3.0) -> str | None:
    """Why nothing can answer at ``url`` (nothing listens there, or its host does not exist), from one TCP
    connection; None when something may answer, or when this cannot be told here (a proxy is set, the
    connection timed out, the URL is malformed: the HTTP client's own attempts decide those).

    >>> import socket
    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]     # closed again: nothing listens there
    >>> unreachable(f"http://127.0.0.1:{port}/v1"), unreachable("http://no-such-host.invalid/v1")
    ('connection refused (is the server running, on that port?)', 'unknown host')
    """
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
        return None  # the HTTP client talks to the proxy, not to this host
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not host or port is None:
        return None
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return REFUSED
    except socket.gaierror:
        return UNKNOWN_HOST
    except OSError:  # a timeout, no route to the host: may heal, so the client's attempts (and retries) decide
        return None


def _lasting_connection_problem(exc: BaseException) -> str | None:
    """What makes this connection failure permanent (nothing listening, no such host, a bad URL), or None."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED
        if isinstance(cause, socket.gaierror):
            return UNKNOWN_HOST
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate is not trusted ({cause.verify_message})"
        if type(cause).__name__ in ("UnsupportedProtocol", "InvalidURL"):  # the HTTP library's, whichever it is
            return "not a valid http(s) URL"
    return None


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _cause_name(exc: BaseException) -> str:
    chain = _causes(exc)
    return type(chain[-1]).__name__


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def parse_json_reply(text: str) -> Any:
    """JSON from a reply, tolerating a Markdown code fence around it."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
