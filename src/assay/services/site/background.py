"""Every kind of background work a process runs, registered with its `JobRunner` in one place: the web app's
lifespan and `assay worker` both call `register_all`."""

from __future__ import annotations

from assay.jobs import JobRunner, table
from assay.services.code import background as code_background
from assay.services.code.execution import CodeRunner
from assay.services.explorer import cache as explorer_cache
from assay.services.projects import export_jobs, import_jobs


def register_all(jobs: JobRunner, *, sandbox_concurrency: int | None = None) -> CodeRunner:
    """Register code runs (kind "code.run") with the hidden-test sweep, explorer cache builds (kind
    "explorer.cache") and exports (kind "project.export"), with `jobs` (not started). Returns the process's code runner (its sandbox queue:
    `sandbox_concurrency` runs at once, default the CPU count)."""
    code = CodeRunner(jobs, max_concurrent=sandbox_concurrency)
    code_background.register(jobs, code)
    explorer_cache.register(jobs)
    export_jobs.register(jobs)
    import_jobs.register(jobs)  # uploads: dry runs and imports (records.import_check, records.import)
    # retention: finished jobs older than `job_retention_days` are deleted at start and then daily
    jobs.every(24 * 3600, "jobs.prune", lambda: table.prune(jobs.db, jobs.db.settings.job_retention_days))
    return code
