"""The app's lifespan owns background work: it starts the job runner, and at shutdown no thread it started
is left running and the database is closed — with work in flight (a job that waits to be told to stop,
and a real code run in the sandbox)."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from assay.jobs import JobContext, Stopped
from assay.jobs import get as job_state
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.code import runs as code_runs
from assay.services.code.demo import ensure_code_demo
from assay.services.site.demo import ensure_demo
from assay.store.db import Db
from assay.web.app import create_app


def _threads() -> set[threading.Thread]:
    """Live threads, less AnyIO's idle pool workers (the event loop's pool for sync endpoints: not ours,
    they end on their own after 10 idle seconds)."""
    return {t for t in threading.enumerate() if t.is_alive() and t.name != "AnyIO worker thread"}


def _wait(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def test_shutdown_stops_every_thread_and_closes_the_database(db: Db) -> None:
    before = _threads()
    app = create_app(db.settings, db)
    jobs = app.state.jobs
    assert not jobs.running and _threads() == before  # building the app starts nothing
    entered = threading.Event()

    def hold(ctx: JobContext) -> None:
        entered.set()
        ctx.stopping.wait(60)
        raise Stopped("asked to stop")

    jobs.register("test.hold", hold, idempotent=True)
    pool = db.engine.pool
    with TestClient(app) as client:
        assert jobs.running
        assert {t.name for t in _threads() - before} >= {"assay-jobs-0", "assay-jobs-1", "assay-jobs-ticker"}
        job_id = jobs.enqueue("test.hold", {})
        assert entered.wait(10)
        assert client.get("/healthz").status_code == 200  # requests are served while the job runs
    assert not jobs.running
    assert _threads() - before == set(), [t.name for t in _threads() - before]
    assert db.engine.pool is not pool and pool.checkedout() == 0  # disposed: a fresh pool replaced it
    assert db._lock_file is None
    st = job_state(db, job_id)
    assert st is not None and st.state == "queued"  # idempotent: the next start runs it again


@pytest.mark.sandbox
def test_shutdown_with_a_code_run_in_flight(db: Db) -> None:
    ensure_demo(db)
    project = ensure_code_demo(db)
    ann = users.find_user(db, "annotator1")
    task = queue.claim_next(db, project.id, ann.id)
    assert task is not None
    before = _threads()
    app = create_app(db.settings, db)
    with TestClient(app):
        runs = code_runs.start_runs(db, app.state.code_runner, project.id, task.record_id, ann, "custom",
                                    tests="assert has_close_elements([1.0, 2.0], 0.5) is False\n")
        assert {r.kind for r in runs} == {"custom", "mutation"}
        _wait(lambda: any(t.name.startswith("assay-job-") for t in _threads()))
    assert _threads() - before == set(), [t.name for t in _threads() - before]
    for r in code_runs.get_runs(db, None, project.id, task.record_id, ann):
        # each run either finished before the stop, or was left to be run again by the next start
        assert r.state in ("done", "failed", "queued", "running"), r
    states = []
    with db.read() as s:
        from assay.store.queries import jobs as q
        states = sorted(j.state for j in q.of_kind(s, code_runs.CODE_RUN, ("queued", "running", "done", "failed")))
    assert states and "running" not in states, states  # no job is left claimed by the stopped server
