"""The on-disk completion cache, and that the API key never leaks into logs, reprs or errors."""

from __future__ import annotations

import logging
import threading

import pytest

from assay.errors import Unavailable
from assay.llm.cache import CompletionCache, cache_key
from assay.llm.client import ChatClient
from assay.llm.config import EndpointConfig
from assay.llm.fake_server import FakeLLMServer

SECRET = "sk-live-SECRET-9f8e7d6c5b4a"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_cache_hit_avoids_a_second_http_call(fake, make_client, tmp_path):
    client = make_client(cache_dir=tmp_path)
    first = client.complete(user("cache me"))
    second = client.complete(user("cache me"))
    assert len(fake.chat_requests()) == 1
    assert second.cached and not first.cached and second.text == first.text
    # another client on the same folder (a rerun) also hits
    assert make_client(cache_dir=tmp_path).complete(user("cache me")).cached
    assert len(fake.chat_requests()) == 1


def test_cache_key_covers_sampling_and_sample_index(fake, make_client, tmp_path):
    client = make_client(cache_dir=tmp_path)
    client.complete(user("q"))
    client.complete(user("q"), temperature=0.1)
    client.complete(user("q"), sample_index=1)
    client.complete(user("q"), use_cache=False)
    assert len(fake.chat_requests()) == 4
    assert len(client.cache) == 3


def test_no_cache_dir_means_no_cache(fake, make_client):
    client = make_client(cache_dir=None)
    client.complete(user("q"))
    client.complete(user("q"))
    assert client.cache is None and len(fake.chat_requests()) == 2


def test_cache_key_ignores_dict_order_and_the_key():
    a = cache_key("http://h/v1/", "m", [{"role": "user", "content": "x"}], {"temperature": 1, "top_p": 0.5})
    b = cache_key("http://h/v1", "m", [{"content": "x", "role": "user"}], {"top_p": 0.5, "temperature": 1})
    assert a == b
    assert a != cache_key("http://h/v1", "m2", [{"role": "user", "content": "x"}], {"temperature": 1})


def test_cache_is_safe_across_threads(tmp_path):
    cache = CompletionCache(tmp_path)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                cache.put(f"{t}-{i}", {"text": f"{t}:{i}"})
                assert cache.get(f"{t}-{i}") == {"text": f"{t}:{i}"}
        except BaseException as e:  # noqa: BLE001 - collected for the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and len(cache) == 400
    assert CompletionCache(tmp_path).get("7-49") == {"text": "7:49"}


def test_complete_many_with_cache_only_requests_new_prompts(fake, make_client, tmp_path):
    client = make_client(cache_dir=tmp_path)
    client.complete_many([user("a"), user("b")], concurrency=2)
    client.complete_many([user("a"), user("b"), user("c")], concurrency=2)
    assert sorted(b["messages"][0]["content"] for b in fake.chat_requests()) == ["a", "b", "c"]


def test_api_key_never_appears_in_logs_repr_or_errors(caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    with FakeLLMServer(api_key="the-right-key") as srv:
        cfg = EndpointConfig(base_url=srv.base_url, model=srv.model, api_key=SECRET, max_retries=0)
        client = ChatClient(cfg, cache_dir=tmp_path)
        with pytest.raises(Unavailable, match="refused the API key") as info:
            client.complete(user("hello"))
        # the fake server echoes the wrong key back in its 401 message, as some servers do
        assert SECRET in str(srv.requests[0].headers.get("authorization"))
        good = ChatClient(cfg.replace(api_key="the-right-key"), cache_dir=tmp_path)
        good.complete(user("hello"))
        list(good.stream(user("hello")))
    shown = [
        str(info.value),
        repr(info.value.details),
        repr(cfg),
        str(cfg),
        repr(client),
        repr(cfg.to_dict()),
        caplog.text,
    ]
    for text in shown:
        assert SECRET not in text
        assert "the-right-key" not in caplog.text
    assert "***" in str(info.value)  # scrubbed, not dropped
    assert cfg.to_dict(include_key=True)["api_key"] == SECRET
    raw = (tmp_path / "llm-cache.sqlite3").read_bytes()
    assert SECRET.encode() not in raw and b"the-right-key" not in raw
