"""The audit log: add an entry, read entries newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables import AuditRow, UserRow


def add(s: Session, user_id: int | None, action: str, target: str, detail: dict[str, Any]) -> None:
    """Add one entry inside the caller's transaction."""
    s.add(AuditRow(user_id=user_id, action=action, target=target, detail=detail))


def newest(s: Session, limit: int, before_id: int | None = None, action_prefix: str = "",
           username: str = "") -> list[tuple[AuditRow, str | None]]:
    """(entry, actor's username or None for the system), newest first: at most `limit`, ids below
    `before_id` when given, actions starting with `action_prefix`, by `username` when given."""
    q = (select(AuditRow, UserRow.username).outerjoin(UserRow, UserRow.id == AuditRow.user_id)
         .order_by(AuditRow.id.desc()).limit(limit))
    if before_id is not None:
        q = q.where(AuditRow.id < before_id)
    if action_prefix:
        q = q.where(AuditRow.action.startswith(action_prefix, autoescape=True))
    if username:
        q = q.where(UserRow.username == username)
    return [(r, name) for r, name in s.execute(q)]


def details_of(s: Session, action: str, target: str) -> list[dict[str, Any]]:
    """The `detail` of every entry with this action and target, oldest first."""
    return [dict(d or {}) for d in s.scalars(select(AuditRow.detail).where(AuditRow.action == action,
                                                                          AuditRow.target == target)
                                             .order_by(AuditRow.id))]
