"""API tokens (stored as SHA-256 digests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import ApiTokenRow


def add(s: Session, user_id: int, name: str, token_hash: str, prefix: str, scope: str) -> ApiTokenRow:
    """Insert a token and flush (the row has its id and creation time)."""
    row = ApiTokenRow(user_id=user_id, name=name, token_hash=token_hash, prefix=prefix, scope=scope)
    s.add(row)
    s.flush()
    return row


def of_user(s: Session, user_id: int) -> list[ApiTokenRow]:
    return list(s.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)))


def get(s: Session, token_id: int) -> ApiTokenRow | None:
    return s.get(ApiTokenRow, token_id)


def revoke(s: Session, row: ApiTokenRow, at: datetime) -> None:
    row.revoked_at = at
    s.flush()


def with_owner(conn: Connection, token_hash: str) -> Any:
    """The token joined to its owner (`queue_statements.TOKEN` columns), or None."""
    return conn.execute(Q.TOKEN, {"token_hash": token_hash}).first()


def touch(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(Q.TOUCH_TOKEN, {"tid": token_id, "last_used_at": now})


def revoke_all_of_user(s: Session, user_id: int, at: datetime) -> int:
    """Revoke every live token of the user; returns how many were live."""
    result = s.execute(update(ApiTokenRow).where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked_at.is_(None))
                       .values(revoked_at=at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
