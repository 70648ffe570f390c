"""Authoring pages: model endpoints (leads), a project's authoring settings (its lead), the trainer's
authoring page (new prompt / chat / red-team task, own tasks), one task (replies stream in through
`static/js/authoring.js` from the JSON API's stream endpoint), and the fact-check page of any record.

Every form posts here and redirects (so the pages work without JS except for streaming). A message is
stored before any model call, so a model error never loses what the trainer typed; a refused message
(e.g. empty, wrong category) re-renders the form with the text kept.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import AssayError, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.authoring import conversations as authoring
from assay.services.authoring import endpoints
from assay.services.authoring import factcheck as authoring_factcheck
from assay.services.authoring import records as authoring_records
from assay.services.authoring.views import SEVERITIES, AuthoringSettings
from assay.services.projects import projects, records
from assay.web.context import ctx
from assay.web.deps import (
    AttemptId,
    CheckId,
    DbDep,
    EndpointId,
    FormId,
    FormInt,
    ProjectId,
    Reader,
    RecordId,
    TaskId,
    Writer,
)
from assay.web.pages import authoring_reports as authoring_reports_pages
from assay.web.pages.common import page

router = APIRouter()
router.include_router(authoring_reports_pages.router)  # "report a problem" pages ride on this router


def _go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- endpoints ------------------------------------------------------------------------------------

@router.get("/authoring/endpoints")
def endpoints_page(request: Request, p: Reader, db: DbDep, error: str = "", ok: str = "") -> Response:
    return _endpoints_page(request, p, db, error=error, ok=ok)


def _endpoints_page(request: Request, p: Principal, db: Any, status_code: int = 200, **data: Any) -> Response:
    """The endpoints the user may see, which of them they may change, and the projects they may add to."""
    return _render_endpoints(request, p, endpoints.endpoints_page(db, p.user, ok=data.pop("ok", ""),
                                                                  error=data.pop("error", "")),
                             status_code=status_code, **data)


def _render_endpoints(request: Request, p: Principal, v: endpoints.EndpointsPage, status_code: int = 200,
                      **data: Any) -> Response:
    return page(request, "authoring_endpoints.html", p, status_code=status_code, items=list(v.items),
                editable=set(v.editable), owner_projects=list(v.owner_projects),
                project_names=dict(v.owner_projects), ok=v.ok, error=v.error, **data)


def _sampling(temperature: str, top_p: str, max_tokens: str, timeout: str) -> dict[str, Any]:
    return {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "timeout": timeout}


@router.post("/authoring/endpoints")
def save_endpoint(request: Request, p: Writer, db: DbDep, name: str = Form(""), base_url: str = Form(""),
                  model: str = Form(""), temperature: str = Form(""), top_p: str = Form(""),
                  max_tokens: str = Form(""), timeout: str = Form(""), api_key: str = Form(""),
                  remove_key: str = Form(""), endpoint_id: str = Form(""), project_id: str = Form("")) -> Response:
    """Create (no endpoint_id) or update an endpoint. An empty key field keeps the stored key (refused when
    the base URL changes). `project_id` empty: site-wide (admins only)."""
    key: str | None = api_key if api_key else ("" if remove_key else None)
    try:
        endpoints.save_endpoint(db, p.user, name=name, base_url=base_url, model=model,
                                sampling=_sampling(temperature, top_p, max_tokens, timeout), api_key=key,
                                endpoint_id=int(endpoint_id) if endpoint_id.isdigit() else None,
                                project_id=int(project_id) if project_id.isdigit() else None)
    except (Invalid, AssayError) as e:
        if isinstance(e, NotFound):
            raise
        return _endpoints_page(request, p, db, status_code=e.status, error=e.message,
                               form={"name": name, "base_url": base_url, "model": model,
                                     "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens,
                                     "timeout": timeout, "project_id": project_id})
    return _go("/authoring/endpoints?ok=saved")


@router.post("/authoring/endpoints/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: EndpointId, p: Writer, db: DbDep) -> Response:
    endpoints.delete_endpoint(db, p.user, endpoint_id)
    return _go("/authoring/endpoints?ok=deleted")


@router.post("/authoring/endpoints/{endpoint_id}/check")
def check_endpoint(request: Request, endpoint_id: EndpointId, p: Writer, db: DbDep) -> Response:
    """Ask the server which models it serves: a quick check of URL and key (errors shown on the page), for
    whoever may change the endpoint (NotFound / Forbidden answer as such); a refused host is refused before
    anything connects."""
    return _render_endpoints(request, p, endpoints.check_endpoint_page(db, p.user, endpoint_id))


# -- project settings ---------------------------------------------------------------------------

def _current(db: Any, project_id: int) -> AuthoringSettings | None:
    try:
        return authoring.project_settings(db, project_id)
    except Invalid:
        return None


@router.get("/projects/{project_id}/authoring/settings")
def settings_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    v = authoring.settings_view(db, project_id, p.user, partial(policies.manage_project, p.user))
    return page(request, "authoring_settings.html", p, project=v.project, current=v.current,
                endpoints=list(v.endpoints), error="")


@router.post("/projects/{project_id}/authoring/settings")
async def save_settings(request: Request, project_id: ProjectId, p: Writer, db: DbDep) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k, "")) for k in ("mode", "categories", "difficulties", "replies", "temperatures",
                                              "system_prompt", "max_calls_per_day", "timeout",
                                              "attack_categories", "harm_categories")}
    raw["endpoints"] = [str(v) for v in form.getlist("endpoints") if str(v)]  # type: ignore[assignment]
    raw["temperatures"] = [t.strip() for t in raw["temperatures"].split(",") if t.strip()]  # type: ignore[assignment]
    raw = {k: v for k, v in raw.items() if v not in ("", [])}
    v = authoring.save_settings(db, project_id, p.user, raw, partial(policies.manage_project, p.user))
    if v.error is not None:  # refused: the form again with the reason (nothing stored)
        return page(request, "authoring_settings.html", p, status_code=v.error.status, project=v.project,
                    current=v.current, endpoints=list(v.endpoints), error=v.error.message)
    return _go(f"/projects/{project_id}/author")


# -- the trainer's pages -------------------------------------------------------------------------

def _home(request: Request, project_id: int, p: Principal, status_code: int = 200, **data: Any) -> Response:
    db = ctx(request).db
    role = projects.member_role(db, project_id, p.user.id)
    policies.annotate(p.user, role)
    project = projects.get_project(db, project_id)
    data.setdefault("error", "")
    data.setdefault("typed", {})
    attempts = authoring_records.list_attempts(db, project_id, p.user)
    may_review = p.user.is_admin or role in ("lead", "reviewer")  # ?tasks=all: every trainer's tasks (issue 19)
    everyone = may_review and request.query_params.get("tasks") == "all"
    return page(request, "authoring.html", p, status_code=status_code, project=project,
                cfg=_current(db, project_id), tasks=authoring.list_tasks(db, project_id, p.user, everyone=everyone),
                is_lead=p.user.is_admin or role == "lead", attempts=attempts, may_review=may_review,
                everyone=everyone, **data)


@router.get("/projects/{project_id}/author")
def home(request: Request, project_id: ProjectId, p: Reader) -> Response:
    return _home(request, project_id, p)


@router.post("/projects/{project_id}/author/tasks")
def start(request: Request, project_id: ProjectId, p: Writer, db: DbDep, content: str = Form(""),
          category: str = Form(""), difficulty: str = Form(""), reference_answer: str = Form("")) -> Response:
    try:
        view = authoring.start_task(db, project_id, p.user, content, category=category,
                                    difficulty=difficulty, reference_answer=reference_answer)
    except Invalid as e:
        return _home(request, project_id, p, status_code=e.status, error=e.message,
                     typed={"content": content, "category": category, "difficulty": difficulty,
                            "reference_answer": reference_answer})
    return _go(f"/projects/{project_id}/author/tasks/{view.id}")


def _task_page(request: Request, project_id: int, task_id: int, p: Principal, status_code: int = 200,
               **data: Any) -> Response:
    db = ctx(request).db
    view = authoring.get_task(db, task_id, p.user)
    if view.project_id != project_id:
        raise NotFound(f"no authoring task {task_id} in this project")
    data.setdefault("error", "")
    data.setdefault("typed", "")
    return page(request, "authoring_task.html", p, status_code=status_code,
                project=projects.get_project(db, project_id), task=view, cfg=authoring.project_settings(db, project_id),
                mine=view.user_id == p.user.id, severities=SEVERITIES, **data)


@router.get("/projects/{project_id}/author/tasks/{task_id}")
def task_page(request: Request, project_id: ProjectId, task_id: TaskId, p: Reader) -> Response:
    return _task_page(request, project_id, task_id, p)


@router.post("/projects/{project_id}/author/tasks/{task_id}/messages")
def add_message(request: Request, project_id: ProjectId, task_id: TaskId, p: Writer, db: DbDep,
                content: str = Form("")) -> Response:
    try:
        authoring.add_message(db, task_id, p.user, content, project_id=project_id)
    except (Invalid, AssayError) as e:
        if isinstance(e, NotFound):
            raise
        return _task_page(request, project_id, task_id, p, status_code=e.status, error=e.message, typed=content)
    return _go(f"/projects/{project_id}/author/tasks/{task_id}")


@router.post("/projects/{project_id}/author/tasks/{task_id}/choose")
def choose(request: Request, project_id: ProjectId, task_id: TaskId, message_id: FormId, slot: FormInt,
           p: Writer, db: DbDep, strength: FormInt = 2, edited_text: str = Form("")) -> Response:
    try:
        authoring_records.choose(db, task_id, message_id, p.user, slot, strength, edited_text or None,
                                 project_id=project_id)
    except (Invalid, AssayError) as e:
        if isinstance(e, NotFound):
            raise
        return _task_page(request, project_id, task_id, p, status_code=e.status, error=e.message)
    return _go(f"/projects/{project_id}/author/tasks/{task_id}")


@router.post("/projects/{project_id}/author/tasks/{task_id}/finish")
def finish(project_id: ProjectId, task_id: TaskId, p: Writer, db: DbDep) -> Response:
    done = authoring_records.finish(db, project_id, task_id, p.user)
    if done.record_id is not None:
        return _go(f"/projects/{project_id}/records/{done.record_id}")
    return _go(f"/projects/{project_id}/author/tasks/{task_id}")


@router.post("/projects/{project_id}/author/tasks/{task_id}/attempts")
def add_attempt(request: Request, project_id: ProjectId, task_id: TaskId, reply_id: FormId, p: Writer,
                db: DbDep, attack_category: str = Form(""), succeeded: str = Form(""),
                harm_category: str = Form(""), severity: FormInt = 0, notes: str = Form("")) -> Response:
    try:
        authoring_records.record_attempt(db, task_id, reply_id, p.user, attack_category=attack_category,
                                         succeeded=succeeded == "yes", harm_category=harm_category,
                                         severity=severity, notes=notes, project_id=project_id)
    except Invalid as e:
        return _task_page(request, project_id, task_id, p, status_code=e.status, error=e.message)
    return _go(f"/projects/{project_id}/author/tasks/{task_id}")


@router.post("/projects/{project_id}/author/attempts/{attempt_id}/training")
def make_training(request: Request, project_id: ProjectId, attempt_id: AttemptId, task_id: FormId, p: Writer,
                  db: DbDep, safe_reply: str = Form("")) -> Response:
    try:
        authoring_records.make_training_record(db, attempt_id, p.user, safe_reply, project_id=project_id)
    except (Invalid, AssayError) as e:
        if isinstance(e, NotFound):
            raise
        return _task_page(request, project_id, task_id, p, status_code=e.status, error=e.message)
    return _go(f"/projects/{project_id}/author/tasks/{task_id}")


# -- fact-check ----------------------------------------------------------------------------------

def _fact_page(request: Request, project_id: int, record_id: int, p: Principal, status_code: int = 200,
               **data: Any) -> Response:
    db = ctx(request).db
    policies.view_project(p.user, projects.member_role(db, project_id, p.user.id))
    rec = records.get_record(db, project_id, record_id)
    summary = authoring_factcheck.factuality(db, project_id, record_id, p.user)
    data.setdefault("error", "")
    data.setdefault("typed", {})
    return page(request, "authoring_factcheck.html", p, status_code=status_code,
                project=projects.get_project(db, project_id), record=rec, record_id=record_id, summary=summary,
                segments=[_segments(c.text, [f for f in summary.checks if f.completion == i])
                          for i, c in enumerate(rec.completions)], **data)


def _segments(text: str, checks: list[Any]) -> list[tuple[str, str | None, int | None]]:
    """The text cut into (piece, verdict or None, check id) so the template can mark checked claims
    (overlapping checks: the first one wins)."""
    out: list[tuple[str, str | None, int | None]] = []
    pos = 0
    for c in sorted(checks, key=lambda c: c.start):
        if c.start < pos:
            continue
        if c.start > pos:
            out.append((text[pos:c.start], None, None))
        out.append((text[c.start:c.end], c.verdict, c.id))
        pos = c.end
    if pos < len(text):
        out.append((text[pos:], None, None))
    return out


@router.get("/projects/{project_id}/records/{record_id}/fact-check")
def fact_page(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader) -> Response:
    return _fact_page(request, project_id, record_id, p)


@router.post("/projects/{project_id}/records/{record_id}/fact-check")
def add_fact(request: Request, project_id: ProjectId, record_id: RecordId, p: Writer, db: DbDep,
             completion: FormInt = 0, claim: str = Form(""), start: str = Form(""), end: str = Form(""),
             verdict: str = Form(""), source: str = Form(""), correction: str = Form("")) -> Response:
    try:
        authoring_factcheck.add_fact_check(
            db, project_id, record_id, p.user, completion=completion, verdict=verdict, source=source,
            correction=correction, claim=claim, start=int(start) if start.isdigit() else None,
            end=int(end) if end.isdigit() else None)
    except Invalid as e:
        return _fact_page(request, project_id, record_id, p, status_code=e.status, error=e.message,
                          typed={"completion": completion, "claim": claim, "verdict": verdict, "source": source,
                                 "correction": correction})
    return _go(f"/projects/{project_id}/records/{record_id}/fact-check")


@router.post("/projects/{project_id}/records/{record_id}/fact-check/{check_id}/delete")
def delete_fact(project_id: ProjectId, record_id: RecordId, check_id: CheckId, p: Writer, db: DbDep
                ) -> Response:
    authoring_factcheck.delete_fact_check(db, project_id, check_id, p.user)
    return _go(f"/projects/{project_id}/records/{record_id}/fact-check")
