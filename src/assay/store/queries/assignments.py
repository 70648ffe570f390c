"""Queries on assignments and on the project and record rows an annotation use case reads around them.

Every function takes the caller's session (or connection) and never commits. Statuses and counters are
changed only by `assay.store.slots`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session, selectinload

from assay.domain.questions import QuestionKind
from assay.store import queue_statements as Q
from assay.store.tables import AssignmentRow, ProjectRow, RecordRow


def find(s: Session, project_id: int, record_id: int, user_id: int) -> AssignmentRow | None:
    """The person's assignment on a record of the project, or None."""
    return s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == record_id,
                                                AssignmentRow.user_id == user_id,
                                                AssignmentRow.project_id == project_id))


def of_record(s: Session, record_id: int, user_id: int) -> AssignmentRow | None:
    """The person's assignment on a record (any project), or None."""
    return s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == record_id,
                                                AssignmentRow.user_id == user_id))


def get(s: Session, assignment_id: int) -> AssignmentRow | None:
    return s.get(AssignmentRow, assignment_id)


def renew(a: AssignmentRow, expires_at: datetime) -> None:
    """Move a live lease's deadline (a draft save keeps the record; its slot stays counted)."""
    a.expires_at = expires_at


def project(s: Session, project_id: int, *, with_questions: bool = False) -> ProjectRow | None:
    """The project row (with its questions loaded when asked), or None."""
    return s.get(ProjectRow, project_id, options=[selectinload(ProjectRow.questions)] if with_questions else [])


def lease_seconds(s: Session, project_id: int) -> int:
    """The project's lease time in seconds (0 for an unknown project)."""
    return s.scalar(select(ProjectRow.lease_seconds).where(ProjectRow.id == project_id)) or 0


def record(s: Session, record_id: int, *, with_completions: bool = False) -> RecordRow | None:
    """The record row (with its completions loaded when asked), or None."""
    return s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)] if with_completions else [])


def records_by_id(s: Session, record_ids: list[int]) -> dict[int, RecordRow]:
    """Records with their completions, by id (unknown ids are left out)."""
    if not record_ids:
        return {}
    return {r.id: r for r in s.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids))
                                        .options(selectinload(RecordRow.completions)))}


def records_of_project(s: Session, project_id: int) -> list[RecordRow]:
    """Every record of the project with its completions, by id."""
    return list(s.scalars(select(RecordRow).where(RecordRow.project_id == project_id)
                          .options(selectinload(RecordRow.completions)).order_by(RecordRow.id)))



# --- the claim's reads (prebuilt statements, run on the hot path's bare connection) ----------------------

CLAIM_KINDS = frozenset({QuestionKind.pairwise.value, QuestionKind.ranking.value, QuestionKind.rating.value,
                         QuestionKind.spans.value, QuestionKind.code_review.value})
"""Question kinds that judge completions: a form with one of them is served only records that have some."""
CLAIM_CONTEXT = Q.claim_context(CLAIM_KINDS)


def claim_context(conn: Session | Connection, project_id: int, user_id: int, now: datetime) -> Row[Any] | None:
    """One row for a claim (see `queue_statements.claim_context`), None for an unknown project."""
    return conn.execute(CLAIM_CONTEXT, {"project_id": project_id, "user_id": user_id, "now": now}).first()


def next_record(conn: Session | Connection, project_id: int, user_id: int, k: int, *, ready: bool,
                gold: bool, may_wait: bool = True) -> Row[Any] | None:
    """The best free record for the person (or a random gold one they never had), locked for the claim, with
    the columns of `queue_statements.RECORD_COLUMNS`; None when there is none. `ready`: only records with
    completions. `may_wait=False` when the transaction already holds other records' locks (see below)."""
    params = {"project_id": project_id, "user_id": user_id, "k": k}
    if gold:
        return conn.execute(Q.NEXT_GOLD[ready], params).first()
    found = conn.execute(Q.NEXT_RECORD[ready], params).first()
    if found is None:
        # PostgreSQL: SKIP LOCKED passed over records that concurrent claims and submits hold; they may still
        # have room once those commit, so wait for them rather than tell the person their queue is empty (the
        # wait rechecks each record's counters as committed) — unless this transaction holds other records'
        # locks, when two claims waiting for each other's records would deadlock. Both databases: the
        # fallback orders by the counters themselves, so a record whose `queue_taken` went stale is still served.
        fallback = Q.NEXT_RECORD_WAITING if may_wait else Q.NEXT_RECORD_BY_COUNTERS
        found = conn.execute(fallback[ready], params).first()
    return found
