"""`assay serve --workers N` builds each worker's app from ASSAY_* variables: they must carry the settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from assay.config import load_settings
from assay.web.factory import create_app_from_env, settings_env


def test_settings_survive_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = load_settings(data_dir=tmp_path / "d", port=8123, secure_cookies=True, session_idle_minutes=7,
                          log_level="warning")
    env = settings_env(given)
    assert env["ASSAY_SECURE_COOKIES"] == "true"
    assert env["ASSAY_DATA_DIR"] == str((tmp_path / "d").resolve())
    for key in list(os.environ):
        if key.startswith("ASSAY_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    again = load_settings()
    assert again.model_dump() == {**given.model_dump(), "data_dir": (tmp_path / "d").resolve()}


def test_worker_app_serves_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.store.db import open_db

    settings = load_settings(data_dir=tmp_path)
    open_db(settings).close()  # the parent migrates SQLite before starting workers
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    app = create_app_from_env()
    with TestClient(app) as client:
        r = client.get("/healthz")
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"  # the security headers middleware is in place
    assert app.state.ctx.settings.data_dir == tmp_path.resolve()


def test_apps_of_one_process_share_routes_but_nothing_else(tmp_path: Path, sqlite_template: Path) -> None:
    """`create_app` builds the route table once per process (`assay.web.app._mount_routes`); each app still
    answers from its own database and settings, and every app's OpenAPI document lists every route."""
    import shutil

    from assay.services.accounts import users
    from assay.store.db import open_db
    from assay.web.app import create_app
    from tests.security.test_sessions import sign_in

    apps = []
    for name in ("one", "two"):
        s = load_settings(data_dir=tmp_path / name)
        s.data_dir.mkdir(parents=True)
        shutil.copyfile(sqlite_template, s.data_dir / "assay.db")
        db = open_db(s, migrate=False)
        users.add_user(db, f"lead-{name}", "a long enough password", role="lead")
        apps.append(create_app(s, db))
    assert apps[0].router.routes[-1] is apps[1].router.routes[-1]  # the same included router, built once
    for i, app in enumerate(apps):
        with TestClient(app, follow_redirects=False) as c:
            mine, other = (f"lead-{n}" for n in (("one", "two") if i == 0 else ("two", "one")))
            assert sign_in(c, other, "a long enough password").status_code == 401  # not in this database
            r = sign_in(c, mine, "a long enough password")
            assert r.status_code == 303 and r.headers["location"] == "/projects"
            assert mine in c.get("/projects").text
            paths = c.get("/api/v1/openapi.json").json()["paths"]
            assert "/api/v1/projects/{project_id}/records" in paths and len(paths) > 80


@pytest.mark.slow  # a fresh interpreter importing the app: 3-7 s
def test_the_web_app_starts_without_numba() -> None:
    """numba and LLVM cost a server about 100 MB at rest (tests/security/test_import_streaming.py bounds the
    server at 300 MB); only building or reading an explorer index, or near-dedup, may load them."""
    import subprocess
    import sys

    code = "import sys, assay.web.factory, assay.web.app; print(sorted(m for m in ('numba', 'llvmlite') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
