"""Queries for importing other people's judgments: placeholder users for external annotators and their
project membership. The submitted annotations themselves are made by `assay.store.slots.add_submitted`.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables import MemberRow, UserRow


def placeholder_user(s: Session, username: str, display_name: str, password_hash: str) -> int:
    """The id of the user `username`, made (deactivated, an annotator, with `password_hash`) when missing."""
    row = s.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        row = UserRow(username=username, display_name=display_name, password_hash=password_hash,
                      role="annotator", is_active=False)
        s.add(row)
        s.flush()
    return row.id


def ensure_member(s: Session, project_id: int, user_id: int, role: str) -> None:
    """Make the person a member of the project with `role` unless they already are one."""
    if s.get(MemberRow, (project_id, user_id)) is None:
        s.add(MemberRow(project_id=project_id, user_id=user_id, role=role))
