"""The signed-in person's own account: change password, create / list / revoke API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import AssayError, Invalid
from assay.services.accounts import auth, users
from assay.services.accounts.auth import Principal
from assay.web.context import ctx
from assay.web.deps import DbDep, Reader, TokenId, Writer
from assay.web.pages.common import page
from assay.web.security import SESSION_COOKIE

router = APIRouter()


def _account(request: Request, p: Principal, status_code: int = 200, **extra: object) -> Response:
    tokens = auth.list_api_tokens(ctx(request).db, p.user.id)
    extra.setdefault("error", "")
    extra.setdefault("new_token", "")
    extra.setdefault("message", "")
    return page(request, "account.html", p, status_code=status_code, tokens=tokens, **extra)


@router.get("/account")
def account_page(request: Request, p: Reader) -> Response:
    return _account(request, p)


@router.post("/account/password")
def change_password(request: Request, p: Writer, db: DbDep, old_password: str = Form(...),
                    new_password: str = Form(...), confirm: str = Form(...)) -> Response:
    """Change one's own password (old one required). All of the person's sessions end; sign in again."""
    try:
        if new_password != confirm:
            raise Invalid("the two new passwords differ; type them again")
        users.change_own_password(db, p.user.id, old_password, new_password)
    except AssayError as e:
        return _account(request, p, status_code=e.status, error=e.message)
    resp = RedirectResponse("/login?next=/account", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.post("/account/tokens")
def create_token(request: Request, p: Writer, db: DbDep, name: str = Form(...), scope: str = Form("read")
                 ) -> Response:
    """Mint an API token and show it once on the page (never in a URL, never again)."""
    raw, tok = auth.create_api_token(db, p.user.id, name.strip() or "unnamed", scope)
    return _account(request, p, new_token=raw, message=f"token {tok.name!r} created")


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: TokenId, p: Writer, db: DbDep) -> Response:
    auth.revoke_api_token(db, p.user.id, token_id)
    return RedirectResponse("/account", status_code=303)
