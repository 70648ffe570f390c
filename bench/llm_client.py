"""Benchmark of assay.llm.ChatClient against the fake OpenAI-compatible server on loopback.

Prints, from one run: per-call overhead of ChatClient over a bare httpx POST, the speed-up of complete_many
at concurrency 8 over concurrency 1 when each request takes 50 ms on the server, and the cost of a cache hit
compared with an HTTP call. Wall times swing on a shared machine: read the ratios, and the CPU seconds.

Reproduce:  UV_PYTHON_DOWNLOADS=never uv run python bench/llm_client.py [--calls 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import httpx

from assay.llm import ChatClient, EndpointConfig
from assay.llm.fake_server import FakeLLMServer


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    calls = ap.parse_args().calls
    msgs = [{"role": "user", "content": "benchmark prompt"}]
    with FakeLLMServer() as srv, tempfile.TemporaryDirectory() as tmp:
        cfg = EndpointConfig(base_url=srv.base_url, model=srv.model)
        client = ChatClient(cfg)
        body = {"model": srv.model, "messages": msgs, "temperature": 0.7, "max_tokens": 512}
        with httpx.Client() as http:
            raw_w, raw_c = timed(
                lambda: [
                    http.post(f"{srv.base_url}/chat/completions", json=body).json() for _ in range(calls)
                ]
            )
        cli_w, cli_c = timed(lambda: [client.complete(msgs) for _ in range(calls)])
        print(
            f"{calls} sequential calls: bare httpx {raw_w:.2f}s wall / {raw_c:.2f}s CPU; "
            f"ChatClient {cli_w:.2f}s wall / {cli_c:.2f}s CPU; ratio {cli_w / raw_w:.2f}x wall "
            f"(both include the in-process fake server)"
        )

        srv.delay = 0.05
        n = 80
        convs = [[{"role": "user", "content": f"q{i}"}] for i in range(n)]
        c1_w, c1_c = timed(lambda: client.complete_many(convs, concurrency=1))
        c8_w, c8_c = timed(lambda: client.complete_many(convs, concurrency=8))
        print(
            f"complete_many {n} calls at 50 ms each: concurrency 1 {c1_w:.2f}s, concurrency 8 {c8_w:.2f}s "
            f"(speed-up {c1_w / c8_w:.1f}x; CPU {c1_c:.2f}s vs {c8_c:.2f}s); max in flight seen "
            f"{srv.max_concurrent}"
        )

        srv.delay = 0.0
        cached = ChatClient(cfg, cache_dir=tmp)
        cached.complete_many(convs, concurrency=4)
        hit_w, hit_c = timed(lambda: cached.complete_many(convs, concurrency=4))
        miss_w, _ = timed(lambda: cached.complete_many(convs, concurrency=4, temperature=0.1))
        print(
            f"{n} cache hits {hit_w * 1000:.0f} ms ({hit_c:.2f}s CPU) vs {n} HTTP calls {miss_w * 1000:.0f} ms: "
            f"ratio {miss_w / hit_w:.1f}x"
        )
        client.close()
        cached.close()
    print("command: UV_PYTHON_DOWNLOADS=never uv run python bench/llm_client.py --calls", calls)


if __name__ == "__main__":
    main()
