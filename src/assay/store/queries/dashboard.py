"""The lead's dashboard: submission times, per-person totals and review decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.store.tables import AnnotationRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow


def submission_times(s: Session, project_id: int, since: datetime) -> list[datetime | None]:
    """When each annotation submitted at or after `since` was submitted."""
    return [at for (at,) in s.execute(select(AnnotationRow.submitted_at).where(
        AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
        AnnotationRow.submitted_at >= since))]


def submitter_totals(s: Session, project_id: int, user_id: int | None = None
                     ) -> list[tuple[int, str, int, float | None]]:
    """(user id, username, submitted annotations, their active seconds summed) per person who submitted
    (only `user_id` when given)."""
    q = (select(UserRow.id, UserRow.username, func.count(AnnotationRow.id), func.sum(AnnotationRow.active_seconds))
         .join(AnnotationRow, AnnotationRow.user_id == UserRow.id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")
         .group_by(UserRow.id, UserRow.username))
    if user_id is not None:
        q = q.where(UserRow.id == user_id)
    return [(uid, name, int(n), secs) for uid, name, n, secs in s.execute(q)]


def records_submitted_before(s: Session, project_id: int, user_id: int, before: datetime) -> set[int]:
    """Ids of the records the person submitted an annotation of before `before`."""
    return set(s.scalars(select(AnnotationRow.record_id).where(
        AnnotationRow.project_id == project_id, AnnotationRow.user_id == user_id,
        AnnotationRow.status == "submitted", AnnotationRow.submitted_at < before)))


def review_decisions(s: Session, project_id: int) -> list[tuple[str, str, int]]:
    """(annotator's username, decision, how many reviews) over every review in the project."""
    return [(name, decision, int(n)) for name, decision, n in s.execute(
        select(UserRow.username, ReviewRow.decision, func.count())
        .join(AnnotationRow, AnnotationRow.id == ReviewRow.annotation_id)
        .join(UserRow, UserRow.id == AnnotationRow.user_id)
        .where(ReviewRow.project_id == project_id).group_by(UserRow.username, ReviewRow.decision))]


def draft_counts(s: Session, project_id: int) -> dict[str, int]:
    """username → how many draft (started, not submitted) annotations the person has in the project."""
    return {name: int(n) for name, n in s.execute(
        select(UserRow.username, func.count(AnnotationRow.id))
        .join(AnnotationRow, AnnotationRow.user_id == UserRow.id)
        .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "draft")
        .group_by(UserRow.username))}


def gold_answered_since(s: Session, project_id: int, since: datetime
                        ) -> list[tuple[int, int, datetime | None, dict[str, Any] | None, dict[str, Any] | None]]:
    """(record id, user id, submitted at, submitted answers, gold answers) for every annotation of a gold
    record submitted at or after `since`, oldest first."""
    q = (select(AnnotationRow.record_id, AnnotationRow.user_id, AnnotationRow.submitted_at, AnnotationRow.answers,
                RecordRow.gold_answers)
         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                RecordRow.is_gold.is_(True), AnnotationRow.submitted_at >= since)
         .order_by(AnnotationRow.submitted_at, AnnotationRow.id))
    return [(rid, uid, at, ans, ga) for rid, uid, at, ans, ga in s.execute(q)]
