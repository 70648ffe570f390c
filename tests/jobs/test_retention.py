"""The jobs table's retention: finished jobs older than `job_retention_days` are deleted, at the runner's
start and daily; queued and running jobs are never deleted, whatever their age."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from assay.jobs import JobRunner, table
from assay.services.site.background import register_all
from assay.store.db import Db
from assay.store.queries import jobs as q
from assay.store.tables import JobRow


def _job(db: Db, state: str, days_ago: float) -> int:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with db.write() as s:
        job_id = q.add(s, "test.kind", {"n": days_ago}).id
        s.execute(update(JobRow).where(JobRow.id == job_id).values(
            state=state, created_at=at, started_at=at, finished_at=at if state in ("done", "failed") else None))
    return job_id


def _ids(db: Db) -> set[int]:
    with db.read() as s:
        return set(s.scalars(select(JobRow.id)))


def test_prune_deletes_only_jobs_that_ended_before_the_retention(db: Db) -> None:
    old_done, old_failed = _job(db, "done", 40), _job(db, "failed", 31)
    recent_done, recent_failed = _job(db, "done", 29), _job(db, "failed", 0.5)
    old_queued, old_running = _job(db, "queued", 90), _job(db, "running", 90)
    assert table.prune(db, 30) == 2
    assert _ids(db) == {recent_done, recent_failed, old_queued, old_running}
    assert old_done not in _ids(db) and old_failed not in _ids(db)
    assert table.prune(db, 30) == 0
    assert table.prune(db, 0) == 0 and len(_ids(db)) == 4  # 0 keeps every job
    assert table.prune(db, 0.25) == 2  # the recent finished ones, at a short retention
    assert _ids(db) == {old_queued, old_running}


def test_a_starting_runner_prunes_by_the_setting(db: Db) -> None:
    old, kept = _job(db, "done", 45), _job(db, "done", 3)
    db.settings.job_retention_days = 7
    runner = JobRunner(db)
    register_all(runner, sandbox_concurrency=1)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and old in _ids(db):
            time.sleep(0.05)
    finally:
        assert runner.stop() == []
    assert old not in _ids(db) and kept in _ids(db)
