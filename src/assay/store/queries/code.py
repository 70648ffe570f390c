"""Code runs (`code_runs`) and what the code-review services read around them: membership, the latest
assignment, code records with their candidates, submitted reviews. Functions take a session and never
commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, exists, select
from sqlalchemy.orm import Session, selectinload

from assay.store.tables import AnnotationRow, AssignmentRow, QuestionRow, RecordRow, UserRow
from assay.store.tables_code import CodeRunRow


def _now() -> datetime:
    return datetime.now(UTC)



def latest_assignment_status(s: Session, project_id: int, record_id: int, user_id: int) -> str | None:
    """The status of the user's newest assignment of the record, or None."""
    return s.scalar(select(AssignmentRow.status).where(
        AssignmentRow.project_id == project_id, AssignmentRow.record_id == record_id,
        AssignmentRow.user_id == user_id).order_by(AssignmentRow.id.desc()).limit(1))


def record_with_completions(s: Session, record_id: int) -> RecordRow | None:
    """The record with its completions loaded, or None."""
    return s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)])


def lock_record(s: Session, record_id: int) -> RecordRow | None:
    """The record read FOR UPDATE (PostgreSQL; SQLite transactions are one writer at a time already)."""
    return s.get(RecordRow, record_id, with_for_update=True)


def add_runs(s: Session, project_id: int, record_id: int, user_id: int | None, batch: str,
             runs: Sequence[tuple[str, int | None]], tests: str) -> list[CodeRunRow]:
    """Insert queued runs, one per (kind, candidate), and flush (they have ids)."""
    rows = [CodeRunRow(project_id=project_id, record_id=record_id, user_id=user_id, batch=batch, kind=kind,
                       candidate=cand, state="queued", tests=tests, result={}) for kind, cand in runs]
    s.add_all(rows)
    s.flush()
    return rows


def get_run(s: Session, run_id: int) -> CodeRunRow | None:
    return s.get(CodeRunRow, run_id)


def set_run_state(s: Session, row: CodeRunRow, state: str, result: dict[str, Any] | None) -> None:
    """Move a run to `state` ("running" stamps the start); a result stamps the finish."""
    row.state = state
    if state == "running":
        row.started_at = _now()
    if result is not None:
        row.result = result
        row.finished_at = _now()
    s.flush()


def runs_of(s: Session, project_id: int, record_id: int, *, user_id: int | None = None,
            kinds: Collection[str] | None = None, batch: str | None = None, limit: int = 50) -> list[CodeRunRow]:
    """A record's runs, newest first (at most `limit`), optionally of one user, some kinds, one batch."""
    q = select(CodeRunRow).where(CodeRunRow.project_id == project_id, CodeRunRow.record_id == record_id)
    if user_id is not None:
        q = q.where(CodeRunRow.user_id == user_id)
    if kinds is not None:
        q = q.where(CodeRunRow.kind.in_(list(kinds)))
    if batch is not None:
        q = q.where(CodeRunRow.batch == batch)
    return list(s.scalars(q.order_by(CodeRunRow.id.desc()).limit(limit)))


def latest_done_mutation(s: Session, record_id: int, user_id: int, project_id: int | None = None) -> CodeRunRow | None:
    """The user's newest finished mutation run on the record, or None."""
    q = select(CodeRunRow).where(CodeRunRow.record_id == record_id, CodeRunRow.user_id == user_id,
                                 CodeRunRow.kind == "mutation", CodeRunRow.state == "done")
    if project_id is not None:
        q = q.where(CodeRunRow.project_id == project_id)
    return s.scalar(q.order_by(CodeRunRow.id.desc()).limit(1))


def has_hidden_runs(s: Session, record_id: int) -> bool:
    return bool(s.scalar(select(exists().where(CodeRunRow.record_id == record_id, CodeRunRow.kind == "hidden"))))


def hidden_runs_of(s: Session, record_id: int, project_id: int | None = None) -> list[CodeRunRow]:
    """A record's hidden runs, oldest first."""
    q = select(CodeRunRow).where(CodeRunRow.record_id == record_id, CodeRunRow.kind == "hidden")
    if project_id is not None:
        q = q.where(CodeRunRow.project_id == project_id)
    return list(s.scalars(q.order_by(CodeRunRow.id)))


def submitted_without_hidden(s: Session, limit: int) -> list[tuple[int, int]]:
    """(project id, record id) of code records (`records.code` holds a task, not JSON null) with a submitted
    annotation and no hidden runs yet."""
    has_hidden = exists().where(CodeRunRow.record_id == RecordRow.id, CodeRunRow.kind == "hidden")
    is_code = cast(RecordRow.code, String) != "null"  # a record without a task stores JSON null (or SQL NULL)
    rows = s.execute(select(RecordRow.project_id, RecordRow.id).join(
        AnnotationRow, AnnotationRow.record_id == RecordRow.id).where(
        AnnotationRow.status == "submitted", is_code, ~has_hidden).distinct().limit(limit)).all()
    return [(int(p), int(r)) for p, r in rows]


def code_review_question_names(s: Session, project_id: int) -> list[str]:
    return [q.name for q in s.scalars(select(QuestionRow).where(
        QuestionRow.project_id == project_id, QuestionRow.kind == "code_review"))]


def project_records(s: Session, project_id: int, limit: int) -> list[RecordRow]:
    """The project's first `limit` records by id, with their completions."""
    return list(s.scalars(select(RecordRow).where(RecordRow.project_id == project_id)
                          .options(selectinload(RecordRow.completions)).order_by(RecordRow.id).limit(limit)))


def submitted_with_usernames(s: Session, record_id: int) -> list[tuple[AnnotationRow, str]]:
    """The record's submitted annotations with their authors' usernames."""
    rows = s.execute(select(AnnotationRow, UserRow.username).join(UserRow, UserRow.id == AnnotationRow.user_id)
                     .where(AnnotationRow.record_id == record_id, AnnotationRow.status == "submitted")).all()
    return [(a, str(u)) for a, u in rows]


def set_record_meta(s: Session, rec: RecordRow, meta: dict[str, Any]) -> None:
    """Replace the record's metadata (a new dict, so the change is detected) and flush."""
    rec.meta = meta
    s.flush()
