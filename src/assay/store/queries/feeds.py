"""Reading submitted annotations with who made them: pages for programs, whole projects for exports, the
judgments of one pushed record across projects."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.store.tables import AnnotationRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow


def submitted_page(s: Session, project_id: int, after: int, limit: int, user_id: int | None = None
                   ) -> list[tuple[AnnotationRow, str, str]]:
    """(annotation, annotator's username, record's external id) of up to `limit` submitted annotations with
    id > `after`, by id; only `user_id`'s when given."""
    q = (select(AnnotationRow, UserRow.username, RecordRow.external_id)
         .join(UserRow, UserRow.id == AnnotationRow.user_id)
         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted", AnnotationRow.id > after)
         .order_by(AnnotationRow.id).limit(limit))
    if user_id is not None:
        q = q.where(AnnotationRow.user_id == user_id)
    return [(a, name, ext) for a, name, ext in s.execute(q)]


def submitted_by_record(s: Session, project_id: int) -> list[tuple[AnnotationRow, str]]:
    """(annotation, annotator's username) of every submitted annotation, by record then submission time."""
    return [(a, name) for a, name in s.execute(
        select(AnnotationRow, UserRow.username).join(UserRow, UserRow.id == AnnotationRow.user_id)
        .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")
        .order_by(AnnotationRow.record_id, AnnotationRow.submitted_at, AnnotationRow.id))]


def submitted_answers(s: Session, project_id: int) -> list[tuple[int, int, str, dict[str, object] | None]]:
    """(annotation id, record id, annotator's username, answers) of every submitted annotation, by id."""
    return [(aid, rid, name, ans) for aid, rid, name, ans in s.execute(
        select(AnnotationRow.id, AnnotationRow.record_id, UserRow.username, AnnotationRow.answers)
        .join(UserRow, UserRow.id == AnnotationRow.user_id)
        .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")
        .order_by(AnnotationRow.id))]


def submitted_count(s: Session, project_id: int, user_id: int | None = None) -> int:
    """Submitted annotations of the project (only `user_id`'s when given)."""
    q = select(func.count()).select_from(AnnotationRow).where(
        AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")
    if user_id is not None:
        q = q.where(AnnotationRow.user_id == user_id)
    return s.scalar(q) or 0


def of_source(s: Session, source: str) -> list[tuple[AnnotationRow, str, str]]:
    """(annotation, annotator's username, project name) of every annotation, in any project, of records
    whose source is `source`, by id."""
    return [(a, name, project) for a, name, project in s.execute(
        select(AnnotationRow, UserRow.username, ProjectRow.name)
        .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
        .join(UserRow, UserRow.id == AnnotationRow.user_id)
        .join(ProjectRow, ProjectRow.id == RecordRow.project_id)
        .where(RecordRow.source == source).order_by(AnnotationRow.id))]


def records_of_source(s: Session, source: str) -> list[tuple[int, int, str]]:
    """(record id, project id, project name) of every record, in any project, whose source is `source`."""
    return [(rid, pid, name) for rid, pid, name in s.execute(
        select(RecordRow.id, ProjectRow.id, ProjectRow.name).join(ProjectRow, ProjectRow.id == RecordRow.project_id)
        .where(RecordRow.source == source).order_by(RecordRow.id))]


def reviews_of(s: Session, annotation_ids: list[int]) -> list[tuple[ReviewRow, str | None]]:
    """(review, reviewer's username or None) of every review of these annotations, by id."""
    if not annotation_ids:
        return []
    return [(r, who) for r, who in s.execute(
        select(ReviewRow, UserRow.username).outerjoin(UserRow, UserRow.id == ReviewRow.reviewer_id)
        .where(ReviewRow.annotation_id.in_(annotation_ids)).order_by(ReviewRow.id))]
