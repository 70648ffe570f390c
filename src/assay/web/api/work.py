"""The annotator's queue over JSON: next, draft, submit, skip."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from assay.schemas import AnswersUpdate, SkipCreate, TaskPublic
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotation_service
from assay.services.projects import projects
from assay.web import rendering
from assay.web.context import ctx
from assay.web.deps import Credentials, DbDep, ProjectId, Reader, RecordId, Writer
from assay.web.security import api_writer

router = APIRouter(tags=["work"])


def _check(request: Request, project_id: int, p: Principal) -> None:
    policies.annotate(p.user, projects.member_role(ctx(request).db, project_id, p.user.id))


def _may_annotate(p: Principal) -> queue.Authorize:
    """The `annotate` policy bound to the caller; services check it inside their own transaction."""
    return partial(policies.annotate, p.user)


def _json(task: TaskPublic) -> Response:
    """Serialise once with pydantic (the route's response_model documents the shape)."""
    return Response(rendering.model_json(task), media_type="application/json")


# The hot routes (next, draft, submit) resolve the caller in their own body (`api_writer`): the token
# check and the service call run in one worker thread, and the lookup never blocks the event loop.


@router.post("/projects/{project_id}/next", response_model=TaskPublic | None,
             responses={204: {"description": "nothing left in your queue"}}, dependencies=[Credentials])
def next_task(request: Request, project_id: ProjectId, db: DbDep) -> Response:
    p = api_writer(request)
    task = queue.claim_next(db, project_id, p.user.id, _may_annotate(p))
    return Response(status_code=204) if task is None else _json(TaskPublic.of(task))


@router.get("/projects/{project_id}/records/{record_id}/task", response_model=TaskPublic)
def get_task(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> Response:
    return _json(TaskPublic.of(queue.current_task(db, project_id, record_id, p.user.id,
                                                  _may_annotate(p))))


@router.put("/projects/{project_id}/records/{record_id}/draft", response_model=TaskPublic,
            dependencies=[Credentials])
def save_draft(request: Request, project_id: ProjectId, record_id: RecordId, body: AnswersUpdate,
               db: DbDep) -> Response:
    p = api_writer(request)
    return _json(TaskPublic.of(annotation_service.save_draft(db, project_id, record_id, p.user.id,
                                                             body.answers, body.active_seconds,
                                                             _may_annotate(p))))


@router.post("/projects/{project_id}/records/{record_id}/submit", response_model=TaskPublic,
             dependencies=[Credentials])
def submit(request: Request, project_id: ProjectId, record_id: RecordId, body: AnswersUpdate,
           db: DbDep) -> Response:
    p = api_writer(request)
    return _json(TaskPublic.of(annotation_service.submit(db, project_id, record_id, p.user.id,
                                                         body.answers, body.active_seconds, _may_annotate(p),
                                                         submission_id=body.submission_id
                                                         or request.headers.get("x-submission-id"),
                                                         edit_needs_id=True)))


@router.post("/projects/{project_id}/records/{record_id}/skip", status_code=204)
def skip(request: Request, project_id: ProjectId, record_id: RecordId, body: SkipCreate, p: Writer,
         db: DbDep) -> Response:
    _check(request, project_id, p)
    queue.release(db, project_id, record_id, p.user.id, skip_reason=body.reason)
    return Response(status_code=204)
