"""Fixtures for authoring tests: a fake OpenAI-compatible server on loopback and the demo authoring projects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from assay.domain.users import User
from assay.llm.fake_server import FakeLLMServer
from assay.services.accounts import users
from assay.services.authoring.demo import AuthoringDemo, ensure_authoring_demo
from assay.services.site.demo import ensure_demo

API_KEY = "sk-assay-test-SECRET-9f3c2a"


@dataclass
class Env:
    fake: FakeLLMServer
    demo: AuthoringDemo
    admin: User
    trainer: User
    other: User

    def project_id(self, mode: str) -> int:
        return self.demo.projects[mode].id


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    """A fake model server that demands API_KEY."""
    with FakeLLMServer(api_key=API_KEY) as srv:
        yield srv


@pytest.fixture
def env(db, fake) -> Env:  # type: ignore[no-untyped-def]
    ensure_demo(db)
    demo = ensure_authoring_demo(db, fake.base_url, api_key=API_KEY)
    return Env(fake=fake, demo=demo, admin=users.find_user(db, "admin"), trainer=users.find_user(db, "annotator1"),
               other=users.find_user(db, "annotator2"))


@dataclass
class Web:
    app: object
    tokens: dict[str, str]

    def client(self, who: str):  # type: ignore[no-untyped-def]
        """A TestClient authenticated with `who`'s API token."""
        from fastapi.testclient import TestClient

        return TestClient(self.app, headers={"Authorization": f"Bearer {self.tokens[who]}"})


@pytest.fixture
def web(db, env) -> Web:  # type: ignore[no-untyped-def]
    from assay.services.accounts import auth
    from assay.web.app import create_app

    tokens = {u.username: auth.create_api_token(db, u.id, "t")[0] for u in (env.admin, env.trainer, env.other)}
    return Web(app=create_app(db.settings, db), tokens=tokens)


def sse(body: str) -> list[tuple[str, object]]:
    """(event, data) pairs of a server-sent-events body."""
    import json

    out = []
    for block in body.split("\n\n"):
        event, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if data:
            out.append((event, json.loads(data)))
    return out


from tests.web.conftest import live_server  # noqa: F401 - the live server fixture (browser and page: tests/conftest.py)
