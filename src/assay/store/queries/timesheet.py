"""Active time per annotation, for time reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.store.tables import AnnotationRow, UserRow


def active_rows(s: Session, project_id: int, lo: datetime, hi: datetime, user_id: int | None = None
                ) -> list[tuple[str, float, str, datetime | None, datetime]]:
    """(username, active seconds, status, submitted at, updated at) of every annotation with active time
    last saved (submitted, else updated) in [lo, hi); only `user_id`'s when given."""
    when = func.coalesce(AnnotationRow.submitted_at, AnnotationRow.updated_at)
    q = (select(UserRow.username, AnnotationRow.active_seconds, AnnotationRow.status, AnnotationRow.submitted_at,
                AnnotationRow.updated_at)
         .join(UserRow, UserRow.id == AnnotationRow.user_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.active_seconds > 0, when >= lo, when < hi))
    if user_id is not None:
        q = q.where(AnnotationRow.user_id == user_id)
    return [(n, secs, st, sub, upd) for n, secs, st, sub, upd in s.execute(q)]
