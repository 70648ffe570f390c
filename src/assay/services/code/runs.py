"""Code runs on a code record: who may run, starting runs (visible tests, the trainer's own tests, mutation
scoring), reading them back with queue positions. Each run is a "code.run" job of the process's
`JobRunner` (state in `jobs`); its sandbox work happens outside any database transaction, and the run's
own state and result live in the `code_runs` table.

Permission (`may_run_code`): admins and the project's leads may run code on any of its records; anyone
else only on a record assigned to them (leased, expired lease or submitted). Annotators only ever see
their own runs of the kinds in `TRAINER_KINDS`, and never the hidden tests, the reference solution, or
the surviving mutants (which would reveal the reference).
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from assay.domain.code_runs import TRAINER_KINDS, CodeRun
from assay.domain.records import CodeTask
from assay.domain.users import User
from assay.errors import AssayError, Forbidden, Invalid, NotFound
from assay.jobs import Job, Stopped
from assay.sandbox import Ticket
from assay.services.code import limits as code_limits
from assay.services.code import programs
from assay.services.code.execution import (
    CodeRunner,
    report_result,
    solution_text,
    split_script,
    split_trainer_tests,
)
from assay.services.code.outcome import after_hidden_run
from assay.store.db import Db, Tx
from assay.store.queries import code as code_q
from assay.store.queries import jobs as jobs_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.tables import RecordRow
from assay.store.tables_code import CodeRunRow

log = logging.getLogger(__name__)
CODE_RUN = "code.run"
"""The job kind of one code run (params: run_id, user_key, queued); see `assay.services.code.background`."""
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
    lang: dict[str, Any] = field(default_factory=dict)  # programs.language_info: title, lexer, test idiom, ...


def access(s: Tx, project_id: int, record_id: int, user: User) -> str:
    """The `may_run_code` policy: "lead" (admin or project lead), "annotator" (record assigned to them);
    raises NotFound for non-members and Forbidden for members the record is not assigned to."""
    if user.is_admin:
        return LEAD
    role = members_q.role_of(s, project_id, user.id)
    if role is None:
        raise NotFound("no such project (or you are not a member of it)")
    if role == "lead":
        return LEAD
    status = code_q.latest_assignment_status(s, project_id, record_id, user.id)
    if status not in ("leased", "expired", "submitted"):
        raise Forbidden("only the annotator this record is assigned to (or a lead) may run code on it; "
                        "open it from your queue first")
    return ANNOTATOR


def may_run_code(db: Db, project_id: int, record_id: int, user: User) -> str:
    """Check the policy in its own transaction; returns the access level (see `access`)."""
    with db.read() as s:
        return access(s, project_id, record_id, user)


def code_record(s: Tx, project_id: int, record_id: int) -> tuple[RecordRow, CodeTask]:
    """The project's code record with its candidates, and its task. Raises NotFound or Invalid."""
    rec = code_q.record_with_completions(s, record_id)
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
    with db.read() as s:
        level = access(s, project_id, record_id, user)
        rec, task = code_record(s, project_id, record_id)
        python = programs.is_python(task)
        try:
            sources = [t.source for t in split_script(task.visible_tests, task.entry_point).tests] if python \
                else ([task.visible_tests] if task.visible_tests.strip() else [])
        except Invalid:
            sources = []
        rows = code_q.runs_of(s, project_id, record_id, user_id=user.id, kinds=TRAINER_KINDS)
        show = solution_text if python else programs.solution_text
        return CodeView(record_id=record_id, problem=task.problem, language=task.language,
                        entry_point=task.entry_point, visible_tests=task.visible_tests,
                        visible_test_sources=sources,
                        candidates=[{"model": c.model, "code": show(task, c.text)} for c in rec.completions],
                        has_reference=bool(task.reference_solution.strip()), access=level,
                        runs=[to_run(r, runner, level) for r in reversed(rows)],
                        lang=programs.language_info(task.language))


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
    key = f"user:{user.id}"
    with db.read() as s:  # check everything before anything is stored
        level = access(s, project_id, record_id, user)
        rec, task = code_record(s, project_id, record_id)
        n = len(rec.completions)
        if n == 0:
            raise Invalid("this record has no candidate solutions to run")
        if candidate is not None and not 0 <= candidate < n:
            raise Invalid(f"candidate {candidate} is out of range 0..{n - 1}")
        if kind == "visible":
            if programs.is_python(task):
                split_script(task.visible_tests, task.entry_point)
            elif not task.visible_tests.strip():
                raise Invalid("this code task has no such tests")
            tests = ""
        elif programs.is_python(task):
            split_trainer_tests(tests, task.entry_point)
        else:
            programs.check_tests(tests)
        which: list[tuple[str, int | None]] = [(kind, i) for i in ([candidate] if candidate is not None else range(n))]
        if kind == "custom" and task.reference_solution.strip():
            which.append(("mutation", None))
    runner.check_room(key, len(which))
    with db.write() as s:
        rows = code_q.add_runs(s, project_id, record_id, user.id, batch, which, tests)
        started = add_jobs(s, runner, rows, key, user.id)
    launch(runner, started)
    return get_runs(db, runner, project_id, record_id, user, batch=batch, level=level)


Started = list[tuple[Job, int, str, bool]]
"""Runs whose jobs this process claimed: (job, run id, user key, queued), for `launch`."""


def add_jobs(s: Tx, runner: CodeRunner, rows: list[CodeRunRow], user_key: str, created_by: int | None) -> Started:
    """Store one "code.run" job per run, claimed by this process (in the transaction that stores the runs)."""
    out: Started = []
    for r in rows:
        queued = r.kind != "mutation"
        params = {"run_id": r.id, "user_key": user_key, "queued": queued}
        job = jobs_q.add(s, CODE_RUN, params, created_by=created_by, owner=runner.jobs.owner)
        out.append((Job(job.id, CODE_RUN, params, created_by), r.id, user_key, queued))
    return out


def launch(runner: CodeRunner, started: Started) -> None:
    """Hand runs stored by `add_jobs` (after their transaction committed) to the runner."""
    for job, run_id, user_key, queued in started:
        runner.launch(job, run_id, user_key, queued=queued)


def get_runs(db: Db, runner: CodeRunner | None, project_id: int, record_id: int, user: User, *,
             batch: str | None = None, level: str | None = None) -> list[CodeRun]:
    """The caller's runs on a record (one batch, or the last 50); a lead also sees hidden runs and
    everyone's runs."""
    with db.read() as s:
        level = level or access(s, project_id, record_id, user)
        if level != LEAD:
            rows = code_q.runs_of(s, project_id, record_id, user_id=user.id, kinds=TRAINER_KINDS, batch=batch)
        else:
            rows = code_q.runs_of(s, project_id, record_id, batch=batch)
        return [to_run(r, runner, level) for r in reversed(rows)]


def mark(db: Db, run_id: int, state: str, result: dict[str, Any] | None = None) -> None:
    """Store a run's new state (and result); a finished hidden run refreshes the record's outcome."""
    with db.write() as s:
        row = code_q.get_run(s, run_id)
        if row is None:
            return
        code_q.set_run_state(s, row, state, result)
        if row.kind == "hidden" and state in ("done", "failed"):
            after_hidden_run(s, row)


def execute(db: Db, runner: CodeRunner, run_id: int, user_key: str, ticket: Ticket | None,
            stopping: threading.Event) -> None:
    """Run one stored run to its end: load (short transaction), wait for a slot, run in the sandbox (no
    transaction open), store the result. Failures are stored as state "failed"; raises only Stopped
    (the runner is stopping: the run stays as it is and its job is queued again)."""
    try:
        with db.read() as s:
            row = code_q.get_run(s, run_id)
            if row is None or row.state not in ("queued", "running"):
                return
            rec, task = code_record(s, row.project_id, row.record_id)
            texts = [c.text for c in rec.completions]
            kind, cand, tests = row.kind, row.candidate, row.tests
            project = projects_q.get(s, row.project_id, with_questions=False)
            settings = dict(project.settings or {}) if project is not None else {}
            meta = dict(rec.meta or {})
        budget = code_limits.budget_for(meta, settings)
        if not programs.is_python(task):
            _execute_program(db, runner, run_id, user_key, ticket, stopping, task, kind, cand, tests, texts, budget)
            return
        if kind == "mutation":
            mark(db, run_id, "running")
            _, style, text = split_trainer_tests(tests, task.entry_point)
            if code_limits.META_KEY not in meta and task.hidden_tests.strip():  # its mutants need the budget
                with runner.queue.slot(user_key, timeout=600):
                    budget = _measure_reference(db, runner, row.record_id, task, settings)
            result = runner.mutation(user_key, task.reference_solution, text, style, task.entry_point, stopping,
                                     budget=budget)
        else:
            assert cand is not None
            if kind == "custom":
                parts = split_trainer_tests(tests, task.entry_point)[0]
            else:
                parts = split_script(task.hidden_tests if kind == "hidden" else task.visible_tests,
                                     task.entry_point)
            if ticket is not None:
                runner.wait_slot(ticket, stopping)
            mark(db, run_id, "running")
            if code_limits.META_KEY not in meta and task.reference_solution.strip() and task.hidden_tests.strip():
                budget = _measure_reference(db, runner, row.record_id, task, settings)
            result = report_result(runner.run_tests(solution_text(task, texts[cand]), parts, budget))
            result["limits"] = {"cpu_seconds": budget.cpu_seconds, "per_test_seconds": budget.per_test_seconds,
                                "wall_seconds": budget.wall_seconds}
        mark(db, run_id, "done", result)
    except Stopped:
        raise
    except AssayError as e:
        _safe_mark(db, run_id, {"message": e.message})
    except Exception as e:
        log.exception("code run %s failed", run_id)
        _safe_mark(db, run_id, {"message": f"internal error: {type(e).__name__}; see the server log"})


def _execute_program(db: Db, runner: CodeRunner, run_id: int, user_key: str, ticket: Ticket | None,
                     stopping: threading.Event, task: CodeTask, kind: str, cand: int | None, tests: str,
                     texts: list[str], budget: code_limits.RunBudget) -> None:
    """`execute` for a non-Python task (see `assay.services.code.programs`): one program per run."""
    if kind == "mutation":
        mark(db, run_id, "running")
        result = runner.program_mutation(user_key, task, tests, stopping)
    else:
        assert cand is not None
        script = tests if kind == "custom" else task.hidden_tests if kind == "hidden" else task.visible_tests
        if ticket is not None:
            runner.wait_slot(ticket, stopping)
        mark(db, run_id, "running")
        result = runner.run_program(task, programs.solution_text(task, texts[cand]), script, budget)
        result["limits"] = {"cpu_seconds": budget.cpu_seconds, "wall_seconds": budget.wall_seconds}
    mark(db, run_id, "done", result)


def _measure_reference(db: Db, runner: CodeRunner, record_id: int, task: CodeTask,
                       settings: dict[str, Any]) -> code_limits.RunBudget:
    """A record's first run (with the slot held): time its reference solution on the hidden tests under
    the project's ceiling, store the timing in the record's metadata (unless a parallel first run
    stored one meanwhile) and return the budget it gives (see `assay.services.code.limits`)."""
    ceiling = code_limits.ceiling_of(settings)
    with runner.timing_lock(record_id):
        with db.read() as s:  # timed meanwhile by a run that held the lock first?
            rec = code_q.record_with_completions(s, record_id)
            stored = (rec.meta or {}).get(code_limits.META_KEY) if rec is not None else None
        if isinstance(stored, dict):
            return code_limits.budget_for({code_limits.META_KEY: stored}, settings)
        hidden = split_script(task.hidden_tests, task.entry_point)
        timing = runner.measure(solution_text(task, task.reference_solution), hidden, ceiling)
        with db.write() as s:
            rec = code_q.lock_record(s, record_id)
            if rec is not None:
                meta = dict(rec.meta or {})
                if isinstance(meta.get(code_limits.META_KEY), dict):  # another process timed it
                    timing = meta[code_limits.META_KEY]
                else:
                    meta[code_limits.META_KEY] = timing
                    code_q.set_record_meta(s, rec, meta)
    return code_limits.budget_for({code_limits.META_KEY: timing}, settings)


def _safe_mark(db: Db, run_id: int, result: dict[str, Any]) -> None:
    try:
        mark(db, run_id, "failed", result)
    except Exception:
        log.exception("could not record the failure of code run %s", run_id)


def latest_mutation(db: Db, project_id: int, record_id: int, user_id: int) -> CodeRun | None:
    """The user's latest finished mutation run on a record (what the lead page shows as test robustness)."""
    with db.read() as s:
        row = code_q.latest_done_mutation(s, record_id, user_id, project_id)
        return to_run(row, None, LEAD) if row is not None else None
