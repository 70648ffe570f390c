"""Browser sessions and failed sign-ins (the throttle's counts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import SessionRow
from assay.store.tables_security import LoginFailureRow


def add(s: Session, sid: str, user_id: int, csrf_token: str, ip: str) -> None:
    """Store a new session under the digest `sid` of its cookie."""
    s.add(SessionRow(id=sid, user_id=user_id, csrf_token=csrf_token, ip=ip))


def get(s: Session, sid: str) -> SessionRow | None:
    return s.get(SessionRow, sid)


def remove(s: Session, row: SessionRow) -> None:
    s.delete(row)


def with_user(conn: Connection, sid: str) -> Any:
    """The session joined to its user (`queue_statements.SESSION` columns), or None."""
    return conn.execute(Q.SESSION, {"sid": sid}).first()


def delete_by_id(conn: Connection, sid: str) -> None:
    conn.execute(delete(SessionRow).where(SessionRow.id == sid))


def touch(conn: Connection, sid: str, now: datetime) -> None:
    conn.execute(Q.TOUCH_SESSION, {"sid": sid, "last_seen_at": now})


def delete_for_user(s: Session, user_id: int) -> int:
    """End every session of the user; returns how many there were."""
    result = s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def failure_times(s: Session, key: str, since: datetime) -> list[datetime]:
    """Times of the failed sign-ins counted against `key` after `since`, oldest first."""
    return list(s.scalars(select(LoginFailureRow.at).where(LoginFailureRow.key == key, LoginFailureRow.at > since)
                          .order_by(LoginFailureRow.at)))


def lock_failure_keys(s: Session, keys: tuple[str, ...]) -> None:
    """Serialise sign-in attempts on these keys until the transaction ends. On SQLite the write transaction
    already holds the one writer lock; on PostgreSQL a transaction-scoped advisory lock per key (taken in a
    fixed order, so two attempts never deadlock) makes count-then-record atomic."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def add_failures(s: Session, keys: tuple[str, ...], at: datetime, forget_before: datetime) -> list[int]:
    """Count one failure against each key, and forget every failure older than `forget_before`. Returns
    the new rows' ids (so an attempt that then succeeds can be taken back)."""
    s.execute(delete(LoginFailureRow).where(LoginFailureRow.at < forget_before))
    rows = [LoginFailureRow(key=key, at=at) for key in keys]
    s.add_all(rows)
    s.flush()
    return [r.id for r in rows]


def remove_failures(s: Session, ids: list[int]) -> None:
    """Take back the failures with these ids (an attempt that turned out to be a good sign-in)."""
    if ids:
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.id.in_(ids)))


def clear_failures(s: Session, key: str) -> None:
    s.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key))
