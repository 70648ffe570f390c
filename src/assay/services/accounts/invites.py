"""Invite links: an admin creates one for a role; its holder picks a username and password once.

The link carries a random token; only its SHA-256 is stored. A link works once, until it expires or an
admin revokes it. Accepting it creates the account (audit: `invite.accept`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assay.domain.users import Role, User
from assay.errors import Invalid, NotFound
from assay.services.accounts import users
from assay.services.accounts.audit import record_event
from assay.services.accounts.passwords import new_token, token_digest
from assay.store.db import Db, Tx
from assay.store.queries import invites as invites_q
from assay.store.tables_security import InviteRow

MAX_HOURS = 24 * 30


@dataclass(frozen=True)
class Invite:
    id: int
    role: Role
    note: str
    created_at: datetime
    expires_at: datetime
    state: str  # "open" | "used" | "expired" | "revoked"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _state(row: InviteRow, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.used_at is not None:
        return "used"
    return "expired" if _aware(row.expires_at) <= now else "open"


def _invite(row: InviteRow, now: datetime) -> Invite:
    return Invite(id=row.id, role=Role(row.role), note=row.note, created_at=_aware(row.created_at),
                  expires_at=_aware(row.expires_at), state=_state(row, now))


def create_invite(db: Db, role: Role | str, actor_id: int | None, hours: int = 72,
                  note: str = "") -> tuple[str, Invite]:
    """Create an invite. Returns (the token for the link `/invite/<token>`, shown once; the invite).
    Raises Invalid for an unknown role or a lifetime outside 1 hour .. 30 days."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}")
    if not 1 <= hours <= MAX_HOURS:
        raise Invalid(f"an invite lives between 1 and {MAX_HOURS} hours; got {hours}")
    raw = new_token()
    now = datetime.now(UTC)
    with db.write() as s:
        row = invites_q.add(s, token_digest(raw), role.value, note[:200], actor_id, now, now + timedelta(hours=hours))
        record_event(s, actor_id, "invite.create", f"invite {row.id}", role=role.value, hours=hours)
        return raw, _invite(row, now)


def list_invites(db: Db) -> list[Invite]:
    now = datetime.now(UTC)
    with db.read() as s:
        return [_invite(r, now) for r in invites_q.newest_first(s)]


def _open_row(s: Tx, token: str) -> InviteRow:
    row = invites_q.by_token_hash(s, token_digest(token))
    if row is None or _state(row, datetime.now(UTC)) != "open":
        raise NotFound("this invite link is unknown, used, expired or revoked; ask an admin for a new one")
    return row


def check_invite(db: Db, token: str) -> Invite:
    """The open invite behind a link token. Raises NotFound for unknown, used, expired or revoked."""
    with db.read() as s:
        return _invite(_open_row(s, token), datetime.now(UTC))


def accept_invite(db: Db, token: str, username: str, password: str, display_name: str = "") -> User:
    """Create the invited account and use the link up. Raises NotFound (bad link), Conflict (name taken),
    Invalid (bad name or password). If two people race on one link, only one account is created."""
    invite = check_invite(db, token)
    user = users.add_user(db, username, password, invite.role, display_name)
    with db.write() as s:
        row = invites_q.get(s, invite.id)
        lost = row is None or row.used_at is not None
        if row is not None and not lost:
            invites_q.mark_used(s, row, datetime.now(UTC), user.id)
            record_event(s, user.id, "invite.accept", user.username, invite=invite.id, role=invite.role.value)
    if lost:  # lost a race: undo the account (in a transaction of its own, after this one ended)
        users.set_active(db, user.id, False)
        raise NotFound("this invite link was used a moment ago; ask an admin for a new one")
    return user


def revoke_invite(db: Db, invite_id: int, actor_id: int | None) -> None:
    """Revoke an invite (idempotent for used or expired ones). Raises NotFound."""
    with db.write() as s:
        row = invites_q.get(s, invite_id)
        if row is None:
            raise NotFound(f"no invite with id {invite_id}")
        if row.revoked_at is None and row.used_at is None:
            invites_q.revoke(s, row, datetime.now(UTC))
        record_event(s, actor_id, "invite.revoke", f"invite {invite_id}")
