"""Project membership: who belongs to a project and in which role."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.store.tables import MemberRow, UserRow


def role_of(s: Session, project_id: int, user_id: int) -> str | None:
    """The person's role in the project, or None when not a member (one primary-key lookup)."""
    return s.scalar(select(MemberRow.role).where(MemberRow.project_id == project_id, MemberRow.user_id == user_id))


def get(s: Session, project_id: int, user_id: int) -> MemberRow | None:
    return s.get(MemberRow, (project_id, user_id))


def put(s: Session, project_id: int, user_id: int, role: str) -> None:
    """Add the member, or change their role."""
    row = s.get(MemberRow, (project_id, user_id))
    if row is None:
        s.add(MemberRow(project_id=project_id, user_id=user_id, role=role))
    else:
        row.role = role


def remove(s: Session, row: MemberRow) -> None:
    s.delete(row)
    s.flush()


def count_in_role(s: Session, project_id: int, role: str) -> int:
    return s.scalar(select(func.count()).select_from(MemberRow).where(
        MemberRow.project_id == project_id, MemberRow.role == role)) or 0


def members(s: Session, project_id: int) -> list[tuple[UserRow, str]]:
    """(user, role in the project) of every member, by username."""
    return [(u, r) for u, r in s.execute(select(UserRow, MemberRow.role).join(MemberRow, MemberRow.user_id == UserRow.id)
                                         .where(MemberRow.project_id == project_id).order_by(UserRow.username))]
