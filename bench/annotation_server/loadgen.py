"""The load generator both servers are measured with: N annotators as coroutines on one asyncio loop, each
with its own HTTP/1.1 connection, looping *next* → *submit* until its queue is empty.

Why not one thread and one httpx client per annotator (as `harness.run_load` does for the
correctness tests): on this 2-core machine the generator shares the CPU with the server under test, and 20
Python threads with httpx cost about 0.5–1 ms of CPU per request and make every response wait for the GIL
before its time is taken, which shows up in the measured latency of whichever server is faster. Here a
request is a few hundred bytes written to a socket and a response parsed with `readuntil`/`readexactly`;
timing starts before the request is written (before connecting, when the server closed the connection
after the last response, as uWSGI's HTTP router does) and stops when the whole body is read.

Both servers get exactly the same client: only the paths, headers and the way a task id is read from the
reply differ (`Flow`). Pacing (`rate`) offers a fixed number of requests/s in all: each annotator starts a
next+submit cycle every ``2 * annotators / rate`` seconds, staggered, with no catch-up bursts.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.annotation_server.harness import LoadResult  # the same result as the threaded harness: acks, latencies, errors


@dataclass
class Flow:
    """What one annotator sends. `parse_next(status, body)` returns the task id to submit, None when the
    queue is empty, or raises `Retry` for an unexpected answer; `submit(task_id)` returns (method, path,
    JSON body); a submit is acknowledged when its status is 2xx."""

    next_method: str
    next_path: str
    parse_next: Callable[[int, bytes], Any]
    submit: Callable[[Any], tuple[str, str, dict[str, Any]]]
    headers: dict[str, str]  # per annotator: built by `make_headers(token)`
    keep_alive: bool = True


class Retry(Exception):
    """An unexpected answer to next: counted as an error; the annotator waits 50 ms and asks again."""


class Connection:
    """One HTTP/1.1 connection that reconnects when the server closed it."""

    def __init__(self, host: str, port: int, keep_alive: bool) -> None:
        self.host, self.port, self.keep_alive = host, port, keep_alive
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: bytes, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
                + ("" if self.keep_alive else "Connection: close\r\n")).encode() + headers + b"\r\n"
        self.writer.write(head + body)
        try:
            status_line = await self.reader.readuntil(b"\r\n")
            raw = await self.reader.readuntil(b"\r\n\r\n")
            status = int(status_line.split(b" ", 2)[1])
            length, chunked, close = None, False, not self.keep_alive
            for line in raw.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
                data = b""  # no body, whatever the headers say (RFC 9112 §6.3)
            elif chunked:
                data = b""
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    if size == 0:
                        await self.reader.readuntil(b"\r\n")  # the empty trailer
                        break
                    data += (await self.reader.readexactly(size + 2))[:-2]
            elif length is not None:
                data = await self.reader.readexactly(length)
            else:
                data = await self.reader.read()
                close = True
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _header_bytes(headers: dict[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()


async def _annotator(host: str, port: int, name: str, flow: Flow, out: LoadResult, deadline: float,
                     interval: float | None, offset: float) -> None:
    conn = Connection(host, port, flow.keep_alive)
    hdr = _header_bytes(flow.headers)
    json_hdr = hdr + b"Content-Type: application/json\r\n"
    loop = asyncio.get_running_loop()
    next_start = loop.time() + offset
    try:
        while time.time() < deadline:
            if interval is not None:
                wait = next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                next_start = max(next_start + interval, loop.time() - interval)  # no catch-up bursts
            try:
                t0 = time.perf_counter()
                status, body = await conn.request(flow.next_method, flow.next_path, hdr)
                t1 = time.perf_counter()
                try:
                    task_id = flow.parse_next(status, body)
                except Retry as e:
                    out.errors.append(f"next {status} {str(e)[:200]}")
                    await asyncio.sleep(0.05)
                    continue
                if task_id is None:
                    return
                method, path, payload = flow.submit(task_id)
                t2 = time.perf_counter()
                status, body = await conn.request(method, path, json_hdr, json.dumps(payload).encode())
                t3 = time.perf_counter()
                out.next_ms.append((t1 - t0) * 1000)
                out.submit_ms.append((t3 - t2) * 1000)
                if 200 <= status < 300:
                    out.acks.append((name, task_id))
                else:
                    out.errors.append(f"submit {status} {body[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                out.connection_failures += 1
                out.errors.append(f"connection: {e!r}"[:200])
                await asyncio.sleep(0.1)
    finally:
        conn.close()


async def _run(host: str, port: int, flows: dict[str, Flow], timeout: float, rate: float | None) -> LoadResult:
    out = LoadResult()
    deadline = time.time() + timeout
    n = len(flows)
    interval = 2 * n / rate if rate else None
    t0 = time.perf_counter()
    await asyncio.gather(*(_annotator(host, port, name, flow, out, deadline, interval, (interval or 0.0) * i / n)
                           for i, (name, flow) in enumerate(sorted(flows.items()))))
    out.wall = time.perf_counter() - t0
    return out


def run(base_url: str, flows: dict[str, Flow], timeout: float = 900.0, rate: float | None = None) -> LoadResult:
    """Drive every annotator in `flows` (name → Flow) against `base_url` (http://host:port) until each
    queue is empty or `timeout` seconds pass; `rate` paces them (requests/s offered in all)."""
    host, _, port = base_url.removeprefix("http://").rstrip("/").partition(":")
    try:
        import uvloop

        return uvloop.run(_run(host, int(port or 80), flows, timeout, rate))
    except ImportError:
        return asyncio.run(_run(host, int(port or 80), flows, timeout, rate))
