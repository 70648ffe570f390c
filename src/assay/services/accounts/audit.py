"""The audit log: who did what to projects, users, settings, reviews and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.store.db import Db, Tx
from assay.store.queries import audit as audit_q


def record_event(s: Tx, user_id: int | None, action: str, target: str = "",
                 **detail: Any) -> None:
    """Add an audit entry inside the caller's transaction. Never put secrets in `detail`."""
    audit_q.add(s, user_id, action, target, detail)


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
    with db.read() as s:
        return [AuditEvent(id=r.id, at=r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                           username=name or "", action=r.action, target=r.target, detail=dict(r.detail or {}))
                for r, name in audit_q.newest(s, limit, before_id, action, username)]
