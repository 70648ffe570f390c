"""`assay serve` refuses to listen off localhost with the default secret or the demo accounts."""

from __future__ import annotations

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
    from assay.services.startup import is_local

    assert is_local("127.0.0.1") and is_local("::1") and is_local("localhost")
    assert not is_local("0.0.0.0") and not is_local("") and not is_local("::") and not is_local("10.0.0.5")
