"""Finding 8 of issue 18: the sign-in throttle could be raced (20 concurrent wrong passwords got 15 real
password checks against a limit of 5) and its per-address lock refused correct sign-ins to other accounts
from the same address. Now count-and-record is one write transaction before the hash is checked (both
back ends), accounts and addresses have separate limits, and X-Forwarded-For counts only from a
configured trusted proxy."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assay.errors import Forbidden, Unauthenticated
from assay.services.accounts import auth, users
from assay.store.tables_security import LoginFailureRow
from tests.security.test_sessions import sign_in
from tests.security.world import World, settings_for


def test_concurrent_wrong_passwords_get_at_most_the_limit_of_real_checks(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    users.add_user(db, "target", "target-password-1", "annotator")
    throttle = auth.LoginThrottle(max_failures=5, window_seconds=300)
    checks = 0
    lock = threading.Lock()
    real_verify = auth.verify_password

    def counting_verify(password_hash: str | None, password: str) -> bool:
        nonlocal checks
        with lock:
            checks += 1
        time.sleep(0.05)  # a production argon2 check costs 0.3-0.6 s; keep the race window open
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    start = threading.Barrier(20)

    def attempt(i: int) -> str:
        start.wait()
        try:
            auth.login(db, "target", f"wrong-password-{i}", f"10.20.0.{i}", throttle)
        except Unauthenticated:
            return "checked"
        except Forbidden:
            return "throttled"
        return "signed in"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert checks <= 5, f"{checks} real password checks against a limit of 5"
    assert outcomes.count("checked") == checks and outcomes.count("throttled") == 20 - checks
    with pytest.raises(Forbidden):  # the account stays throttled, even for the right password
        auth.login(db, "target", "target-password-1", "10.20.1.1", throttle)


def test_a_locked_account_does_not_lock_others_at_the_same_address(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False, client=("10.30.0.1", 5000)) as c:
        for _ in range(5):
            assert sign_in(c, "ann1", "wrong-password").status_code == 401
        r = sign_in(c, "ann1")
        assert r.status_code == 403 and "too many failed sign-ins" in r.text
        assert sign_in(c, "ann2").status_code == 303  # another person behind the same address


@pytest.mark.slow
def test_the_address_limit_is_separate_and_higher(app) -> None:  # type: ignore[no-untyped-def]
    throttle = app.state.ctx.throttle
    assert throttle.max_address_failures >= 10 * throttle.max_failures
    throttle.max_address_failures = 8  # a small limit for the test; the default is 100
    with TestClient(app, follow_redirects=False, client=("10.31.0.1", 5000)) as c:
        for i in range(8):  # eight accounts, one failure each: no account is near its limit
            assert sign_in(c, f"guess{i}", "wrong-password").status_code == 401
        r = sign_in(c, "ann1")
        assert r.status_code == 403 and "too many failed sign-ins" in r.text


def _address_keys(app) -> set[str]:  # type: ignore[no-untyped-def]
    with app.state.ctx.db.read() as s:
        return {k for k in s.scalars(select(LoginFailureRow.key)) if k.startswith("ip:")}


def test_forwarded_for_counts_only_from_a_trusted_proxy(world: World) -> None:
    from assay.store.db import open_db
    from assay.web.app import create_app

    settings = settings_for(world.path).model_copy(update={"trusted_proxies": "10.40.0.0/24, 10.41.0.7"})
    db = open_db(settings, migrate=False)
    try:
        app = create_app(settings, db)
        with TestClient(app, follow_redirects=False, client=("10.40.0.9", 5000)) as c:  # a trusted proxy
            token = c.get("/login").cookies.get("assay_login_csrf")
            r = c.post("/login", data={"username": "ann1", "password": "wrong-1", "csrf_token": token},
                       headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.41.0.7"})
            assert r.status_code == 401
        assert _address_keys(app) == {"ip:198.51.100.7"}  # the client the proxies saw, not the forged 6.6.6.6
        with TestClient(app, follow_redirects=False, client=("192.0.2.50", 5000)) as c:  # not a proxy
            token = c.get("/login").cookies.get("assay_login_csrf")
            r = c.post("/login", data={"username": "ann1", "password": "wrong-2", "csrf_token": token},
                       headers={"X-Forwarded-For": "203.0.113.1"})
            assert r.status_code == 401
        assert _address_keys(app) == {"ip:198.51.100.7", "ip:192.0.2.50"}  # the header was ignored
    finally:
        db.close()
