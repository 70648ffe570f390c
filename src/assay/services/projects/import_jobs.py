"""Dry runs and imports of uploaded files as jobs: "records.import_check" and "records.import".

`start_check` queues the dry run of an upload (`imports.check_file`), `start_import` the import of an upload
whose dry run found no error (`imports.import_file`), `import_job` reads either back for the project's lead
(or an admin); pages and the API call these. Label Studio and Argilla exports (`assay.formats.interchange`)
are read whole by their readers and bring the people's annotations in as judgments, as
`assay records import` does; every other format streams.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import AssayError, Invalid, NotFound
from assay.formats import interchange
from assay.formats.text import refuse_in_record
from assay.jobs import Job, JobContext, JobRunner, wait_until_done
from assay.jobs import get as get_job
from assay.services.accounts import policies
from assay.services.datasets.import_report import import_report
from assay.services.projects import projects
from assay.services.projects import records as records_svc
from assay.services.projects.imports import (
    PREVIEW_RECORDS,
    CheckReport,
    ImportOptions,
    StreamImportResult,
    check_file,
    error_dict,
    import_file,
    line_of,
    preview_of,
)
from assay.services.projects.records import check_fits, metadata_suggestions
from assay.services.projects.uploads import Upload, sweep_uploads, upload_path
from assay.services.quality import gold_records
from assay.store.db import Db
from assay.store.queries import jobs as jobs_q
from assay.store.queries import records as records_q

CHECK_KIND = "records.import_check"
IMPORT_KIND = "records.import"


def register(runner: JobRunner) -> None:
    """Run dry runs and imports of uploads in `runner` (both idempotent: a check writes nothing and an
    import is all-or-nothing and skips ids already there), and sweep old uploads hourly."""
    runner.register(CHECK_KIND, _check_handler, idempotent=True)
    runner.register(IMPORT_KIND, _import_handler, idempotent=True)
    runner.every(3600, "uploads.sweep", lambda: sweep_uploads(runner.db.settings))


def start_check(db: Db, runner: JobRunner, actor: User, project_id: int, upload: Upload,
                opts: ImportOptions) -> int:
    """Queue the dry run of an upload (run at once in this process); returns the job id."""
    policies.manage_project(actor, projects.member_role(db, project_id, actor.id))
    opts = opts.checked()
    params = {"project_id": project_id, "upload": upload.token, "suffix": upload.suffix, "name": upload.name,
              "size": upload.size, **opts.to_params()}
    with db.write() as s:
        row = jobs_q.add(s, CHECK_KIND, params, created_by=actor.id, owner=runner.owner)
        job = Job(row.id, CHECK_KIND, params, actor.id)
    runner.run_claimed(job)
    return job.id


def _check_handler(ctx: JobContext) -> dict[str, Any]:
    p = ctx.job.params
    path = upload_path(ctx.db.settings, str(p["upload"]), str(p.get("suffix", "")))
    if not path.is_file():
        raise Invalid("the uploaded file is gone (uploads are kept for a day); upload it again")
    opts = ImportOptions.of(p)
    kind = interchange.which(path, opts.fmt)
    if kind is not None:
        report = _check_interchange(ctx.db, int(p["project_id"]), path, kind)
        if report.error is not None and p.get("name"):  # the uploader's file name, not the server's
            report.error["message"] = str(report.error["message"]).replace(path.name, str(p["name"]))
    else:
        report = check_file(ctx.db, int(p["project_id"]), path, opts, progress=ctx.progress,
                            display=str(p.get("name", "")))
    if report.error is not None:
        path.unlink(missing_ok=True)  # nothing can be imported from it
    out: dict[str, Any] = report.to_dict()
    return out


def start_import(db: Db, runner: JobRunner, actor: User, project_id: int, check_id: int) -> int:
    """Import the upload a finished, error-free dry run `check_id` of this project checked; returns the
    import job's id. Invalid when the check is not done or found an error, NotFound for another project's."""
    check = import_job(db, actor, project_id, check_id)
    if check.kind != CHECK_KIND:
        raise NotFound(f"no import check {check_id} in this project")
    if check.state != "done" or check.result.get("error"):
        raise Invalid("this file cannot be imported: its dry run has not finished or found an error")
    if check.result.get("import_job"):
        return int(check.result["import_job"])
    params = {**check.params, "check_job": check_id}
    with db.write() as s:
        row = jobs_q.add(s, IMPORT_KIND, params, created_by=actor.id, owner=runner.owner)
        job = Job(row.id, IMPORT_KIND, params, actor.id)
        check_row = jobs_q.get(s, check_id)
        if check_row is not None:
            check_row.result = {**(check_row.result or {}), "import_job": job.id}
    runner.run_claimed(job)
    return job.id


def _import_handler(ctx: JobContext) -> dict[str, Any]:
    from assay.services.accounts.users import get_user

    p = ctx.job.params
    path = upload_path(ctx.db.settings, str(p["upload"]), str(p.get("suffix", "")))
    if not path.is_file():
        raise Invalid("the uploaded file is gone (uploads are kept for a day); upload it again")
    actor = get_user(ctx.db, int(ctx.job.created_by or 0)) if ctx.job.created_by else None
    started = time.monotonic()

    def progress(fraction: float, message: str) -> None:
        ctx.check_stop()
        ctx.progress(fraction, message)

    opts = ImportOptions.of(p)
    extra: dict[str, Any] = {}
    try:
        kind = interchange.which(path, opts.fmt)
        if kind is not None:
            ctx.progress(0.1, f"reading the {kind.replace('_', ' ')} export")
            res, extra = _import_interchange(ctx.db, int(p["project_id"]), path, kind, actor, opts.priority,
                                             str(p.get("name", "")), opts.license)
        else:
            res = import_file(ctx.db, int(p["project_id"]), path, opts, actor, progress,
                              display=str(p.get("name", "")))
    finally:
        path.unlink(missing_ok=True)
    return {"created": res.created, "existing": res.existing, "duplicates": res.duplicates,
            "skipped": res.skipped, "seconds": round(time.monotonic() - started, 1),
            "name": p.get("name", ""), "size": p.get("size", 0), "report": res.report, **extra}


def _check_interchange(db: Db, project_id: int, path: Path, kind: str) -> CheckReport:
    """The dry run of a Label Studio or Argilla export: its reader reads it whole (they are exports of
    annotation tools, not data dumps), then each record is checked against the form."""
    project = projects.get_project(db, project_id)
    report = CheckReport(format=kind)
    current: Record | None = None
    try:
        got = interchange.read(path, kind, project.questions)
        report.rows = got.stats.rows or len(got.records)
        report.records = len(got.records)
        report.judgments, report.suggestions = got.judgments, got.suggestions
        for sk in got.skipped:
            report.warn("skipped", None, sk.task, sk.field, f"left out: {sk.reason}")
        if got.skipped:
            report.skipped["parts the form has no place for"] = len(got.skipped)
        with db.read() as s:
            already = records_q.existing_external_ids(s, project_id, [r.external_id for r in got.records])
        for r in got.records:
            current = r
            refuse_in_record(r, f"{path.name} item {line_of(r)}")
            check_fits(project, r)
            gold_records.check_expected(project, r, f"{path.name} item {line_of(r)}")
            metadata_suggestions(project, r)
            if r.external_id in already:
                report.existing += 1
            else:
                report.new += 1
            if len(report.preview) < PREVIEW_RECORDS:
                report.preview.append(preview_of(r))
    except AssayError as e:
        report.error = error_dict(e, current)
    return report


def _import_interchange(db: Db, project_id: int, path: Path, kind: str, actor: User | None,
                        priority: int, name: str = "", license: str = "") -> tuple[StreamImportResult, dict[str, Any]]:
    """Records (with the tool's predictions as suggestions), then the people's annotations as submitted
    judgments, as `assay records import` does; each step all or nothing."""
    from assay.services.annotation import judgments as judgments_svc

    project = projects.get_project(db, project_id)
    got = interchange.read(path, kind, project.questions)
    res = records_svc.import_records(db, project_id, got.records, actor, priority=priority)
    report = import_report(name or path.name, kind, got.stats, got.records, imported=res.created,
                           existing=res.existing, license=license)
    extra: dict[str, Any] = {"format": kind, "suggestions": got.suggestions}
    if got.judgments:
        j = judgments_svc.import_judgments(db, project_id, got.records, None, source=kind.replace("_", "-"),
                                           actor=actor)
        extra.update(judgments=j.annotations_created, annotators=j.annotators,
                     judgments_skipped=j.annotations_skipped)
    skipped = {"parts the form has no place for": len(got.skipped)} if got.skipped else {}
    return StreamImportResult(created=res.created, existing=res.existing, skipped=skipped, report=report), extra


@dataclass(frozen=True)
class ImportJob:
    """A dry run or import job as pages show it."""

    id: int
    kind: str
    project_id: int
    state: str
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def name(self) -> str:
        return str(self.params.get("name", ""))


def import_job(db: Db, actor: User, project_id: int, job_id: int) -> ImportJob:
    """A dry run or import job of the project, for its lead (or an admin); NotFound for any other job."""
    policies.manage_project(actor, projects.member_role(db, project_id, actor.id))
    with db.read() as s:
        row = jobs_q.get(s, job_id)
        if row is None or row.kind not in (CHECK_KIND, IMPORT_KIND) or \
                int((row.params or {}).get("project_id", 0)) != project_id:
            raise NotFound(f"no import job {job_id} in this project")
        params = dict(row.params or {})
    state = get_job(db, job_id)
    if state is None:
        raise NotFound(f"no import job {job_id} in this project")
    return ImportJob(id=state.id, kind=state.kind, project_id=project_id, state=state.state,
                     progress=state.progress, message=state.message, params=params, result=dict(state.result))


def wait_for(db: Db, actor: User, project_id: int, job_id: int, seconds: float) -> ImportJob:
    """Poll the job until it is no longer queued or running, or `seconds` passed."""
    return wait_until_done(lambda: import_job(db, actor, project_id, job_id), seconds)
