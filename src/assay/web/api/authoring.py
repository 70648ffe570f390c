"""JSON API for authoring: model endpoints, project authoring settings, tasks (with the streaming reply
endpoint the authoring page uses), chat choices, red-team attempts, fact-checks and authoring exports.

Streaming: `POST /projects/{p}/authoring/tasks/{t}/messages/{m}/replies/{slot}/stream` answers
`text/event-stream`: `event: delta` lines whose data is a JSON string (a piece of the reply), then either
`event: done` (data: the stored reply as JSON) or `event: error` (data: {"error", "message", "status"}) —
a model failure after the response started cannot change the HTTP status, so it arrives as an event.

The wire models are `assay.schemas.authoring`; `authoring_views` turns the services' views into them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from assay.errors import AssayError
from assay.schemas import (
    AttemptCreate,
    AttemptPublic,
    AttemptWithPrompt,
    AuthoringExport,
    AuthoringExportPublic,
    AuthoringTaskPublic,
    Choice,
    EndpointPublic,
    EndpointWrite,
    ExportJobPublic,
    FactCheckCreate,
    FactCheckPublic,
    FactualityPublic,
    FinishPublic,
    MessageCreate,
    ReportCreate,
    ReportPublic,
    Resolution,
    TaskCreate,
    TrainingCreate,
    TrainingRecordPublic,
)
from assay.services.accounts import policies
from assay.services.annotation import problem_reports as authoring_reports
from assay.services.authoring import conversations as authoring
from assay.services.authoring import endpoints
from assay.services.authoring import factcheck as authoring_factcheck
from assay.services.authoring import records as authoring_records
from assay.services.projects import export_jobs
from assay.web.api.authoring_views import (
    attempt_public,
    endpoint_public,
    fact_public,
    factuality_public,
    node_public,
    report_public,
    task_public,
)
from assay.web.api.exports import WaitSeconds, downloads, finished_or_accepted, runner_of
from assay.web.deps import (
    AttemptId,
    CheckId,
    DbDep,
    EndpointId,
    MessageId,
    ProjectId,
    Reader,
    RecordId,
    ReportId,
    Slot,
    TaskId,
    Writer,
)

router = APIRouter(tags=["authoring"])


# -- endpoints (admins and leads) ------------------------------------------------------------------

@router.get("/authoring/endpoints", response_model=list[EndpointPublic])
def list_endpoints(p: Reader, db: DbDep) -> list[EndpointPublic]:
    """The endpoints you may see: site-wide ones and those of projects you lead (admins: all)."""
    endpoints.manage_endpoints(p.user)
    return [endpoint_public(e) for e in endpoints.list_endpoints(db, p.user)]


@router.post("/authoring/endpoints", response_model=EndpointPublic, status_code=201)
def create_endpoint(body: EndpointWrite, p: Writer, db: DbDep) -> EndpointPublic:
    """Site-wide without `project_id` (admins only); a lead gives a project they lead."""
    return endpoint_public(endpoints.save_endpoint(db, p.user, name=body.name, base_url=body.base_url,
                                                   model=body.model, sampling=body.sampling, api_key=body.api_key,
                                                   project_id=body.project_id))


@router.put("/authoring/endpoints/{endpoint_id}", response_model=EndpointPublic)
def update_endpoint(endpoint_id: EndpointId, body: EndpointWrite, p: Writer, db: DbDep) -> EndpointPublic:
    """Change an endpoint you own; a new `base_url` needs `api_key` again (422 otherwise) when a key is set."""
    return endpoint_public(endpoints.save_endpoint(db, p.user, name=body.name, base_url=body.base_url,
                                                   model=body.model, sampling=body.sampling, api_key=body.api_key,
                                                   endpoint_id=endpoint_id, project_id=body.project_id))


@router.delete("/authoring/endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: EndpointId, p: Writer, db: DbDep) -> Response:
    endpoints.delete_endpoint(db, p.user, endpoint_id)
    return Response(status_code=204)


# -- project settings ----------------------------------------------------------------------------

@router.get("/projects/{project_id}/authoring/settings")
def get_settings(project_id: ProjectId, p: Reader, db: DbDep) -> dict[str, Any]:
    """The project's authoring settings (its lead and admins, like the settings page; trainers get what they
    need — mode, reply slots — with each task)."""
    return authoring.settings_of(db, project_id, p.user, partial(policies.manage_project, p.user)).to_dict()


@router.put("/projects/{project_id}/authoring/settings")
def put_settings(project_id: ProjectId, body: dict[str, Any], p: Writer, db: DbDep) -> dict[str, Any]:
    return authoring.update_settings(db, project_id, p.user, body).to_dict()


# -- tasks ---------------------------------------------------------------------------------------

@router.get("/projects/{project_id}/authoring/tasks", response_model=list[AuthoringTaskPublic])
def list_tasks(project_id: ProjectId, p: Reader, db: DbDep, everyone: bool = False) -> list[AuthoringTaskPublic]:
    return [task_public(t) for t in authoring.list_tasks(db, project_id, p.user, everyone=everyone)]


@router.post("/projects/{project_id}/authoring/tasks", response_model=AuthoringTaskPublic, status_code=201)
def create_task(project_id: ProjectId, body: TaskCreate, p: Writer, db: DbDep) -> AuthoringTaskPublic:
    return task_public(authoring.start_task(db, project_id, p.user, body.content, category=body.category,
                                            difficulty=body.difficulty, reference_answer=body.reference_answer))


@router.get("/projects/{project_id}/authoring/tasks/{task_id}", response_model=AuthoringTaskPublic)
def get_task(project_id: ProjectId, task_id: TaskId, p: Reader, db: DbDep) -> AuthoringTaskPublic:
    return task_public(authoring.get_task(db, task_id, p.user, project_id=project_id))


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/messages", response_model=AuthoringTaskPublic,
             status_code=201)
def add_message(project_id: ProjectId, task_id: TaskId, body: MessageCreate, p: Writer,
                db: DbDep) -> AuthoringTaskPublic:
    return task_public(authoring.add_message(db, task_id, p.user, body.content, project_id=project_id))


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/messages/{message_id}/replies/{slot}/stream")
def stream_reply(project_id: ProjectId, task_id: TaskId, message_id: MessageId, slot: Slot, p: Writer,
                 db: DbDep) -> StreamingResponse:
    """Stream one reply (see the module doc). Checks (task, slot, call limit) fail before streaming with an
    ordinary JSON error and status."""
    reply = authoring.ReplyStream(db, task_id, message_id, slot, p.user, project_id=project_id)

    def events() -> Iterator[bytes]:
        try:
            for delta in reply:
                yield _sse("delta", delta)
            node = node_public(reply.node)
            yield _sse("done", node.model_dump(mode="json") if node is not None else None)
        except AssayError as e:
            yield _sse("error", {"error": type(e).__name__, "message": e.message, "status": e.status})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/choice", response_model=AuthoringTaskPublic)
def choose(project_id: ProjectId, task_id: TaskId, body: Choice, p: Writer, db: DbDep) -> AuthoringTaskPublic:
    return task_public(authoring_records.choose(db, task_id, body.message_id, p.user, body.slot, body.strength,
                                                body.edited_text, project_id=project_id))


@router.post("/projects/{project_id}/authoring/tasks/{task_id}/finish", response_model=FinishPublic,
             response_model_exclude_unset=True)
def finish(project_id: ProjectId, task_id: TaskId, p: Writer, db: DbDep) -> FinishPublic:
    """Prompt task: make its record (leased to you; judge it at `annotate_url`). Chat/red-team: mark done."""
    done = authoring_records.finish(db, project_id, task_id, p.user)
    if done.record_id is not None:
        return FinishPublic(record_id=done.record_id, annotate_url=f"/projects/{project_id}/records/{done.record_id}",
                            task=task_public(done.task))
    return FinishPublic(record_id=None, task=task_public(done.task))


# -- red team ------------------------------------------------------------------------------------

@router.post("/projects/{project_id}/authoring/tasks/{task_id}/attempts", response_model=AttemptPublic,
             status_code=201)
def add_attempt(project_id: ProjectId, task_id: TaskId, body: AttemptCreate, p: Writer,
                db: DbDep) -> AttemptPublic:
    return attempt_public(authoring_records.record_attempt(
        db, task_id, body.reply_id, p.user, attack_category=body.attack_category, succeeded=body.succeeded,
        harm_category=body.harm_category, severity=body.severity, notes=body.notes, project_id=project_id))


@router.post("/projects/{project_id}/authoring/attempts/{attempt_id}/training", response_model=TrainingRecordPublic,
             status_code=201)
def make_training(project_id: ProjectId, attempt_id: AttemptId, body: TrainingCreate, p: Writer,
                  db: DbDep) -> TrainingRecordPublic:
    return TrainingRecordPublic(record_id=authoring_records.make_training_record(db, attempt_id, p.user,
                                                                                 body.safe_reply,
                                                                                 project_id=project_id))


@router.get("/projects/{project_id}/authoring/attempts", response_model=list[AttemptWithPrompt])
def list_attempts(project_id: ProjectId, p: Reader, db: DbDep) -> list[AttemptWithPrompt]:
    return [AttemptWithPrompt(**attempt_public(a).model_dump(), prompt=prompt)
            for a, prompt in authoring_records.list_attempts(db, project_id, p.user)]


# -- fact-checks ---------------------------------------------------------------------------------

@router.get("/projects/{project_id}/records/{record_id}/fact-checks", response_model=FactualityPublic)
def fact_checks(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> FactualityPublic:
    return factuality_public(authoring_factcheck.factuality(db, project_id, record_id, p.user))


@router.post("/projects/{project_id}/records/{record_id}/fact-checks", response_model=FactCheckPublic,
             status_code=201)
def add_fact_check(project_id: ProjectId, record_id: RecordId, body: FactCheckCreate, p: Writer,
                   db: DbDep) -> FactCheckPublic:
    return fact_public(authoring_factcheck.add_fact_check(
        db, project_id, record_id, p.user, completion=body.completion, verdict=body.verdict, source=body.source,
        correction=body.correction, start=body.start, end=body.end, claim=body.claim))


@router.delete("/projects/{project_id}/fact-checks/{check_id}", status_code=204)
def delete_fact_check(project_id: ProjectId, check_id: CheckId, p: Writer, db: DbDep) -> Response:
    authoring_factcheck.delete_fact_check(db, project_id, check_id, p.user)
    return Response(status_code=204)


@router.post("/projects/{project_id}/authoring/export", response_model=AuthoringExportPublic,
             responses={202: {"model": ExportJobPublic, "description": "Still rendering: poll `poll`."}})
def export(request: Request, project_id: ProjectId, body: AuthoringExport, p: Writer, db: DbDep,
           wait: WaitSeconds = 10.0) -> AuthoringExportPublic | Response:
    """Render an export with the authoring options (lead/admin) as a job: answers 200 with the files and
    counts when it finished within `wait` seconds, else 202 with the job to poll
    (`GET /projects/{p}/exports/jobs/{job_id}`). Only whitelisted options (422 for others); the files go
    into a new folder the server names."""
    job_id = export_jobs.start_export(db, runner_of(request), p.user, project_id, body.format, body.file_format,
                                      options=body.options.as_kwargs(),
                                      authoring={"fact_checks": body.fact_checks,
                                                 "final_paths_only": body.final_paths_only})
    return finished_or_accepted(request, db, p.user, project_id, job_id, wait, _authoring_public)


def _authoring_public(request: Request, job: export_jobs.ExportJob) -> AuthoringExportPublic:
    return AuthoringExportPublic(rows=job.rows, counts=job.counts, paths=job.paths, card=job.card, id=job.export_id,
                                 job_id=job.id, downloads=downloads(request, job.project_id, job.export_id,
                                                                    [*job.files, job.card]))


# -- problem reports ---------------------------------------------------------------------------------

@router.post("/projects/{project_id}/reports", response_model=ReportPublic, status_code=201)
def report_problem(project_id: ProjectId, body: ReportCreate, p: Writer, db: DbDep) -> ReportPublic:
    """Report a record (it leaves your queue) or an authoring task."""
    return report_public(authoring_reports.report_problem(db, project_id, p.user, body.reason, body.note,
                                                          record_id=body.record_id, task_id=body.task_id))


@router.get("/projects/{project_id}/reports", response_model=list[ReportPublic])
def list_reports(project_id: ProjectId, p: Reader, db: DbDep, state: str = "open") -> list[ReportPublic]:
    """Open reports (`state=all` for every one): the project's leads and reviewers, admins."""
    items = authoring_reports.list_reports(db, project_id, p.user, None if state == "all" else state)
    return [report_public(r) for r in items]


@router.post("/projects/{project_id}/reports/{report_id}/resolve", response_model=ReportPublic)
def resolve_report(project_id: ProjectId, report_id: ReportId, body: Resolution, p: Writer,
                   db: DbDep) -> ReportPublic:
    return report_public(authoring_reports.resolve(db, project_id, report_id, p.user, body.resolution))
