"""Exports as jobs (kind "project.export"): a request starts one, a page or client polls it.

`start_export` checks that the actor leads the project, then inserts the job already claimed by this
process and runs it at once in a thread of the runner (`JobRunner.run_claimed`), so the request that asked
can wait a little for a small export (`wait_for`) and answer with the files, or answer "still running" with
the job id to poll. The job's params hold only the project, the format, the file format, the whitelisted
options and the authoring choices; its result names the export (its id and file names, never a path).

`export_job` reads a job back for someone who may see it: a lead of the job's project (or an admin); any
other job id, or a job of another kind or project, is NotFound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.exporters.registry import EXPORTERS
from assay.jobs import Job, JobContext, JobRunner, JobState, wait_until_done
from assay.jobs import get as get_job
from assay.services.accounts import policies
from assay.services.accounts.users import get_user
from assay.services.projects import exports, projects
from assay.services.projects.export_files import export_id_of
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import jobs as jobs_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q

KIND = "project.export"


@dataclass(frozen=True)
class ExportJob:
    """Where an export job stands; `export_id`, `files`, `card`, `rows`, `counts` are set once done."""

    id: int
    project_id: int
    state: str
    progress: float
    message: str
    format: str
    file_format: str
    authoring: bool
    export_id: str = ""
    files: list[str] = field(default_factory=list)
    card: str = ""
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


def register(runner: JobRunner) -> None:
    """Run export jobs in `runner` (not idempotent: a job a dead process left running is failed, and the
    lead starts it again)."""
    runner.register(KIND, _handle, idempotent=False)


def start_export(db: Db, runner: JobRunner, actor: User, project_id: int, fmt: str, file_format: str = "jsonl", *,
                 options: Mapping[str, Any] | None = None, authoring: Mapping[str, Any] | None = None) -> int:
    """Start an export of the project as a job; returns its id. Forbidden/NotFound unless `actor` leads the
    project (or is an admin); Invalid for an unknown option. `authoring` (fact_checks, final_paths_only)
    makes it an authoring export."""
    policies.manage_project(actor, projects.member_role(db, project_id, actor.id))
    if fmt not in EXPORTERS:
        raise Invalid(f"export format {fmt!r} is unknown; use one of {', '.join(EXPORTERS)}")
    opts = exports.check_options(options or {})
    params: dict[str, Any] = {"project_id": project_id, "format": fmt, "file_format": file_format, "options": opts,
                              "authoring": dict(authoring) if authoring is not None else None}
    with db.write() as s:
        row = jobs_q.add(s, KIND, params, created_by=actor.id, owner=runner.owner)
        job = Job(row.id, KIND, params, actor.id)
    runner.run_claimed(job)
    return job.id


def _handle(ctx: JobContext) -> dict[str, Any]:
    from assay.services.authoring import export as authoring_export

    p = ctx.job.params
    actor = get_user(ctx.db, int(ctx.job.created_by or 0))
    if p.get("authoring") is not None:
        a = p["authoring"]
        res = authoring_export.export_authoring(
            ctx.db, int(p["project_id"]), str(p["format"]), actor=actor, file_format=str(p["file_format"]),
            fact_checks=str(a.get("fact_checks", "keep")), final_paths_only=bool(a.get("final_paths_only")),
            options=p.get("options") or {}, progress=ctx.progress)
    else:
        res = exports.export_project(ctx.db, int(p["project_id"]), str(p["format"]), str(p["file_format"]),
                                     actor=actor, options=p.get("options") or {}, progress=ctx.progress)
    return {"export_id": export_id_of(res.card_path.parent), "files": [x.name for x in res.paths.values()],
            "paths": {k: v.name for k, v in res.paths.items()}, "card": res.card_path.name, "rows": res.rows,
            "counts": dict(res.counts)}


def _view(state: JobState, params: Mapping[str, Any]) -> ExportJob:
    r = state.result
    return ExportJob(id=state.id, project_id=int(params.get("project_id", 0)), state=state.state,
                     progress=state.progress, message=state.message, format=str(params.get("format", "")),
                     file_format=str(params.get("file_format", "")), authoring=params.get("authoring") is not None,
                     export_id=str(r.get("export_id", "")), files=[str(f) for f in r.get("files", [])],
                     card=str(r.get("card", "")), rows=int(r.get("rows", 0)), counts=dict(r.get("counts", {})),
                     paths=dict(r.get("paths", {})))


def _job_params(s: Tx, actor: User, project_id: int, job_id: int) -> dict[str, Any]:
    """The lead check (`policies.manage_project`), then the params of export job `job_id` of the project."""
    policies.manage_project(actor, members_q.role_of(s, project_id, actor.id))
    row = jobs_q.get(s, job_id)
    if row is None or row.kind != KIND or int((row.params or {}).get("project_id", 0)) != project_id:
        raise NotFound(f"no export job {job_id} in this project")
    return dict(row.params or {})


def _state_of(db: Db, job_id: int, params: Mapping[str, Any]) -> ExportJob:
    state = get_job(db, job_id)
    if state is None:
        raise NotFound(f"no export job {job_id} in this project")
    return _view(state, params)


def export_job(db: Db, actor: User, project_id: int, job_id: int) -> ExportJob:
    """The export job `job_id` of the project, for a lead of it (or an admin); NotFound otherwise."""
    with db.read() as s:
        params = _job_params(s, actor, project_id, job_id)
    return _state_of(db, job_id, params)


@dataclass(frozen=True)
class ExportJobPage:
    """The export job page: the project and the job."""

    project: Project
    job: ExportJob


def export_job_page(db: Db, actor: User, project_id: int, job_id: int) -> ExportJobPage:
    """The export job page's view: the lead check, the project and the job's row in one read transaction,
    then the job's state as its runner last wrote it. NotFound for an unknown project or a job that is not
    an export of this project; what `policies.manage_project` raises."""
    with db.read() as s:
        params = _job_params(s, actor, project_id, job_id)
        prow = projects_q.get(s, project_id)
        if prow is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(prow)
    return ExportJobPage(project, _state_of(db, job_id, params))


def wait_for(db: Db, actor: User, project_id: int, job_id: int, seconds: float) -> ExportJob:
    """Poll the job until it is no longer queued or running, or `seconds` passed; returns its state."""
    return wait_until_done(lambda: export_job(db, actor, project_id, job_id), seconds)
