"""The audit log: who did what to projects, users, settings, reviews and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables import AuditRow, UserRow

if TYPE_CHECKING:
    from assay.store.db import Db


def record_event(s: Session, user_id: int | None, action: str, target: str = "",
                 **detail: Any) -> None:
    """Add an audit entry inside the caller's transaction. Never put secrets in `detail`."""
    s.add(AuditRow(user_id=user_id, action=action, target=target, detail=detail))


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    username: str  # "" for the system (CLI without an actor)
    action: str
    target: str
    detail: dict[str, Any]


def list_events(db: Db, limit: int = 100, before_id: int | None = None, action: str = "",
                username: str = "") -> list[AuditEvent]:
    """Newest first. `action` filters by prefix ("user." for every user event), `username` by actor;
    `before_id` pages backwards. `limit` is clamped to 1..1000."""
    limit = max(1, min(limit, 1000))
    with db.transaction() as s:
        q = (select(AuditRow, UserRow.username).outerjoin(UserRow, UserRow.id == AuditRow.user_id)
             .order_by(AuditRow.id.desc()).limit(limit))
        if before_id is not None:
            q = q.where(AuditRow.id < before_id)
        if action:
            q = q.where(AuditRow.action.startswith(action, autoescape=True))
        if username:
            q = q.where(UserRow.username == username)
        return [AuditEvent(id=r.id, at=r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                           username=name or "", action=r.action, target=r.target, detail=dict(r.detail or {}))
                for r, name in s.execute(q)]
