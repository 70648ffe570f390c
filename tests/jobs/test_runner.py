"""The job runner over the real jobs table (SQLite and PostgreSQL): claiming, results and failures,
progress, concurrent claimers taking each job once, recovery after a process died, and a clean stop."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import pytest

from assay import jobs as jobs_api
from assay.errors import Invalid
from assay.jobs import JobContext, JobRunner, Stopped
from assay.store.db import Db
from assay.store.queries import jobs as q


def wait_state(db: Db, job_id: int, states: tuple[str, ...], timeout: float = 30.0) -> jobs_api.JobState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = jobs_api.get(db, job_id)
        assert st is not None
        if st.state in states:
            return st
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not reach {states} within {timeout} s (now {st.state})")


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_jobs_run_with_results_progress_and_failures(db: Db) -> None:
    runner = JobRunner(db, threads=2)

    def add(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(0.5, "half way")
        return {"sum": ctx.job.params["a"] + ctx.job.params["b"]}

    def bad(ctx: JobContext) -> None:
        raise Invalid("the numbers must be positive")

    def crash(ctx: JobContext) -> None:
        raise OSError("disk full")

    runner.register("add", add, idempotent=True)
    runner.register("bad", bad, idempotent=False)
    runner.register("crash", crash, idempotent=False)
    ids = [runner.enqueue("add", {"a": 2, "b": 3}), runner.enqueue("bad", {}), runner.enqueue("crash", {})]
    runner.start()
    try:
        done = wait_state(db, ids[0], ("done", "failed"))
        assert (done.state, done.result, done.progress, done.message) == ("done", {"sum": 5}, 1.0, "half way")
        assert wait_state(db, ids[1], ("done", "failed")).message == "the numbers must be positive"
        failed = wait_state(db, ids[2], ("done", "failed"))
        assert (failed.state, failed.message) == ("failed", "OSError: disk full")
    finally:
        assert runner.stop() == []


def test_two_runners_claim_each_job_once(db: Db) -> None:
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def count(ctx: JobContext) -> None:
        with lock:
            seen[ctx.job.params["n"]] += 1
        time.sleep(0.005)

    runners = [JobRunner(db, threads=3, poll_seconds=0.02) for _ in range(2)]
    for r in runners:
        r.register("count", count, idempotent=True)
    ids = [runners[0].enqueue("count", {"n": i}) for i in range(40)]
    for r in runners:
        r.start()
    try:
        for job_id in ids:
            assert wait_state(db, job_id, ("done", "failed")).state == "done"
    finally:
        for r in runners:
            assert r.stop() == []
    assert seen == Counter({i: 1 for i in range(40)})


def test_restart_requeues_idempotent_jobs_and_fails_the_others(db: Db) -> None:
    host, gone = socket.gethostname(), dead_pid()
    with db.write() as s:
        again = q.add(s, "again", {}, owner=f"{host}:{gone}").id
        once = q.add(s, "once", {}, owner=f"{host}:{gone}").id
        elsewhere = q.add(s, "again", {}, owner="another-host:1").id  # another machine's: not ours to judge
        waiting = q.add(s, "once", {}).id  # queued: simply runs
    runner = JobRunner(db, threads=1)
    ran: list[int] = []
    runner.register("again", lambda ctx: ran.append(ctx.job.id) or {"ran": True}, idempotent=True)
    runner.register("once", lambda ctx: ran.append(ctx.job.id) or None, idempotent=False)
    runner.start()
    try:
        assert wait_state(db, again, ("done",)).result == {"ran": True}
        lost = wait_state(db, once, ("failed",))
        assert "the server stopped while this job was running" in lost.message and str(gone) in lost.message
        wait_state(db, waiting, ("done",))
        assert jobs_api.get(db, elsewhere).state == "running"  # type: ignore[union-attr]
    finally:
        assert runner.stop() == []
    assert sorted(ran) == sorted([again, waiting])


def test_stop_interrupts_waiting_handlers_and_leaves_no_thread(db: Db) -> None:
    started = threading.Event()

    def patient(ctx: JobContext) -> None:
        started.set()
        while True:
            ctx.check_stop()
            time.sleep(0.01)

    runner = JobRunner(db, threads=2)
    runner.register("patient", patient, idempotent=True)
    runner.register("stubborn", lambda ctx: (_ for _ in ()).throw(Stopped("stop")) if ctx.stopping.wait(30)
                    else None, idempotent=False)
    runner.every(0.05, "tick", lambda: None)
    first = runner.enqueue("patient", {})
    second = runner.enqueue("stubborn", {})
    runner.start()
    assert started.wait(10)
    wait_state(db, second, ("running",))
    assert runner.stop(30) == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("assay-job")]
    st = jobs_api.get(db, first)
    assert st is not None and (st.state, st.message) == ("queued", "queued again: the server stopped while it ran")
    st = jobs_api.get(db, second)
    assert st is not None and st.state == "failed" and "start it again" in st.message


def test_a_job_for_a_key_is_queued_once_while_active(db: Db) -> None:
    a = jobs_api.enqueue_unless_active(db, "build", "v1", {"x": 1})
    b = jobs_api.enqueue_unless_active(db, "build", "v1", {"x": 1})
    assert a.id == b.id and a.state == "queued"
    assert jobs_api.latest_with_key(db, "build", "v2") is None
    with db.write() as s:
        q.finish(s, a.id, "failed", {}, "boom")
    c = jobs_api.enqueue_unless_active(db, "build", "v1", {"x": 1})
    assert c.id != a.id and jobs_api.latest_with_key(db, "build", "v1") == c


@pytest.mark.parametrize("threads", [0])
def test_at_least_one_poller(db: Db, threads: int) -> None:
    runner = JobRunner(db, threads=threads)
    runner.register("noop", lambda ctx: None, idempotent=True)
    job = runner.enqueue("noop", {})
    runner.start()
    try:
        assert wait_state(db, job, ("done",)).state == "done"
    finally:
        assert runner.stop() == []


def test_a_job_queued_without_the_runner_wakes_it(db: Db) -> None:
    """Services queue keyed jobs through `assay.jobs.enqueue_unless_active`, with no runner at hand: a runner
    started in this process starts them at once instead of at its next poll (here a minute away); a stopped
    runner is no longer woken."""
    runner = JobRunner(db, threads=1, poll_seconds=60.0)
    ran = threading.Event()
    runner.register("build", lambda ctx: ran.set() or None, idempotent=True)
    runner.start()
    try:
        time.sleep(0.2)  # the poller has looked once and is waiting out its minute
        started = time.monotonic()
        job = jobs_api.enqueue_unless_active(db, "build", "v1", {})
        assert ran.wait(10) and time.monotonic() - started < 5
        assert wait_state(db, job.id, ("done",)).state == "done"
    finally:
        assert runner.stop() == []
