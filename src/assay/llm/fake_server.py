"""A fake OpenAI-compatible model server on loopback, for tests and demos.

It is a real HTTP server (stdlib `ThreadingHTTPServer` in a thread) serving `GET /v1/models` and
`POST /v1/chat/completions`, with and without `"stream": true` (server-sent events). Replies are
deterministic functions of the prompt and sampling fields (see `fake_replies`); a system prompt that
mentions JSON gets a JSON verdict. Failures can be scripted (`fail_next`, `hang_next`), replies can be
queued (`queue_reply`), and every request is logged (`requests`) along with the highest number of chat
requests in flight at once (`max_concurrent`).

    with FakeLLMServer() as srv:
        client = ChatClient(EndpointConfig(base_url=srv.base_url, model=srv.model))

Run `python -m assay.llm.fake_server --port 8001` to keep one up for manual demos.
"""

from __future__ import annotations

import argparse
import collections
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from assay.llm.fake_replies import is_judge_request, judge_reply, plain_reply


@dataclass
class LoggedRequest:
    """One request the server received: `body` is the parsed JSON body or None, header names lower case."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    at: float = field(default_factory=time.time)


@dataclass
class _Failure:
    status: int = 503
    retry_after: str | None = None
    message: str = "the fake server was told to fail"
    hang: float = 0.0


class FakeLLMServer:
    """The server; start it with `start()` or a `with` block. Thread-safe controls.

    `delay` is seconds every chat request takes (to make concurrency visible); `api_key`, when set,
    makes requests without `Authorization: Bearer <api_key>` fail with 401; `judge_bias` is "longer"
    (pairwise judge prefers the longer response) or "first" (always prefers response A).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = "fake-model",
        delay: float = 0.0,
        api_key: str | None = None,
        judge_bias: str = "longer",
        stream_delay: float = 0.0,
    ) -> None:
        self.host, self.model, self.delay, self.api_key = host, model, delay, api_key
        self.judge_bias, self.stream_delay = judge_bias, stream_delay
        self._port = port
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failures: collections.deque[_Failure] = collections.deque()
        self._replies: collections.deque[str] = collections.deque()
        self._log: list[LoggedRequest] = []
        self._in_flight = 0
        self.max_concurrent = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> Self:
        httpd = ThreadingHTTPServer((self.host, self._port), _Handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._stop.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-llm-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://{self.host}:{self.port}/v1"

    # -- scripting -----------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        retry_after: float | str | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next `count` chat requests answer `status` (with a Retry-After header if given)."""
        with self._lock:
            for _ in range(count):
                self._failures.append(
                    _Failure(
                        status=status,
                        message=message or f"scripted {status}",
                        retry_after=None if retry_after is None else str(retry_after),
                    )
                )

    def hang_next(self, count: int = 1, seconds: float = 5.0) -> None:
        """Make the next `count` chat requests wait `seconds` before answering normally."""
        with self._lock:
            for _ in range(count):
                self._failures.append(_Failure(status=200, hang=seconds))

    def queue_reply(self, *texts: str) -> None:
        """Answer the next successful chat requests with these exact texts, in order."""
        with self._lock:
            self._replies.extend(texts)

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat completion requests received so far."""
        return [r.body or {} for r in self.requests if r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        """Forget the log, scripted failures, queued replies and the concurrency high-water mark."""
        with self._lock:
            self._log.clear()
            self._failures.clear()
            self._replies.clear()
            self.max_concurrent = 0

    # -- used by the handler -------------------------------------------------------------------------

    def _record(self, req: LoggedRequest) -> None:
        with self._lock:
            self._log.append(req)

    def _enter(self) -> _Failure | None:
        """Count a chat request in flight; returns the scripted failure it must suffer, if any."""
        with self._lock:
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)
            return self._failures.popleft() if self._failures else None

    def _take_reply(self) -> str | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        self._stop.wait(seconds)


def _error_body(message: str, kind: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; avoid 40 ms delayed-ACK stalls
    server_version = "AssayFakeLLM/1.0"

    @property
    def fake(self) -> FakeLLMServer:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests assert on the request log instead

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        key = self.fake.api_key
        if key is None:
            return True
        given = self.headers.get("Authorization", "")
        if given == f"Bearer {key}":
            return True
        self._send_json(
            401,
            _error_body(
                f"Incorrect API key provided: {given.removeprefix('Bearer ')}", "invalid_request_error", 401
            ),
        )
        return False

    def do_GET(self) -> None:
        self.fake._record(LoggedRequest("GET", self.path, None, self._headers()))
        if not self._authorised():
            return
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": self.fake.model, "object": "model", "created": 0, "owned_by": "assay-fake"}
                    ],
                },
            )
        else:
            self._send_json(404, _error_body(f"no route GET {self.path}", "not_found", 404))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            body = None
        self.fake._record(
            LoggedRequest("POST", self.path, body if isinstance(body, dict) else None, self._headers())
        )
        if not self._authorised():
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error_body(f"no route POST {self.path}", "not_found", 404))
            return
        failure = self.fake._enter()
        try:
            self._chat(body, failure)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)
        finally:
            self.fake._leave()

    def _chat(self, body: Any, failure: _Failure | None) -> None:
        fake = self.fake
        if fake.delay:
            fake._wait(fake.delay)
        if failure is not None and failure.hang:
            fake._wait(failure.hang)
        elif failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            kind = "rate_limit_error" if failure.status == 429 else "server_error"
            self._send_json(failure.status, _error_body(failure.message, kind, failure.status), headers)
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            self._send_json(
                400, _error_body("'messages' must be a non-empty list", "invalid_request_error", 400)
            )
            return
        if body.get("model") != fake.model:
            self._send_json(
                404, _error_body(f"The model `{body.get('model')}` does not exist.", "not_found_error", 404)
            )
            return
        messages: list[dict[str, Any]] = body["messages"]
        n = max(1, int(body.get("n") or 1))
        texts = []
        for i in range(n):
            queued = fake._take_reply()
            if queued is not None:
                texts.append(queued)
            elif is_judge_request(messages):
                texts.append(judge_reply(messages, body, fake.judge_bias))
            else:
                texts.append(plain_reply(messages, body, i))
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        finish = ["stop"] * n
        if limit:
            for i, t in enumerate(texts):
                words = t.split(" ")
                if len(words) > int(limit):
                    texts[i], finish[i] = " ".join(words[: int(limit)]), "length"
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in messages)
        if body.get("stream"):
            self._stream(texts[0], finish[0], prompt_tokens, body)
            return
        completion_tokens = sum(len(t.split()) for t in texts)
        self._send_json(
            200,
            {
                "id": f"chatcmpl-fake-{int(time.time() * 1000)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": fake.model,
                "choices": [
                    {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": f}
                    for i, (t, f) in enumerate(zip(texts, finish))
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _stream(self, text: str, finish: str, prompt_tokens: int, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        base = {
            "id": f"chatcmpl-fake-{int(time.time() * 1000)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.fake.model,
        }
        words = text.split(" ")
        for i, w in enumerate(words):
            delta: dict[str, Any] = {"content": w if i == 0 else " " + w}
            if i == 0:
                delta["role"] = "assistant"
            self._event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
            if self.fake.stream_delay:
                self.fake._wait(self.fake.stream_delay)
        self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event(
                {
                    **base,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": len(words),
                        "total_tokens": prompt_tokens + len(words),
                    },
                }
            )
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()


def main(argv: list[str] | None = None) -> None:
    """Serve until Ctrl-C: `python -m assay.llm.fake_server --port 8001 [--delay 0.2] [--model NAME]`."""
    p = argparse.ArgumentParser(
        prog="python -m assay.llm.fake_server",
        description="A fake OpenAI-compatible model server for demos and tests.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--model", default="fake-model")
    p.add_argument("--delay", type=float, default=0.0, help="seconds each chat request takes")
    p.add_argument("--stream-delay", type=float, default=0.03, help="seconds between streamed words")
    p.add_argument("--api-key", default=None, help="require this bearer key")
    args = p.parse_args(argv)
    srv = FakeLLMServer(
        host=args.host,
        port=args.port,
        model=args.model,
        delay=args.delay,
        api_key=args.api_key,
        stream_delay=args.stream_delay,
    ).start()
    print(
        f"fake OpenAI-compatible server at {srv.base_url} serving model {srv.model!r}; Ctrl-C stops it",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
