"""Request bodies: who may send one, and how big it may be — decided before a byte of it is read.

`BodyLimit` is a plain ASGI middleware in front of every route. For a request that can carry a body
(POST, PUT, PATCH, DELETE) it:

1. picks the limit of the route family: record imports (`POST /api/v1/projects/{id}/records`) get
   `max_import_bytes`; the anonymous forms (sign-in, invite) `max_anonymous_body_bytes`; every other route
   `max_body_bytes`;
2. answers 401 at once when the route needs a signed-in caller and the request carries no credentials (no
   bearer token, no session cookie) — the body is never read;
3. answers 413 at once when `Content-Length` is over the limit;
4. for a body that may be big (no `Content-Length`, or more than `RESOLVE_ABOVE` bytes), resolves the
   caller (token or session, one indexed query in a worker thread) before reading: a bad token or an ended
   session gets 401 without the body being read, a good one is kept on the request's state so the route's
   own check does not look it up again. Small bodies skip this (reading 64 KiB costs less than a thread
   hop, and the route checks the caller anyway);
5. counts the bytes as the route reads them and raises a 413 `HTTPException` (answered by
   `assay.web.errors` like any error) the moment the count passes the limit, so a chunked body with a
   lying or missing length cannot get more through either.

Errors are answered by `assay.web.errors.error_response` (JSON under `/api/`, a page or fragment else).
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.config import Settings
from assay.errors import Unauthenticated
from assay.services.accounts import auth
from assay.services.accounts.auth import Principal
from assay.web.context import ctx
from assay.web.errors import error_response
from assay.web.security import SESSION_COOKIE

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IMPORT_ROUTE = re.compile(r"^/api/v1/projects/[^/]+/records/?$")
UPLOAD_ROUTE = re.compile(r"^(/api/v1)?/projects/[^/]+/(import/upload|imports)/?$")  # file uploads (streamed)
ANONYMOUS_ROUTES = re.compile(r"^/(login|invite/[^/]+)/?$")  # forms anyone may post
RESOLVE_ABOVE = 64 * 1024


def route_limit(settings: Settings, method: str, path: str) -> tuple[int, bool]:
    """(the largest body this route accepts, whether it needs a signed-in caller)."""
    if ANONYMOUS_ROUTES.match(path):
        return settings.max_anonymous_body_bytes, False
    if method == "POST" and IMPORT_ROUTE.match(path):
        return settings.max_import_bytes, True
    if method == "POST" and UPLOAD_ROUTE.match(path):
        return settings.max_upload_bytes, True
    return settings.max_body_bytes, True


def _scan_headers(scope: Scope) -> tuple[str, bool, bytes | None]:
    """(bearer token or "", whether a session cookie may be present, the raw Content-Length or None), read
    straight off the ASGI headers in one pass: the hot annotation routes pass through here on every request,
    so nothing is parsed that the decision does not need (the cookie is parsed only when a caller must be
    resolved, by `_session_cookie`)."""
    bearer, cookie, length = "", False, None
    for name, value in scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            if header[:7].lower() == "bearer ":
                bearer = header[7:].strip()
        elif name == b"cookie":
            cookie = cookie or _COOKIE_NAME in value
        elif name == b"content-length":
            length = value
    return bearer, cookie, length


_COOKIE_NAME = SESSION_COOKIE.encode("latin-1") + b"="


def _too_large(limit: int) -> str:
    return (f"the request body is larger than this route accepts ({limit} bytes); send less (split an "
            "import into several requests) or ask an admin to raise the limit")


class BodyLimit:
    """See the module doc. Add it inside `SecurityHeaders` so its answers carry the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        settings = ctx(request).settings
        limit, needs_caller = route_limit(settings, scope["method"], scope["path"])
        bearer, has_cookie, length_header = _scan_headers(scope)
        if needs_caller and not bearer and not has_cookie:
            await error_response(request, 401, "unauthenticated", "sign in first")(scope, receive, send)
            return
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            await error_response(request, 400, "invalid", "Content-Length is not a number")(scope, receive, send)
            return
        if length is not None and length > limit:
            await error_response(request, 413, "too_large", _too_large(limit))(scope, receive, send)
            return
        if needs_caller and (length is None or length > RESOLVE_ABOVE):
            try:
                principal = await run_in_threadpool(_resolve, request, bearer,
                                                    request.cookies.get(SESSION_COOKIE, ""))
            except Unauthenticated as e:
                await error_response(request, 401, e.code, e.message)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal

        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


def _resolve(request: Request, bearer: str, cookie: str) -> Principal:
    """The caller behind the request's credentials (a bearer token wins over the cookie, as in
    `assay.web.security.optional_principal`). Raises Unauthenticated."""
    db = ctx(request).db
    if bearer:
        return auth.resolve_api_token(db, bearer)
    return auth.resolve_session(db, cookie)
