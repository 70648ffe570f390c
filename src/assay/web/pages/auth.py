"""Sign in and sign out."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import AssayError, Forbidden
from assay.services import auth
from assay.services.auth import Principal
from assay.services.passwords import new_token
from assay.web.context import ctx
from assay.web.pages.common import page
from assay.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, client_ip, optional_principal, writer

router = APIRouter()


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    token = new_token(16)
    resp = page(request, "login.html", None, next=_safe_next(next), login_csrf=token, error="")
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=ctx(request).settings.secure_cookies, max_age=3600)
    return resp


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...),
          csrf_token: str = Form(""), next: str = Form("/")) -> Response:
    c = ctx(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    try:
        if not cookie or not hmac.compare_digest(cookie, csrf_token):
            raise Forbidden("the sign-in form expired; reload the page and try again")
        signin = auth.login(c.db, username, password, client_ip(request), c.throttle)
    except AssayError as e:
        token = new_token(16)
        resp = page(request, "login.html", None, status_code=e.status, next=_safe_next(next),
                    login_csrf=token, error=e.message, username=username)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=c.settings.secure_cookies, max_age=3600)
        return resp
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # rotate: the pre-login session (if any) ends
        auth.logout(c.db, old)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, signin.session_token, httponly=True, samesite="lax",
                    secure=c.settings.secure_cookies, max_age=c.settings.session_absolute_hours * 3600)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, p: Principal = Depends(writer)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.logout(ctx(request).db, token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/")
def home(request: Request) -> Response:
    p = optional_principal(request)
    return RedirectResponse("/projects" if p else "/login", status_code=303)
