"""Users: create, find, list, change role and password, deactivate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from assay.domain.users import Role, User
from assay.errors import Conflict, Forbidden, Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.services.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from assay.store.db import Db, Tx
from assay.store.mappers import user_from_row
from assay.store.queries import sessions as sessions_q
from assay.store.queries import tokens as tokens_q
from assay.store.queries import users as users_q
from assay.store.tables import UserRow


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(db: Db, username: str, password: str, role: Role | str = Role.annotator,
             display_name: str = "", actor_id: int | None = None) -> User:
    """Create a user. Raises Conflict if the username is taken, Invalid for a bad name, role or password."""
    username = username.strip()
    if not username or len(username) > 80 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise Invalid("a username is 1-80 letters, digits, '.', '-' or '_'")
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}")
    _check_password(password)
    with db.write() as s:
        if users_q.name_taken(s, username):
            raise Conflict(f"user {username!r} already exists; pick another name")
        row = users_q.add(s, username, hash_password(password), role.value, display_name)
        record_event(s, actor_id, "user.create", username, role=role.value)
        return user_from_row(row)


def get_user(db: Db, user_id: int) -> User:
    """Raises NotFound for an unknown id."""
    with db.read() as s:
        return user_from_row(_row(s, user_id))


def find_user(db: Db, username: str) -> User:
    with db.read() as s:
        row = users_q.by_name(s, username)
        if row is None:
            raise NotFound(f"no user named {username!r}; list users with `assay users ls`")
        return user_from_row(row)


def list_users(db: Db) -> list[User]:
    with db.read() as s:
        return [user_from_row(r) for r in users_q.all_by_name(s)]


@dataclass(frozen=True)
class CredentialsEnded:
    """What a password change ended: the person's sessions and API tokens (both, always)."""

    sessions: int
    tokens: int

    def describe(self) -> str:
        """'2 sessions and 1 API token ended' — for the page or the CLI to say what happened."""
        def n(count: int, noun: str) -> str:
            return f"{count} {noun}{'' if count == 1 else 's'}"
        return f"{n(self.sessions, 'session')} and {n(self.tokens, 'API token')} ended"

    def header(self) -> str:
        """The same for an API answer's `Assay-Credentials-Ended` header: 'sessions=2; api_tokens=1'."""
        return f"sessions={self.sessions}; api_tokens={self.tokens}"


def _end_credentials(s: Tx, user_id: int) -> CredentialsEnded:
    """End every session and revoke every API token of the user (inside the caller's transaction), so a
    password change shuts out whoever held the old password or anything minted with it."""
    return CredentialsEnded(sessions=sessions_q.delete_for_user(s, user_id),
                            tokens=tokens_q.revoke_all_of_user(s, user_id, datetime.now(UTC)))


def set_password(db: Db, user_id: int, password: str, actor_id: int | None = None) -> CredentialsEnded:
    """Change a password (an admin reset) and end all of the user's sessions and API tokens, in one
    transaction. Returns what was ended."""
    _check_password(password)
    with db.write() as s:
        row = _row(s, user_id)
        users_q.set_password_hash(s, row, hash_password(password))
        ended = _end_credentials(s, user_id)
        record_event(s, actor_id, "user.password", row.username, sessions_ended=ended.sessions,
                     tokens_revoked=ended.tokens)
        return ended


def set_active(db: Db, user_id: int, active: bool, actor_id: int | None = None) -> User:
    """Activate or deactivate; deactivation ends the person's sessions at once."""
    with db.write() as s:
        row = _row(s, user_id)
        if not active and row.role == Role.admin.value and row.is_active:
            _keep_an_admin(s, user_id)
        users_q.set_active(s, row, active)
        if not active:
            sessions_q.delete_for_user(s, user_id)
        record_event(s, actor_id, "user.activate" if active else "user.deactivate", row.username)
        return user_from_row(row)


def change_own_password(db: Db, user_id: int, old_password: str, new_password: str) -> CredentialsEnded:
    """A person changes their own password: the old one must match. Ends all of their sessions (the
    caller signs in again) and revokes all of their API tokens; returns what was ended. Raises Forbidden
    for a wrong old password, Invalid for a weak new one."""
    _check_password(new_password)
    with db.write() as s:
        row = _row(s, user_id)
        if not verify_password(row.password_hash, old_password):
            raise Forbidden("the current password is wrong; type it again")
        if old_password == new_password:
            raise Invalid("the new password is the same as the old one; choose a different one")
        users_q.set_password_hash(s, row, hash_password(new_password))
        ended = _end_credentials(s, user_id)
        record_event(s, user_id, "user.password_change", row.username, sessions_ended=ended.sessions,
                     tokens_revoked=ended.tokens)
        return ended


def set_role(db: Db, user_id: int, role: Role | str, actor_id: int | None = None) -> User:
    """Change a person's site role. Raises Invalid for an unknown role, Conflict when it would leave no
    active admin."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}")
    with db.write() as s:
        row = _row(s, user_id)
        if row.role == Role.admin.value and role is not Role.admin:
            _keep_an_admin(s, user_id)
        old = row.role
        users_q.set_role(s, row, role.value)
        record_event(s, actor_id, "user.role", row.username, old=old, new=role.value)
        return user_from_row(row)


def _row(s: Tx, user_id: int) -> UserRow:
    row = users_q.by_id(s, user_id)
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


def _keep_an_admin(s: Tx, leaving_id: int) -> None:
    if users_q.other_active_admins(s, Role.admin.value, leaving_id) == 0:
        raise Conflict("this is the last active admin; make someone else an admin first")
