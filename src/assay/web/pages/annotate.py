"""The annotate page: serve the next record, autosave drafts, submit, skip."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from assay.domain.projects import Project
from assay.domain.work import Task
from assay.errors import AssayError, Conflict, Invalid
from assay.services import annotations, policies, projects, queue
from assay.services.auth import Principal
from assay.services.db import Db
from assay.web.context import ctx
from assay.web.forms import answers_from_pairs
from assay.web.pages import project_setup
from assay.web.pages.common import page
from assay.web.security import reader, writer

router = APIRouter()
router.include_router(project_setup.router)  # the lead's setup pages ride on this router


def _check(request: Request, project_id: int, p: Principal) -> None:
    policies.annotate(p.user, projects.member_role(ctx(request).db, project_id, p.user.id))


@router.get("/projects/{project_id}/next")
def next_record(request: Request, project_id: int, p: Principal = Depends(reader)) -> Response:
    """Lease the person's next record and show it (a GET so reloads are safe: a live lease is reused)."""
    _check(request, project_id, p)
    db = ctx(request).db
    task = queue.claim_next(db, project_id, p.user.id)
    if task is None:
        return page(request, "queue_done.html", p, project=projects.get_project(db, project_id),
                    progress=projects.progress(db, project_id, p.user.id))
    return RedirectResponse(f"/projects/{project_id}/records/{task.record_id}", status_code=303)


@router.get("/projects/{project_id}/records/{record_id}")
def annotate_page(request: Request, project_id: int, record_id: int, p: Principal = Depends(reader),
                  error: str = "") -> Response:
    _check(request, project_id, p)
    db = ctx(request).db
    task = queue.current_task(db, project_id, record_id, p.user.id)
    project = projects.get_project(db, project_id)
    return page(request, "annotate.html", p, project=project, task=task, error=error,
                **_extras(db, project, task, p.user.id))


def _extras(db: Db, project: Project, task: Task, user_id: int) -> dict[str, Any]:
    """What the annotate template needs besides the task: progress, today's active time, settings and the
    model suggestions the project chose to show (record metadata `suggestions`: {question: {answer,
    rationale}}; hidden unless the project's settings say `show_suggestions: true`)."""
    settings = project.settings or {}
    suggestions: dict[str, Any] = {}
    if settings.get("show_suggestions"):
        raw = task.record.metadata.get("suggestions") or {}
        names = {q.name for q in project.questions}
        if isinstance(raw, dict):
            suggestions = {k: v for k, v in raw.items()
                           if k in names and isinstance(v, dict) and isinstance(v.get("answer"), dict)}
    return {"progress": projects.progress(db, project.id, user_id),
            "today_seconds": round(annotations.active_seconds_today(db, user_id, exclude_record_id=task.record_id)),
            "idle_seconds": int(settings.get("idle_seconds", 60)),
            "show_models": bool(settings.get("show_models", False)),
            "suggestions": suggestions}


def _seconds(form: dict) -> float | None:
    try:
        return float(form.get("active_seconds") or 0)
    except ValueError:
        raise Invalid("active_seconds must be a number")


@router.post("/projects/{project_id}/records/{record_id}/submit")
async def submit(request: Request, project_id: int, record_id: int, p: Principal = Depends(writer)) -> Response:
    _check(request, project_id, p)
    form = await request.form()
    db = ctx(request).db
    answers = answers_from_pairs(form.multi_items())
    try:
        annotations.submit(db, project_id, record_id, p.user.id, answers, _seconds(dict(form)))
    except (Invalid, Conflict) as e:
        task = queue.current_task(db, project_id, record_id, p.user.id)
        if isinstance(e, Invalid):  # keep what was typed on screen and in the draft
            try:
                task = annotations.save_draft(db, project_id, record_id, p.user.id, answers, _seconds(dict(form)))
            except AssayError:
                pass
        project = projects.get_project(db, project_id)
        return page(request, "annotate.html", p, status_code=e.status, project=project,
                    task=task, error=e.message, **_extras(db, project, task, p.user.id))
    return RedirectResponse(f"/projects/{project_id}/next", status_code=303)


@router.post("/projects/{project_id}/records/{record_id}/skip")
async def skip(request: Request, project_id: int, record_id: int, p: Principal = Depends(writer)) -> Response:
    _check(request, project_id, p)
    form = await request.form()
    reason = str(form.get("reason", "")).strip() or "no reason given"
    queue.release(ctx(request).db, project_id, record_id, p.user.id, skip_reason=reason)
    return RedirectResponse(f"/projects/{project_id}/next", status_code=303)

