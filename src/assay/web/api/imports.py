"""File imports over JSON, the twins of the import page (`assay.web.pages.imports`), backed by the same
service (`assay.services.projects.imports`):

- POST /api/v1/projects/{id}/imports            the file as the raw body (options in the query); caller, role
  and project checked before a byte of it is read, then streamed to a server-named file
  (`max_upload_bytes`); starts the dry run; answers the check job (201)
- GET  /api/v1/projects/{id}/imports/{job}       a check or import job (`?wait=` seconds for it to finish)
- POST /api/v1/projects/{id}/imports/{job}/run   import what a finished, error-free check checked

Leads of the project and admins only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from assay.errors import Invalid
from assay.schemas.imports import ImportErrorPublic, ImportJobPublic
from assay.services.projects import import_jobs, imports
from assay.web.api.exports import runner_of
from assay.web.deps import DbDep, JobId, ProjectId, Writer
from assay.web.deps import Reader as ReaderDep
from assay.web.uploads import RAW_BODY, receive_project_upload

router = APIRouter(tags=["imports"])
MAX_WAIT = 60.0


def job_public(job: import_jobs.ImportJob) -> ImportJobPublic:
    r, pid = job.result, job.project_id
    is_check = job.kind == import_jobs.CHECK_KIND
    err = r.get("error") if is_check else None
    return ImportJobPublic(
        id=job.id, kind="check" if is_check else "import", state=job.state, progress=job.progress,
        message=job.message, name=job.name, size=int(job.params.get("size", 0)),
        error=ImportErrorPublic(message=str(err.get("message", "")), line=err.get("line"), field=err.get("field"))
        if isinstance(err, dict) else None,
        report={k: v for k, v in r.items() if k not in ("error", "import_job", "owner")} if is_check and job.done
        else None,
        created=int(r.get("created", 0)) if not is_check else 0, existing=int(r.get("existing", 0)),
        skipped={str(k): int(v) for k, v in (r.get("skipped") or {}).items()},
        judgments=int(r.get("judgments", 0)), suggestions=int(r.get("suggestions", 0)),
        import_report=dict(r["report"]) if not is_check and job.done and isinstance(r.get("report"), dict) else None,
        import_job=int(r["import_job"]) if r.get("import_job") else None,
        poll=f"/api/v1/projects/{pid}/imports/{job.id}",
        run=f"/api/v1/projects/{pid}/imports/{job.id}/run" if is_check and job.done and not err else None)


@router.post("/projects/{project_id}/imports", response_model=ImportJobPublic, status_code=201,
             openapi_extra=RAW_BODY)
async def upload(project_id: ProjectId, request: Request, db: DbDep,
                 fmt: Annotated[str, Query(description="A format of `assay.formats.FORMATS`, or auto.")] = "auto",
                 on_divergence: Annotated[str, Query(description="HH pairs that differ before the last reply: "
                                                     "keep | skip | error.")] = "keep",
                 priority: Annotated[int, Query(ge=-1_000_000, le=1_000_000)] = 0,
                 license: Annotated[str, Query(max_length=200, description="The source's licence (e.g. MIT), kept "
                                               "in the import report.")] = "",
                 name: Annotated[str, Query(max_length=500, description="The file's name (its suffix picks the "
                                            "file type; gzip is detected).")] = "upload") -> ImportJobPublic:
    """Upload a file (JSONL, JSON array, CSV, Parquet; gzip too) as the raw body and start its dry run."""
    opts = imports.ImportOptions(fmt=fmt, on_divergence=on_divergence, priority=priority,
                                 license=license.strip()).checked()

    p, up = await receive_project_upload(request, db, project_id, name)
    job_id = await run_in_threadpool(import_jobs.start_check, db, runner_of(request), p.user, project_id, up, opts)
    return job_public(await run_in_threadpool(import_jobs.import_job, db, p.user, project_id, job_id))


@router.get("/projects/{project_id}/imports/{job_id}", response_model=ImportJobPublic)
def get_import(project_id: ProjectId, job_id: JobId, p: ReaderDep, db: DbDep,
               wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for the job to "
                                            "finish.")] = 0) -> ImportJobPublic:
    """A dry run or import job of the project (leads and admins)."""
    return job_public(import_jobs.wait_for(db, p.user, project_id, job_id, wait))


@router.post("/projects/{project_id}/imports/{job_id}/run", response_model=ImportJobPublic, status_code=201)
def run_import(project_id: ProjectId, job_id: JobId, request: Request, p: Writer, db: DbDep) -> ImportJobPublic:
    """Import what a finished, error-free dry run checked (all or nothing); answers the import job."""
    new_id = import_jobs.start_import(db, runner_of(request), p.user, project_id, job_id)
    job = import_jobs.import_job(db, p.user, project_id, new_id)
    if job.kind != import_jobs.IMPORT_KIND:
        raise Invalid("not an import job")
    return job_public(job)
