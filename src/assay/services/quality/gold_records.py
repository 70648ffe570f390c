"""Marking records gold (and unmarking them): the one path behind the records table's bulk action, the API
(`/api/v1/projects/{id}/gold`), the SDK, the CLI (`assay gold ...`) and `gold.set_gold`.

Contracts:
- expected answers are validated per record against the project's questions with the typed answer models
  (`domain.questions.validate_answers` → `domain.answers`), like a submission (a pairwise strength is
  optional: gold scores the choice only); a bad answer names the record and the question;
- all or nothing: one write transaction; any unknown record or bad answer changes nothing;
- the people who already submitted on the records are scored again (`gold.rescore_in`), so their standing
  shows the live figures everywhere;
- one audit entry per call (`gold.set` / `gold.unset`, with how many and the first record ids);
- gold answers are for leads only: every function checks `policies.manage_project` (`user` None: the local
  operator running the CLI against the database).
Counters are not touched (a gold record is served regardless of k; `store.slots` keeps them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.domain.projects import Project
from assay.domain.questions import validate_answers
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.quality import gold
from assay.store.db import Db, Tx
from assay.store.mappers import question_from_row
from assay.store.queries import gold as gold_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records_table as table_q
from assay.store.tables import ProjectRow, RecordRow

MAX_RECORDS = 100_000
"""The most records one call may change."""


@dataclass(frozen=True)
class GoldItem:
    """A gold record and its expected answers (leads only)."""

    record_id: int
    external_id: str
    expected: dict[str, Any]


def _project(s: Tx, project_id: int, user: User | None) -> ProjectRow:
    """The project, after the lead check; `user` None is the local operator (the CLI, with the database's
    own credentials), who may do anything."""
    if user is not None:
        policies.manage_project(user, members_q.role_of(s, project_id, user.id))
    project = projects_q.get(s, project_id)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    return project


def resolve(s: Tx, project: ProjectRow, record_ids: Sequence[int] = (), external_ids: Sequence[str] = ()
            ) -> list[RecordRow]:
    """The project's records named by id and/or external id. Raises Invalid for none named or too many,
    NotFound naming the first id the project does not hold."""
    if not record_ids and not external_ids:
        raise Invalid("name the records: record_ids (numbers) or external_ids (the ids records were imported "
                      "with)", details={"field": "record_ids"})
    if len(record_ids) + len(external_ids) > MAX_RECORDS:
        raise Invalid(f"at most {MAX_RECORDS} records per call", details={"field": "record_ids"})
    rows = {r.id: r for r in table_q.of_project(s, project.id, sorted(set(record_ids)))}
    missing = [i for i in record_ids if i not in rows]
    if missing:
        raise NotFound(f"no record {missing[0]} in project {project.name!r}", details={"field": "record_ids"})
    by_ext = {r.external_id: r for r in table_q.by_external_ids(s, project.id, sorted(set(external_ids)))}
    gone = [e for e in external_ids if e not in by_ext]
    if gone:
        raise NotFound(f"no record with id {gone[0]!r} in project {project.name!r}",
                       details={"field": "external_ids"})
    rows.update({r.id: r for r in by_ext.values()})
    return [rows[i] for i in sorted(rows)]


def expected_for(project: ProjectRow, row: RecordRow, expected: dict[str, Any]) -> dict[str, Any]:
    """The expected answers checked for this record (stored shapes). Raises Invalid naming the record and
    the question."""
    if not isinstance(expected, dict) or not expected:
        raise Invalid("expected answers must be an object keyed by question name, answering at least one of: "
                      + ", ".join(q.name for q in project.questions), details={"field": "expected"})
    names = {q.name for q in project.questions}
    unknown = sorted(set(expected) - names)
    if unknown:
        raise Invalid(f"expected.{unknown[0]}: the project has no question {unknown[0]!r}; it asks "
                      + ", ".join(sorted(names)), details={"field": f"expected.{unknown[0]}"})
    questions = [question_from_row(q) for q in project.questions if q.name in expected]
    try:
        clean = validate_answers(questions, expected, [c.text for c in row.completions], strength_optional=True)
    except Invalid as e:
        raise Invalid(f"record {row.external_id!r}: {e.message}",
                      details={"record": row.external_id, "field": "expected"}) from e
    if not clean:
        raise Invalid(f"record {row.external_id!r}: the expected answers are all empty",
                      details={"record": row.external_id, "field": "expected"})
    return clean


def check_expected(project: Project, record: Record, where: str) -> None:
    """An imported record's expected answers (`record.expected`, from a `gold` / `expected` field) checked
    against the project's questions like `expected_for`, and normalised in place. Raises Invalid naming
    `where` (file and line) and the field."""
    if record.expected is None:
        return
    names = {q.name for q in project.questions}
    for name in record.expected:
        if name not in names:
            raise Invalid(f"{where}: expected.{name}: the project has no question {name!r}; it asks "
                          + ", ".join(sorted(names)), details={"record": record.external_id, "field": f"expected.{name}"})
    texts = [c.text for c in record.completions]
    out: dict[str, Any] = {}
    for q in project.questions:
        if q.name not in record.expected:
            continue
        try:
            clean = validate_answers([q], {q.name: record.expected[q.name]}, texts, strength_optional=True)
        except Invalid as e:
            raise Invalid(f"{where}: expected.{q.name}: {e.message}",
                          details={"record": record.external_id, "field": f"expected.{q.name}"}) from e
        out.update(clean)
    if not out:
        raise Invalid(f"{where}: expected: the expected answers are all empty",
                      details={"record": record.external_id, "field": "expected"})
    record.expected = out


def mark_in(s: Tx, project: ProjectRow, rows: Sequence[RecordRow], expected: dict[str, Any],
            actor: User | None) -> int:
    """Inside the caller's write transaction: validate for every record first, then mark them all gold,
    rescore who judged them and write one audit entry. Returns how many records."""
    checked = [(row, expected_for(project, row, expected)) for row in rows]
    for row, answers in checked:
        table_q.set_gold(s, row, answers)
    ids = [r.id for r in rows]
    gold.rescore_in(s, project.id, project.name, project.settings, gold_q.submitters(s, ids))
    record_event(s, actor.id if actor else None, "gold.set", project.name, records=len(ids),
                 record_ids=ids[:50], questions=sorted(expected))
    return len(ids)


def unmark_in(s: Tx, project: ProjectRow, rows: Sequence[RecordRow], actor: User | None) -> int:
    """Inside the caller's write transaction: unmark the records (their expected answers are dropped),
    rescore who judged them, one audit entry. Returns how many were gold."""
    was = [r for r in rows if r.is_gold]
    for row in was:
        table_q.set_gold(s, row, None)
    ids = [r.id for r in was]
    gold.rescore_in(s, project.id, project.name, project.settings, gold_q.submitters(s, ids))
    record_event(s, actor.id if actor else None, "gold.unset", project.name, records=len(ids), record_ids=ids[:50])
    return len(ids)


def set_gold(db: Db, project_id: int, user: User | None, expected: dict[str, Any], *, record_ids: Sequence[int] = (),
             external_ids: Sequence[str] = ()) -> int:
    """Mark records gold with the same expected answers (all or nothing). Returns how many."""
    with db.write() as s:
        project = _project(s, project_id, user)
        return mark_in(s, project, resolve(s, project, record_ids, external_ids), expected, user)


def unset_gold(db: Db, project_id: int, user: User | None, *, record_ids: Sequence[int] = (),
               external_ids: Sequence[str] = ()) -> int:
    """Unmark records (all or nothing: an unknown record changes nothing). Returns how many were gold."""
    with db.write() as s:
        project = _project(s, project_id, user)
        return unmark_in(s, project, resolve(s, project, record_ids, external_ids), user)


def list_gold(db: Db, project_id: int, user: User | None) -> list[GoldItem]:
    """The project's gold records with their expected answers, by id (leads and admins)."""
    with db.read() as s:
        _project(s, project_id, user)
        return [GoldItem(r.id, r.external_id, dict(r.gold_answers or {})) for r in table_q.gold_records(s, project_id)]
