"""LLM-judge suggestions: a judge model's pre-filled answer per question, with its rationale.

Suggestions live in their own table (`assay.store.tables_generation.SuggestionRow`), never in annotations
or record metadata: they are not counted toward a record's k, exporters never see them, and annotators see
them only when the project's settings say `show_suggestions: true` (leads and admins always may).

The judge calls run outside database transactions: one short transaction reads what is missing, then
each batch of judged (record, question) pairs is stored in its own short transaction. A rerun skips pairs
that already have a suggestion from the same model, so an interrupted run resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.domain.projects import Project
from assay.domain.questions import QuestionKind
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.llm import ChatClient, Judge, JudgeResult
from assay.services.accounts.audit import record_event
from assay.services.annotation import queue
from assay.services.annotation.queue import Authorize
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import assignments
from assay.store.queries import memberships as members_q
from assay.store.queries import suggestions as suggestions_q
from assay.store.tables_generation import SuggestionRow

JUDGED = (QuestionKind.pairwise, QuestionKind.rating, QuestionKind.labels)


@dataclass(frozen=True)
class Suggestion:
    """One suggested answer: `answer` has the question's own answer shape (see assay.domain.questions)."""

    id: int
    record_id: int
    question: str
    model: str
    answer: dict[str, Any]
    rationale: str
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuggestReport:
    """What a run did: pairs stored, skipped (already suggested by this model), failed (key → reason)."""

    stored: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def _of(row: SuggestionRow) -> Suggestion:
    return Suggestion(id=row.id, record_id=row.record_id, question=row.question, model=row.model,
                      answer=dict(row.answer or {}), rationale=row.rationale, created_at=row.created_at,
                      metadata=dict(row.meta or {}))


def _load_project(db: Db, project_id: int) -> Project:
    with db.read() as s:
        row = assignments.project(s, project_id, with_questions=True)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return project_from_row(row)


def _todo(db: Db, project: Project, names: list[str], model: str) -> tuple[list[tuple[int, Record, str]], int]:
    with db.read() as s:
        done = suggestions_q.suggested_pairs(s, project.id, model)
        rows = assignments.records_of_project(s, project.id)
        todo, skipped = [], 0
        for row in rows:
            rec = record_from_row(row)
            for name in names:
                if (row.id, name) in done:
                    skipped += 1
                else:
                    todo.append((row.id, rec, name))
        return todo, skipped


def suggest(db: Db, project_id: int, client: ChatClient, *, questions: list[str] | None = None,
            swap: bool = True, batch_size: int = 32, concurrency: int | None = None,
            on_progress: Callable[[SuggestReport, int], None] | None = None,
            actor: User | None = None) -> SuggestReport:
    """Ask the judge model behind `client` for a suggested answer to each judgeable question (pairwise,
    rating, labels; or those named in `questions`) of every record of the project, and store them.
    Pairs already suggested by this model are skipped. An unreadable reply or a failed call is recorded in
    `report.failed` (key `<external id>/<question>`) and nothing is stored for it. Raises NotFound for an
    unknown project, Invalid when a named question is unknown or cannot be judged."""
    project = _load_project(db, project_id)
    by_name = {q.name: q for q in project.questions}
    if questions:
        for name in questions:
            q = by_name.get(name)
            if q is None:
                raise Invalid(f"project {project.name!r} has no question {name!r}; it has {', '.join(by_name)}")
            if q.kind not in JUDGED:
                raise Invalid(f"question {name!r} is a {q.kind.value} question; the judge answers pairwise, "
                              "rating and labels questions")
        names = list(questions)
    else:
        names = [q.name for q in project.questions if q.kind in JUDGED]
    if not names:
        raise Invalid(f"project {project.name!r} has no pairwise, rating or labels question for a judge")
    model = client.config.model
    todo, skipped = _todo(db, project, names, model)
    report = SuggestReport(skipped=skipped)
    judge = Judge(client, guidelines=project.guidelines)
    for i in range(0, len(todo), batch_size):
        batch = todo[i:i + batch_size]
        results = judge.judge_many([(rec, by_name[name]) for _, rec, name in batch], swap=swap,
                                   concurrency=concurrency)
        _store(db, project.id, model, batch, results, report)
        if on_progress is not None:
            on_progress(report, len(todo))
    with db.write() as s:
        record_event(s, actor.id if actor else None, "records.suggest", project.name, model=model,
                     stored=report.stored, failed=len(report.failed))
    return report


def _store(db: Db, project_id: int, model: str, batch: list[tuple[int, Record, str]],
           results: list[JudgeResult], report: SuggestReport) -> None:
    with db.write() as s:
        for (record_id, rec, name), res in zip(batch, results, strict=True):
            if not res.ok or res.answer is None:
                report.failed[f"{rec.external_id}/{name}"] = res.error or "no answer"
                continue
            suggestions_q.put(s, project_id=project_id, record_id=record_id, question=name, model=model,
                              answer=res.answer, rationale=res.rationale,
                              meta={"consistent": res.consistent, "server_model": res.model})
            report.stored += 1


def list_in(s: Tx, project_id: int, record_id: int) -> list[Suggestion]:
    """`list_suggestions` inside the caller's transaction."""
    rec = assignments.record(s, record_id)
    if rec is None or rec.project_id != project_id:
        raise NotFound(f"no record {record_id} in this project")
    return [_of(r) for r in suggestions_q.of_record(s, record_id)]


def list_suggestions(db: Db, project_id: int, record_id: int) -> list[Suggestion]:
    """Every suggestion on one record (newest first per question). Raises NotFound for a record outside
    the project. Does not check visibility: callers use `visible_to_annotators` or a lead policy."""
    with db.read() as s:
        return list_in(s, project_id, record_id)


@dataclass(frozen=True)
class RecordSuggestions:
    """What `GET .../records/{id}/suggestions` answers: the suggestions the caller may see (none when the
    project hides them from its annotators)."""

    items: tuple[Suggestion, ...]


def for_member(db: Db, project_id: int, record_id: int, user: User, authorize: Authorize) -> RecordSuggestions:
    """Judge suggestions on one record for `user`, in one read transaction: `authorize(member_role)` first
    (e.g. `functools.partial(policies.view_project, user)`); leads and admins see them all; anyone else only
    on a record in their own queue (NotFound otherwise) and only when the project shows suggestions to
    annotators (else none). Raises NotFound for a record outside the project."""
    with db.read() as s:
        role = members_q.role_of(s, project_id, user.id)
        authorize(role)
        if not (user.is_admin or role == "lead"):
            queue.task_in(s, project_id, record_id, user.id)  # NotFound unless it is in their queue
            row = assignments.project(s, project_id, with_questions=True)
            if row is None:
                raise NotFound(f"no project with id {project_id}")
            if not visible_to_annotators(project_from_row(row)):
                return RecordSuggestions(())
        return RecordSuggestions(tuple(list_in(s, project_id, record_id)))


def visible_to_annotators(project: Project) -> bool:
    """Whether the project shows suggestions to its annotators (setting `show_suggestions`, default off)."""
    return bool((project.settings or {}).get("show_suggestions", False))


def for_workspace_in(s: Tx, project: Project, record_id: int) -> dict[str, dict[str, Any]]:
    """`for_workspace` inside the caller's transaction (no query when the project shows none)."""
    if not visible_to_annotators(project):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for sug in list_in(s, project.id, record_id):
        out.setdefault(sug.question, {"answer": sug.answer, "rationale": sug.rationale, "model": sug.model})
    return out


def for_workspace(db: Db, project: Project, record_id: int) -> dict[str, dict[str, Any]]:
    """What the annotate page shows: {question: {"answer", "rationale", "model"}} with the newest suggestion
    per question, or {} when the project does not show suggestions to annotators."""
    if not visible_to_annotators(project):
        return {}
    with db.read() as s:
        return for_workspace_in(s, project, record_id)
