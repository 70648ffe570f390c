"""Invite links (stored as SHA-256 digests of their tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables_security import InviteRow


def add(s: Session, token_hash: str, role: str, note: str, created_by: int | None, created_at: datetime,
        expires_at: datetime) -> InviteRow:
    """Insert an invite and flush (the row has its id)."""
    row = InviteRow(token_hash=token_hash, role=role, note=note, created_by=created_by, created_at=created_at,
                    expires_at=expires_at)
    s.add(row)
    s.flush()
    return row


def newest_first(s: Session) -> list[InviteRow]:
    return list(s.scalars(select(InviteRow).order_by(InviteRow.id.desc())))


def by_token_hash(s: Session, token_hash: str) -> InviteRow | None:
    return s.scalar(select(InviteRow).where(InviteRow.token_hash == token_hash))


def get(s: Session, invite_id: int) -> InviteRow | None:
    return s.get(InviteRow, invite_id)


def mark_used(s: Session, row: InviteRow, at: datetime, user_id: int) -> None:
    row.used_at, row.used_by = at, user_id
    s.flush()


def revoke(s: Session, row: InviteRow, at: datetime) -> None:
    row.revoked_at = at
    s.flush()
