"""The project list, a project's overview (with its members, for leads), and export downloads."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.services.accounts import policies
from assay.services.projects import projects
from assay.web.deps import DbDep, ProjectId, Reader, UserId, Writer
from assay.web.pages import exports as exports_pages
from assay.web.pages.common import page

router = APIRouter()
router.include_router(exports_pages.router)  # the export form's job, its progress page and the zip


@router.get("/projects")
def project_list(request: Request, p: Reader, db: DbDep) -> Response:
    return page(request, "projects.html", p, items=projects.list_with_progress(db, p.user))


@router.get("/projects/{project_id}")
def project_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    # the lead is told who the gold check paused or warned (issue 4), here and on the dashboard
    view = projects.overview(db, project_id, p.user)
    return page(request, "project.html", p, project=view.project, role=view.role, is_lead=view.is_lead,
                members=view.members, member_roles=projects.MEMBER_ROLES, flagged=view.flagged,
                progress=view.progress)


@router.post("/projects/{project_id}/members")
def add_member(project_id: ProjectId, p: Writer, db: DbDep, username: str = Form(...),
               role: str = Form("annotator")) -> Response:
    """The lead's "add member" form: add a person by username or change their role, then back."""
    projects.add_member(db, project_id, username.strip(), role, actor=p.user,
                        authorize=partial(policies.manage_project, p.user))
    return RedirectResponse(f"/projects/{project_id}#members", status_code=303)


@router.post("/projects/{project_id}/members/{user_id}/remove")
def remove_member(project_id: ProjectId, user_id: UserId, p: Writer, db: DbDep) -> Response:
    """The lead's "remove" button on a member row."""
    projects.remove_member(db, project_id, user_id, actor=p.user, authorize=partial(policies.manage_project, p.user))
    return RedirectResponse(f"/projects/{project_id}#members", status_code=303)
