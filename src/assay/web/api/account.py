"""The caller's own account over JSON: API tokens (create shows the token once; list; revoke), password."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from assay.schemas import PasswordChange, TokenCreate, TokenCreated, TokenPublic
from assay.services.accounts import auth, users
from assay.web.deps import DbDep, Reader, TokenId, Writer

router = APIRouter(tags=["account"])


@router.get("/account/tokens", response_model=list[TokenPublic])
def list_tokens(p: Reader, db: DbDep) -> list[TokenPublic]:
    return [TokenPublic.model_validate(t) for t in auth.list_api_tokens(db, p.user.id)]


@router.post("/account/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, p: Writer, db: DbDep) -> TokenCreated:
    raw, t = auth.create_api_token(db, p.user.id, body.name, body.scope)
    return TokenCreated(token=raw, **TokenPublic.model_validate(t).model_dump())


@router.delete("/account/tokens/{token_id}", status_code=204)
def revoke_token(token_id: TokenId, p: Writer, db: DbDep) -> Response:
    auth.revoke_api_token(db, p.user.id, token_id)
    return Response(status_code=204)


@router.post("/account/password", status_code=204)
def change_password(body: PasswordChange, p: Writer, db: DbDep) -> Response:
    """Change your own password; every session of yours ends and every API token of yours is revoked,
    this one included (the header `Assay-Credentials-Ended` says how many of each)."""
    ended = users.change_own_password(db, p.user.id, body.old_password, body.new_password)
    return Response(status_code=204, headers={"Assay-Credentials-Ended": ended.header()})
