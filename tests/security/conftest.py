"""Fixtures: the security world (built once per session, copied per test) and a client over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.security.world import World, build_world, copy_world, settings_for


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash new passwords with cheap argon2 parameters in these tests (the hash records its parameters, so
    verification is the real code path). test_passwords.py checks the production parameters."""
    from argon2 import PasswordHasher

    import assay.services.accounts.passwords as pw

    saved, pw._hasher = pw._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    pw._hasher = saved


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world-template"))


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> World:
    return copy_world(world_template, tmp_path / "world")


@pytest.fixture
def app(world: World):  # type: ignore[no-untyped-def]
    from assay.store.db import open_db
    from assay.web.app import create_app

    db = open_db(settings_for(world.path), migrate=False)
    yield create_app(settings_for(world.path), db)
    db.close()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def as_role(client: TestClient, world: World, role: str) -> TestClient:
    """Put the role's session cookie on the client (anon: none)."""
    from assay.web.security import SESSION_COOKIE

    client.cookies.clear()
    if role != "anon":
        client.cookies.set(SESSION_COOKIE, world.sessions[role])
    return client
