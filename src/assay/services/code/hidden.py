"""Hidden tests: after a code record gets its first submission, every candidate is run against the
record's hidden tests in the background, and the outcome becomes part of the record.

Where the outcome lives (for leads and exporters):
- `code_runs` rows of kind "hidden" (one per candidate; `user_id` NULL), with per-test results;
- a summary in the record's metadata under `code_outcome`:
  `{"hidden": {"<candidate>": {"passed", "total", "pass_rate", "status", "state"}}, "checked_at": iso}`,
  written when each hidden run finishes, so exporters read it from `Record.metadata` with no join.
  Annotators never see record metadata (the task view hides it).

Scheduling: `sweep(db, runner)` finds submitted annotations on code records without hidden runs and
starts them (each run a "code.run" job). The job runner calls it every `SWEEP_SECONDS` (registered by
`assay.services.code.background`); pages call it too so what is due starts at once. `schedule_hidden`
starts one record's hidden runs (idempotent).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from assay.domain.answers import CodeReviewAnswer, answer_as
from assay.domain.code_runs import CandidateOutcome, CodeRun, RecordCodeOutcome
from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import NotFound
from assay.services.accounts.policies import manage_project
from assay.services.code import limits as code_limits
from assay.services.code import runs as code_runs
from assay.services.code.execution import CodeRunner
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import code as code_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q

log = logging.getLogger(__name__)
HIDDEN_USER = "system:hidden"
SWEEP_SECONDS = 2.0


def schedule_hidden(db: Db, runner: CodeRunner, project_id: int, record_id: int) -> int:
    """Start the hidden runs of one record unless it has some already. Returns how many were started."""
    with db.write() as s:
        if code_q.has_hidden_runs(s, record_id):
            return 0
        rec = code_q.record_with_completions(s, record_id)
        if rec is None or not rec.code or not str(rec.code.get("hidden_tests", "")).strip():
            return 0
        rows = code_q.add_runs(s, project_id, record_id, None, secrets.token_hex(8),
                               [("hidden", i) for i in range(len(rec.completions))], "")
        started = code_runs.add_jobs(s, runner, rows, HIDDEN_USER, None)
    code_runs.launch(runner, started)
    return len(started)


def sweep(db: Db, runner: CodeRunner, limit: int = 50) -> int:
    """Schedule hidden runs for submitted code records that lack them. Returns the number of runs
    started. (Runs a stopped process left unfinished are resumed by the job runner: "code.run" jobs are
    idempotent, so they are queued again when the server starts.)"""
    with db.read() as s:
        todo = code_q.submitted_without_hidden(s, limit)
    return sum(schedule_hidden(db, runner, project_id, record_id) for project_id, record_id in todo)


def outcomes(db: Db, project_id: int, user: User, limit: int = 200) -> list[RecordCodeOutcome]:
    """The lead's view of a project's code records: hidden pass rates per candidate and each submitted
    review (verdicts, preference, the trainer's latest mutation score). Raises Forbidden for non-leads."""
    with db.read() as s:
        return _outcomes_in(s, project_id, user, limit)


@dataclass(frozen=True)
class OutcomesView:
    """The code outcomes page and `GET .../code/outcomes`: the project and its records' outcomes."""

    project: Project
    rows: tuple[RecordCodeOutcome, ...]


def outcomes_view(db: Db, runner: CodeRunner, project_id: int, user: User, limit: int = 200) -> OutcomesView:
    """`sweep` (start the hidden runs due now rather than at the next tick), then the project and its
    `outcomes` in one read transaction. Raises as `outcomes`; NotFound for an unknown project."""
    sweep(db, runner)
    with db.read() as s:
        rows = _outcomes_in(s, project_id, user, limit)
        row = projects_q.get(s, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return OutcomesView(project_from_row(row), tuple(rows))


def _outcomes_in(s: Tx, project_id: int, user: User, limit: int) -> list[RecordCodeOutcome]:
    role = members_q.role_of(s, project_id, user.id)
    if role is None and not user.is_admin:
        raise NotFound("no such project (or you are not a member of it)")
    manage_project(user, role)
    names = code_q.code_review_question_names(s, project_id)
    recs = code_q.project_records(s, project_id, limit)
    project = projects_q.get(s, project_id, with_questions=False)
    settings = dict(project.settings or {}) if project is not None else {}
    out: list[RecordCodeOutcome] = []
    for rec in recs:
        if not rec.code:
            continue
        runs = {r.candidate: r for r in code_q.hidden_runs_of(s, rec.id)}
        cands = []
        for i, c in enumerate(rec.completions):
            r = runs.get(i)
            res = (r.result or {}) if r else {}
            cands.append(CandidateOutcome(candidate=i, model=c.model, state=r.state if r else "pending",
                                          passed=int(res.get("passed", 0)), total=int(res.get("total", 0)),
                                          status=str(res.get("status", res.get("message", "")))))
        reviews = []
        for ann, uname in code_q.submitted_with_usernames(s, rec.id):
            mut = code_q.latest_done_mutation(s, rec.id, ann.user_id)
            for name in names:
                a = answer_as(CodeReviewAnswer, (ann.answers or {}).get(name)) or CodeReviewAnswer()
                reviews.append({"user": uname, "question": name,
                                "verdicts": {str(i): v for i, v in a.verdicts.items()},
                                "preference": a.preference.to_json() if a.preference else None,
                                "rationale": a.rationale, "tests": a.tests,
                                "mutation": dict(mut.result) if mut is not None else None})
        out.append(RecordCodeOutcome(record_id=rec.id, external_id=rec.external_id, candidates=cands,
                                     reviews=reviews, limits=_limits(rec.meta, settings)))
    return out


def _limits(meta: dict[str, Any] | None, settings: dict[str, Any]) -> dict[str, Any]:
    """A record's run budget for the lead's page (see `assay.services.code.limits`)."""
    b = code_limits.budget_for(meta, settings)
    timing = (meta or {}).get(code_limits.META_KEY)
    return {"cpu_seconds": b.cpu_seconds, "per_test_seconds": b.per_test_seconds, "wall_seconds": b.wall_seconds,
            "reference_cpu_seconds": b.reference_cpu_seconds, "capped": b.capped,
            "reference_status": str(timing.get("status", "")) if isinstance(timing, dict) else None}


def hidden_runs(db: Db, project_id: int, record_id: int, user: User) -> list[CodeRun]:
    """A record's hidden runs with per-test results (leads and admins only)."""
    with db.read() as s:
        if code_runs.access(s, project_id, record_id, user) != code_runs.LEAD:
            raise NotFound("no such runs")
        rows = code_q.hidden_runs_of(s, record_id, project_id)
        return [code_runs.to_run(r, None, code_runs.LEAD) for r in rows]
