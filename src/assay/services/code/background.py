"""Code-review background work, registered with the process's `JobRunner`:

- jobs of kind "code.run" (`runs.CODE_RUN`; params `run_id`, `user_key`, `queued`): one code run each. Idempotent:
  a run that was running when its process died is queued again and runs again from the start (its result is
  stored only when it ends);
- every `hidden.SWEEP_SECONDS`, `hidden.sweep`: hidden-test runs for newly submitted code records.
"""

from __future__ import annotations

from typing import Any

from assay.jobs import JobContext, JobRunner
from assay.services.code import hidden, runs
from assay.services.code.execution import CodeRunner


def register(jobs: JobRunner, runner: CodeRunner, *, sweep_seconds: float = hidden.SWEEP_SECONDS) -> None:
    """Register the code-run handler and the hidden-test sweep (every `sweep_seconds`) with `jobs` (before
    `jobs.start()`)."""

    def handle(ctx: JobContext) -> dict[str, Any]:
        p = ctx.job.params
        run_id, user_key, queued = int(p["run_id"]), str(p["user_key"]), bool(p.get("queued", True))
        ticket = runner.begin(run_id, user_key, queued=queued)
        try:
            runs.execute(ctx.db, runner, run_id, user_key, ticket, ctx.stopping)
        finally:
            runner.end(run_id)
        return {"run_id": run_id}

    jobs.register(runs.CODE_RUN, handle, idempotent=True)
    jobs.every(sweep_seconds, "code.hidden-sweep", lambda: hidden.sweep(jobs.db, runner))
