"""Code runs on a code record: who may run, starting runs (visible tests, the trainer's own tests, mutation
scoring), reading them back with queue positions. Sandbox work happens in `CodeRunner` threads, outside
any database transaction; each run's state and result live in the `code_runs` table.

Permission (`may_run_code`): admins and the project's leads may run code on any of its records; anyone
else only on a record assigned to them (leased, expired lease or submitted). Annotators only ever see
their own runs of the kinds in `TRAINER_KINDS`, and never the hidden tests, the reference solution, or
the surviving mutants (which would reveal the reference).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assay.domain.code_runs import TRAINER_KINDS, CodeRun
from assay.domain.records import CodeTask
from assay.domain.users import User
from assay.errors import AssayError, Forbidden, Invalid, NotFound
from assay.sandbox import Ticket
from assay.services.code.execution import (
    CodeRunner,
    report_result,
    solution_text,
    split_script,
    split_trainer_tests,
)
from assay.store.db import Db
from assay.store.tables import AssignmentRow, MemberRow, RecordRow
from assay.store.tables_code import CodeRunRow

log = logging.getLogger(__name__)
LEAD = "lead"
ANNOTATOR = "annotator"


@dataclass
class CodeView:
    """What an annotator may see of a code record: never the hidden tests or the reference solution."""

    record_id: int
    problem: str
    language: str
    entry_point: str
    visible_tests: str
    visible_test_sources: list[str]
    candidates: list[dict[str, str]]  # {"model", "code"}
    has_reference: bool
    access: str  # "lead" | "annotator"
    runs: list[CodeRun] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def access(s: Session, project_id: int, record_id: int, user: User) -> str:
    """The `may_run_code` policy: "lead" (admin or project lead), "annotator" (record assigned to them);
    raises NotFound for non-members and Forbidden for members the record is not assigned to."""
    if user.is_admin:
        return LEAD
    role = s.scalar(select(MemberRow.role).where(MemberRow.project_id == project_id, MemberRow.user_id == user.id))
    if role is None:
        raise NotFound("no such project (or you are not a member of it)")
    if role == "lead":
        return LEAD
    status = s.scalar(select(AssignmentRow.status).where(
        AssignmentRow.project_id == project_id, AssignmentRow.record_id == record_id,
        AssignmentRow.user_id == user.id).order_by(AssignmentRow.id.desc()).limit(1))
    if status not in ("leased", "expired", "submitted"):
        raise Forbidden("only the annotator this record is assigned to (or a lead) may run code on it; "
                        "open it from your queue first")
    return ANNOTATOR


def may_run_code(db: Db, project_id: int, record_id: int, user: User) -> str:
    """Check the policy in its own transaction; returns the access level (see `access`)."""
    with db.transaction() as s:
        return access(s, project_id, record_id, user)


def _record(s: Session, project_id: int, record_id: int) -> tuple[RecordRow, CodeTask]:
    rec = s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)])
    if rec is None or rec.project_id != project_id:
        raise NotFound(f"no record {record_id} in this project")
    if not rec.code:
        raise Invalid(f"record {record_id} is not a code task (it has no problem and tests)")
    return rec, CodeTask(**rec.code)


def to_run(row: CodeRunRow, runner: CodeRunner | None, level: str) -> CodeRun:
    """Row → CodeRun, with what `level` ("lead" | "annotator") may see."""
    result = dict(row.result or {})
    if level != LEAD:
        result.pop("survived", None)
    position = runner.position(row.id) if runner is not None and row.state == "queued" else None
    return CodeRun(id=row.id, project_id=row.project_id, record_id=row.record_id, user_id=row.user_id,
                   batch=row.batch, kind=row.kind, candidate=row.candidate, state=row.state, tests=row.tests,
                   result=result, position=position, created_at=row.created_at, finished_at=row.finished_at)


def code_view(db: Db, project_id: int, record_id: int, user: User, runner: CodeRunner | None = None) -> CodeView:
    """The record as the code-review widget shows it, with the caller's own recent runs."""
    with db.transaction() as s:
        level = access(s, project_id, record_id, user)
        rec, task = _record(s, project_id, record_id)
        try:
            sources = [t.source for t in split_script(task.visible_tests, task.entry_point).tests]
        except Invalid:
            sources = []
        rows = s.scalars(select(CodeRunRow).where(
            CodeRunRow.record_id == record_id, CodeRunRow.user_id == user.id,
            CodeRunRow.kind.in_(TRAINER_KINDS)).order_by(CodeRunRow.id.desc()).limit(50)).all()
        return CodeView(record_id=record_id, problem=task.problem, language=task.language,
                        entry_point=task.entry_point, visible_tests=task.visible_tests,
                        visible_test_sources=sources,
                        candidates=[{"model": c.model, "code": solution_text(task, c.text)} for c in rec.completions],
                        has_reference=bool(task.reference_solution.strip()), access=level,
                        runs=[to_run(r, runner, level) for r in reversed(rows)])


def start_runs(db: Db, runner: CodeRunner, project_id: int, record_id: int, user: User, kind: str,
               candidate: int | None = None, tests: str = "") -> list[CodeRun]:
    """Start runs for one click and return them (state "queued"):

    - kind "visible": the visible tests on `candidate` (or on every candidate when None);
    - kind "custom": the trainer's `tests` on every candidate (or one), plus a "mutation" run scoring
      them against the reference solution when the record has one.
    Raises Invalid for an unknown kind, a bad candidate index, or tests that do not parse (at once, before
    anything is queued), Forbidden/NotFound per `access`, Unavailable when too many runs are waiting.
    """
    if kind not in ("visible", "custom"):
        raise Invalid(f"kind must be 'visible' or 'custom', not {kind!r}")
    batch = secrets.token_hex(8)
    with db.transaction() as s:
        level = access(s, project_id, record_id, user)
        rec, task = _record(s, project_id, record_id)
        n = len(rec.completions)
        if n == 0:
            raise Invalid("this record has no candidate solutions to run")
        if candidate is not None and not 0 <= candidate < n:
            raise Invalid(f"candidate {candidate} is out of range 0..{n - 1}")
        if kind == "visible":
            split_script(task.visible_tests, task.entry_point)
            tests = ""
        else:
            split_trainer_tests(tests, task.entry_point)
        which = [candidate] if candidate is not None else list(range(n))
        rows = [CodeRunRow(project_id=project_id, record_id=record_id, user_id=user.id, batch=batch, kind=kind,
                           candidate=i, state="queued", tests=tests, result={}) for i in which]
        if kind == "custom" and task.reference_solution.strip():
            rows.append(CodeRunRow(project_id=project_id, record_id=record_id, user_id=user.id, batch=batch,
                                   kind="mutation", candidate=None, state="queued", tests=tests, result={}))
        s.add_all(rows)
        s.flush()
        ids = [(r.id, r.kind) for r in rows]
    key = f"user:{user.id}"
    for run_id, run_kind in ids:
        launch(db, runner, run_id, key, queued=run_kind != "mutation")
    return get_runs(db, runner, project_id, record_id, user, batch=batch, level=level)


def get_runs(db: Db, runner: CodeRunner | None, project_id: int, record_id: int, user: User, *,
             batch: str | None = None, level: str | None = None) -> list[CodeRun]:
    """The caller's runs on a record (one batch, or the last 50); a lead also sees hidden runs and
    everyone's runs."""
    with db.transaction() as s:
        level = level or access(s, project_id, record_id, user)
        q = select(CodeRunRow).where(CodeRunRow.project_id == project_id, CodeRunRow.record_id == record_id)
        if level != LEAD:
            q = q.where(CodeRunRow.user_id == user.id, CodeRunRow.kind.in_(TRAINER_KINDS))
        if batch is not None:
            q = q.where(CodeRunRow.batch == batch)
        rows = s.scalars(q.order_by(CodeRunRow.id.desc()).limit(50)).all()
        return [to_run(r, runner, level) for r in reversed(rows)]


def launch(db: Db, runner: CodeRunner, run_id: int, user_key: str, *, queued: bool = True) -> None:
    """Hand run `run_id` (already stored as queued) to the runner's threads."""
    runner.submit(user_key, run_id, lambda ticket: execute(db, runner, run_id, user_key, ticket), queued=queued)


def _mark(db: Db, run_id: int, state: str, result: dict[str, Any] | None = None) -> None:
    from assay.services.code.hidden import after_hidden_run  # hidden outcome summary; avoids an import cycle

    with db.transaction() as s:
        row = s.get(CodeRunRow, run_id)
        if row is None:
            return
        row.state = state
        if state == "running":
            row.started_at = _now()
        if result is not None:
            row.result = result
            row.finished_at = _now()
        if row.kind == "hidden" and state in ("done", "failed"):
            after_hidden_run(s, row)


def execute(db: Db, runner: CodeRunner, run_id: int, user_key: str, ticket: Ticket | None) -> None:
    """Run one stored run to its end: load (short transaction), wait for a slot, run in the sandbox (no
    transaction open), store the result. Never raises: failures are stored as state "failed"."""
    try:
        with db.transaction() as s:
            row = s.get(CodeRunRow, run_id)
            if row is None or row.state not in ("queued", "running"):
                return
            rec, task = _record(s, row.project_id, row.record_id)
            texts = [c.text for c in rec.completions]
            kind, cand, tests = row.kind, row.candidate, row.tests
        if kind == "mutation":
            _mark(db, run_id, "running")
            _, style, text = split_trainer_tests(tests, task.entry_point)
            result = runner.mutation(user_key, task.reference_solution, text, style, task.entry_point)
        else:
            assert cand is not None
            if kind == "custom":
                parts = split_trainer_tests(tests, task.entry_point)[0]
            else:
                parts = split_script(task.hidden_tests if kind == "hidden" else task.visible_tests,
                                     task.entry_point)
            if ticket is not None:
                runner.queue.wait(ticket, timeout=600)
            _mark(db, run_id, "running")
            result = report_result(runner.run_tests(None, solution_text(task, texts[cand]), parts))
        _mark(db, run_id, "done", result)
    except AssayError as e:
        _safe_mark(db, run_id, {"message": e.message})
    except Exception as e:
        log.exception("code run %s failed", run_id)
        _safe_mark(db, run_id, {"message": f"internal error: {type(e).__name__}; see the server log"})


def _safe_mark(db: Db, run_id: int, result: dict[str, Any]) -> None:
    try:
        _mark(db, run_id, "failed", result)
    except Exception:
        log.exception("could not record the failure of code run %s", run_id)


def latest_mutation(db: Db, project_id: int, record_id: int, user_id: int) -> CodeRun | None:
    """The user's latest finished mutation run on a record (what the lead page shows as test robustness)."""
    with db.transaction() as s:
        row = s.scalar(select(CodeRunRow).where(
            CodeRunRow.project_id == project_id, CodeRunRow.record_id == record_id, CodeRunRow.user_id == user_id,
            CodeRunRow.kind == "mutation", CodeRunRow.state == "done").order_by(CodeRunRow.id.desc()).limit(1))
        return to_run(row, None, LEAD) if row is not None else None
