"""Projects and their questions: find, create, list, update."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.store import slots
from assay.store.tables import AnnotationRow, MemberRow, ProjectRow, QuestionRow


def get(s: Session, project_id: int, *, with_questions: bool = True) -> ProjectRow | None:
    """The project (its questions loaded with it unless told otherwise), or None."""
    return s.get(ProjectRow, project_id, options=[selectinload(ProjectRow.questions)] if with_questions else [])


def by_name(s: Session, name: str) -> ProjectRow | None:
    return s.scalar(select(ProjectRow).where(ProjectRow.name == name))


def name_taken(s: Session, name: str) -> bool:
    return s.scalar(select(ProjectRow.id).where(ProjectRow.name == name)) is not None


def _question_rows(questions: list[Question]) -> list[QuestionRow]:
    return [QuestionRow(position=i, name=q.name, kind=q.kind.value, title=q.title, help=q.help, required=q.required,
                        options=q.options) for i, q in enumerate(questions)]


def add(s: Session, spec: ProjectSpec, created_by: int | None) -> ProjectRow:
    """Insert a project with its questions and flush (the row has its id)."""
    row = ProjectRow(name=spec.name, title=spec.title, guidelines=spec.guidelines,
                     annotators_per_record=spec.annotators_per_record, lease_seconds=spec.lease_minutes * 60,
                     settings=spec.settings, created_by=created_by)
    row.questions = _question_rows(spec.questions)
    s.add(row)
    s.flush()
    return row


def visible(s: Session, member_id: int | None) -> list[ProjectRow]:
    """Projects by id with their questions: those `member_id` belongs to, or all when None."""
    q = select(ProjectRow).options(selectinload(ProjectRow.questions)).order_by(ProjectRow.id)
    if member_id is not None:
        q = q.join(MemberRow, and_(MemberRow.project_id == ProjectRow.id, MemberRow.user_id == member_id))
    return list(s.scalars(q))


def annotation_count(s: Session, project_id: int) -> int:
    """Annotations of the project, drafts included."""
    return s.scalar(select(func.count()).select_from(AnnotationRow).where(AnnotationRow.project_id == project_id)) or 0


def replace_questions(s: Session, row: ProjectRow, questions: list[Question]) -> None:
    """Swap the project's questions for `questions` (in order)."""
    row.questions.clear()
    s.flush()
    row.questions.extend(_question_rows(questions))


def retitle_questions(s: Session, row: ProjectRow, questions: list[Question]) -> None:
    """Copy titles and help texts from `questions` onto the stored ones, position by position."""
    for qr, q in zip(sorted(row.questions, key=lambda q: q.position), questions):
        qr.title, qr.help = q.title, q.help


def update_settings(s: Session, row: ProjectRow, spec: ProjectSpec) -> ProjectRow:
    """Write the spec's title, guidelines, distribution settings and settings; flush and reload the row."""
    k_changed = row.annotators_per_record != spec.annotators_per_record
    row.title, row.guidelines = spec.title, spec.guidelines
    row.annotators_per_record = spec.annotators_per_record
    row.lease_seconds = spec.lease_minutes * 60
    row.settings = dict(spec.settings)
    s.flush()
    if k_changed:  # which records have room changed with k: the claim's order key follows
        slots.reset_queue_taken(s, row.id)
    s.refresh(row)
    return row
