"""Maps AssayError to a response in one place: JSON for the API, a fragment for htmx, a page otherwise."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from assay.errors import AssayError, Unauthenticated
from assay.web.context import ctx


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _render(request: Request, status: int, code: str, message: str, details: dict | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}},
                            status_code=status)
    if request.headers.get("hx-request"):
        return HTMLResponse(f'<div class="error" role="alert">{_esc(message)}</div>', status_code=status,
                            headers={"HX-Reswap": "innerHTML", "HX-Retarget": "#flash"})
    return ctx(request).templates.TemplateResponse(
        request, "error.html", {"status": status, "code": code, "message": message}, status_code=status)


def _esc(s: str) -> str:
    import html

    return html.escape(s)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssayError)
    async def _assay(request: Request, exc: AssayError) -> Response:
        if isinstance(exc, Unauthenticated) and not wants_json(request) and request.method == "GET" \
                and not request.headers.get("hx-request"):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return _render(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _render(request, 422, "invalid", "; ".join(parts) or "invalid request",
                       {"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _render(request, exc.status_code, code, str(exc.detail))
