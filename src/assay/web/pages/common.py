"""Helpers every page uses: render a template with the caller and their CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from assay.services.accounts.auth import Principal
from assay.web.context import ctx


def page(request: Request, template: str, p: Principal | None, status_code: int = 200, **data: Any) -> Response:
    data.setdefault("user", p.user if p else None)
    data.setdefault("csrf_token", p.csrf_token if p else "")
    return ctx(request).templates.TemplateResponse(request, template, data, status_code=status_code)
