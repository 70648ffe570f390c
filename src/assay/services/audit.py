"""The audit log: who did what to projects, users, settings, reviews and exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from assay.store.tables import AuditRow


def record_event(s: Session, user_id: int | None, action: str, target: str = "",
                 **detail: Any) -> None:
    """Add an audit entry inside the caller's transaction. Never put secrets in `detail`."""
    s.add(AuditRow(user_id=user_id, action=action, target=target, detail=detail))
