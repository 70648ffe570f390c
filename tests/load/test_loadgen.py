"""The benchmark's load generator (bench/annotation_server/loadgen.py) reads HTTP/1.1 answers right and
drives a real Assay server to the same invariants as the threaded harness."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "annotation_server"
sys.path.insert(0, str(BENCH))

import assay_load
import loadgen

from bench.annotation_server.harness import AssayServer, check, seed


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run `fn` in a thread of its own: the session's Playwright keeps an event loop running in this one,
    and asyncio.run refuses to start a second loop there."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


async def _serve(answers: list[bytes]) -> tuple[asyncio.AbstractServer, int]:
    """A server that answers each request on a connection with the next canned answer, keeping the
    connection open (like a keep-alive server that does not close after a 204)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            writer.write(answer)
            await writer.drain()
        await asyncio.sleep(10)  # never closes by itself

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_connection_reads_204_chunked_and_sized_answers_without_waiting_for_close() -> None:
    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
               b"HTTP/1.1 204 No Content\r\nserver: x\r\n\r\n"]

    async def main() -> list[tuple[int, bytes, float]]:
        server, port = await _serve(answers)
        conn = loadgen.Connection("127.0.0.1", port, keep_alive=True)
        got = []
        for _ in answers:
            t0 = time.perf_counter()
            status, body = await conn.request("POST", "/x", b"", b'{"a": 1}')
            got.append((status, body, time.perf_counter() - t0))
        conn.close()
        server.close()
        return got

    got = _in_thread(lambda: asyncio.run(main()))
    assert [(s, b) for s, b, _ in got] == [(200, b"hello"), (200, b"abcde"), (204, b"")]
    assert max(t for _, _, t in got) < 2.0  # a 204 on an open connection is not read until the server closes


@pytest.mark.slow
def test_loadgen_against_a_real_server_keeps_exactly_k(tmp_path: Path) -> None:
    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.store.migrate import upgrade

    settings = load_settings(data_dir=tmp_path)
    upgrade(settings.resolved_database_url)
    db = open_db(settings, migrate=False)
    seeded = seed(db, 30, 2, 8)
    server = AssayServer(tmp_path)
    server.start()
    try:
        result = _in_thread(lambda: loadgen.run(server.url, assay_load.flows(seeded), timeout=120))
    finally:
        server.stop()
    try:
        assert result.errors == []
        assert len(result.acks) == 30 * 2 == len(result.next_ms) == len(result.submit_ms)
        assert check(db, seeded, result.acks) == []
    finally:
        db.close()
