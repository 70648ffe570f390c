"""Accounts through HTTP: admin creates people, invite links, password change and reset, deactivation,
API tokens (shown once, hashed, scoped, last used, revoked), and the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from assay.services.accounts.passwords import token_digest
from assay.store.tables import ApiTokenRow, SessionRow
from assay.store.tables_security import InviteRow
from assay.web.security import SESSION_COOKIE
from tests.security.conftest import as_role
from tests.security.test_sessions import sign_in
from tests.security.world import PASSWORD, World


def _db(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.ctx.db  # type: ignore[attr-defined]


def _h(w: World, role: str = "admin") -> dict[str, str]:
    return {"X-CSRF-Token": w.csrf[role]}


@pytest.mark.slow
def test_admin_creates_a_user_in_the_ui_who_can_then_sign_in(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.post("/admin/users", data={"username": "carol", "password": "carol-password-1", "role": "reviewer",
                                     "csrf_token": world.csrf["admin"]})
    assert r.status_code == 303
    assert "carol" in c.get("/admin/users").text
    r = c.post("/admin/users", data={"username": "carol", "password": "carol-password-1",
                                     "csrf_token": world.csrf["admin"]})
    assert r.status_code == 409 and "already exists" in r.text  # shown on the page, not a crash
    client.cookies.clear()
    assert sign_in(client, "carol", "carol-password-1").status_code == 303


@pytest.mark.slow
def test_deactivation_ends_sessions_and_tokens_at_once(client: TestClient, world: World) -> None:
    victim_session = world.sessions["annotator"]
    victim_token = world.write_tokens["annotator"]
    client.cookies.set(SESSION_COOKIE, victim_session)
    assert client.get("/api/v1/me").status_code == 200
    c = as_role(client, world, "admin")
    r = c.post(f"/admin/users/{world.user_ids['ann1']}/active", data={"active": "false"}, headers=_h(world))
    assert r.status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, victim_session)
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {victim_token}"}).status_code == 401
    assert sign_in(client, "ann1").status_code == 401  # cannot sign in again either
    with _db(client).write() as s:
        assert s.scalar(select(SessionRow).where(SessionRow.user_id == world.user_ids["ann1"])) is None
    c = as_role(client, world, "admin")  # and back
    assert c.patch(f"/api/v1/admin/users/{world.user_ids['ann1']}", json={"is_active": True},
                   headers=_h(world)).json()["is_active"] is True
    client.cookies.clear()
    assert sign_in(client, "ann1").status_code == 303


def test_the_last_admin_cannot_be_removed(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.patch(f"/api/v1/admin/users/{world.user_ids['admin']}", json={"is_active": False}, headers=_h(world))
    assert r.status_code == 409
    r = c.patch(f"/api/v1/admin/users/{world.user_ids['admin']}", json={"role": "lead"}, headers=_h(world))
    assert r.status_code == 409


@pytest.mark.slow
def test_admin_reset_password_ends_the_persons_sessions(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.post(f"/api/v1/admin/users/{world.user_ids['ann1']}/password", json={"password": "reset-pass-123"},
               headers=_h(world))
    assert r.status_code == 204
    c = as_role(client, world, "annotator")
    assert c.get("/api/v1/me").status_code == 401
    client.cookies.clear()
    assert sign_in(client, "ann1", PASSWORD).status_code == 401
    assert sign_in(client, "ann1", "reset-pass-123").status_code == 303


@pytest.mark.slow
def test_own_password_change_needs_the_old_password(client: TestClient, world: World) -> None:
    c = as_role(client, world, "annotator")
    r = c.post("/account/password", data={"old_password": "not-it-at-all", "new_password": "new-pass-1234",
                                          "confirm": "new-pass-1234", "csrf_token": world.csrf["annotator"]})
    assert r.status_code == 403 and "current password is wrong" in r.text
    r = c.post("/account/password", data={"old_password": PASSWORD, "new_password": "new-pass-1234",
                                          "confirm": "different-1234", "csrf_token": world.csrf["annotator"]})
    assert r.status_code == 422
    r = c.post("/account/password", data={"old_password": PASSWORD, "new_password": "new-pass-1234",
                                          "confirm": "new-pass-1234", "csrf_token": world.csrf["annotator"]})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert as_role(client, world, "annotator").get("/api/v1/me").status_code == 401  # sessions ended
    client.cookies.clear()
    assert sign_in(client, "ann1", "new-pass-1234").status_code == 303


@pytest.mark.slow
def test_invite_link_works_once_and_expires(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.post("/admin/invites", data={"role": "reviewer", "hours": "48", "note": "for dana"}, headers=_h(world))
    assert r.status_code == 200
    link = re.search(r"(http://testserver/invite/[A-Za-z0-9_\-]+)", r.text).group(1)  # type: ignore[union-attr]
    token = link.rsplit("/", 1)[1]
    with _db(client).write() as s:  # stored hashed only
        assert s.scalar(select(InviteRow).where(InviteRow.token_hash == token_digest(token))) is not None
        assert s.scalar(select(InviteRow).where(InviteRow.token_hash == token)) is None
    assert token not in c.get("/admin/users").text  # shown once
    client.cookies.clear()
    form = client.get(f"/invite/{token}")
    assert form.status_code == 200 and "reviewer" in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    r = client.post(f"/invite/{token}", data={"username": "dana", "password": "dana-password-1",
                                              "confirm": "dana-password-1", "csrf_token": csrf})
    assert r.status_code == 303
    assert client.get(f"/invite/{token}").status_code == 404  # used up
    assert sign_in(client, "dana", "dana-password-1").status_code == 303
    assert client.get("/api/v1/me").json()["role"] == "reviewer"
    # an expired link
    c = as_role(client, world, "admin")
    made = c.post("/api/v1/admin/invites", json={"role": "annotator", "hours": 1}, headers=_h(world)).json()
    with _db(client).write() as s:
        s.execute(update(InviteRow).where(InviteRow.id == made["id"]).values(
            expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    client.cookies.clear()
    assert client.get(f"/invite/{made['token']}").status_code == 404
    # a revoked link
    c = as_role(client, world, "admin")
    made = c.post("/api/v1/admin/invites", json={"role": "annotator"}, headers=_h(world)).json()
    assert c.delete(f"/api/v1/admin/invites/{made['id']}", headers=_h(world)).status_code == 204
    client.cookies.clear()
    assert client.get(f"/invite/{made['token']}").status_code == 404


def test_tokens_shown_once_stored_hashed_scoped_touched_and_revoked(client: TestClient, world: World) -> None:
    c = as_role(client, world, "reviewer")
    r = c.post("/account/tokens", data={"name": "my laptop", "scope": "read"}, headers=_h(world, "reviewer"))
    assert r.status_code == 200
    raw = re.search(r"(assay_[A-Za-z0-9_\-]+)", r.text).group(1)  # type: ignore[union-attr]
    page = c.get("/account").text
    assert raw not in page and raw[:12] in page  # the prefix only, afterwards
    with _db(client).write() as s:
        row = s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(raw)))
        assert row is not None and row.scope == "read" and row.last_used_at is None
        assert s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == raw)) is None
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == "rev1"
    r = client.post("/api/v1/account/tokens", json={"name": "x"}, headers=bearer)
    assert r.status_code == 403 and "read-only" in r.text
    with _db(client).write() as s:
        assert s.get(ApiTokenRow, row.id).last_used_at is not None
    # another person cannot revoke it
    c = as_role(client, world, "annotator")
    assert c.post(f"/account/tokens/{row.id}/revoke", headers=_h(world, "annotator")).status_code == 404
    assert c.delete(f"/api/v1/account/tokens/{row.id}", headers=_h(world, "annotator")).status_code == 404
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    # its owner can
    c = as_role(client, world, "reviewer")
    assert c.post(f"/account/tokens/{row.id}/revoke", headers=_h(world, "reviewer")).status_code == 303
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    tokens = as_role(client, world, "reviewer").get("/api/v1/account/tokens").json()
    assert any(t["id"] == row.id and t["revoked"] for t in tokens)
    assert all("token" not in t and "token_hash" not in t for t in tokens)


@pytest.mark.slow  # real data, a few seconds: out of the fast loop
def test_audit_log_records_who_did_what(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    c.post("/admin/users", data={"username": "erin", "password": "erin-password-1"}, headers=_h(world))
    c.patch(f"/api/v1/admin/users/{world.user_ids['victim']}", json={"role": "reviewer"}, headers=_h(world))
    c.post(f"/projects/{world.project_id}/export", data={"fmt": "raw"}, headers=_h(world))
    events = c.get("/api/v1/admin/audit", params={"limit": 50}).json()
    seen = {(e["username"], e["action"], e["target"]) for e in events}
    assert ("admin", "user.create", "erin") in seen
    assert ("admin", "user.role", "victim") in seen
    assert ("admin", "project.export", "proj-p") in seen
    users_only = c.get("/api/v1/admin/audit", params={"action": "user."}).json()
    assert users_only and all(e["action"].startswith("user.") for e in users_only)
    page = c.get("/admin/audit", params={"action": "user."})
    assert page.status_code == 200 and "erin" in page.text
    for e in events:  # no secrets in the log
        assert "erin-password-1" not in str(e) and PASSWORD not in str(e)
