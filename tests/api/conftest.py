"""The real app in-process with three people (admin, lead, annotator), their API tokens, and a pairwise
project the lead owns. `api_env.sdk(who)` is an `assay.Client` over FastAPI's TestClient (an httpx client)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

PAIRWISE_SPEC: dict[str, Any] = {
    "name": "prefs",
    "title": "Which is better?",
    "guidelines": "Prefer the correct answer.",
    "annotators_per_record": 2,
    "questions": [{"name": "preference", "kind": "pairwise"},
                  {"name": "rationale", "kind": "text", "required": False}],
}


def pair_record(i: int) -> dict[str, Any]:
    return {"id": f"r{i}", "prompt": f"What is {i} + {i}?",
            "completions": [{"model": "m1", "text": f"{2 * i}"}, {"model": "m2", "text": f"{2 * i + 1}"}],
            "metadata": {"n": i}}


@dataclass
class ApiEnv:
    app: Any
    db: Any
    settings: Any
    tokens: dict[str, str]
    users: dict[str, Any]
    http: dict[str, TestClient] = field(default_factory=dict)

    def raw(self, who: str | None) -> TestClient:
        """A TestClient sending `who`'s token (None: anonymous)."""
        key = who or "anonymous"
        if key not in self.http:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
            self.http[key] = TestClient(self.app, headers=headers, raise_server_exceptions=True)
        return self.http[key]

    def sdk(self, who: str) -> Any:
        import assay

        return assay.Client("http://testserver", self.tokens[who],
                            http=TestClient(self.app, raise_server_exceptions=True))


PEOPLE = [("admin", "admin"), ("lead", "lead"), ("ann", "annotator"), ("ann2", "annotator")]


def _populate(db: Any) -> tuple[dict[str, Any], dict[str, str]]:
    from assay.services.accounts import auth, users

    people = {name: users.add_user(db, name, f"{name}-password-1", role) for name, role in PEOPLE}
    tokens = {name: auth.create_api_token(db, u.id, "test")[0] for name, u in people.items()}
    tokens["lead_ro"] = auth.create_api_token(db, people["lead"].id, "ro", scope="read")[0]
    return people, tokens


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """A migrated SQLite database with the people and tokens, made once and copied per test (argon2 hashing
    and migrations cost seconds on a busy machine)."""
    from assay.config import load_settings
    from assay.store.db import open_db

    root = tmp_path_factory.mktemp("api-template")
    db = open_db(load_settings(data_dir=root), migrate=True)
    people, tokens = _populate(db)
    db.close()
    return root / "assay.db", people, tokens


def _env(settings: Any, people: dict[str, Any], tokens: dict[str, str]) -> ApiEnv:
    from assay.store.db import open_db
    from assay.web.app import create_app

    db = open_db(settings, migrate=False)
    return ApiEnv(app=create_app(settings, db), db=db, settings=settings, tokens=tokens, users=people)


@pytest.fixture
def api_env(_template: tuple[Path, dict[str, Any], dict[str, str]], tmp_path: Path) -> Iterator[ApiEnv]:
    """The app on a fresh SQLite copy of the template database."""
    from assay.config import load_settings

    src, people, tokens = _template
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(src, data / "assay.db")
    env = _env(load_settings(data_dir=data), people, tokens)
    yield env
    env.db.close()


@pytest.fixture
def api_env_any(settings: Any) -> Iterator[ApiEnv]:
    """The app on a fresh database of each back end (SQLite and PostgreSQL), for the tests that matter there."""
    from assay.store.db import open_db

    db = open_db(settings, migrate=False)
    people, tokens = _populate(db)
    db.close()
    env = _env(settings, people, tokens)
    yield env
    env.db.close()


def make_project(api_env: ApiEnv) -> dict[str, Any]:
    """The lead's pairwise project with 6 records, annotators `ann` and `ann2` as members."""
    from assay.services.projects import projects

    lead = api_env.raw("lead")
    p = lead.post("/api/v1/projects", json=PAIRWISE_SPEC).json()
    r = lead.post(f"/api/v1/projects/{p['id']}/records", json=[pair_record(i) for i in range(6)])
    assert r.status_code == 200, r.text
    projects.add_member(api_env.db, p["id"], "ann")
    projects.add_member(api_env.db, p["id"], "ann2")
    return p


@pytest.fixture
def project(api_env: ApiEnv) -> dict[str, Any]:
    return make_project(api_env)


def annotate(env: ApiEnv, who: str, project_id: int, count: int, choice: str = "a") -> list[int]:
    """`who` takes and submits `count` records through the work API; returns the record ids."""
    c = env.raw(who)
    done = []
    for _ in range(count):
        t = c.post(f"/api/v1/projects/{project_id}/next")
        assert t.status_code == 200, t.text
        rid = t.json()["record_id"]
        r = c.post(f"/api/v1/projects/{project_id}/records/{rid}/submit",
                   json={"answers": {"preference": {"choice": choice, "strength": 2}, "rationale": {"text": "ok"}},
                         "active_seconds": 3.5})
        assert r.status_code == 200, r.text
        done.append(rid)
    return done
