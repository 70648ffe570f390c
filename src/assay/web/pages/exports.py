"""Export pages: the project page's export form starts an export job; its page shows the progress (htmx
polling, like code runs) and, once done, the link to a zip of the files and the dataset card.

Requests choose only the format and the file format; the server picks the folder and the file names.
"""

from __future__ import annotations

import io
import zipfile
from functools import partial

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from assay.errors import Invalid
from assay.services.accounts import policies
from assay.services.projects import export_files, export_jobs, projects
from assay.web.api.exports import runner_of
from assay.web.deps import DbDep, JobId, ProjectId, Reader, Writer
from assay.web.pages.common import page

router = APIRouter()
EXPORT_FORMATS = ("dpo", "sft", "reward", "kto", "raw", "label-studio")
FILE_FORMATS = ("jsonl", "parquet")
PAGE_WAIT_SECONDS = 3.0  # a small export is done before the redirect; a big one shows its progress


@router.post("/projects/{project_id}/export")
def start_export(project_id: ProjectId, p: Writer, db: DbDep, request: Request, fmt: str = Form("dpo"),
                 file_format: str = Form("jsonl")) -> Response:
    """Start an export job and go to its page (after waiting a moment, so a small one is already done)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    if fmt not in EXPORT_FORMATS:
        raise Invalid(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if file_format not in FILE_FORMATS:
        raise Invalid(f"unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}")
    job_id = export_jobs.start_export(db, runner_of(request), p.user, project_id, fmt, file_format)
    export_jobs.wait_for(db, p.user, project_id, job_id, PAGE_WAIT_SECONDS)
    return RedirectResponse(f"/projects/{project_id}/exports/jobs/{job_id}", status_code=303)


@router.get("/projects/{project_id}/exports/jobs/{job_id}")
def export_job_page(request: Request, project_id: ProjectId, job_id: JobId, p: Reader, db: DbDep) -> Response:
    """The job's progress; htmx polls the status part every second until the job is done or failed."""
    v = export_jobs.export_job_page(db, p.user, project_id, job_id)
    fragment = request.headers.get("HX-Request") == "true"
    return page(request, "export_job_status.html" if fragment else "export_job.html", p,
                project=v.project, job=v.job)


@router.get("/projects/{project_id}/exports/{export_id}/zip")
def export_zip(project_id: ProjectId, export_id: str, p: Reader, db: DbDep) -> Response:
    """The export's files and dataset card as one zip."""
    d = export_files.download(db, project_id, export_id, p.user, partial(policies.manage_project, p.user))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in d.files:
            z.write(d.folder / name, name)
    buf.seek(0)
    return StreamingResponse(buf, media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{d.zip_name}"'})
