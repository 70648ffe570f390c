"""The one place that turns an error into a response: `AssayError`, request validation (bad or
out-of-range parameters and bodies) and HTTP errors (unknown route, wrong method).

Who gets what (`answer_kind`): a call under `/api/` or one that accepts `application/json` gets
`{"error": {"code", "message", "details"}}` (`assay.schemas.ErrorPublic`); an htmx request gets a small
alert fragment swapped into `#flash`; a browser gets the error page. A signed-out browser asking for a page
is sent to the sign-in page instead.
"""

from __future__ import annotations

import html
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from assay.errors import AssayError, Unauthenticated
from assay.schemas import ErrorBody, ErrorPublic
from assay.web.context import ctx
from assay.web.pages.nav import site_nav
from assay.web.rendering import SafeJSONResponse
from assay.web.security import add_security_headers

AnswerKind = Literal["json", "fragment", "page"]


def answer_kind(request: Request) -> AnswerKind:
    """How this request wants its errors: JSON (API or JSON clients), an htmx fragment, or a page."""
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return "json"
    return "fragment" if request.headers.get("hx-request") else "page"


def wants_json(request: Request) -> bool:
    return answer_kind(request) == "json"


def error_response(request: Request, status: int, code: str, message: str,
                   details: dict[str, Any] | None = None) -> Response:
    """The error as the request wants it (see the module doc)."""
    kind = answer_kind(request)
    if kind == "json":
        body = ErrorPublic(error=ErrorBody(code=code, message=message, details=details or {}))
        return SafeJSONResponse(body.model_dump(mode="json"), status_code=status)
    if kind == "fragment":
        return HTMLResponse(f'<div class="error" role="alert">{html.escape(message)}</div>', status_code=status,
                            headers={"HX-Reswap": "innerHTML", "HX-Retarget": "#flash"})
    # a signed-in caller keeps the top bar (issue 19): the principal the auth dependency already resolved
    p = getattr(request.state, "principal", None)
    user = p.user if p is not None else None
    data = {"status": status, "code": code, "message": message, "user": user,
            "csrf_token": p.csrf_token if p is not None else "", "site_nav": site_nav(user, request.url.path)}
    return ctx(request).templates.TemplateResponse(request, "error.html", data, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssayError)
    async def _assay(request: Request, exc: AssayError) -> Response:
        if isinstance(exc, Unauthenticated) and answer_kind(request) == "page" and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return error_response(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return error_response(request, 422, "invalid", "; ".join(parts) or "invalid request",
                              {"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    # an unhandled error answers like any other (JSON under /api/), never Starlette's plain-text 500. This
    # handler runs in Starlette's ServerErrorMiddleware, outside SecurityHeaders: it adds those headers itself.
    def _unhandled(request: Request, exc: Exception) -> Response:
        return add_security_headers(error_response(request, 500, "internal",
                                                   "internal error; the server log has the details"),
                                    request.url.path)

    app.add_exception_handler(Exception, _unhandled)
