"""Admin over JSON: people, invite links and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from assay.schemas import UserPublic
from assay.services.accounts import audit, invites, policies, users
from assay.services.accounts.auth import Principal
from assay.services.accounts.invites import Invite
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["admin"])
RoleName = Literal["admin", "lead", "reviewer", "annotator"]


class UserCreate(BaseModel):
    username: str = Field(..., min_length=1, max_length=80)
    password: str = Field(..., min_length=8, max_length=1000)
    role: RoleName = "annotator"
    display_name: str = Field("", max_length=200)


class UserUpdate(BaseModel):
    role: RoleName | None = None
    is_active: bool | None = Field(None, description="false ends the person's sessions at once.")


class PasswordReset(BaseModel):
    password: str = Field(..., min_length=8, max_length=1000)


class InviteCreate(BaseModel):
    role: RoleName = "annotator"
    hours: int = Field(72, ge=1, le=invites.MAX_HOURS)
    note: str = Field("", max_length=200)


class InvitePublic(BaseModel):
    id: int
    role: str
    note: str
    created_at: datetime
    expires_at: datetime
    state: str

    @classmethod
    def of(cls, i: Invite) -> InvitePublic:
        return cls(id=i.id, role=i.role.value, note=i.note, created_at=i.created_at, expires_at=i.expires_at,
                   state=i.state)


class InviteCreated(InvitePublic):
    token: str = Field(description="Shown once; the link is <server>/invite/<token>.")
    url: str


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    target: str
    detail: dict[str, Any]


def _admin(p: Principal) -> None:
    policies.manage_users(p.user)


@router.get("/admin/users", response_model=list[UserPublic])
def list_users(request: Request, p: Principal = Depends(reader)) -> list[UserPublic]:
    _admin(p)
    return [UserPublic.of(u) for u in users.list_users(ctx(request).db)]


@router.post("/admin/users", response_model=UserPublic, status_code=201)
def create_user(request: Request, body: UserCreate, p: Principal = Depends(writer)) -> UserPublic:
    _admin(p)
    return UserPublic.of(users.add_user(ctx(request).db, body.username, body.password, body.role,
                                       body.display_name, actor_id=p.user.id))


@router.patch("/admin/users/{user_id}", response_model=UserPublic)
def update_user(request: Request, user_id: int, body: UserUpdate, p: Principal = Depends(writer)) -> UserPublic:
    """Change role and/or active state (deactivation ends sessions and stops tokens at once)."""
    _admin(p)
    db = ctx(request).db
    u = users.get_user(db, user_id)
    if body.role is not None:
        u = users.set_role(db, user_id, body.role, actor_id=p.user.id)
    if body.is_active is not None:
        u = users.set_active(db, user_id, body.is_active, actor_id=p.user.id)
    return UserPublic.of(u)


@router.post("/admin/users/{user_id}/password", status_code=204)
def reset_password(request: Request, user_id: int, body: PasswordReset, p: Principal = Depends(writer)) -> Response:
    _admin(p)
    users.set_password(ctx(request).db, user_id, body.password, actor_id=p.user.id)
    return Response(status_code=204)


@router.get("/admin/invites", response_model=list[InvitePublic])
def list_invites(request: Request, p: Principal = Depends(reader)) -> list[InvitePublic]:
    _admin(p)
    return [InvitePublic.of(i) for i in invites.list_invites(ctx(request).db)]


@router.post("/admin/invites", response_model=InviteCreated, status_code=201)
def create_invite(request: Request, body: InviteCreate, p: Principal = Depends(writer)) -> InviteCreated:
    _admin(p)
    raw, inv = invites.create_invite(ctx(request).db, body.role, p.user.id, body.hours, body.note)
    url = str(request.base_url).rstrip("/") + f"/invite/{raw}"
    return InviteCreated(token=raw, url=url, **InvitePublic.of(inv).model_dump())


@router.delete("/admin/invites/{invite_id}", status_code=204)
def revoke_invite(request: Request, invite_id: int, p: Principal = Depends(writer)) -> Response:
    _admin(p)
    invites.revoke_invite(ctx(request).db, invite_id, p.user.id)
    return Response(status_code=204)


@router.get("/admin/audit", response_model=list[AuditEventPublic])
def audit_log(request: Request, limit: int = 100, before: int | None = None, action: str = "",
              username: str = "", p: Principal = Depends(reader)) -> list[AuditEventPublic]:
    """Newest first; `action` is a prefix filter ("user."), `before` an event id for paging."""
    _admin(p)
    return [AuditEventPublic(**e.__dict__) for e in audit.list_events(ctx(request).db, limit, before, action,
                                                                      username)]
