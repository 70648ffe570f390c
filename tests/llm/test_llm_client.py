"""ChatClient against the fake server over real loopback HTTP: completion, streaming, batches, retries."""

from __future__ import annotations

import socket
import time

import pytest

from assay.domain.records import Message
from assay.errors import Invalid, Unavailable
from assay.llm.client import Generation
from assay.llm.config import EndpointConfig


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_complete_returns_text_usage_and_sampling(fake, make_client):
    client = make_client(temperature=0.3, max_tokens=64)
    gen = client.complete([Message("system", "Be brief."), Message("user", "What is entropy?")])
    assert isinstance(gen, Generation)
    assert 'About "What is entropy?"' in gen.text
    assert gen.model == fake.model and gen.finish_reason == "stop"
    assert gen.usage["prompt_tokens"] == 5 and gen.usage["total_tokens"] > 5
    assert gen.sampling == {"temperature": 0.3, "max_tokens": 64}
    assert gen.latency_s > 0 and gen.attempts == 1 and not gen.cached
    body = fake.chat_requests()[0]
    assert body["temperature"] == 0.3 and body["max_tokens"] == 64 and "top_p" not in body
    comp = gen.to_completion()
    assert comp.text == gen.text and comp.metadata["sampling"] == gen.sampling


def test_overrides_change_the_request_and_the_reply(fake, make_client):
    client = make_client(extra={"seed": 7})
    a = client.complete(user("Name a colour"), temperature=0.0)
    b = client.complete(user("Name a colour"), temperature=1.0)
    assert a.text != b.text
    bodies = fake.chat_requests()
    assert [x["temperature"] for x in bodies] == [0.0, 1.0]
    assert all(x["seed"] == 7 for x in bodies)
    short = client.complete(user("Name a colour"), max_tokens=3)
    assert short.finish_reason == "length" and len(short.text.split()) == 3


def test_stream_yields_deltas_of_the_same_reply(fake, make_client):
    client = make_client(temperature=0.5)
    deltas = list(client.stream(user("Tell me about rivers")))
    assert len(deltas) > 5
    assert "".join(deltas) == client.complete(user("Tell me about rivers")).text
    assert fake.chat_requests()[0]["stream"] is True


def test_stream_errors_are_mapped(fake, make_client):
    fake.fail_next(1, 400)
    with pytest.raises(Invalid, match="rejected the request"):
        list(make_client().stream(user("hi")))
    fake.fail_next(1, 503)
    assert "".join(make_client().stream(user("hi")))  # retried, then streamed
    assert len(fake.chat_requests()) == 3


def test_complete_many_enforces_the_concurrency_limit(fake, make_client):
    fake.delay = 0.15
    client = make_client(concurrency=8)
    results = client.complete_many([user(f"question {i}") for i in range(9)], concurrency=3)
    assert all(isinstance(r, Generation) for r in results)
    assert fake.max_concurrent == 3
    assert len(fake.chat_requests()) == 9


def test_complete_many_keeps_order_and_makes_n_samples(fake, make_client):
    results = make_client().complete_many([user("alpha"), user("beta")], n=3, concurrency=2)
    assert len(results) == 6
    texts = [r.text for r in results if isinstance(r, Generation)]
    assert all('"alpha"' in t for t in texts[:3]) and all('"beta"' in t for t in texts[3:])


def test_complete_many_returns_failures_per_item(fake, make_client):
    fake.fail_next(1, 400)
    results = make_client().complete_many([user("one"), user("two"), user("three")], concurrency=1)
    assert isinstance(results[0], Invalid)
    assert all(isinstance(r, Generation) for r in results[1:])


def test_retries_503_then_succeeds(fake, make_client):
    fake.fail_next(2, 503)
    gen = make_client().complete(user("hello"))
    assert gen.attempts == 3
    assert len(fake.chat_requests()) == 3


@pytest.mark.slow
def test_429_waits_for_retry_after(fake, make_client):
    fake.fail_next(1, 429, retry_after=1)
    t0 = time.monotonic()
    gen = make_client().complete(user("hello"))
    assert time.monotonic() - t0 >= 0.95
    assert gen.attempts == 2


def test_retries_give_up_with_a_clear_unavailable(fake, make_client):
    fake.fail_next(10, 503, message="GPU on fire")
    with pytest.raises(Unavailable) as info:
        make_client(max_retries=2, name="judge-box").complete(user("hello"))
    msg = str(info.value)
    assert "judge-box" in msg and fake.base_url in msg and "503" in msg and "GPU on fire" in msg
    assert "after 3 attempt(s)" in msg and info.value.details["attempts"] == 3
    assert len(fake.chat_requests()) == 3


def test_400_is_not_retried(fake, make_client):
    fake.fail_next(1, 400, message="max_tokens is too large")
    with pytest.raises(Invalid, match="max_tokens is too large"):
        make_client().complete(user("hello"))
    assert len(fake.chat_requests()) == 1


def test_unknown_model_says_how_to_list_models(fake, make_client):
    with pytest.raises(Invalid, match="/models lists"):
        make_client(model="no-such-model").complete(user("hello"))
    assert len(fake.chat_requests()) == 1


def test_timeout_maps_to_unavailable(fake, make_client):
    fake.hang_next(1, seconds=3)
    t0 = time.monotonic()
    with pytest.raises(Unavailable, match=r"did not answer within 0.3s"):
        make_client(timeout=0.3, max_retries=0).complete(user("hello"))
    assert time.monotonic() - t0 < 2.5


def test_timeout_is_retried(fake, make_client):
    fake.hang_next(1, seconds=3)
    gen = make_client(timeout=0.5, max_retries=1).complete(user("hello"))
    assert gen.attempts == 2


def test_connection_refused_names_the_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from assay.llm.client import ChatClient

    client = ChatClient(EndpointConfig(base_url=f"http://127.0.0.1:{port}", model="m", max_retries=0))
    with pytest.raises(Unavailable, match=rf"cannot connect .*127.0.0.1:{port}/v1.*base_url"):
        client.complete(user("hello"))


def test_list_models(fake, make_client):
    assert make_client().list_models() == [fake.model]


def test_config_validation():
    assert EndpointConfig(base_url="http://h:8000/", model="m").base_url == "http://h:8000/v1"
    assert EndpointConfig(base_url="https://api.example.com/v1/", model="m").base_url.endswith("com/v1")
    with pytest.raises(Invalid, match="not an http"):
        EndpointConfig(base_url="localhost:8000", model="m")
    with pytest.raises(Invalid, match="as fields"):
        EndpointConfig(base_url="http://h", model="m", extra={"temperature": 1})
    with pytest.raises(Invalid, match="unknown model endpoint setting"):
        EndpointConfig.from_dict({"base_url": "http://h", "model": "m", "key": "x"})
    with pytest.raises(Invalid, match="at least one message"):
        from assay.llm.client import normalise_messages

        normalise_messages([])
