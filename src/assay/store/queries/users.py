"""Users: find, add, list, change password, role and active flag."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.store.tables import UserRow


def by_id(s: Session, user_id: int) -> UserRow | None:
    return s.get(UserRow, user_id)


def by_name(s: Session, username: str) -> UserRow | None:
    return s.scalar(select(UserRow).where(UserRow.username == username))


def name_taken(s: Session, username: str) -> bool:
    return s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None


def username_of(s: Session, user_id: int) -> str | None:
    return s.scalar(select(UserRow.username).where(UserRow.id == user_id))


def add(s: Session, username: str, password_hash: str, role: str, display_name: str = "") -> UserRow:
    """Insert a user and flush (the row has its id)."""
    row = UserRow(username=username, password_hash=password_hash, role=role, display_name=display_name)
    s.add(row)
    s.flush()
    return row


def all_by_name(s: Session) -> list[UserRow]:
    return list(s.scalars(select(UserRow).order_by(UserRow.username)))


def active_password_hashes(s: Session, usernames: Iterable[str]) -> dict[str, str]:
    """username → password hash of the active accounts among `usernames`."""
    return {r.username: r.password_hash for r in s.scalars(
        select(UserRow).where(UserRow.username.in_(list(usernames)), UserRow.is_active))}


def set_password_hash(s: Session, row: UserRow, password_hash: str) -> None:
    row.password_hash = password_hash
    s.flush()


def set_active(s: Session, row: UserRow, active: bool) -> None:
    row.is_active = active
    s.flush()


def set_role(s: Session, row: UserRow, role: str) -> None:
    row.role = role
    s.flush()


def other_active_admins(s: Session, role_admin: str, leaving_id: int) -> int:
    """How many active users with role `role_admin` there are besides `leaving_id`."""
    return s.scalar(select(func.count()).select_from(UserRow).where(
        UserRow.role == role_admin, UserRow.is_active, UserRow.id != leaving_id)) or 0
