"""Adding records to a project: all-or-nothing, idempotent by external id."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from assay.domain.projects import Project
from assay.domain.questions import QuestionKind, validate_answer
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.formats.text import refuse_in_record
from assay.services.accounts.audit import record_event
from assay.services.quality import gold_records
from assay.store.db import Db
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import import_staging as staging_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

MIN_COMPLETIONS = {QuestionKind.pairwise: 2, QuestionKind.ranking: 2, QuestionKind.rating: 1,
                   QuestionKind.spans: 1, QuestionKind.code_review: 1}
# A ranking is ordered by drag and by the number keys 1-9, so it holds at most nine completions.
MAX_COMPLETIONS = {QuestionKind.ranking: 9}
# The metadata key holding pre-filled answers (e.g. a model's predictions) that become suggestions on import.
SUGGESTIONS_KEY = "suggestions"


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int

    @property
    def total(self) -> int:
        return self.created + self.existing


def _where(record: Record) -> str:
    """'file.jsonl line 17' from a source like 'file.jsonl:17'; else the record's id."""
    head, _, tail = record.source.rpartition(":")
    if head and tail.isdigit():
        return f"{head} line {tail}"
    return record.source or f"record {record.external_id!r}"


def check_fits(project: Project, record: Record) -> None:
    """Raise Invalid (naming the record's source) when the record cannot be judged with this project's form.

    A record with no completions at all is accepted: it waits for `assay generate` and is not served
    until it has completions. Some, but too few, is an error.
    """
    n = len(record.completions)
    if n == 0:
        return
    for q in project.questions:
        need = MIN_COMPLETIONS.get(q.kind, 0)
        if q.kind is QuestionKind.pairwise:
            need = max(need, int(q.options.get("a", 0)) + 1, int(q.options.get("b", 1)) + 1)
        if n < need:
            where = _where(record)
            raise Invalid(f"{where}: question {q.name!r} ({q.kind.value}) needs at least {need} completions, "
                          f"the record has {n}", details={"record": record.external_id, "field": "completions"})
        most = MAX_COMPLETIONS.get(q.kind)
        if most is not None and n > most:
            raise Invalid(f"{_where(record)}: question {q.name!r} ({q.kind.value}) ranks at most {most} "
                          f"completions, the record has {n}", details={"record": record.external_id,
                                                                       "field": "completions"})
        if q.kind is QuestionKind.code_review and record.code is None:
            raise Invalid(f"{_where(record)}: a code_review question needs a code task "
                          "(problem and tests)", details={"record": record.external_id, "field": "code"})


def metadata_suggestions(project: Project, record: Record) -> list[tuple[str, dict[str, Any], str, str]]:
    """Pre-filled answers a record brings in `metadata["suggestions"]`, checked against the form, as
    (question, answer, rationale, model). Each entry is either the answer itself
    (`{"preference": {"choice": "a", "strength": 2}}`) or `{"answer": {...}, "rationale": "...", "model": "..."}`.
    Raises Invalid naming the record's line and the field for an unknown question or a malformed answer."""
    raw = (record.metadata or {}).get(SUGGESTIONS_KEY)
    if raw is None:
        return []
    field = f"metadata.{SUGGESTIONS_KEY}"
    if not isinstance(raw, dict):
        raise Invalid(f"{_where(record)}: {field} must be an object keyed by question name",
                      details={"record": record.external_id, "field": field})
    by_name = {q.name: q for q in project.questions}
    texts = [c.text for c in record.completions]
    out = []
    for name, entry in raw.items():
        q = by_name.get(name)
        if q is None:
            raise Invalid(f"{_where(record)}: {field}.{name}: the project has no question {name!r}; it has "
                          f"{', '.join(by_name)}", details={"record": record.external_id, "field": f"{field}.{name}"})
        long = isinstance(entry, dict) and isinstance(entry.get("answer"), dict)
        answer = entry["answer"] if long else entry
        try:
            # a pre-fill may be partial (a rating of one completion) or lack a strength (Label Studio, Argilla)
            clean = validate_answer(replace(q, required=False), answer, texts, strength_optional=True) if texts \
                else answer
        except Invalid as e:
            raise Invalid(f"{_where(record)}: {field}.{name}: {e}",
                          details={"record": record.external_id, "field": f"{field}.{name}"}) from e
        if not isinstance(clean, dict) or not clean:
            raise Invalid(f"{_where(record)}: {field}.{name}: a suggestion must be a non-empty answer object",
                          details={"record": record.external_id, "field": f"{field}.{name}"})
        out.append((name, clean, str(entry.get("rationale", "")) if long else "",
                    str(entry.get("model") or "metadata") if long else "metadata"))
    return out


STAGE_CHUNK = 250  # records staged per write transaction (a few milliseconds of the SQLite writer lock)
STAGE_PAUSE = 0.004  # seconds between two staging transactions: writers waiting for the lock poll every 2 ms


def hand_over(held: float) -> None:
    """Pause after a staging transaction that held the writer lock `held` seconds: at least as long as it
    held it (and at least `STAGE_PAUSE`), so the writers waiting for the lock get it. The lock is not fair,
    and on a busy machine a waiting thread wakes later than a fixed few milliseconds: the importer took the
    lock back before they ran (annotators' p95 679 ms against 225 ms for the same work on another database,
    at load 6.5). So an import holds the lock at most about half the time, however slow the machine."""
    time.sleep(max(STAGE_PAUSE, held))


def import_records(db: Db, project_id: int, records: list[Record], actor: User | None = None,
                   priority: int = 0) -> ImportResult:
    """Add records, all or nothing. Records whose external id already exists in the project are left as
    they are (so re-running an import is safe). Any invalid record aborts the whole import before anything
    is written. Answers in a record's `metadata["suggestions"]` are stored as suggestions (see
    `metadata_suggestions`).

    Other people keep working meanwhile: every record is checked outside any transaction, then staged in
    temporary tables (`store.queries.import_staging`) `STAGE_CHUNK` records per short write transaction,
    then published in one short transaction (INSERT … SELECT inside the database). Nothing is visible in the
    project before that transaction commits; an import that fails or is killed before it leaves nothing."""
    if not records:
        raise Invalid("no records to import (the input is empty)")
    seen: dict[str, str] = {}
    for r in records:
        refuse_in_record(r, _where(r))  # text that is not valid Unicode (a lone surrogate) names its field
        if r.external_id in seen:
            raise Invalid(f"{_where(r)}: id {r.external_id!r} repeats {seen[r.external_id]}; ids must be unique",
                          details={"field": "id"})
        seen[r.external_id] = r.source or r.external_id
    with db.read() as s:
        prow = projects_q.get(s, project_id)
        if prow is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(prow)
        already = records_q.existing_external_ids(s, project_id, list(seen))
    fresh = [r for r in records if r.external_id not in already]
    prefilled = []
    for r in records:
        check_fits(project, r)
        gold_records.check_expected(project, r, _where(r))  # an import's `gold` / `expected` field
        suggested = metadata_suggestions(project, r)
        if r.external_id not in already:
            prefilled.append(suggested)
    with db.kept_connection() as conn:
        staging_q.hold_checkpoints(conn, True)
        try:
            with db.write_on(conn):
                staging_q.create(conn)
            for start, stop in staging_q.chunks(len(fresh), STAGE_CHUNK):
                batch = staging_q.rows(start, fresh[start:stop], priority, prefilled[start:stop])
                with db.write_on(conn):
                    began = time.perf_counter()
                    staging_q.stage(conn, batch)
                hand_over(time.perf_counter() - began)  # the writer lock to whoever waits (it is not fair)
            with db.write_on(conn), db.session_on(conn) as s:
                if projects_q.get(s, project_id, with_questions=False) is None:  # deleted while staging
                    raise NotFound(f"no project with id {project_id}")
                created, existing = staging_q.publish(conn, project_id, datetime.now(UTC))
                existing += len(already)
                record_event(s, actor.id if actor else None, "records.import", project.name,
                             created=created, existing=existing)
        finally:
            with db.write_on(conn):
                staging_q.drop(conn)
            staging_q.hold_checkpoints(conn, False)
        staging_q.checkpoint(conn)  # outside the writer lock: nobody waits for the copy
    return ImportResult(created=created, existing=existing)


def get_record(db: Db, project_id: int, record_id: int) -> Record:
    """Raises NotFound for an unknown record or one of another project."""
    with db.read() as s:
        row = records_q.get(s, record_id)
        if row is None or row.project_id != project_id:
            raise NotFound(f"no record {record_id} in this project")
        return record_from_row(row)
