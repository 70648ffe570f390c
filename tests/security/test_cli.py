"""The account CLI: passwd, deactivate, role, invite, tokens create/ls/revoke."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The `assay` app (the security commands are mounted by assay.cli.main), over a new data folder."""
    env = {"ASSAY_DATA_DIR": str(tmp_path / "data"), "ASSAY_DATABASE_URL": ""}
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> str:
        r = runner.invoke(app, list(args), env=env, input=input)
        assert r.exit_code == 0, r.output
        return r.output

    run("users", "add", "alice", "--role", "lead", "--password", "alice-password-1")
    return run, env, app


@pytest.mark.slow
def test_tokens_create_ls_revoke(cli) -> None:  # type: ignore[no-untyped-def]
    run, env, _app = cli
    out = run("tokens", "create", "alice", "--name", "laptop", "--scope", "write")
    raw = re.search(r"(assay_\S+)", out).group(1)  # type: ignore[union-attr]
    listing = run("tokens", "ls", "alice")
    assert "laptop" in listing and raw not in listing and "active" in listing
    from assay.config import load_settings
    from assay.services.accounts import auth
    from assay.store.db import open_db

    db = open_db(load_settings(data_dir=Path(env["ASSAY_DATA_DIR"])))
    try:
        assert auth.resolve_api_token(db, raw).user.username == "alice"
        tid = auth.list_api_tokens(db, auth.resolve_api_token(db, raw).user.id)[0].id
        run("tokens", "revoke", "alice", str(tid))
        from assay.errors import Unauthenticated

        with pytest.raises(Unauthenticated):
            auth.resolve_api_token(db, raw)
    finally:
        db.close()
    assert "revoked" in run("tokens", "ls", "alice")


@pytest.mark.slow
def test_passwd_deactivate_role_invite(cli) -> None:  # type: ignore[no-untyped-def]
    run, env, app = cli
    run("users", "passwd", "alice", input="another-pass-1\nanother-pass-1\n")
    run("users", "deactivate", "alice")
    assert "no" in run("users", "ls")
    run("users", "activate", "alice")
    assert "reviewer" in run("users", "role", "alice", "reviewer")
    out = run("users", "invite", "--role", "annotator", "--hours", "2", "--base-url", "https://a.example")
    assert re.search(r"https://a\.example/invite/\S+", out)
    r = CliRunner().invoke(app, ["tokens", "revoke", "alice", "999"], env=env)
    assert r.exit_code == 1 and "no token with id 999" in r.output
