"""People over the wire: a user as anyone sees them, an admin's create / update / password reset,
invite links and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assay.domain.users import User

RoleName = Literal["admin", "lead", "reviewer", "annotator"]
MAX_INVITE_HOURS = 24 * 30
"""The longest an invite link may stay open (hours)."""


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool

    @classmethod
    def of(cls, u: User) -> UserPublic:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role.value,
                   is_active=u.is_active)


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


class PasswordChange(BaseModel):
    old_password: str = Field(..., max_length=1000)
    new_password: str = Field(..., min_length=8, max_length=1000)


class InviteCreate(BaseModel):
    role: RoleName = "annotator"
    hours: int = Field(72, ge=1, le=MAX_INVITE_HOURS)
    note: str = Field("", max_length=200)


class InvitePublic(BaseModel):
    id: int
    role: str
    note: str
    created_at: datetime
    expires_at: datetime
    state: str


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
