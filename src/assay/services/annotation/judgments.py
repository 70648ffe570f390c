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

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.domain.questions import Question, validate_answers
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.services.projects.records import import_records
from assay.store import slots
from assay.store.db import Db
from assay.store.mappers import question_from_row
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments
from assay.store.queries import judgments as judgments_q

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


def _clean_form(questions: list[Question], answers: Any, texts: list[str]) -> dict[str, Any]:
    """A whole imported form (`{"answers": {question: answer}}`, e.g. from Label Studio or Argilla): only the
    questions it answers are checked, as not required (the source's form may not have asked them all)."""
    if not isinstance(answers, dict) or not answers:
        raise Invalid("an imported judgment has no answers")
    asked = [dataclasses.replace(q, required=False) for q in questions if q.name in answers]
    clean = validate_answers(asked, answers, texts, strength_optional=True)
    if not clean:
        raise Invalid("an imported judgment has no answers")
    return clean


def _clean(q: Question, answer: Any, texts: list[str]) -> dict[str, Any]:
    """Validate like a submission, except that a pairwise choice from a source without strengths keeps
    `strength: None` (the source never asked for one)."""
    return validate_answers([q], {q.name: answer}, texts, strength_optional=True)


def import_judgments(db: Db, project_id: int, records: list[Record], question: str | None, *, source: str = "import",
                     actor: User | None = None) -> JudgmentsImport:
    """Import `records` and their `metadata["judgments"]` ({"annotator", "answer", "submitted_at"?}) as
    submitted answers to `question` (a pairwise question of the project). A judgment carrying a whole form
    ({"annotator", "answers": {question: answer}, "submitted_at"?, "active_seconds"?}, as the Label Studio
    and Argilla readers give) answers those questions and needs no `question`. Answers that do not validate
    are skipped and counted. Raises NotFound / Invalid for an unknown project or question."""
    result = import_records(db, project_id, records, actor=actor)
    now = datetime.now(UTC)
    with db.write() as s:
        project = assignments.project(s, project_id, with_questions=True)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        qrow = next((q for q in project.questions if q.name == question), None)
        forms_only = all("answers" in j for r in records for j in r.metadata.get("judgments") or [])
        if qrow is None and not forms_only:
            raise Invalid(f"project {project.name!r} has no question {question!r}; its questions: "
                          + ", ".join(q.name for q in project.questions))
        q = question_from_row(qrow) if qrow is not None else None
        form = [question_from_row(r) for r in project.questions]
        names = sorted({str(j["annotator"]) for r in records for j in r.metadata.get("judgments") or []})
        users: dict[str, int] = {}
        for name in names:
            uid = judgments_q.placeholder_user(s, external_username(source, name), f"{name} ({source})",
                                               UNUSABLE_HASH)
            judgments_q.ensure_member(s, project_id, uid, "annotator")
            users[name] = uid
        ids = {r.external_id: r for r in records}
        rows = {r.external_id: r for r in assignments.records_of_project(s, project_id) if r.external_id in ids}
        have = annotations_q.pairs(s, project_id)
        created = skipped = 0
        for ext, rec in ids.items():
            rrow = rows[ext]
            texts = [c.text for c in rrow.completions]
            for j in rec.metadata.get("judgments") or []:
                uid = users[str(j["annotator"])]
                if (rrow.id, uid) in have:
                    continue
                try:
                    if "answers" in j:
                        clean = _clean_form(form, j["answers"], texts)
                    else:
                        assert q is not None  # forms_only is False here
                        clean = _clean(q, j["answer"], texts)
                except Invalid:
                    skipped += 1
                    continue
                at = _stamp(j.get("submitted_at")) or now
                seconds = j.get("active_seconds")
                slots.add_submitted(s, project_id=project_id, record_id=rrow.id, user_id=uid, answers=clean, at=at,
                                    active_seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0)
                have.add((rrow.id, uid))
                created += 1
        record_event(s, actor.id if actor else None, "judgments.import", project.name, source=source,
                     annotations=created, skipped=skipped, annotators=len(users))
    return JudgmentsImport(result.created, result.existing, len(users), created, skipped)
