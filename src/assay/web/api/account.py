"""The caller's own account over JSON: API tokens (create shows the token once; list; revoke), password."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from assay.services.accounts import auth, users
from assay.services.accounts.auth import ApiToken, Principal
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["account"])


class TokenCreate(BaseModel):
    name: str = Field(..., min_length=1, max_length=200, description="What the token is for.")
    scope: Literal["read", "write"] = Field("read", description="read: GET only; write: everything you may do.")


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, t: ApiToken) -> TokenPublic:
        return cls(id=t.id, name=t.name, prefix=t.prefix, scope=t.scope, created_at=t.created_at,
                   last_used_at=t.last_used_at, revoked=t.revoked)


class TokenCreated(TokenPublic):
    token: str = Field(description="The token itself. Shown this once; only its hash is stored.")


class PasswordChange(BaseModel):
    old_password: str = Field(..., max_length=1000)
    new_password: str = Field(..., min_length=8, max_length=1000)


@router.get("/account/tokens", response_model=list[TokenPublic])
def list_tokens(request: Request, p: Principal = Depends(reader)) -> list[TokenPublic]:
    return [TokenPublic.of(t) for t in auth.list_api_tokens(ctx(request).db, p.user.id)]


@router.post("/account/tokens", response_model=TokenCreated, status_code=201)
def create_token(request: Request, body: TokenCreate, p: Principal = Depends(writer)) -> TokenCreated:
    raw, t = auth.create_api_token(ctx(request).db, p.user.id, body.name, body.scope)
    return TokenCreated(token=raw, **TokenPublic.of(t).model_dump())


@router.delete("/account/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, token_id: int, p: Principal = Depends(writer)) -> Response:
    auth.revoke_api_token(ctx(request).db, p.user.id, token_id)
    return Response(status_code=204)


@router.post("/account/password", status_code=204)
def change_password(request: Request, body: PasswordChange, p: Principal = Depends(writer)) -> Response:
    """Change your own password; every session of yours ends (API tokens keep working)."""
    users.change_own_password(ctx(request).db, p.user.id, body.old_password, body.new_password)
    return Response(status_code=204)
