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
