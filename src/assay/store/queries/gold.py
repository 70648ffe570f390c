"""Gold tasks: who has seen how many, submitted answers beside reference answers, each person's standing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from assay.store import queue_statements
from assay.store.tables import AnnotationRow, QuestionRow, RecordRow, UserRow
from assay.store.tables_quality import StandingRow


def seen(s: Session | Connection, project_id: int, user_id: int) -> int:
    """How many gold records the person has been served in the project (any assignment status)."""
    return s.scalar(queue_statements.GOLD_SEEN, {"project_id": project_id, "user_id": user_id}) or 0


def question_kinds(s: Session, project_id: int) -> dict[str, str]:
    """question name → kind, for the project's questions."""
    return {q.name: q.kind for q in s.scalars(select(QuestionRow).where(QuestionRow.project_id == project_id))}


def answered(s: Session, project_id: int, user_id: int | None = None
             ) -> list[tuple[int, int, dict[str, Any] | None, dict[str, Any] | None]]:
    """(record id, user id, submitted answers, gold answers) for every submitted annotation of a gold record
    (only `user_id`'s when given)."""
    q = (select(AnnotationRow.record_id, AnnotationRow.user_id, AnnotationRow.answers, RecordRow.gold_answers)
         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                RecordRow.is_gold.is_(True)))
    if user_id is not None:
        q = q.where(AnnotationRow.user_id == user_id)
    return [(rid, uid, ans, ga) for rid, uid, ans, ga in s.execute(q)]


def answered_before(s: Session, project_id: int, user_id: int, before: datetime
                    ) -> list[tuple[int, int, dict[str, Any] | None, dict[str, Any] | None]]:
    """Like `answered` for one person, only annotations submitted before `before`, in the order they were
    submitted (oldest first)."""
    q = (select(AnnotationRow.record_id, AnnotationRow.user_id, AnnotationRow.answers, RecordRow.gold_answers)
         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
         .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                AnnotationRow.user_id == user_id, RecordRow.is_gold.is_(True),
                AnnotationRow.submitted_at < before)
         .order_by(AnnotationRow.submitted_at, AnnotationRow.id))
    return [(rid, uid, ans, ga) for rid, uid, ans, ga in s.execute(q)]


def standing(s: Session, project_id: int, user_id: int) -> StandingRow | None:
    return s.get(StandingRow, (project_id, user_id))


def standing_or_new(s: Session, project_id: int, user_id: int) -> StandingRow:
    """The person's standing, added as "ok" with no gold answers when they have none yet."""
    row = s.get(StandingRow, (project_id, user_id))
    if row is None:
        row = StandingRow(project_id=project_id, user_id=user_id, state="ok", gold_n=0, reason="")
        s.add(row)
    return row


def set_score(s: Session, row: StandingRow, n: int, accuracy: float | None, at: datetime) -> None:
    row.gold_n, row.gold_accuracy, row.updated_at = n, accuracy, at
    s.flush()


def set_state(s: Session, row: StandingRow, state: str, reason: str, at: datetime | None = None) -> None:
    """Move the standing to `state` with `reason` (and `updated_at` when `at` is given)."""
    row.state, row.reason = state, reason
    if at is not None:
        row.updated_at = at
    s.flush()


def standings(s: Session, project_id: int) -> list[tuple[StandingRow, str]]:
    """(standing, username) of everyone with a standing in the project."""
    return [(r, name) for r, name in s.execute(
        select(StandingRow, UserRow.username).join(UserRow, UserRow.id == StandingRow.user_id)
        .where(StandingRow.project_id == project_id))]


def submitters(s: Session, record_ids: list[int]) -> set[int]:
    """Ids of the people with a submitted annotation on any of these records (their gold standing depends
    on these records' expected answers)."""
    out: set[int] = set()
    for i in range(0, len(record_ids), 500):
        out.update(s.scalars(select(AnnotationRow.user_id).where(
            AnnotationRow.record_id.in_(record_ids[i:i + 500]), AnnotationRow.status == "submitted")))
    return out
