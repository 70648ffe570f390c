""""Report a problem" pages: the report form for a record (linkable from any task page), the report button
of an authoring task, and the leads' list of open reports with a resolve button."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import Invalid
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import problem_reports as authoring_reports
from assay.services.projects import projects
from assay.web.context import ctx
from assay.web.deps import DbDep, ProjectId, Reader, RecordId, ReportId, TaskId, Writer
from assay.web.pages.common import page

router = APIRouter()


def _form(request: Request, project_id: int, p: Principal, *, record_id: int | None, task_id: int | None,
          status_code: int = 200, error: str = "", typed: dict[str, str] | None = None) -> Response:
    db = ctx(request).db
    policies.annotate(p.user, projects.member_role(db, project_id, p.user.id))
    return page(request, "authoring_report.html", p, status_code=status_code,
                project=projects.get_project(db, project_id), record_id=record_id, task_id=task_id,
                reasons=authoring_reports.REASONS, error=error, typed=typed or {})


@router.get("/projects/{project_id}/records/{record_id}/report")
def record_report_form(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader) -> Response:
    return _form(request, project_id, p, record_id=record_id, task_id=None)


@router.post("/projects/{project_id}/records/{record_id}/report")
def report_record(request: Request, project_id: ProjectId, record_id: RecordId, p: Writer, db: DbDep,
                  reason: str = Form(""), note: str = Form("")) -> Response:
    """File the report; the record leaves your queue and you get the next one."""
    try:
        authoring_reports.report_problem(db, project_id, p.user, reason, note, record_id=record_id)
    except Invalid as e:
        return _form(request, project_id, p, record_id=record_id, task_id=None, status_code=e.status,
                     error=e.message, typed={"reason": reason, "note": note})
    return RedirectResponse(f"/projects/{project_id}/next", status_code=303)


@router.get("/projects/{project_id}/author/tasks/{task_id}/report")
def task_report_form(request: Request, project_id: ProjectId, task_id: TaskId, p: Reader) -> Response:
    return _form(request, project_id, p, record_id=None, task_id=task_id)


@router.post("/projects/{project_id}/author/tasks/{task_id}/report")
def report_task(request: Request, project_id: ProjectId, task_id: TaskId, p: Writer, db: DbDep,
                reason: str = Form(""), note: str = Form("")) -> Response:
    try:
        authoring_reports.report_problem(db, project_id, p.user, reason, note, task_id=task_id)
    except Invalid as e:
        return _form(request, project_id, p, record_id=None, task_id=task_id, status_code=e.status,
                     error=e.message, typed={"reason": reason, "note": note})
    return RedirectResponse(f"/projects/{project_id}/author", status_code=303)


@router.get("/projects/{project_id}/reports")
def reports_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep, show: str = "open"
                 ) -> Response:
    items = authoring_reports.list_reports(db, project_id, p.user, None if show == "all" else "open")
    return page(request, "authoring_reports.html", p, project=projects.get_project(db, project_id), items=items,
                show=show)


@router.post("/projects/{project_id}/reports/{report_id}/resolve")
def resolve(project_id: ProjectId, report_id: ReportId, p: Writer, db: DbDep, resolution: str = Form("")
            ) -> Response:
    authoring_reports.resolve(db, project_id, report_id, p.user, resolution)
    return RedirectResponse(f"/projects/{project_id}/reports", status_code=303)
