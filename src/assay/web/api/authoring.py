"""JSON API for authoring: model endpoints, project authoring settings, tasks (with the streaming reply
endpoint the authoring page uses), chat choices, red-team attempts, fact-checks and authoring exports.

Streaming: `POST /projects/{p}/authoring/tasks/{t}/messages/{m}/replies/{slot}/stream` answers
`text/event-stream`: `event: delta` lines whose data is a JSON string (a piece of the reply), then either
`event: done` (data: the stored reply as JSON) or `event: error` (data: {"error", "message", "status"}) —
a model failure after the response started cannot change the HTTP status, so it arrives as an event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import StreamingResponse

from assay.errors import AssayError, NotFound
from assay.services.accounts.auth import Principal
from assay.services.annotation import problem_reports as authoring_reports
from assay.services.authoring import conversations as authoring
from assay.services.authoring import endpoints
from assay.services.authoring import export as authoring_export
from assay.services.authoring import factcheck as authoring_factcheck
from assay.services.authoring import records as authoring_records
from assay.services.authoring.views import AttemptView, FactCheck, NodeView, TaskView
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["authoring"])


class EndpointPublic(BaseModel):
    """A model endpoint as anyone sees it: never the key, only whether one is set."""

    id: int
    name: str
    base_url: str
    model: str
    sampling: dict[str, Any]
    has_key: bool

    @classmethod
    def of(cls, e: endpoints.ModelEndpoint) -> EndpointPublic:
        return cls(id=e.id, name=e.name, base_url=e.base_url, model=e.model, sampling=e.sampling, has_key=e.has_key)


class EndpointWrite(BaseModel):
    name: str
    base_url: str
    model: str
    sampling: dict[str, Any] = Field(default_factory=dict,
                                     description="temperature, top_p, max_tokens, timeout, max_retries, extra")
    api_key: str | None = Field(None, description="Write-only. Omit to keep the stored key; '' removes it.")


class TaskCreate(BaseModel):
    content: str
    category: str = ""
    difficulty: str = ""
    reference_answer: str = ""


class MessageCreate(BaseModel):
    content: str


class Choice(BaseModel):
    message_id: int
    slot: int = Field(description="0 = reply A, 1 = reply B")
    strength: int = Field(description="1 slightly, 2 clearly, 3 much better")
    edited_text: str | None = None


class AttemptCreate(BaseModel):
    reply_id: int
    attack_category: str
    succeeded: bool
    harm_category: str = ""
    severity: int = 0
    notes: str = ""


class TrainingCreate(BaseModel):
    safe_reply: str


class FactCheckCreate(BaseModel):
    completion: int
    verdict: str = Field(description="supported | contradicted | unverifiable")
    source: str = ""
    correction: str = ""
    start: int | None = None
    end: int | None = None
    claim: str = Field("", description="The claim's text, when start/end are not given.")


class AuthoringExport(BaseModel):
    format: str = "sft"
    file_format: str = "jsonl"
    fact_checks: str = Field("keep", description="keep | drop | fix")
    final_paths_only: bool = False
    options: dict[str, Any] = Field(default_factory=dict)


def node_json(n: NodeView | None) -> dict[str, Any] | None:
    if n is None:
        return None
    return {"id": n.id, "role": n.role, "slot": n.slot, "text": n.text, "original": n.original, "model": n.model,
            "chosen": n.chosen, "edited": n.edited, "record_id": n.record_id,
            "sampling": n.meta.get("sampling"), "endpoint": n.meta.get("endpoint")}


def attempt_json(a: AttemptView) -> dict[str, Any]:
    return {"id": a.id, "reply_id": a.node_id, "attack_category": a.attack_category, "succeeded": a.succeeded,
            "harm_category": a.harm_category, "severity": a.severity, "notes": a.notes,
            "safe_reply": a.safe_reply, "record_id": a.record_id, "author": a.author}


def task_json(t: TaskView) -> dict[str, Any]:
    return {"id": t.id, "project_id": t.project_id, "mode": t.mode, "state": t.state, "category": t.category,
            "difficulty": t.difficulty, "waiting_for": t.waiting_for, "record_id": t.record_id,
            "reference_answer": t.meta.get("reference_answer", ""),
            "slots": [{"index": s.index, "endpoint": s.endpoint_name, "model": s.model, "label": s.label,
                       "sampling": s.overrides} for s in t.slots],
            "turns": [{"message": node_json(tr.user), "replies": [node_json(r) for r in tr.replies],
                       "attempts": [attempt_json(a) for a in tr.attempts]} for tr in t.turns]}


def fact_json(c: FactCheck) -> dict[str, Any]:
    return {"id": c.id, "record_id": c.record_id, "completion": c.completion, "start": c.start, "end": c.end,
            "claim": c.claim, "verdict": c.verdict, "source": c.source, "correction": c.correction,
            "author": c.author}


# -- endpoints (admins and leads) ------------------------------------------------------------------

@router.get("/authoring/endpoints")
def list_endpoints(request: Request, p: Principal = Depends(reader)) -> list[EndpointPublic]:
    endpoints.manage_endpoints(p.user)
    return [EndpointPublic.of(e) for e in endpoints.list_endpoints(ctx(request).db)]


@router.post("/authoring/endpoints", status_code=201)
def create_endpoint(request: Request, body: EndpointWrite, p: Principal = Depends(writer)) -> EndpointPublic:
    return EndpointPublic.of(endpoints.save_endpoint(ctx(request).db, p.user, name=body.name, base_url=body.base_url,
                                                     model=body.model, sampling=body.sampling, api_key=body.api_key))


@router.put("/authoring/endpoints/{endpoint_id}")
def update_endpoint(request: Request, endpoint_id: int, body: EndpointWrite,
                    p: Principal = Depends(writer)) -> EndpointPublic:
    return EndpointPublic.of(endpoints.save_endpoint(ctx(request).db, p.user, name=body.name, base_url=body.base_url,
                                                     model=body.model, sampling=body.sampling, api_key=body.api_key,
                                                     endpoint_id=endpoint_id))


@router.delete("/authoring/endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(request: Request, endpoint_id: int, p: Principal = Depends(writer)) -> None:
    endpoints.delete_endpoint(ctx(request).db, p.user, endpoint_id)


# -- project settings ----------------------------------------------------------------------------

@router.get("/projects/{project_id}/authoring/settings")
def get_settings(request: Request, project_id: int, p: Principal = Depends(reader)) -> dict[str, Any]:
    """The project's authoring settings (its lead and admins, like the settings page; trainers get what they
    need — mode, reply slots — with each task)."""
    db = ctx(request).db
    from assay.services.accounts import policies
    from assay.services.projects import projects

    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    return authoring.project_settings(db, project_id).to_dict()


@router.put("/projects/{project_id}/authoring/settings")
def put_settings(request: Request, project_id: int, body: dict[str, Any],
                 p: Principal = Depends(writer)) -> dict[str, Any]:
    return authoring.update_settings(ctx(request).db, project_id, p.user, body).to_dict()


# -- tasks ---------------------------------------------------------------------------------------

def _own(request: Request, project_id: int, task_id: int, p: Principal) -> TaskView:
    view = authoring.get_task(ctx(request).db, task_id, p.user)
    if view.project_id != project_id:
        raise NotFound(f"no authoring task {task_id} in this project")
    return view


@router.get("/projects/{project_id}/authoring/tasks")
def list_tasks(request: Request, project_id: int, everyone: bool = False,
               p: Principal = Depends(reader)) -> list[dict[str, Any]]:
    return [task_json(t) for t in authoring.list_tasks(ctx(request).db, project_id, p.user, everyone=everyone)]


@router.post("/projects/{project_id}/authoring/tasks", status_code=201)
def create_task(request: Request, project_id: int, body: TaskCreate, p: Principal = Depends(writer)) -> dict[str, Any]:
    return task_json(authoring.start_task(ctx(request).db, project_id, p.user, body.content, category=body.category,
                                          difficulty=body.difficulty, reference_answer=body.reference_answer))


@router.get("/projects/{project_id}/authoring/tasks/{task_id}")
def get_task(request: Request, project_id: int, task_id: int, p: Principal = Depends(reader)) -> dict[str, Any]:
    return task_json(_own(request, project_id, task_id, p))


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/messages", status_code=201)
def add_message(request: Request, project_id: int, task_id: int, body: MessageCreate,
                p: Principal = Depends(writer)) -> dict[str, Any]:
    _own(request, project_id, task_id, p)
    return task_json(authoring.add_message(ctx(request).db, task_id, p.user, body.content))


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/messages/{message_id}/replies/{slot}/stream")
def stream_reply(request: Request, project_id: int, task_id: int, message_id: int, slot: int,
                 p: Principal = Depends(writer)) -> StreamingResponse:
    """Stream one reply (see the module doc). Checks (task, slot, call limit) fail before streaming with an
    ordinary JSON error and status."""
    _own(request, project_id, task_id, p)
    reply = authoring.ReplyStream(ctx(request).db, task_id, message_id, slot, p.user)

    def events() -> Iterator[bytes]:
        try:
            for delta in reply:
                yield _sse("delta", delta)
            yield _sse("done", node_json(reply.node))
        except AssayError as e:
            yield _sse("error", {"error": type(e).__name__, "message": e.message, "status": e.status})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/choice")
def choose(request: Request, project_id: int, task_id: int, body: Choice,
           p: Principal = Depends(writer)) -> dict[str, Any]:
    _own(request, project_id, task_id, p)
    return task_json(authoring_records.choose(ctx(request).db, task_id, body.message_id, p.user, body.slot,
                                              body.strength, body.edited_text))


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/finish")
def finish(request: Request, project_id: int, task_id: int, p: Principal = Depends(writer)) -> dict[str, Any]:
    """Prompt task: make its record (leased to you; judge it at `annotate_url`). Chat/red-team: mark done."""
    view = _own(request, project_id, task_id, p)
    db = ctx(request).db
    if view.mode == "prompt":
        rid = authoring_records.finish_prompt(db, task_id, p.user)
        return {"record_id": rid, "annotate_url": f"/projects/{project_id}/records/{rid}",
                "task": task_json(authoring.get_task(db, task_id, p.user))}
    return {"record_id": None, "task": task_json(authoring_records.finish_task(db, task_id, p.user))}


# -- red team ------------------------------------------------------------------------------------

@router.post("/projects/{project_id}/authoring/tasks/{task_id}/attempts", status_code=201)
def add_attempt(request: Request, project_id: int, task_id: int, body: AttemptCreate,
                p: Principal = Depends(writer)) -> dict[str, Any]:
    _own(request, project_id, task_id, p)
    return attempt_json(authoring_records.record_attempt(
        ctx(request).db, task_id, body.reply_id, p.user, attack_category=body.attack_category,
        succeeded=body.succeeded, harm_category=body.harm_category, severity=body.severity, notes=body.notes))


@router.post("/projects/{project_id}/authoring/attempts/{attempt_id}/training", status_code=201)
def make_training(request: Request, project_id: int, attempt_id: int, body: TrainingCreate,
                  p: Principal = Depends(writer)) -> dict[str, Any]:
    rid = authoring_records.make_training_record(ctx(request).db, attempt_id, p.user, body.safe_reply)
    return {"record_id": rid}


@router.get("/projects/{project_id}/authoring/attempts")
def list_attempts(request: Request, project_id: int, p: Principal = Depends(reader)) -> list[dict[str, Any]]:
    return [{**attempt_json(a), "prompt": prompt}
            for a, prompt in authoring_records.list_attempts(ctx(request).db, project_id, p.user)]


# -- fact-checks ---------------------------------------------------------------------------------

@router.get("/projects/{project_id}/records/{record_id}/fact-checks")
def fact_checks(request: Request, project_id: int, record_id: int, p: Principal = Depends(reader)) -> dict[str, Any]:
    summary = authoring_factcheck.factuality(ctx(request).db, project_id, record_id, p.user)
    return {"status": summary.status, "per_completion": {str(k): v for k, v in summary.per_completion.items()},
            "checks": [fact_json(c) for c in summary.checks]}


@router.post("/projects/{project_id}/records/{record_id}/fact-checks", status_code=201)
def add_fact_check(request: Request, project_id: int, record_id: int, body: FactCheckCreate,
                   p: Principal = Depends(writer)) -> dict[str, Any]:
    return fact_json(authoring_factcheck.add_fact_check(
        ctx(request).db, project_id, record_id, p.user, completion=body.completion, verdict=body.verdict,
        source=body.source, correction=body.correction, start=body.start, end=body.end, claim=body.claim))


@router.delete("/projects/{project_id}/fact-checks/{check_id}", status_code=204)
def delete_fact_check(request: Request, project_id: int, check_id: int, p: Principal = Depends(writer)) -> None:
    authoring_factcheck.delete_fact_check(ctx(request).db, project_id, check_id, p.user)


@router.post("/projects/{project_id}/authoring/export")
def export(request: Request, project_id: int, body: AuthoringExport, p: Principal = Depends(writer)) -> dict[str, Any]:
    """Render an export with the authoring options (lead/admin); answers with the files and counts."""
    result = authoring_export.export_authoring(ctx(request).db, project_id, body.format, actor=p.user,
                                               file_format=body.file_format, fact_checks=body.fact_checks,
                                               final_paths_only=body.final_paths_only, **body.options)
    return {"rows": result.rows, "counts": result.counts,
            "paths": {k: str(v) for k, v in result.paths.items()}, "card": str(result.card_path)}


# -- problem reports ---------------------------------------------------------------------------------

class ReportCreate(BaseModel):
    reason: str = Field(description="broken_record | unclear_guideline | offensive_content | other")
    note: str = ""
    record_id: int | None = Field(None, description="The record reported (or give task_id).")
    task_id: int | None = Field(None, description="The authoring task reported.")


class Resolution(BaseModel):
    resolution: str = ""


def report_json(r: authoring_reports.ProblemReport) -> dict[str, Any]:
    return {"id": r.id, "record_id": r.record_id, "task_id": r.task_id, "reporter": r.reporter, "reason": r.reason,
            "note": r.note, "state": r.state, "resolution": r.resolution,
            "created_at": r.created_at.isoformat() if r.created_at else None}


@router.post("/projects/{project_id}/reports", status_code=201)
def report_problem(request: Request, project_id: int, body: ReportCreate,
                   p: Principal = Depends(writer)) -> dict[str, Any]:
    """Report a record (it leaves your queue) or an authoring task."""
    return report_json(authoring_reports.report_problem(ctx(request).db, project_id, p.user, body.reason, body.note,
                                                        record_id=body.record_id, task_id=body.task_id))


@router.get("/projects/{project_id}/reports")
def list_reports(request: Request, project_id: int, state: str = "open",
                 p: Principal = Depends(reader)) -> list[dict[str, Any]]:
    """Open reports (`state=all` for every one): the project's leads and reviewers, admins."""
    items = authoring_reports.list_reports(ctx(request).db, project_id, p.user, None if state == "all" else state)
    return [report_json(r) for r in items]


@router.post("/projects/{project_id}/reports/{report_id}/resolve")
def resolve_report(request: Request, project_id: int, report_id: int, body: Resolution,
                   p: Principal = Depends(writer)) -> dict[str, Any]:
    return report_json(authoring_reports.resolve(ctx(request).db, project_id, report_id, p.user, body.resolution))
