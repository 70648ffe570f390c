"""Row → domain conversions, so services return domain objects and never leak ORM rows."""

from __future__ import annotations

import json
from typing import Any

from assay.domain.projects import Project
from assay.domain.questions import Question, QuestionKind
from assay.domain.records import CodeTask, Completion, Message, Record
from assay.domain.users import Role, User
from assay.store.tables import ProjectRow, QuestionRow, RecordRow, UserRow


def user_from_row(row: UserRow) -> User:
    return User(id=row.id, username=row.username, role=Role(row.role), display_name=row.display_name,
                is_active=row.is_active)


def question_from_row(row: QuestionRow) -> Question:
    return Question(name=row.name, kind=QuestionKind(row.kind), title=row.title, help=row.help, required=row.required,
                    options=dict(row.options or {}))


def project_from_row(row: ProjectRow) -> Project:
    return Project(id=row.id, name=row.name, title=row.title, guidelines=row.guidelines,
                   annotators_per_record=row.annotators_per_record, lease_seconds=row.lease_seconds,
                   questions=[question_from_row(q) for q in row.questions], settings=dict(row.settings or {}))


def _message(m: dict[str, Any]) -> Message:
    return Message(role=m["role"], content=m.get("content", ""), tool_calls=m.get("tool_calls"))


def _json_list(value: Any) -> list[dict[str, Any]]:
    """A JSON array column of `queue_statements` (a list from psycopg, text from SQLite, None over no
    rows), sorted by each object's position."""
    if value is None:
        return []
    items = json.loads(value) if isinstance(value, (str, bytes)) else value
    return sorted(items, key=lambda o: o["position"])


def completions_from_json(value: Any) -> list[Completion]:
    """The completions of `queue_statements.COMPLETIONS_JSON`, in position order."""
    return [Completion(text=c["text"], model=c["model"], metadata=dict(c["meta"] or {})) for c in _json_list(value)]


def questions_from_json(value: Any) -> list[Question]:
    """The questions of `queue_statements.QUESTIONS_JSON`, in position order."""
    return [Question(name=q["name"], kind=QuestionKind(q["kind"]), title=q["title"], help=q["help"],
                     required=bool(q["required"]), options=dict(q["options"] or {})) for q in _json_list(value)]


def record_from_columns(row: Any) -> Record:
    """A record from a Core row of `queue_statements.RECORD_COLUMNS` (its completions included), as
    `record_from_row` builds it from ORM rows."""
    return Record(
        external_id=row.external_id,
        messages=[_message(m) for m in row.messages or []],
        completions=completions_from_json(row.completions),
        metadata=dict(row.meta or {}),
        code=CodeTask(**row.code) if row.code else None,
        source=row.source,
    )


def record_from_row(row: RecordRow) -> Record:
    return Record(
        external_id=row.external_id,
        messages=[_message(m) for m in row.messages or []],
        completions=[Completion(text=c.text, model=c.model, metadata=dict(c.meta or {})) for c in row.completions],
        metadata=dict(row.meta or {}),
        code=CodeTask(**row.code) if row.code else None,
        source=row.source,
    )
