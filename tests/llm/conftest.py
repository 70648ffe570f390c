"""Fixtures for the LLM client tests: a fake OpenAI-compatible server on loopback and clients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.llm.client import ChatClient
from assay.llm.config import EndpointConfig
from assay.llm.fake_server import FakeLLMServer
from assay.llm.retry import RetryPolicy

FAST = RetryPolicy(base_delay=0.01, max_delay=2.0, jitter=0.5)


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        yield srv


@pytest.fixture
def make_client(fake: FakeLLMServer) -> Iterator[Callable[..., ChatClient]]:
    """Build a ChatClient for the fake server; keyword arguments go to EndpointConfig (cache_dir apart)."""
    made: list[ChatClient] = []

    def build(cache_dir: Path | None = None, **cfg: Any) -> ChatClient:
        settings: dict[str, Any] = {"base_url": fake.base_url, "model": fake.model, "timeout": 10.0}
        settings.update(cfg)
        client = ChatClient(EndpointConfig(**settings), cache_dir=cache_dir, retry=FAST)
        made.append(client)
        return client

    yield build
    for c in made:
        c.close()
