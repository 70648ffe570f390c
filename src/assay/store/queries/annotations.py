"""Queries on annotations: a person's answers on a record, drafts, active time.

Every function takes the caller's session and never commits. Submitted annotations are created and
counted only by `assay.store.slots`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import AnnotationRow


def of_record(s: Session, record_id: int, user_id: int) -> AnnotationRow | None:
    """The person's annotation on a record, or None."""
    return s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == record_id,
                                                AnnotationRow.user_id == user_id))


def find(s: Session, project_id: int, record_id: int, user_id: int) -> AnnotationRow | None:
    """The person's annotation on a record of the project, or None."""
    return s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == record_id,
                                                AnnotationRow.user_id == user_id,
                                                AnnotationRow.project_id == project_id))


def get(s: Session, annotation_id: int) -> AnnotationRow | None:
    return s.get(AnnotationRow, annotation_id)


def refresh(s: Session, row: AnnotationRow) -> None:
    """Read the row again (after the caller locked its record)."""
    s.refresh(row)


def new_draft(s: Session, project_id: int, record_id: int, user_id: int) -> AnnotationRow:
    """An empty draft (revision 0), added to the session."""
    row = AnnotationRow(project_id=project_id, record_id=record_id, user_id=user_id, status="draft", answers={},
                        active_seconds=0.0, revision=0)
    s.add(row)
    return row


def save_draft(s: Session, row: AnnotationRow, answers: dict[str, Any], active_seconds: float, now: datetime) -> None:
    """Store a draft's answers and active time (which only grows) and count one more revision."""
    row.answers = answers
    row.active_seconds = max(row.active_seconds or 0.0, active_seconds)
    row.revision = (row.revision or 0) + 1
    row.updated_at = now
    s.flush()


def active_seconds_since(s: Session, user_id: int, since: datetime, exclude_record_id: int | None = None) -> float:
    """The person's active seconds on annotations touched since `since`, over all projects, leaving out
    one record when asked."""
    q = select(func.coalesce(func.sum(AnnotationRow.active_seconds), 0.0)).where(
        AnnotationRow.user_id == user_id, AnnotationRow.updated_at >= since)
    if exclude_record_id is not None:
        q = q.where(AnnotationRow.record_id != exclude_record_id)
    return float(s.scalar(q) or 0.0)


def submitted_answers(s: Session, record_ids: list[int], chunk: int = 500) -> dict[int, list[dict[str, Any]]]:
    """record id → the answers of its submitted annotations (records without any are left out)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(record_ids), chunk):
        for rid, answers in s.execute(select(AnnotationRow.record_id, AnnotationRow.answers).where(
                AnnotationRow.record_id.in_(record_ids[i:i + chunk]), AnnotationRow.status == "submitted")):
            out[rid].append(answers)
    return dict(out)


def pairs(s: Session, project_id: int) -> set[tuple[int, int]]:
    """(record id, user id) of every annotation in the project."""
    return {(r, u) for r, u in s.execute(select(AnnotationRow.record_id, AnnotationRow.user_id)
                                         .where(AnnotationRow.project_id == project_id))}


# --- the submit's reads (prebuilt statements, run on the hot path's bare connection) --------------------


def submit_context(conn: Session | Connection, project_id: int, user_id: int) -> Row[Any] | None:
    """The project's name, k, settings and questions (JSON) and the caller's member role; None for an
    unknown project (`queue_statements.SUBMIT_CONTEXT`)."""
    return conn.execute(Q.SUBMIT_CONTEXT, {"project_id": project_id, "user_id": user_id}).first()


def lock_record(conn: Session | Connection, record_id: int) -> Row[Any] | None:
    """The record with its completions (`queue_statements.RECORD_COLUMNS`), locked on PostgreSQL; None when
    unknown."""
    return conn.execute(Q.LOCK_RECORD, {"record_id": record_id}).first()


def hold(conn: Session | Connection, project_id: int, record_id: int, user_id: int) -> Row[Any] | None:
    """The person's assignment on the record and their annotation on it (`queue_statements.
    LEASE_AND_ANNOTATION`; annotation columns None when there is none), or None without an assignment."""
    row = conn.execute(Q.LEASE_AND_ANNOTATION, {"project_id": project_id, "record_id": record_id,
                                                "user_id": user_id}).first()
    return cast("Row[Any] | None", row)
