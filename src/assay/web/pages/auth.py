"""Sign in and sign out."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import AssayError, Conflict, Forbidden, Invalid
from assay.services.accounts import auth, invites
from assay.services.accounts.passwords import new_token
from assay.web.context import ctx
from assay.web.deps import DbDep, Writer
from assay.web.pages.common import page
from assay.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, client_ip, optional_principal

router = APIRouter()


def _safe_next(target: str) -> str:
    """A same-site path to go to after signing in; anything else (another host, `//host`, `/\\host`,
    control characters) becomes "/"."""
    ok = target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target \
        and all(32 <= ord(ch) < 127 for ch in target)
    return target if ok else "/"


def _anon_form(request: Request, template: str, status_code: int = 200, **data: object) -> Response:
    """A form for someone not signed in, protected by a double-submit CSRF cookie (strict, HttpOnly)."""
    token = new_token(16)
    resp = page(request, template, None, status_code=status_code, login_csrf=token, **data)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=ctx(request).settings.secure_cookies, max_age=3600)
    return resp


def _check_anon_csrf(request: Request, sent: str) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden("the form expired; reload the page and try again")


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _anon_form(request, "login.html", next=_safe_next(next), error="")


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), csrf_token: str = Form(""),
          next: str = Form("/")) -> Response:
    c = ctx(request)
    try:
        _check_anon_csrf(request, csrf_token)
        signin = auth.login(c.db, username, password, client_ip(request), c.throttle)
    except AssayError as e:
        return _anon_form(request, "login.html", status_code=e.status, next=_safe_next(next), error=e.message,
                          username=username)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # rotate: the pre-login session (if any) ends
        auth.logout(c.db, old)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, signin.session_token, httponly=True, samesite="lax",
                    secure=c.settings.secure_cookies, max_age=c.settings.session_absolute_hours * 3600)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, p: Writer, db: DbDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.logout(db, token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/invite/{token}")
def invite_form(request: Request, token: str, db: DbDep) -> Response:
    """The page an invite link opens: choose a username and password (no sign-in needed)."""
    invite = invites.check_invite(db, token)
    return _anon_form(request, "invite.html", token=token, invite=invite, error="")


@router.post("/invite/{token}")
def invite_accept(request: Request, token: str, db: DbDep, username: str = Form(...),
                  password: str = Form(...), confirm: str = Form(...), display_name: str = Form(""),
                  csrf_token: str = Form("")) -> Response:
    """Create the invited account (the link is then used up) and send the person to sign in."""
    invite = invites.check_invite(db, token)
    try:
        _check_anon_csrf(request, csrf_token)
        if password != confirm:
            raise Invalid("the two passwords differ; type them again")
        invites.accept_invite(db, token, username, password, display_name)
    except (Invalid, Conflict, Forbidden) as e:
        return _anon_form(request, "invite.html", status_code=e.status, token=token, invite=invite,
                          error=e.message, username=username)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.get("/")
def home(request: Request) -> Response:
    p = optional_principal(request)
    return RedirectResponse("/projects" if p else "/login", status_code=303)
