"""Helpers every page uses: render a template with the caller and their CSRF token."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import Request
from starlette.responses import Response

from assay.services.accounts.auth import Principal
from assay.services.projects import projects
from assay.web.context import ctx
from assay.web.pages import nav

_LOOKUP = "\0lookup"


def page(request: Request, template: str, p: Principal | None, status_code: int = 200, **data: Any) -> Response:
    data.setdefault("user", p.user if p else None)
    data.setdefault("csrf_token", p.csrf_token if p else "")
    data.setdefault("site_nav", nav.site_nav(data["user"], request.url.path))
    if p is not None:  # templates/_project_nav.html calls it (lazily: fragments never pay for it)
        data.setdefault("project_nav_for", functools.partial(_project_nav_for, request, p))
    return ctx(request).templates.TemplateResponse(request, template, data, status_code=status_code)


def _project_nav_for(request: Request, p: Principal, project: Any, role: str | None = _LOOKUP,
                     nav_active: str | None = None) -> nav.ProjectNav:
    """The sub-navigation of `project` for the signed-in caller. When the handler did not pass the caller's
    project role (`project_role`), it is looked up (one primary-key read)."""
    if role == _LOOKUP:
        role = projects.member_role(ctx(request).db, project.id, p.user.id)
    return nav.project_nav(p.user, project, role, request.url.path, nav_active or None)
