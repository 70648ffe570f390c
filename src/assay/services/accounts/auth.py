"""Sign-in, server-side sessions and API tokens.

Sessions: the cookie holds a random token; the database keeps only its SHA-256, the CSRF token, the
creation time (absolute expiry) and the last request time (idle expiry). API tokens are shown once and
stored hashed, with a scope (read | write) and a last-used time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.users import Role, User
from assay.errors import Forbidden, Invalid, NotFound, Unauthenticated
from assay.services.accounts.audit import record_event
from assay.services.accounts.passwords import new_token, token_digest, verify_password
from assay.store.db import Db, Tx
from assay.store.mappers import user_from_row
from assay.store.queries import sessions as sessions_q
from assay.store.queries import tokens as tokens_q
from assay.store.queries import users as users_q
from assay.store.tables import ApiTokenRow

TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Signin:
    user: User
    session_token: str
    csrf_token: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, how (session or token), the CSRF token for sessions, token scope."""

    user: User
    via: str  # "session" | "token"
    csrf_token: str = ""
    scope: str = "write"


class LoginThrottle:
    """Counts sign-in attempts per account and per address over a sliding window, with a limit for each.

    The counts live in the database (`login_failures`), so every worker process of a deployment shares
    them. `begin` is atomic: in one write transaction it counts the account's and the address's failures
    and, unless either is at its limit (Forbidden), records this attempt as a failure *before* the password
    is checked — so N concurrent guesses get at most `max_failures` real password checks. A good sign-in
    takes its own attempt back and clears the account's count (not the address's).

    The address limit (`max_address_failures`) is much higher than the account one: many people may sign
    in from one address (an office, a reverse proxy), and one person's typos must not lock out the rest.
    An attempt without an address (the CLI, a test) is counted against the account only.
    """

    def __init__(self, max_failures: int, window_seconds: int, max_address_failures: int | None = None) -> None:
        self.max_failures, self.window = max_failures, window_seconds
        self.max_address_failures = max_address_failures if max_address_failures is not None else 20 * max_failures

    @staticmethod
    def keys(username: str, ip: str) -> tuple[str, str]:
        return f"u:{username.strip().lower()[:190]}", f"ip:{ip[:64]}"

    def _limits(self, username: str, ip: str) -> list[tuple[str, int]]:
        account, address = self.keys(username, ip)
        return [(account, self.max_failures)] + ([(address, self.max_address_failures)] if ip else [])

    def begin(self, db: Db, username: str, ip: str) -> list[int]:
        """Count and record one attempt atomically. Raises Forbidden (with the wait in seconds) when the
        account or the address is at its limit (then nothing is recorded). Returns the recorded rows, for
        `succeeded`."""
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self.window)
        limits = self._limits(username, ip)
        with db.write() as s:
            sessions_q.lock_failure_keys(s, tuple(k for k, _ in limits))
            for key, limit in limits:
                times = sessions_q.failure_times(s, key, since)
                if len(times) >= limit:
                    oldest = _aware(times[-limit])
                    wait = int(self.window - (now - oldest).total_seconds()) + 1
                    raise Forbidden(f"too many failed sign-ins; try again in {max(wait, 1)} seconds")
            return sessions_q.add_failures(s, tuple(k for k, _ in limits), now, since)

    def succeeded(self, s: Tx, username: str, attempt: list[int]) -> None:
        """Inside the sign-in's transaction: take the attempt back and clear the account's failures."""
        sessions_q.remove_failures(s, attempt)
        sessions_q.clear_failures(s, self.keys(username, "")[0])


def login(db: Db, username: str, password: str, ip: str = "", throttle: LoginThrottle | None = None) -> Signin:
    """Check the password and open a new session. Raises Unauthenticated (same message for a wrong name
    or password, or a deactivated account), Forbidden when the account or address is throttled (checked
    and recorded before the password is, see `LoginThrottle.begin`). The password hash is checked outside
    any transaction (argon2 is slow; the SQLite writer lock is never held for it). The password is never
    logged or stored; the audit entry names the account and address only."""
    attempt = throttle.begin(db, username, ip) if throttle else []
    with db.read() as s:
        row = users_q.by_name(s, username)
        stored = row.password_hash if row else None
    ok = verify_password(stored, password)
    signin: Signin | None = None
    if ok and row is not None:
        with db.write() as s:
            fresh = users_q.by_id(s, row.id)
            # the account may have been deactivated or its password changed while the hash was checked
            if fresh is not None and fresh.is_active and fresh.password_hash == stored:
                token, csrf = new_token(), new_token(24)
                sessions_q.add(s, token_digest(token), fresh.id, csrf, ip[:64])
                record_event(s, fresh.id, "session.login", fresh.username, ip=ip)
                if throttle:
                    throttle.succeeded(s, username, attempt)
                signin = Signin(user=user_from_row(fresh), session_token=token, csrf_token=csrf)
    if signin is None:
        with db.write() as s:  # the name as typed (never the password) and the address
            record_event(s, None, "session.login_failed", username[:80], ip=ip[:64])
        raise Unauthenticated("wrong username or password (or the account is deactivated)")
    return signin


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def resolve_session(db: Db, token: str) -> Principal:
    """The principal behind a session cookie. Raises Unauthenticated if unknown, idle, too old or its
    user is deactivated; an expired session row is deleted (committed before the error is raised).
    One query (session joined to its user) in a read-only transaction; a write transaction only to delete
    an ended session or to write `last_seen_at`, at most once a minute."""
    now = datetime.now(UTC)
    st = db.settings
    sid = token_digest(token)
    with db.read_connection() as conn:
        found = sessions_q.with_user(conn, sid)
    if found is None:
        raise Unauthenticated("your session has ended; sign in again")
    idle = now - _aware(found.last_seen_at) > timedelta(minutes=st.session_idle_minutes)
    old = now - _aware(found.created_at) > timedelta(hours=st.session_absolute_hours)
    if idle or old or found.user_id is None or not found.is_active:
        with db.write_connection() as conn:
            sessions_q.delete_by_id(conn, sid)
        raise Unauthenticated("your session has expired; sign in again")
    if now - _aware(found.last_seen_at) > TOUCH_EVERY:
        with db.write_connection() as conn:
            sessions_q.touch(conn, sid, now)
    return Principal(user=_user(found), via="session", csrf_token=found.csrf_token)


def logout(db: Db, token: str) -> None:
    """End the session on the server (idempotent; audited when a session ended)."""
    with db.write() as s:
        row = sessions_q.get(s, token_digest(token))
        if row is not None:
            record_event(s, row.user_id, "session.logout", "")
            sessions_q.remove(s, row)


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def create_api_token(db: Db, user_id: int, name: str, scope: str = "write") -> tuple[str, ApiToken]:
    """Mint a token for its owner. Returns (the token, shown once; its public record)."""
    if scope not in ("read", "write"):
        raise Invalid("scope must be 'read' or 'write'")
    raw = "assay_" + new_token()
    with db.write() as s:
        row = tokens_q.add(s, user_id, name, token_digest(raw), raw[:12], scope)
        record_event(s, user_id, "token.create", name, scope=scope, prefix=row.prefix)
        return raw, _token(row)


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(id=row.id, name=row.name, prefix=row.prefix, scope=row.scope, created_at=row.created_at,
                    last_used_at=row.last_used_at, revoked=row.revoked_at is not None)


def list_api_tokens(db: Db, user_id: int) -> list[ApiToken]:
    with db.read() as s:
        return [_token(r) for r in tokens_q.of_user(s, user_id)]


def revoke_api_token(db: Db, user_id: int, token_id: int) -> None:
    """Revoke one of the caller's own tokens. Raises NotFound for someone else's."""
    with db.write() as s:
        row = tokens_q.get(s, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"you have no token with id {token_id}")
        tokens_q.revoke(s, row, datetime.now(UTC))
        record_event(s, user_id, "token.revoke", row.name, prefix=row.prefix)


def resolve_api_token(db: Db, raw: str) -> Principal:
    """The principal behind `Authorization: Bearer <token>`. Raises Unauthenticated.

    One indexed query (token hash, joined to its owner; a prebuilt Core statement) in a read-only
    transaction; `last_used_at` is written at most once a minute, in a write transaction of its own."""
    now = datetime.now(UTC)
    with db.read_connection() as conn:
        found = tokens_q.with_owner(conn, token_digest(raw))
    if found is None or found.revoked_at is not None:
        raise Unauthenticated("unknown or revoked API token; create one with `assay tokens create`")
    if found.user_id is None or not found.is_active:
        raise Unauthenticated("the token's owner is deactivated")
    if found.last_used_at is None or now - _aware(found.last_used_at) > TOUCH_EVERY:
        with db.write_connection() as conn:
            tokens_q.touch(conn, found.id, now)
    return Principal(user=_user(found), via="token", scope=found.scope)


def _user(row: Any) -> User:
    """The user from a row with `queue_statements.USER_COLUMNS`."""
    return User(id=row.user_id, username=row.username, role=Role(row.role), display_name=row.display_name,
                is_active=row.is_active)
