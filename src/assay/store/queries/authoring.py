"""Authoring tasks, their conversation trees, red-team attempts and fact checks, plus what the authoring
services read around them (membership, projects with questions, records with completions). Functions take a
session and never commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from assay.store.tables import CompletionRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_authoring import AuthoringNodeRow, AuthoringTaskRow, FactCheckRow, RedteamAttemptRow


def project(s: Session, project_id: int, *, with_questions: bool = False) -> ProjectRow | None:
    if with_questions:
        return s.get(ProjectRow, project_id, options=[selectinload(ProjectRow.questions)])
    return s.get(ProjectRow, project_id)


def set_project_settings(s: Session, row: ProjectRow, settings: dict[str, Any]) -> None:
    row.settings = settings
    s.flush()


def usernames(s: Session, user_ids: Collection[int]) -> dict[int, str]:
    return {u.id: u.username for u in s.scalars(select(UserRow).where(UserRow.id.in_(list(user_ids))))}


# tasks and nodes ---------------------------------------------------------------------------------------

def task(s: Session, task_id: int) -> AuthoringTaskRow | None:
    return s.get(AuthoringTaskRow, task_id)


def tasks_of_project(s: Session, project_id: int, user_id: int | None, limit: int = 200) -> list[AuthoringTaskRow]:
    """The project's tasks (of one user when `user_id`), newest first."""
    q = select(AuthoringTaskRow).where(AuthoringTaskRow.project_id == project_id)
    if user_id is not None:
        q = q.where(AuthoringTaskRow.user_id == user_id)
    return list(s.scalars(q.order_by(AuthoringTaskRow.id.desc()).limit(limit)))


def add_task(s: Session, **fields: Any) -> AuthoringTaskRow:
    """Insert a task (fields of `AuthoringTaskRow`) and flush (it has its id)."""
    row = AuthoringTaskRow(**fields)
    s.add(row)
    s.flush()
    return row


def update_task(s: Session, row: AuthoringTaskRow, **fields: Any) -> None:
    """Set fields of the task, stamp `updated_at`, flush."""
    for k, v in fields.items():
        setattr(row, k, v)
    row.updated_at = datetime.now(UTC)
    s.flush()


def node(s: Session, node_id: int) -> AuthoringNodeRow | None:
    return s.get(AuthoringNodeRow, node_id)


def nodes_of_task(s: Session, task_id: int) -> list[AuthoringNodeRow]:
    return list(s.scalars(select(AuthoringNodeRow).where(AuthoringNodeRow.task_id == task_id)
                          .order_by(AuthoringNodeRow.id)))


def add_node(s: Session, **fields: Any) -> AuthoringNodeRow:
    """Insert a conversation node (fields of `AuthoringNodeRow`) and flush."""
    row = AuthoringNodeRow(**fields)
    s.add(row)
    s.flush()
    return row


def update_node(s: Session, row: AuthoringNodeRow, **fields: Any) -> None:
    for k, v in fields.items():
        setattr(row, k, v)
    s.flush()


def reply_in_slot(s: Session, user_node_id: int, slot: int) -> AuthoringNodeRow | None:
    """The assistant reply stored in `slot` under a user message, or None."""
    return s.scalar(select(AuthoringNodeRow).where(AuthoringNodeRow.parent_id == user_node_id,
                                                   AuthoringNodeRow.slot == slot,
                                                   AuthoringNodeRow.role == "assistant"))


def node_text(s: Session, node_id: int | None) -> str | None:
    return None if node_id is None else s.scalar(select(AuthoringNodeRow.text).where(AuthoringNodeRow.id == node_id))


def replies_since(s: Session, project_id: int, user_id: int, since: datetime) -> int:
    """Model replies stored in the user's tasks of the project since `since`."""
    return int(s.scalar(select(func.count()).select_from(AuthoringNodeRow)
                        .join(AuthoringTaskRow, AuthoringTaskRow.id == AuthoringNodeRow.task_id)
                        .where(AuthoringTaskRow.project_id == project_id, AuthoringTaskRow.user_id == user_id,
                               AuthoringNodeRow.role == "assistant", AuthoringNodeRow.created_at >= since))
               or 0)


# red team -------------------------------------------------------------------------------------------------

def attempt(s: Session, attempt_id: int) -> RedteamAttemptRow | None:
    return s.get(RedteamAttemptRow, attempt_id)


def attempts_of_task(s: Session, task_id: int) -> list[RedteamAttemptRow]:
    return list(s.scalars(select(RedteamAttemptRow).where(RedteamAttemptRow.task_id == task_id)
                          .order_by(RedteamAttemptRow.id)))


def add_attempt(s: Session, **fields: Any) -> RedteamAttemptRow:
    row = RedteamAttemptRow(**fields)
    s.add(row)
    s.flush()
    return row


def update_attempt(s: Session, row: RedteamAttemptRow, **fields: Any) -> None:
    for k, v in fields.items():
        setattr(row, k, v)
    s.flush()


def attempts_of_project(s: Session, project_id: int, user_id: int | None
                        ) -> list[tuple[RedteamAttemptRow, str, int | None]]:
    """(attempt, author's username, the attacked reply's parent node id) of the project's attempts (of one
    user when `user_id`), in id order."""
    q = (select(RedteamAttemptRow, UserRow.username, AuthoringNodeRow.parent_id)
         .join(AuthoringTaskRow, AuthoringTaskRow.id == RedteamAttemptRow.task_id)
         .join(UserRow, UserRow.id == RedteamAttemptRow.user_id)
         .join(AuthoringNodeRow, AuthoringNodeRow.id == RedteamAttemptRow.node_id)
         .where(AuthoringTaskRow.project_id == project_id).order_by(RedteamAttemptRow.id))
    if user_id is not None:
        q = q.where(RedteamAttemptRow.user_id == user_id)
    return [(a, str(u), p) for a, u, p in s.execute(q)]


# records made from authoring --------------------------------------------------------------------------------

def record_with_completions(s: Session, record_id: int) -> RecordRow | None:
    return s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)])


def add_record(s: Session, project_id: int, external_id: str, messages: list[dict[str, str]],
               completions: list[tuple[str, str, dict[str, Any]]], meta: dict[str, Any], source: str) -> RecordRow:
    """Insert a record with its completions ((model, text, metadata) each, in order) and flush."""
    row = RecordRow(project_id=project_id, external_id=external_id, messages=messages, meta=meta, source=source)
    row.completions = [CompletionRow(position=i, model=m, text=t, meta=cm) for i, (m, t, cm) in enumerate(completions)]
    s.add(row)
    s.flush()
    return row


# fact checks ---------------------------------------------------------------------------------------------------

def add_fact_check(s: Session, **fields: Any) -> FactCheckRow:
    row = FactCheckRow(**fields)
    s.add(row)
    s.flush()
    return row


def fact_check(s: Session, check_id: int) -> FactCheckRow | None:
    return s.get(FactCheckRow, check_id)


def delete_fact_check(s: Session, row: FactCheckRow) -> None:
    s.delete(row)
    s.flush()


def fact_checks(s: Session, project_id: int, record_id: int | None) -> list[tuple[FactCheckRow, str]]:
    """(check, author's username) of the project (or one record), by record then id."""
    q = (select(FactCheckRow, UserRow.username).join(UserRow, UserRow.id == FactCheckRow.user_id)
         .where(FactCheckRow.project_id == project_id))
    if record_id is not None:
        q = q.where(FactCheckRow.record_id == record_id)
    return [(r, str(u)) for r, u in s.execute(q.order_by(FactCheckRow.record_id, FactCheckRow.id))]
