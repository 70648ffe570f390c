"""Importing records that arrive with other people's judgments (PandaLM, Tulu 1 human eval, …).

`import_judgments` goes through the normal import (`services.records.import_records`) and then stores each
`metadata["judgments"]` entry as a submitted annotation by an external annotator, so agreement,
aggregation and rankings run on them like on work done in Assay.

External annotators become placeholder users named `ext-<source>-<name>`: deactivated, with an unusable
password hash (nobody can sign in as them), and project members with the role "annotator". A record keeps
all its judgments even when there are more than the project's k (the queue then serves it to nobody).
Re-running the import is safe: records and annotations that exist are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from assay.domain.questions import Question, QuestionKind, validate_answers
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.services.projects.records import import_records
from assay.store.db import Db
from assay.store.mappers import question_from_row
from assay.store.tables import AnnotationRow, AssignmentRow, MemberRow, ProjectRow, RecordRow, UserRow

UNUSABLE_HASH = "!external"


@dataclass(frozen=True)
class JudgmentsImport:
    records_created: int
    records_existing: int
    annotators: int
    annotations_created: int
    annotations_skipped: int


def external_username(source: str, name: str) -> str:
    """The placeholder username for an external annotator (letters, digits, '-', '_'; at most 80)."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", f"ext-{source}-{name}").strip("_")
    return clean[:80]


def _stamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _clean(q: Question, answer: Any, texts: list[str]) -> dict[str, Any]:
    """Validate like a submission, except that a pairwise choice from a source without strengths keeps
    `strength: None` (the source never asked for one)."""
    if (q.kind is QuestionKind.pairwise and isinstance(answer, dict) and answer.get("choice") in ("a", "b")
            and answer.get("strength") is None):
        return {q.name: {"choice": answer["choice"], "strength": None}}
    return validate_answers([q], {q.name: answer}, texts)


def import_judgments(db: Db, project_id: int, records: list[Record], question: str, *, source: str = "import",
                     actor: User | None = None) -> JudgmentsImport:
    """Import `records` and their `metadata["judgments"]` ({"annotator", "answer", "submitted_at"?}) as
    submitted answers to `question` (a pairwise question of the project). Answers that do not validate
    are skipped and counted. Raises NotFound / Invalid for an unknown project or question."""
    result = import_records(db, project_id, records, actor=actor)
    now = datetime.now(UTC)
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id, options=[selectinload(ProjectRow.questions)])
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        qrow = next((q for q in project.questions if q.name == question), None)
        if qrow is None:
            raise Invalid(f"project {project.name!r} has no question {question!r}; its questions: "
                          + ", ".join(q.name for q in project.questions))
        q = question_from_row(qrow)
        names = sorted({str(j["annotator"]) for r in records for j in r.metadata.get("judgments") or []})
        users: dict[str, int] = {}
        for name in names:
            uname = external_username(source, name)
            row = s.scalar(select(UserRow).where(UserRow.username == uname))
            if row is None:
                row = UserRow(username=uname, display_name=f"{name} ({source})", password_hash=UNUSABLE_HASH,
                              role="annotator", is_active=False)
                s.add(row)
                s.flush()
            if s.get(MemberRow, (project_id, row.id)) is None:
                s.add(MemberRow(project_id=project_id, user_id=row.id, role="annotator"))
            users[name] = row.id
        ids = {r.external_id: r for r in records}
        rows = {r.external_id: r for r in s.scalars(select(RecordRow).where(RecordRow.project_id == project_id)
                                                    .options(selectinload(RecordRow.completions)))
                if r.external_id in ids}
        have = {(r, u) for r, u in s.execute(select(AnnotationRow.record_id, AnnotationRow.user_id)
                                             .where(AnnotationRow.project_id == project_id))}
        created = skipped = 0
        for ext, rec in ids.items():
            rrow = rows[ext]
            texts = [c.text for c in rrow.completions]
            for j in rec.metadata.get("judgments") or []:
                uid = users[str(j["annotator"])]
                if (rrow.id, uid) in have:
                    continue
                try:
                    clean = _clean(q, j["answer"], texts)
                except Invalid:
                    skipped += 1
                    continue
                at = _stamp(j.get("submitted_at")) or now
                s.add(AssignmentRow(project_id=project_id, record_id=rrow.id, user_id=uid, status="submitted",
                                    leased_at=at, expires_at=at))
                s.add(AnnotationRow(project_id=project_id, record_id=rrow.id, user_id=uid, status="submitted",
                                    answers=clean, active_seconds=0.0, revision=1, created_at=at, updated_at=at,
                                    submitted_at=at))
                have.add((rrow.id, uid))
                rrow.submitted_count += 1
                created += 1
        record_event(s, actor.id if actor else None, "judgments.import", project.name, source=source,
                     annotations=created, skipped=skipped, annotators=len(users))
    return JudgmentsImport(result.created, result.existing, len(users), created, skipped)
