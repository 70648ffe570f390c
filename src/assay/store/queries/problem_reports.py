"""Queries on problem reports ("report a problem" on a record or an authoring task).

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables import UserRow
from assay.store.tables_authoring import AuthoringTaskRow, ProblemReportRow


def authoring_task(s: Session, task_id: int) -> AuthoringTaskRow | None:
    return s.get(AuthoringTaskRow, task_id)


def open_report(s: Session, project_id: int, user_id: int, *, record_id: int | None,
                task_id: int | None) -> ProblemReportRow | None:
    """The person's open report on the record (or, with `record_id` None, the task), or None."""
    target = ProblemReportRow.record_id == record_id if record_id is not None else ProblemReportRow.task_id == task_id
    return s.scalar(select(ProblemReportRow).where(ProblemReportRow.project_id == project_id,
                                                   ProblemReportRow.user_id == user_id,
                                                   ProblemReportRow.state == "open", target))


def add(s: Session, *, project_id: int, user_id: int, record_id: int | None, task_id: int | None, reason: str,
        note: str) -> ProblemReportRow:
    """A new open report, flushed (it has its id)."""
    row = ProblemReportRow(project_id=project_id, record_id=record_id, task_id=task_id, user_id=user_id,
                           reason=reason, note=note, state="open", resolution="")
    s.add(row)
    s.flush()
    return row


def of_project(s: Session, project_id: int, state: str | None) -> list[tuple[ProblemReportRow, str]]:
    """(report, reporter's username) of the project, newest first; `state` None for all."""
    q = (select(ProblemReportRow, UserRow.username).join(UserRow, UserRow.id == ProblemReportRow.user_id)
         .where(ProblemReportRow.project_id == project_id))
    if state is not None:
        q = q.where(ProblemReportRow.state == state)
    return [(r, u) for r, u in s.execute(q.order_by(ProblemReportRow.id.desc()))]


def get(s: Session, report_id: int) -> ProblemReportRow | None:
    return s.get(ProblemReportRow, report_id)


def username(s: Session, user_id: int) -> str:
    """The person's username ("" when unknown)."""
    return s.scalar(select(UserRow.username).where(UserRow.id == user_id)) or ""
