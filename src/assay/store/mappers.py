"""Row → domain conversions, so services return domain objects and never leak ORM rows."""

from __future__ import annotations

from collections.abc import Iterable
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


def record_from_columns(row: Any, completions: Iterable[Any]) -> Record:
    """A record from a Core row of `queue_statements.RECORD_COLUMNS` and rows of its completions
    (text, model, meta), as `record_from_row` builds it from ORM rows."""
    return Record(
        external_id=row.external_id,
        messages=[_message(m) for m in row.messages or []],
        completions=[Completion(text=c.text, model=c.model, metadata=dict(c.meta or {})) for c in completions],
        metadata=dict(row.meta or {}),
        code=CodeTask(**row.code) if row.code else None,
        source=row.source,
    )


def question_from_columns(row: Any) -> Question:
    """A question from a Core row of `queue_statements.QUESTIONS`."""
    return Question(name=row.name, kind=QuestionKind(row.kind), title=row.title, help=row.help, required=row.required,
                    options=dict(row.options or {}))


def record_from_row(row: RecordRow) -> Record:
    return Record(
        external_id=row.external_id,
        messages=[_message(m) for m in row.messages or []],
        completions=[Completion(text=c.text, model=c.model, metadata=dict(c.meta or {})) for c in row.completions],
        metadata=dict(row.meta or {}),
        code=CodeTask(**row.code) if row.code else None,
        source=row.source,
    )
