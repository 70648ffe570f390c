"""Sessions through HTTP: sign-in, cookie flags, fixation, expiry, logout, CSRF, throttling, no secrets in logs."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assay.services.accounts.passwords import token_digest
from assay.store.tables import SessionRow
from assay.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.security.world import PASSWORD, World


def _login_csrf(client: TestClient) -> str:
    r = client.get("/login")
    assert r.status_code == 200
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m and client.cookies.get(LOGIN_CSRF_COOKIE) == m.group(1)
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> object:
    token = _login_csrf(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/projects"})


def _db(app):  # type: ignore[no-untyped-def]
    return app.state.ctx.db


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    r = sign_in(client, "ann1")
    assert r.status_code == 303 and r.headers["location"] == "/projects"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # secure_cookies is off on plain-HTTP localhost
    raw = client.cookies.get(SESSION_COOKIE)
    with _db(app).write() as s:
        assert s.get(SessionRow, raw) is None  # never the raw value
        assert s.get(SessionRow, token_digest(raw)) is not None
    assert client.get("/projects").status_code == 200


def test_secure_flag_when_configured(world: World) -> None:
    from assay.store.db import open_db
    from assay.web.app import create_app
    from tests.security.world import settings_for

    settings = settings_for(world.path).model_copy(update={"secure_cookies": True})
    db = open_db(settings, migrate=False)
    try:
        with TestClient(create_app(settings, db), base_url="https://testserver", follow_redirects=False) as c:
            assert "Secure" in c.get("/login").headers["set-cookie"]
            r = sign_in(c, "ann1")
            cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
            assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        db.close()


@pytest.mark.slow
def test_session_fixation_a_planted_cookie_is_replaced_and_ended(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    planted = world.sessions["annotator"]  # an attacker's session, planted in the victim's browser
    client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    r = sign_in(client, "ann2")
    assert r.status_code == 303
    new = client.cookies.get(SESSION_COOKIE)
    assert new and new != planted
    with _db(app).write() as s:
        assert s.get(SessionRow, token_digest(planted)) is None  # the pre-login session ended
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, planted)
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_the_form_cookie_is_refused(client: TestClient) -> None:
    r = client.post("/login", data={"username": "ann1", "password": PASSWORD, "csrf_token": "guess"})
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")


@pytest.mark.slow
def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    a = sign_in(client, "ann1", "wrong-password")
    b = sign_in(client, "nobody-here", "wrong-password")
    assert a.status_code == b.status_code == 401
    assert "wrong username or password" in a.text and "wrong username or password" in b.text


def test_logout_ends_the_session_on_the_server(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    token = world.sessions["annotator"]
    client.cookies.set(SESSION_COOKIE, token)
    # the form field (not the header) carries the CSRF token here, as the sign-out button does
    r = client.post("/logout", data={"csrf_token": world.csrf["annotator"]})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with _db(app).write() as s:
        assert s.get(SessionRow, token_digest(token)) is None
    client.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie does not work
    assert client.get("/api/v1/me").status_code == 401


def test_logout_without_csrf_is_refused(client: TestClient, world: World) -> None:
    client.cookies.set(SESSION_COOKIE, world.sessions["annotator"])
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still signed in


@pytest.mark.parametrize("column,age", [("last_seen_at", timedelta(minutes=121)),
                                        ("created_at", timedelta(hours=25))])
@pytest.mark.slow
def test_idle_and_absolute_expiry(client: TestClient, world: World, app, column: str, age: timedelta) -> None:  # type: ignore[no-untyped-def]
    """Move the clock by editing the session row: past the idle limit (120 min) or the absolute one (24 h)."""
    token = world.sessions["annotator"]
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/api/v1/me").status_code == 200
    old = datetime.now(UTC) - age
    with _db(app).write() as s:
        s.execute(update(SessionRow).where(SessionRow.id == token_digest(token)).values({column: old}))
    assert client.get("/api/v1/me").status_code == 401
    r = client.get("/projects")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with _db(app).write() as s:
        assert s.get(SessionRow, token_digest(token)) is None  # the expired row is gone


def test_an_active_session_is_kept_alive(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    token = world.sessions["annotator"]
    client.cookies.set(SESSION_COOKIE, token)
    with _db(app).write() as s:  # 119 minutes idle: still fine, and the request renews it
        s.execute(update(SessionRow).where(SessionRow.id == token_digest(token)).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=119)))
    assert client.get("/api/v1/me").status_code == 200
    with _db(app).write() as s:
        seen = s.get(SessionRow, token_digest(token)).last_seen_at
        seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
        assert datetime.now(UTC) - seen < timedelta(minutes=1)


@pytest.mark.slow
def test_throttling_per_account(app) -> None:  # type: ignore[no-untyped-def]
    """Five failures from five different addresses lock the account (even with the right password),
    while another account from a fresh address signs in."""
    for i in range(5):
        with TestClient(app, follow_redirects=False, client=(f"10.0.0.{i}", 5000)) as c:
            assert sign_in(c, "ann1", "wrong-password").status_code == 401
    with TestClient(app, follow_redirects=False, client=("10.0.1.1", 5000)) as c:
        r = sign_in(c, "ann1")
        assert r.status_code == 403 and "too many failed sign-ins" in r.text
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
        assert sign_in(c, "ann2").status_code == 303


def test_throttling_per_address_across_accounts(app) -> None:  # type: ignore[no-untyped-def]
    """Failures spread over many account names from one address lock that address (not the accounts),
    at the address's own limit (100 by default; 6 here)."""
    app.state.ctx.throttle.max_address_failures = 6
    with TestClient(app, follow_redirects=False, client=("10.9.9.9", 5000)) as c:
        for i in range(6):
            assert sign_in(c, f"guess{i}", "wrong-password").status_code == 401
        r = sign_in(c, "ann1")
        assert r.status_code == 403 and "too many failed sign-ins" in r.text
    with TestClient(app, follow_redirects=False, client=("10.9.9.10", 5000)) as c:
        assert sign_in(c, "ann1").status_code == 303


@pytest.mark.slow
def test_throttle_is_shared_by_every_process(world: World, app) -> None:  # type: ignore[no-untyped-def]
    """Two app instances (two worker processes) over one database see the same failure counts."""
    from assay.store.db import open_db
    from assay.web.app import create_app
    from tests.security.world import settings_for

    db2 = open_db(settings_for(world.path), migrate=False)
    try:
        c1 = TestClient(app, follow_redirects=False)
        c2 = TestClient(create_app(settings_for(world.path), db2), follow_redirects=False)
        for i in range(5):
            assert sign_in(c1 if i % 2 else c2, "rev1", "wrong-password").status_code == 401
        assert sign_in(c2, "rev1").status_code == 403
        assert sign_in(c1, "rev1").status_code == 403
    finally:
        db2.close()


def test_throttle_window_passes(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    from assay.store.tables_security import LoginFailureRow

    for _ in range(5):
        sign_in(client, "ann1", "wrong-password")
    assert sign_in(client, "ann1").status_code == 403
    with _db(app).write() as s:  # the window (300 s) passes
        s.execute(update(LoginFailureRow).values(at=datetime.now(UTC) - timedelta(seconds=301)))
    assert sign_in(client, "ann1").status_code == 303


def test_no_secret_is_ever_logged(client: TestClient, world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record during sign-in (good and bad), token use, token creation and password
    change; none contains a password, a session cookie, a CSRF token or an API token."""
    caplog.set_level(logging.DEBUG)
    sign_in(client, "ann1", "wrong-password-xyz")
    r = sign_in(client, "ann1")
    session = client.cookies.get(SESSION_COOKIE)
    me = client.get("/account")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', me.text).group(1)  # type: ignore[union-attr]
    made = client.post("/api/v1/account/tokens", json={"name": "cli", "scope": "write"},
                       headers={"X-CSRF-Token": csrf})
    token = made.json()["token"]
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer assay_wrong-token-abc"}).status_code == 401
    client.cookies.set(SESSION_COOKIE, session)
    client.post("/account/password", data={"old_password": PASSWORD, "new_password": "another-pass-123",
                                           "confirm": "another-pass-123", "csrf_token": csrf})
    assert r.status_code == 303
    logged = "\n".join(f"{rec.name} {rec.getMessage()} {rec.args!r} {rec.__dict__}" for rec in caplog.records)
    for secret in (PASSWORD, "wrong-password-xyz", "another-pass-123", session, csrf, token,
                   "assay_wrong-token-abc"):
        assert secret and secret not in logged, f"a secret reached the logs: {secret[:6]}…"


@pytest.mark.parametrize("target,expected", [("/projects/1", "/projects/1"), ("//evil.example/x", "/"),
                                             ("/\\evil.example", "/"), ("https://evil.example", "/"),
                                             ("/ok\r\nSet-Cookie: x=1", "/")])
@pytest.mark.slow
def test_sign_in_redirects_only_within_the_site(client: TestClient, target: str, expected: str) -> None:
    token = _login_csrf(client)
    r = client.post("/login", data={"username": "ann1", "password": PASSWORD, "csrf_token": token, "next": target})
    assert r.status_code == 303 and r.headers["location"] == expected
