"""`assay serve` and the worker app factory refuse to serve off localhost with the default secret or the demo
accounts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"ASSAY_DATA_DIR": str(tmp_path / "data"), "ASSAY_DATABASE_URL": "", **extra}


@pytest.fixture
def no_listen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """If the checks pass, uvicorn.run records the call instead of serving (the test then fails)."""
    import uvicorn

    calls: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(str(k.get("host"))))
    return calls


def test_default_secret_off_localhost_is_refused(tmp_path: Path, no_listen: list[str]) -> None:
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8765"], env=_env(tmp_path))
    assert r.exit_code == 1, r.output
    assert "refusing to listen on 0.0.0.0" in r.output and "ASSAY_SECRET_KEY" in r.output
    assert no_listen == []


@pytest.mark.slow
def test_demo_accounts_off_localhost_are_refused(tmp_path: Path, no_listen: list[str]) -> None:
    env = _env(tmp_path)
    assert CliRunner().invoke(app, ["demo", "--no-serve", "--data-dir", env["ASSAY_DATA_DIR"]],
                              env=env).exit_code == 0
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"], env={**env, "ASSAY_SECRET_KEY": "s3cret-" * 6})
    assert r.exit_code == 1 and "demo accounts" in r.output, r.output
    assert no_listen == []


def test_safe_settings_and_localhost_are_allowed(tmp_path: Path, no_listen: list[str]) -> None:
    env = _env(tmp_path)
    assert CliRunner().invoke(app, ["serve", "--host", "127.0.0.1"], env=env).exit_code == 0
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"], env={**env, "ASSAY_SECRET_KEY": "s3cret-" * 6})
    assert r.exit_code == 0, r.output
    assert no_listen == ["127.0.0.1", "0.0.0.0"]


def test_is_local() -> None:
    from assay.services.site.startup import is_local

    assert is_local("127.0.0.1") and is_local("::1") and is_local("localhost")
    assert not is_local("0.0.0.0") and not is_local("") and not is_local("::") and not is_local("10.0.0.5")


# --- the worker app factory (assay serve --workers, or a deployment's own uvicorn --factory) ----------

def _factory_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    from assay.config import load_settings
    from assay.store.db import open_db

    for key in [k for k in os.environ if k.startswith("ASSAY_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ASSAY_DATA_DIR", str(tmp_path / "data"))
    open_db(load_settings()).close()  # migrated, as `assay serve` does before starting workers
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_factory_refuses_default_secret_off_localhost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.errors import Invalid
    from assay.web.factory import create_app_from_env

    _factory_env(monkeypatch, tmp_path, ASSAY_HOST="0.0.0.0")
    with pytest.raises(Invalid, match="refusing to listen on 0.0.0.0.*ASSAY_SECRET_KEY"):
        create_app_from_env()


def test_factory_without_assay_host_counts_as_non_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`uvicorn --factory assay.web.factory:create_app_from_env --host 0.0.0.0` run by hand: the factory
    cannot see the bind address, so an unset ASSAY_HOST is treated as non-local."""
    from assay.errors import Invalid
    from assay.web.factory import create_app_from_env

    _factory_env(monkeypatch, tmp_path)
    with pytest.raises(Invalid, match="ASSAY_HOST"):
        create_app_from_env()
    monkeypatch.setenv("ASSAY_SECRET_KEY", "s3cret-" * 6)
    assert create_app_from_env() is not None


def test_factory_refuses_demo_accounts_off_localhost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.config import load_settings
    from assay.errors import Invalid
    from assay.services.site.demo import ensure_demo
    from assay.store.db import open_db
    from assay.web.factory import create_app_from_env

    _factory_env(monkeypatch, tmp_path, ASSAY_HOST="10.1.2.3", ASSAY_SECRET_KEY="s3cret-" * 6)
    db = open_db(load_settings())
    ensure_demo(db)
    db.close()
    with pytest.raises(Invalid, match="demo accounts"):
        create_app_from_env()
    monkeypatch.setenv("ASSAY_ALLOW_INSECURE", "true")  # the documented escape hatch for a throwaway server
    assert create_app_from_env() is not None


@pytest.mark.slow
def test_factory_on_loopback_keeps_the_demo_working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`assay demo` / `assay serve --workers 2` on 127.0.0.1: default secret and demo accounts are fine."""
    from starlette.testclient import TestClient

    from assay.config import load_settings
    from assay.services.site.demo import ensure_demo
    from assay.store.db import open_db
    from assay.web.factory import create_app_from_env

    _factory_env(monkeypatch, tmp_path, ASSAY_HOST="127.0.0.1")
    db = open_db(load_settings())
    ensure_demo(db)
    db.close()
    with TestClient(create_app_from_env()) as client:
        assert client.get("/healthz").status_code == 200
