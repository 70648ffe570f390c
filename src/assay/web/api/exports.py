"""Exports over JSON: render a training format on the server (as a job), poll it, list rendered exports,
download their files.

`POST .../exports` takes only the format, the file format and whitelisted options (422 for anything else)
and starts a "project.export" job; it waits up to `wait` seconds (default 10, 0 to not wait) and answers
201 with the export when it finished in time (the synchronous contract small exports always had), else 202
with the job id and the URL to poll. `GET .../exports/jobs/{job_id}` answers the job's state, with the
export once done. Files always go into a new folder the server names inside the project's export folder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, JSONResponse, Response

from assay.domain.users import User
from assay.errors import Invalid
from assay.jobs import JobRunner
from assay.schemas import ExportCreate, ExportJobPublic, ExportPublic, ExportSummaryPublic
from assay.services.accounts import policies
from assay.services.projects import export_files, export_jobs, projects
from assay.store.db import Db
from assay.web.deps import DbDep, JobId, ProjectId, Reader, Writer

T = TypeVar("T")
router = APIRouter(tags=["exports"])
MEDIA = {".jsonl": "application/x-ndjson", ".parquet": "application/vnd.apache.parquet", ".md": "text/markdown"}
WaitSeconds = Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the export to finish before "
                                     "answering 202 with the job to poll (0: answer 202 at once).")]


def downloads(request: Request, project_id: int, export_id: str, names: list[str]) -> dict[str, str]:
    """File name → the path that downloads it."""
    return {n: str(request.url_for("download_export_file", project_id=project_id, export_id=export_id,
                                   name=n).path) for n in names}


def runner_of(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


def export_public(request: Request, job: export_jobs.ExportJob) -> ExportPublic:
    return ExportPublic(format=job.format, file_format=job.file_format, rows=job.rows, files=job.files,
                        card=job.card, counts=job.counts, id=job.export_id, job_id=job.id,
                        downloads=downloads(request, job.project_id, job.export_id, [*job.files, job.card]))


def job_public(request: Request, job: export_jobs.ExportJob) -> ExportJobPublic:
    poll = str(request.url_for("export_job", project_id=job.project_id, job_id=job.id).path)
    return ExportJobPublic(job_id=job.id, state=job.state, progress=job.progress, message=job.message, poll=poll,
                           export=export_public(request, job) if job.done else None)


@router.post("/projects/{project_id}/exports", response_model=ExportPublic, status_code=201,
             responses={202: {"model": ExportJobPublic, "description": "Still rendering: poll `poll`."}})
def create_export(request: Request, project_id: ProjectId, body: ExportCreate, p: Writer, db: DbDep,
                  wait: WaitSeconds = 10.0) -> ExportPublic | Response:
    """Render `format` (dpo | sft | reward | kto | raw | label-studio, the last always one JSON file) as
    `file_format` (jsonl | parquet) with a dataset card; `options` are the split and the format's filters (e.g. test_fraction, min_agreement). A failed
    export answers 422 with the reason."""
    job_id = export_jobs.start_export(db, runner_of(request), p.user, project_id, body.format, body.file_format,
                                      options=body.options.as_kwargs())
    return finished_or_accepted(request, db, p.user, project_id, job_id, wait, export_public)


def finished_or_accepted(request: Request, db: Db, user: User, project_id: int, job_id: int, wait: float,
                         done: Callable[[Request, export_jobs.ExportJob], T]) -> T | Response:
    """`done(request, job)` when the job finished within `wait` seconds; 202 with the job otherwise; the
    job's error as 422 when it failed."""
    job = export_jobs.wait_for(db, user, project_id, job_id, wait)
    if wait <= 0:  # the caller asked not to wait: always the job, whatever it reached meanwhile
        return JSONResponse(job_public(request, job).model_dump(mode="json"), status_code=202)
    if job.state == "failed":
        raise Invalid(job.message or "the export failed", details={"job_id": job.id})
    if job.done:
        return done(request, job)
    return JSONResponse(job_public(request, job).model_dump(mode="json"), status_code=202)


@router.get("/projects/{project_id}/exports/jobs/{job_id}", name="export_job", response_model=ExportJobPublic)
def get_export_job(request: Request, project_id: ProjectId, job_id: JobId, p: Reader, db: DbDep) -> ExportJobPublic:
    """An export job's state (queued | running | done | failed), progress and message; `export` once done."""
    return job_public(request, export_jobs.export_job(db, p.user, project_id, job_id))


@router.get("/projects/{project_id}/exports", response_model=list[ExportSummaryPublic])
def list_exports(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> list[ExportSummaryPublic]:
    """The project's rendered exports, newest first (leads and admins)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    return [ExportSummaryPublic(id=e.id, format=e.format, files=e.files, created_at=e.created_at,
                                downloads=downloads(request, project_id, e.id, e.files))
            for e in export_files.list_exports(db, project_id)]


@router.get("/projects/{project_id}/exports/{export_id}/files/{name}", name="download_export_file",
            response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def download_export_file(project_id: ProjectId, export_id: str, name: str, p: Reader, db: DbDep) -> FileResponse:
    """One file of an export: `train.jsonl`, `test.parquet`, `README.md` (the dataset card), …"""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    path = export_files.export_file(db, project_id, export_id, name)
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"), filename=name)
