"""The import page: a lead uploads a file, sees a dry run, imports it as a job and sees the summary.

- GET  /projects/{id}/import                     the upload form (drag and drop, or a file input)
- POST /projects/{id}/import/upload              the file as the raw request body (sent by upload.js with
  the X-CSRF-Token header and the options in the query); role and project are checked before a byte of
  the body is read, then it streams to a server-named file (`uploads.receive_upload`, `max_upload_bytes`);
  answers JSON `{"url": <the dry run page>}` (201), or an error naming the field
- GET  /projects/{id}/import/jobs/{job}          a dry run (progress, then its report) or an import
  (progress, then the import report as a table: `import_report.report_rows`); htmx polls the status part
  while the job runs
- POST /projects/{id}/import/jobs/{job}/run      start importing a checked upload, then its page

Every route is for the project's leads and admins (`policies.manage_project`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from assay.errors import Invalid
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.datasets.import_report import report_rows
from assay.services.projects import import_jobs, imports, projects, uploads
from assay.web.api.exports import runner_of
from assay.web.context import ctx
from assay.web.deps import DbDep, JobId, ProjectId, Reader, Writer
from assay.web.pages.common import page
from assay.web.security import api_writer

router = APIRouter()
PAGE_WAIT_SECONDS = 2.0  # a small file's dry run is ready before the page shows
FORMAT_LABELS = {
    "auto": "Detect from the file", "assay": "Assay records", "hh": "Anthropic HH (chosen / rejected)",
    "openai": "OpenAI chat (messages)", "sharegpt": "ShareGPT (conversations)",
    "prompt_response": "Prompt and response columns", "oasst": "OpenAssistant trees", "humaneval": "HumanEval", "humaneval_x": "HumanEval-X (C++, JavaScript, ...)",
    "mbpp": "MBPP", "pandalm": "PandaLM", "llmbar": "LLMBar", "tulu": "Tulu human eval",
    "label_studio": "Label Studio JSON export", "argilla": "Argilla v2 export",
}


def format_choices() -> list[tuple[str, str]]:
    """(value, label) of every format the readers know, "auto" first."""
    return [(f, FORMAT_LABELS.get(f, f)) for f in imports.IMPORT_FORMATS]


@router.get("/projects/{project_id}/import")
def import_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    settings = ctx(request).settings
    return page(request, "import.html", p, project=projects.get_project(db, project_id), formats=format_choices(),
                max_bytes=settings.max_upload_bytes, nav_active="import")


def _int(value: str, name: str) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", details={"field": name}) from None


@router.post("/projects/{project_id}/import/upload")
async def upload(request: Request, project_id: ProjectId, db: DbDep) -> Response:
    """Check the caller (CSRF header, write scope), role and options, then stream the body to disk and start
    its dry run. Nothing reads the body before the checks: the route takes no form or body parameter, and
    the CSRF token comes from the X-CSRF-Token header only (a form field would mean reading the body)."""
    from starlette.concurrency import run_in_threadpool

    def allowed() -> Principal:
        caller = api_writer(request)
        policies.manage_project(caller.user, projects.member_role(db, project_id, caller.user.id))
        return caller

    p = await run_in_threadpool(allowed)
    q = request.query_params
    opts = imports.ImportOptions(fmt=q.get("fmt", "auto"), on_divergence=q.get("on_divergence", "keep"),
                                 priority=_int(q.get("priority", "0"), "priority"),
                                 license=q.get("license", "").strip()).checked()
    settings = ctx(request).settings
    up = await uploads.receive_upload(settings, q.get("name", "upload"), request.stream(), settings.max_upload_bytes)
    runner = runner_of(request)
    job_id = await run_in_threadpool(import_jobs.start_check, db, runner, p.user, project_id, up, opts)
    return JSONResponse({"url": f"/projects/{project_id}/import/jobs/{job_id}", "job": job_id}, status_code=201)


@router.get("/projects/{project_id}/import/jobs/{job_id}")
def job_page(request: Request, project_id: ProjectId, job_id: JobId, p: Reader, db: DbDep) -> Response:
    """A dry run's report or an import's summary; while the job runs, htmx polls the status part."""
    job = import_jobs.wait_for(db, p.user, project_id, job_id, 0 if request.headers.get("HX-Request") else
                           PAGE_WAIT_SECONDS)
    fragment = request.headers.get("HX-Request") == "true"
    project = projects.get_project(db, project_id)
    check = job
    if job.kind == import_jobs.IMPORT_KIND and job.done:
        rows = report_rows(job.result["report"]) if job.result.get("report") else []
    else:
        rows = []
    if job.kind == import_jobs.IMPORT_KIND and job.params.get("check_job"):
        check = import_jobs.import_job(db, p.user, project_id, int(job.params["check_job"]))
    return page(request, "import_status.html" if fragment else "import_job.html", p, project=project, job=job,
                check=check, labels=FORMAT_LABELS, report_rows=rows, nav_active="import")


@router.post("/projects/{project_id}/import/jobs/{job_id}/run")
def run_import(request: Request, project_id: ProjectId, job_id: JobId, p: Writer, db: DbDep) -> Response:
    """Start importing the upload the dry run `job_id` checked, and go to the import's page."""
    new_id = import_jobs.start_import(db, runner_of(request), p.user, project_id, job_id)
    import_jobs.wait_for(db, p.user, project_id, new_id, PAGE_WAIT_SECONDS)
    return RedirectResponse(f"/projects/{project_id}/import/jobs/{new_id}", status_code=303)
