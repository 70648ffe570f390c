"""Admin over JSON: people, invite links and the audit log (admins only). Each handler checks the
`manage_users` policy, then calls one service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from assay.schemas import (
    AuditEventPublic,
    InviteCreate,
    InviteCreated,
    InvitePublic,
    PasswordReset,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from assay.services.accounts import audit, invites, policies, users
from assay.services.accounts.invites import Invite
from assay.web.deps import BeforeId, DbDep, IntQuery, InviteId, Reader, UserId, Writer

router = APIRouter(tags=["admin"])


def invite_public(i: Invite) -> InvitePublic:
    return InvitePublic(id=i.id, role=i.role.value, note=i.note, created_at=i.created_at, expires_at=i.expires_at,
                        state=i.state)


@router.get("/admin/users", response_model=list[UserPublic])
def list_users(p: Reader, db: DbDep) -> list[UserPublic]:
    policies.manage_users(p.user)
    return [UserPublic.of(u) for u in users.list_users(db)]


@router.post("/admin/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, p: Writer, db: DbDep) -> UserPublic:
    policies.manage_users(p.user)
    return UserPublic.of(users.add_user(db, body.username, body.password, body.role, body.display_name,
                                       actor_id=p.user.id))


@router.patch("/admin/users/{user_id}", response_model=UserPublic)
def update_user(user_id: UserId, body: UserUpdate, p: Writer, db: DbDep) -> UserPublic:
    """Change role and/or active state (deactivation ends sessions and stops tokens at once)."""
    policies.manage_users(p.user)
    # set_role and set_active each own a transaction (and raise NotFound); read only when neither is asked
    u = None
    if body.role is not None:
        u = users.set_role(db, user_id, body.role, actor_id=p.user.id)
    if body.is_active is not None:
        u = users.set_active(db, user_id, body.is_active, actor_id=p.user.id)
    return UserPublic.of(u if u is not None else users.get_user(db, user_id))


@router.post("/admin/users/{user_id}/password", status_code=204)
def reset_password(user_id: UserId, body: PasswordReset, p: Writer, db: DbDep) -> Response:
    """Set someone's password: every session of theirs ends and every API token of theirs is revoked
    (the header `Assay-Credentials-Ended` says how many of each, e.g. `sessions=2; api_tokens=1`)."""
    policies.manage_users(p.user)
    ended = users.set_password(db, user_id, body.password, actor_id=p.user.id)
    return Response(status_code=204, headers={"Assay-Credentials-Ended": ended.header()})


@router.get("/admin/invites", response_model=list[InvitePublic])
def list_invites(p: Reader, db: DbDep) -> list[InvitePublic]:
    policies.manage_users(p.user)
    return [invite_public(i) for i in invites.list_invites(db)]


@router.post("/admin/invites", response_model=InviteCreated, status_code=201)
def create_invite(request: Request, body: InviteCreate, p: Writer, db: DbDep) -> InviteCreated:
    policies.manage_users(p.user)
    raw, inv = invites.create_invite(db, body.role, p.user.id, body.hours, body.note)
    url = str(request.base_url).rstrip("/") + f"/invite/{raw}"
    return InviteCreated(token=raw, url=url, **invite_public(inv).model_dump())


@router.delete("/admin/invites/{invite_id}", status_code=204)
def revoke_invite(invite_id: InviteId, p: Writer, db: DbDep) -> Response:
    policies.manage_users(p.user)
    invites.revoke_invite(db, invite_id, p.user.id)
    return Response(status_code=204)


@router.get("/admin/audit", response_model=list[AuditEventPublic])
def audit_log(p: Reader, db: DbDep, limit: IntQuery = 100, before: BeforeId = None,
              action: str = "", username: str = "") -> list[AuditEventPublic]:
    """Newest first; `action` is a prefix filter ("user."), `before` an event id for paging."""
    policies.manage_users(p.user)
    return [AuditEventPublic(**e.__dict__) for e in audit.list_events(db, limit, before, action, username)]
