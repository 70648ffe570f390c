""""Report a problem" on any task: a trainer flags a record (or an authoring task) as broken, its guideline
as unclear, or its content as offensive, with a note; the project's leads and reviewers see open reports and
resolve them.

A reported record leaves the reporter's queue: their lease is given back as *skipped* with the reason
(`queue.release(..., skip_reason="reported: <reason>")`), so it is never served to them again while other
trainers still get it (a lead who agrees can delete or fix it). Reporting the same record twice updates the
open report instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.annotation import queue
from assay.store.db import Db
from assay.store.queries import assignments
from assay.store.queries import memberships as members_q
from assay.store.queries import problem_reports as reports_q
from assay.store.tables_authoring import ProblemReportRow

REASONS = {"broken_record": "broken record", "unclear_guideline": "unclear guideline",
           "offensive_content": "offensive content", "other": "other"}


@dataclass(frozen=True)
class ProblemReport:
    id: int
    project_id: int
    record_id: int | None
    task_id: int | None
    reporter: str
    reason: str
    note: str
    state: str
    resolution: str
    created_at: datetime | None = None

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


def _view(r: ProblemReportRow, reporter: str) -> ProblemReport:
    return ProblemReport(id=r.id, project_id=r.project_id, record_id=r.record_id, task_id=r.task_id,
                         reporter=reporter, reason=r.reason, note=r.note, state=r.state, resolution=r.resolution,
                         created_at=r.created_at)


def report_problem(db: Db, project_id: int, user: User, reason: str, note: str = "", *,
                   record_id: int | None = None, task_id: int | None = None) -> ProblemReport:
    """File a report on a record or an authoring task of the project (exactly one of them). Raises Invalid
    for an unknown reason, a missing note with reason 'other', or neither/both targets; NotFound for a target
    outside the project or a caller who is not a member."""
    if reason not in REASONS:
        raise Invalid(f"reason must be one of {', '.join(REASONS)}", details={"field": "reason"})
    note = (note or "").strip()
    if reason == "other" and not note:
        raise Invalid("say what the problem is", details={"field": "note"})
    if (record_id is None) == (task_id is None):
        raise Invalid("report either a record or an authoring task")
    leased = False
    with db.write() as s:
        role = members_q.role_of(s, project_id, user.id)
        policies.annotate(user, role)
        oversees = user.is_admin or role in ("lead", "reviewer")
        if record_id is not None:
            rec = assignments.record(s, record_id)
            if rec is None or rec.project_id != project_id:
                raise NotFound(f"no record {record_id} in this project")
            a = assignments.of_record(s, record_id, user.id)
            if a is None and not oversees:  # annotators only know the records served to them
                raise NotFound("this record is not in your queue")
            leased = a is not None and a.status in ("leased", "expired")
        else:
            task = reports_q.authoring_task(s, task_id) if task_id is not None else None
            if task is None or task.project_id != project_id or (task.user_id != user.id and not oversees):
                raise NotFound(f"no authoring task {task_id} in this project")
        row = reports_q.open_report(s, project_id, user.id, record_id=record_id, task_id=task_id)
        if row is None:
            row = reports_q.add(s, project_id=project_id, user_id=user.id, record_id=record_id, task_id=task_id,
                                reason=reason, note=note)
        else:
            row.reason, row.note = reason, note
        record_event(s, user.id, "problem.report", str(project_id), record=record_id, task=task_id, reason=reason)
        out = _view(row, user.username)
    if leased and record_id is not None:
        queue.release(db, project_id, record_id, user.id, skip_reason=f"reported: {REASONS[reason]}")
    return out


def list_reports(db: Db, project_id: int, user: User, state: str | None = "open") -> list[ProblemReport]:
    """Reports of the project, newest first (leads, reviewers, admins); `state` None for all."""
    with db.read() as s:
        policies.review(user, members_q.role_of(s, project_id, user.id))
        return [_view(r, u) for r, u in reports_q.of_project(s, project_id, state)]


def resolve(db: Db, project_id: int, report_id: int, user: User, resolution: str = "") -> ProblemReport:
    """Close a report with a note on what was done (the project's lead or reviewer, or an admin)."""
    with db.write() as s:
        policies.review(user, members_q.role_of(s, project_id, user.id))
        row = reports_q.get(s, report_id)
        if row is None or row.project_id != project_id:
            raise NotFound(f"no problem report {report_id} in this project")
        if row.state == "resolved":
            raise Conflict("this report is already resolved")
        row.state, row.resolution = "resolved", (resolution or "").strip()
        row.resolved_by, row.resolved_at = user.id, datetime.now(UTC)
        reporter = reports_q.username(s, row.user_id)
        record_event(s, user.id, "problem.resolve", str(project_id), report=row.id)
        return _view(row, reporter)
