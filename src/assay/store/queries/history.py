"""Queries on the edit history of annotations (one revision row per accepted submit).

Every function takes the caller's session (or connection) and never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import AnnotationRow, RecordRow, UserRow
from assay.store.tables_workspace import AnnotationRevisionRow


def seen_on(s: Session | Connection, user_id: int, submission_id: str) -> int | None:
    """The record this person's submit with this client-made id was recorded on, or None."""
    return s.scalar(Q.SEEN_SUBMISSION, {"user_id": user_id, "submission_id": submission_id})


def add_revision(s: Session | Connection, *, annotation_id: int, first: bool, project_id: int, record_id: int,
                 user_id: int, revision: int, answers: dict[str, Any], active_seconds: float,
                 submission_id: str | None, at: datetime) -> None:
    """Append the next revision row of the annotation (number 1 when `first`: the annotation is new)."""
    last = 0 if first else s.scalar(Q.LAST_REVISION, {"annotation_id": annotation_id}) or 0
    s.execute(Q.NEW_REVISION, {"annotation_id": annotation_id, "project_id": project_id, "record_id": record_id,
                               "user_id": user_id, "number": last + 1, "annotation_revision": revision,
                               "answers": answers, "active_seconds": active_seconds,
                               "submission_id": submission_id, "created_at": at})


def revisions(s: Session, record_id: int, user_id: int) -> list[tuple[AnnotationRevisionRow, str]]:
    """(revision, author's username) of one person's submits on one record, oldest first."""
    rows = s.execute(select(AnnotationRevisionRow, UserRow.username)
                     .join(UserRow, UserRow.id == AnnotationRevisionRow.user_id)
                     .where(AnnotationRevisionRow.record_id == record_id, AnnotationRevisionRow.user_id == user_id)
                     .order_by(AnnotationRevisionRow.number))
    return [(r, name) for r, name in rows]


def recently_submitted(s: Session, project_id: int, user_id: int,
                       limit: int) -> list[tuple[AnnotationRow, str, int, datetime]]:
    """(annotation, record external id, revision count, last submit time) of the person's annotations in the
    project submitted at least once, most recently submitted first, at most `limit`."""
    agg = (select(AnnotationRevisionRow.annotation_id, func.count().label("n"),
                  func.max(AnnotationRevisionRow.created_at).label("last"))
           .where(AnnotationRevisionRow.project_id == project_id, AnnotationRevisionRow.user_id == user_id)
           .group_by(AnnotationRevisionRow.annotation_id).subquery())
    rows = s.execute(select(AnnotationRow, RecordRow.external_id, agg.c.n, agg.c.last)
                     .join(agg, agg.c.annotation_id == AnnotationRow.id)
                     .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
                     .order_by(agg.c.last.desc(), AnnotationRow.id.desc()).limit(limit)).all()
    return [(a, ext, int(n), last) for a, ext, n, last in rows]
