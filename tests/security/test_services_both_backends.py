"""The account services on SQLite and PostgreSQL (the `db` fixture runs both): shared throttle counts,
single-use invites, session expiry and rotation, token revocation, the audit listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from assay.errors import Conflict, Forbidden, NotFound, Unauthenticated
from assay.services.accounts import auth, invites, users
from assay.services.accounts.audit import list_events
from assay.services.accounts.passwords import token_digest
from assay.store.tables import SessionRow
from assay.store.tables_security import InviteRow


def test_throttle_invites_sessions_tokens(db) -> None:  # type: ignore[no-untyped-def]
    admin = users.add_user(db, "boss", "boss-password-1", "admin")
    throttle = auth.LoginThrottle(max_failures=2, window_seconds=300, max_address_failures=3)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login(db, "boss", "wrong-password", "10.0.0.1", throttle)
    with pytest.raises(Forbidden):
        auth.login(db, "boss", "boss-password-1", "10.0.0.2", throttle)  # the account is locked
    with pytest.raises(Unauthenticated):  # the address has its own, higher limit
        auth.login(db, "someone", "x" * 9, "10.0.0.1", throttle)
    with pytest.raises(Forbidden):
        auth.login(db, "someone-else", "x" * 9, "10.0.0.1", throttle)  # now the address is at it
    ok = auth.login(db, "boss", "boss-password-1", "10.0.0.3")  # no throttle: the password is right
    assert auth.resolve_session(db, ok.session_token).user.id == admin.id
    with db.write() as s:
        s.execute(update(SessionRow).where(SessionRow.id == token_digest(ok.session_token))
                  .values(created_at=datetime.now(UTC) - timedelta(hours=25)))
    with pytest.raises(Unauthenticated):
        auth.resolve_session(db, ok.session_token)
    with pytest.raises(Unauthenticated):  # and the row is gone
        auth.resolve_session(db, ok.session_token)

    raw, inv = invites.create_invite(db, "reviewer", admin.id, hours=1)
    u = invites.accept_invite(db, raw, "rita", "rita-password-1")
    assert u.role.value == "reviewer"
    with pytest.raises(NotFound):
        invites.accept_invite(db, raw, "rita2", "rita-password-1")
    raw2, inv2 = invites.create_invite(db, "annotator", admin.id, hours=1)
    with db.write() as s:
        s.execute(update(InviteRow).where(InviteRow.id == inv2.id)
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(NotFound):
        invites.check_invite(db, raw2)
    with pytest.raises(Conflict):
        invites.accept_invite(db, invites.create_invite(db, "annotator", admin.id)[0], "rita", "rita-password-1")

    tok, t = auth.create_api_token(db, u.id, "sdk", "read")
    assert auth.resolve_api_token(db, tok).scope == "read"
    with pytest.raises(NotFound):
        auth.revoke_api_token(db, admin.id, t.id)  # not the owner
    auth.revoke_api_token(db, u.id, t.id)
    with pytest.raises(Unauthenticated):
        auth.resolve_api_token(db, tok)

    with pytest.raises(Conflict):
        users.set_active(db, admin.id, False)  # the last admin
    actions = [e.action for e in list_events(db, 100)]
    assert {"user.create", "invite.create", "invite.accept", "token.create", "token.revoke",
            "session.login", "session.login_failed"} <= set(actions)
    auth.logout(db, auth.login(db, "rita", "rita-password-1").session_token)
    assert list_events(db, 1)[0].action == "session.logout"
    assert all(e.action.startswith("invite.") for e in list_events(db, 100, action="invite."))
