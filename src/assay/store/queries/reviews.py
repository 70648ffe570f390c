"""Queries on reviews: what waits for review, the review that applies to a revision, the decisions made.

Every function takes the caller's session (or connection) and never commits. What a rejection does to the
record's slots is `assay.store.slots.reject`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import AnnotationRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow


def current(s: Session, annotation_id: int, revision: int) -> ReviewRow | None:
    """The latest review of this revision of the annotation, or None."""
    return s.scalar(select(ReviewRow).where(ReviewRow.annotation_id == annotation_id, ReviewRow.revision == revision)
                    .order_by(ReviewRow.id.desc()).limit(1))


def decision_of_revision(s: Session | Connection, annotation_id: int, revision: int | None) -> str | None:
    """The decision of the latest review of this revision (prebuilt statement; the submit's hot path); None
    for an annotation of a gold record (its review is for leads only and never locks the trainer's work)."""
    return s.scalar(Q.REVIEW_OF_REVISION, {"annotation_id": annotation_id, "revision": revision})


def latest_comment(s: Session, annotation_id: int, *, action: str | None = None) -> str:
    """The comment of the annotation's latest review (of that `action`, e.g. 'returned'), or ""."""
    q = select(ReviewRow.comment).where(ReviewRow.annotation_id == annotation_id)
    if action is not None:
        q = q.where(ReviewRow.action == action)
    return s.scalar(q.order_by(ReviewRow.id.desc()).limit(1)) or ""


def unreviewed(s: Session, project_id: int, reviewer_id: int, *, gold: bool = False
               ) -> list[tuple[int, int, str]]:
    """(annotation id, record id, author's username) of the project's submitted annotations that no review
    applies to at their current revision, oldest submission first; never the reviewer's own; never on gold
    records (only on gold records with `gold=True`). Ids only: the review queue loads the one it shows."""
    reviewed = select(ReviewRow.id).where(ReviewRow.annotation_id == AnnotationRow.id,
                                          ReviewRow.revision == AnnotationRow.revision).exists()
    rows = s.execute(
        select(AnnotationRow.id, AnnotationRow.record_id, UserRow.username)
        .join(UserRow, UserRow.id == AnnotationRow.user_id)
        .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
        .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
               AnnotationRow.user_id != reviewer_id, RecordRow.is_gold.is_(gold), ~reviewed)
        .order_by(AnnotationRow.submitted_at, AnnotationRow.id)).all()
    return [(aid, rid, name) for aid, rid, name in rows]


def answers_to(s: Session, record_ids: list[int], names: list[str], chunk: int = 500
               ) -> dict[int, list[tuple[Any, ...]]]:
    """record id → for each submitted annotation, its answers to the questions `names` (a tuple in that
    order, None where unanswered), extracted in the database so long answers to other questions are never
    read; records without any submitted annotation are left out."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    if not names:
        return out
    cols = [AnnotationRow.answers[n] for n in names]
    for i in range(0, len(record_ids), chunk):
        for rid, *values in s.execute(select(AnnotationRow.record_id, *cols).where(
                AnnotationRow.record_id.in_(record_ids[i:i + chunk]), AnnotationRow.status == "submitted")):
            out.setdefault(rid, []).append(tuple(values))
    return out


def gold_submissions(s: Session, project_id: int, names: list[str]
                     ) -> list[tuple[int, dict[str, Any], dict[str, Any] | None]]:
    """(annotation id, {question: submitted answer}, the record's gold answers) of every submitted annotation
    of a gold record in the project, with only the questions `names` of the submitted answers (the review
    queue's gold-failure view scores them)."""
    if not names:
        return []
    cols = [AnnotationRow.answers[n] for n in names]
    q = (select(AnnotationRow.id, RecordRow.gold_answers, *cols)
         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                RecordRow.is_gold.is_(True)))
    return [(aid, {n: v for n, v in zip(names, values) if v is not None}, gold)
            for aid, gold, *values in s.execute(q)]


def add(s: Session, *, project_id: int, annotation_id: int, revision: int, reviewer_id: int, decision: str,
        comment: str, action: str, at: datetime) -> None:
    s.add(ReviewRow(project_id=project_id, annotation_id=annotation_id, revision=revision, reviewer_id=reviewer_id,
                    decision=decision, comment=comment, action=action, created_at=at))


def states(s: Session, project_id: int) -> dict[int, str]:
    """annotation id → the decision of the latest review of its current revision (reviewed ones only)."""
    out: dict[int, str] = {}
    rows = s.execute(select(ReviewRow.annotation_id, ReviewRow.revision, ReviewRow.decision, AnnotationRow.revision)
                     .join(AnnotationRow, AnnotationRow.id == ReviewRow.annotation_id)
                     .where(ReviewRow.project_id == project_id).order_by(ReviewRow.id))
    for aid, rev, decision, now_at in rows:
        if rev == now_at:
            out[aid] = decision
    return out


def latest(s: Session, project_id: int, limit: int) -> list[tuple[ReviewRow, str]]:
    """The project's latest reviews with the reviewer's username ("" when gone), newest first."""
    rows = s.execute(select(ReviewRow, UserRow.username).outerjoin(UserRow, UserRow.id == ReviewRow.reviewer_id)
                     .where(ReviewRow.project_id == project_id).order_by(ReviewRow.id.desc()).limit(limit))
    return [(r, name or "") for r, name in rows]
