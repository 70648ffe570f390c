"""The annotate page: serve the next record, autosave drafts, submit (form post or JSON with a client-made
submission id), skip. A person's queue page and edit history live in `my_work`."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from assay.errors import AssayError, Conflict, Forbidden, Invalid
from assay.schemas import PageSubmitPublic
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import queue, workspace
from assay.services.annotation import submissions as annotation_service
from assay.services.projects import projects
from assay.web.context import ctx
from assay.web.deps import ProjectId, Reader, RecordId, Writer
from assay.web.forms import answers_from_pairs
from assay.web.pages import my_work, project_setup
from assay.web.pages.answer_summary import summarize, summarize_all
from assay.web.pages.common import page
from assay.web.pages.nav import authoring_mode

router = APIRouter()
router.include_router(project_setup.router)  # the lead's setup pages ride on this router
router.include_router(my_work.router)  # the trainer's queue page and edit history


def _check(request: Request, project_id: int, p: Principal) -> None:
    policies.annotate(p.user, projects.member_role(ctx(request).db, project_id, p.user.id))


@router.get("/projects/{project_id}/next")
def next_record(request: Request, project_id: ProjectId, p: Reader) -> Response:
    """Lease the person's next record and show it (a GET so reloads are safe: a live lease is reused).
    A person the gold check paused gets their queue page with the reason (403)."""
    got = queue.next_for(ctx(request).db, project_id, p.user.id, functools.partial(policies.annotate, p.user))
    if got.paused:
        return my_work.queue_page(request, project_id, p, status_code=Forbidden.status, refused=got.paused)
    if got.task is not None:
        return RedirectResponse(f"/projects/{project_id}/records/{got.task.record_id}", status_code=303)
    assert got.project is not None  # an empty queue comes with the project and progress
    if authoring_mode(got.project):  # issue 19: "Annotate" on an authoring project opens the authoring task
        return RedirectResponse(f"/projects/{project_id}/author", status_code=303)
    return page(request, "queue_done.html", p, project=got.project, progress=got.progress)


@router.get("/projects/{project_id}/records/{record_id}")
def annotate_page(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader,
                  error: str = "") -> Response:
    """The person's task on a record of their queue: one service call (one read transaction) besides the
    sign-in check."""
    view = workspace.annotate_view(ctx(request).db, project_id, record_id, p.user.id,
                                   authorize=functools.partial(policies.annotate, p.user))
    return page(request, "annotate.html", p, error=error, **_template_data(view))


def _template_data(view: workspace.AnnotateView) -> dict[str, Any]:
    """What the annotate template needs: the task and project, progress, today's active time, settings, the
    model suggestions the project chose to show (each with a readable `summary`; only for questions of the
    form and answers that are objects), the person's gold standing (warned/paused), their own edit history
    of this record (newest first) and, for a submitted record, why it can no longer be edited ("" if it can)."""
    project = view.project
    settings = project.settings or {}
    by_name = {q.name: q for q in project.questions}
    shown = {name: {**sug, "summary": summarize(by_name[name], sug["answer"])}
             for name, sug in view.suggestions.items() if name in by_name and isinstance(sug.get("answer"), dict)}
    return {"project": project, "task": view.task, "progress": view.progress,
            "today_seconds": round(view.today_seconds),
            "idle_seconds": int(settings.get("idle_seconds", 60)),
            "show_models": bool(settings.get("show_models", False)),
            "suggestions": shown, "standing": view.standing,
            "history": [(r, summarize_all(project.questions, r.answers)) for r in reversed(view.history)],
            "locked": view.locked}


def _seconds(value: Any) -> float | None:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        raise Invalid("active_seconds must be a number")


def _wants_json_body(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


@router.post("/projects/{project_id}/records/{record_id}/submit")
async def submit(request: Request, project_id: ProjectId, record_id: RecordId, p: Writer) -> Response:
    """Submit from the page. A JSON body `{answers, active_seconds, submission_id}` (the page's script;
    `X-Submission-Id` header also read) answers JSON: the task on success, `{"error": …}` otherwise; a
    retry with the same submission id is recognised and not recorded twice. A form post (the no-script or
    signed-out fallback) redirects to the next record, or shows the page again with the reason."""
    _check(request, project_id, p)
    db = ctx(request).db
    if _wants_json_body(request):
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            raise Invalid("send a JSON object with 'answers' (an object keyed by question name)")
        sid = str(body.get("submission_id") or request.headers.get("x-submission-id") or "") or None
        task = annotation_service.submit(db, project_id, record_id, p.user.id, body["answers"],
                                         _seconds(body.get("active_seconds")), submission_id=sid,
                                         edit_needs_id=True)
        return JSONResponse(PageSubmitPublic(record_id=task.record_id, status=task.status, revision=task.revision,
                                             next=f"/projects/{project_id}/next").model_dump())
    form = await request.form()
    answers = answers_from_pairs(form.multi_items())
    try:
        annotation_service.submit(db, project_id, record_id, p.user.id, answers, _seconds(form.get("active_seconds")))
    except (Invalid, Conflict) as e:
        if isinstance(e, Invalid):  # keep what was typed on screen and in the draft
            try:
                annotation_service.save_draft(db, project_id, record_id, p.user.id, answers,
                                              _seconds(form.get("active_seconds")))
            except AssayError:
                pass
        view = workspace.annotate_view(db, project_id, record_id, p.user.id)
        return page(request, "annotate.html", p, status_code=e.status, error=e.message, **_template_data(view))
    return RedirectResponse(f"/projects/{project_id}/next", status_code=303)


@router.post("/projects/{project_id}/records/{record_id}/skip")
async def skip(request: Request, project_id: ProjectId, record_id: RecordId, p: Writer) -> Response:
    _check(request, project_id, p)
    form = await request.form()
    reason = str(form.get("reason", "")).strip() or "no reason given"
    queue.release(ctx(request).db, project_id, record_id, p.user.id, skip_reason=reason)
    return RedirectResponse(f"/projects/{project_id}/next", status_code=303)
