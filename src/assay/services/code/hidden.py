"""Hidden tests: after a code record gets its first submission, every candidate is run against the
record's hidden tests in the background, and the outcome becomes part of the record.

Where the outcome lives (for leads and exporters):
- `code_runs` rows of kind "hidden" (one per candidate; `user_id` NULL), with per-test results;
- a summary in the record's metadata under `code_outcome`:
  `{"hidden": {"<candidate>": {"passed", "total", "pass_rate", "status", "state"}}, "checked_at": iso}`,
  written when each hidden run finishes, so exporters read it from `Record.metadata` with no join.
  Annotators never see record metadata (the task view hides it).

Scheduling: `sweep(db, runner)` finds submitted annotations on code records without hidden runs and
starts them; it also restarts runs left queued/running by a previous process. `Sweeper` calls it every
few seconds in a daemon thread (the web app starts one with the first code run; `assay` CLI code can call
`sweep` directly). `schedule_hidden` starts one record's hidden runs at once (idempotent).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from assay.domain.code_runs import CandidateOutcome, CodeRun, RecordCodeOutcome
from assay.domain.users import User
from assay.errors import NotFound
from assay.services.accounts.policies import manage_project
from assay.services.code import runs as code_runs
from assay.services.code.execution import CodeRunner
from assay.store.db import Db
from assay.store.tables import AnnotationRow, MemberRow, QuestionRow, RecordRow, UserRow
from assay.store.tables_code import CodeRunRow

log = logging.getLogger(__name__)
HIDDEN_USER = "system:hidden"


def after_hidden_run(s: Session, row: CodeRunRow) -> None:
    """Called in the transaction that finishes a hidden run: refresh the record's `code_outcome`.

    The record is read FOR UPDATE (PostgreSQL): the hidden runs of a record's candidates finish in
    parallel, and without the lock two of them would both read the old metadata and the later commit
    would drop the other's result (SQLite transactions are already one at a time)."""
    rec = s.get(RecordRow, row.record_id, with_for_update=True)
    if rec is None:
        return
    meta = dict(rec.meta or {})
    outcome = dict(meta.get("code_outcome") or {})
    hidden = dict(outcome.get("hidden") or {})
    r = row.result or {}
    total, passed = int(r.get("total", 0)), int(r.get("passed", 0))
    hidden[str(row.candidate)] = {"passed": passed, "total": total,
                                  "pass_rate": round(passed / total, 4) if total else None,
                                  "status": r.get("status", "") if row.state == "done" else "failed",
                                  "state": row.state}
    outcome["hidden"] = hidden
    outcome["checked_at"] = datetime.now(UTC).isoformat()
    meta["code_outcome"] = outcome
    rec.meta = meta


def _create_hidden(s: Session, project_id: int, record_id: int) -> list[int]:
    if s.scalar(select(exists().where(CodeRunRow.record_id == record_id, CodeRunRow.kind == "hidden"))):
        return []
    rec = s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)])
    if rec is None or not rec.code or not str(rec.code.get("hidden_tests", "")).strip():
        return []
    batch = secrets.token_hex(8)
    rows = [CodeRunRow(project_id=project_id, record_id=record_id, user_id=None, batch=batch, kind="hidden",
                       candidate=i, state="queued", tests="", result={}) for i in range(len(rec.completions))]
    s.add_all(rows)
    s.flush()
    return [r.id for r in rows]


def schedule_hidden(db: Db, runner: CodeRunner, project_id: int, record_id: int) -> int:
    """Start the hidden runs of one record unless it has some already. Returns how many were started."""
    with db.transaction() as s:
        ids = _create_hidden(s, project_id, record_id)
    for run_id in ids:
        code_runs.launch(db, runner, run_id, HIDDEN_USER)
    return len(ids)


def sweep(db: Db, runner: CodeRunner, limit: int = 50) -> int:
    """Schedule hidden runs for submitted code records that lack them, and restart runs a previous process
    left queued or running. Returns the number of runs started."""
    started = 0
    with db.transaction() as s:
        has_hidden = exists().where(CodeRunRow.record_id == RecordRow.id, CodeRunRow.kind == "hidden")
        todo = s.execute(select(RecordRow.project_id, RecordRow.id).join(
            AnnotationRow, AnnotationRow.record_id == RecordRow.id).where(
            AnnotationRow.status == "submitted", ~has_hidden).distinct().limit(limit)).all()
        stale = s.execute(select(CodeRunRow.id, CodeRunRow.kind, CodeRunRow.user_id).where(
            CodeRunRow.state.in_(("queued", "running")))).all()
    for project_id, record_id in todo:
        started += schedule_hidden(db, runner, project_id, record_id)
    for run_id, kind, user_id in stale:
        if run_id in runner.active:
            continue
        key = HIDDEN_USER if user_id is None else f"user:{user_id}"
        code_runs.launch(db, runner, run_id, key, queued=kind != "mutation")
        started += 1
    return started


class Sweeper:
    """Calls `sweep` every `interval` seconds in a daemon thread until `stop()`."""

    def __init__(self, db: Db, runner: CodeRunner, interval: float = 2.0) -> None:
        self.db, self.runner, self.interval = db, runner, interval
        self._thread = threading.Thread(target=self._loop, name="code-hidden-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self.runner.stop.wait(self.interval):
            try:
                sweep(self.db, self.runner)
            except Exception:
                log.exception("hidden-test sweep failed")

    def stop(self) -> None:
        self.runner.stop.set()
        self._thread.join(self.interval + 5)


def outcomes(db: Db, project_id: int, user: User, limit: int = 200) -> list[RecordCodeOutcome]:
    """The lead's view of a project's code records: hidden pass rates per candidate and each submitted
    review (verdicts, preference, the trainer's latest mutation score). Raises Forbidden for non-leads."""
    with db.transaction() as s:
        role = s.scalar(select(MemberRow.role).where(MemberRow.project_id == project_id,
                                                     MemberRow.user_id == user.id))
        if role is None and not user.is_admin:
            raise NotFound("no such project (or you are not a member of it)")
        manage_project(user, role)
        names = [q.name for q in s.scalars(select(QuestionRow).where(
            QuestionRow.project_id == project_id, QuestionRow.kind == "code_review"))]
        recs = s.scalars(select(RecordRow).where(RecordRow.project_id == project_id)
                         .options(selectinload(RecordRow.completions)).order_by(RecordRow.id).limit(limit)).all()
        out: list[RecordCodeOutcome] = []
        for rec in recs:
            if not rec.code:
                continue
            runs = {r.candidate: r for r in s.scalars(select(CodeRunRow).where(
                CodeRunRow.record_id == rec.id, CodeRunRow.kind == "hidden").order_by(CodeRunRow.id))}
            cands = []
            for i, c in enumerate(rec.completions):
                r = runs.get(i)
                res = (r.result or {}) if r else {}
                cands.append(CandidateOutcome(candidate=i, model=c.model, state=r.state if r else "pending",
                                              passed=int(res.get("passed", 0)), total=int(res.get("total", 0)),
                                              status=str(res.get("status", res.get("message", "")))))
            reviews = []
            for ann, uname in s.execute(select(AnnotationRow, UserRow.username).join(
                    UserRow, UserRow.id == AnnotationRow.user_id).where(
                    AnnotationRow.record_id == rec.id, AnnotationRow.status == "submitted")):
                mut = s.scalar(select(CodeRunRow).where(
                    CodeRunRow.record_id == rec.id, CodeRunRow.user_id == ann.user_id,
                    CodeRunRow.kind == "mutation", CodeRunRow.state == "done").order_by(CodeRunRow.id.desc()).limit(1))
                for name in names:
                    a = (ann.answers or {}).get(name) or {}
                    reviews.append({"user": uname, "question": name, "verdicts": a.get("verdicts", {}),
                                    "preference": a.get("preference"), "rationale": a.get("rationale", ""),
                                    "tests": a.get("tests", ""),
                                    "mutation": dict(mut.result) if mut is not None else None})
            out.append(RecordCodeOutcome(record_id=rec.id, external_id=rec.external_id, candidates=cands,
                                         reviews=reviews))
        return out


def hidden_runs(db: Db, project_id: int, record_id: int, user: User) -> list[CodeRun]:
    """A record's hidden runs with per-test results (leads and admins only)."""
    with db.transaction() as s:
        if code_runs.access(s, project_id, record_id, user) != code_runs.LEAD:
            raise NotFound("no such runs")
        rows = s.scalars(select(CodeRunRow).where(CodeRunRow.record_id == record_id, CodeRunRow.kind == "hidden",
                                                  CodeRunRow.project_id == project_id).order_by(CodeRunRow.id))
        return [code_runs.to_run(r, None, code_runs.LEAD) for r in rows]
