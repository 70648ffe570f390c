"""The fake OpenAI-compatible server itself, spoken to with plain HTTP (as other engineers' tests will)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import openai
import pytest

from assay.llm.fake_server import FakeLLMServer

BODY = {"model": "fake-model", "messages": [{"role": "user", "content": "Say hello"}], "temperature": 0.2}


def test_models_and_deterministic_completions(fake):
    with httpx.Client(base_url=fake.base_url) as http:
        assert http.get("/models").json()["data"][0]["id"] == "fake-model"
        one = http.post("/chat/completions", json=BODY).json()
        two = http.post("/chat/completions", json=BODY).json()
        other = http.post("/chat/completions", json={**BODY, "temperature": 0.9}).json()
        many = http.post("/chat/completions", json={**BODY, "n": 3}).json()
        bad = http.post("/chat/completions", json={"model": "fake-model"})
    text = one["choices"][0]["message"]["content"]
    assert text == two["choices"][0]["message"]["content"] != other["choices"][0]["message"]["content"]
    assert one["object"] == "chat.completion" and one["usage"]["prompt_tokens"] == 2
    assert len({c["message"]["content"] for c in many["choices"]}) == 3
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]
    assert [r.method for r in fake.requests] == ["GET", "POST", "POST", "POST", "POST", "POST"]


def test_streams_server_sent_events(fake):
    with httpx.Client(base_url=fake.base_url) as http:
        with http.stream(
            "POST",
            "/chat/completions",
            json={**BODY, "stream": True, "stream_options": {"include_usage": True}},
        ) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
        full = http.post("/chat/completions", json=BODY).json()["choices"][0]["message"]["content"]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(ln[6:]) for ln in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == full
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["usage"]["total_tokens"] > 0


def test_scripted_failures_and_auth():
    with FakeLLMServer(api_key="k1") as srv:
        headers = {"Authorization": "Bearer k1"}
        srv.fail_next(1, 429, retry_after=3)
        srv.hang_next(1, seconds=0.3)
        with httpx.Client(base_url=srv.base_url, headers=headers) as http:
            limited = http.post("/chat/completions", json=BODY)
            t0 = time.monotonic()
            slow = http.post("/chat/completions", json=BODY)
            waited = time.monotonic() - t0
            denied = httpx.post(f"{srv.base_url}/chat/completions", json=BODY)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert slow.status_code == 200 and waited >= 0.28
    assert denied.status_code == 401


def test_works_with_the_openai_client_directly(fake):
    client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0)
    reply = client.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content.startswith("[")
    streamed = client.chat.completions.create(
        model="fake-model", stream=True, messages=[{"role": "user", "content": "hi"}]
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    client.close()


@pytest.mark.slow
def test_runs_as_a_module_for_demos():
    with FakeLLMServer() as probe:  # borrow a free port, then release it
        port = probe.port
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay.llm.fake_server", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}/v1" in line
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
