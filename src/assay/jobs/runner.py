"""`JobRunner`: the one owner of background work in a process.

Jobs are rows of the `jobs` table (`assay.store.queries.jobs`): queued → running → done | failed, with a
progress fraction, a message and a result. Services register a handler per job kind and enqueue jobs;
the web app's lifespan starts the runner and stops it. The runner owns every thread it runs work in:

- `threads` pollers (the `worker_threads` setting) claim queued jobs of the registered kinds (FOR UPDATE
  SKIP LOCKED on PostgreSQL, so several processes can share one table) and run them one at a time each;
- `run_claimed` runs a job this process enqueued already claimed (`queries.jobs.add(owner=runner.owner)`)
  at once in a thread of its own, for work that must start inside the request that asked for it (a code
  run takes its place in the sandbox queue at once, so queue positions are real);
- one ticker runs the periodic tasks given to `every` (e.g. the hidden-test sweep).

`start()` first recovers jobs that a dead process left "running": a kind registered `idempotent` is
queued again (it runs again from the start), any other kind is marked failed with the reason. A job
belongs to a dead process when its owner (`<host>:<pid>`, kept in `result` while it runs) is this host and
the pid no longer exists, or when it names no owner; jobs of other hosts are left alone.

`stop()` sets `stopping` (handlers poll it through `JobContext.stopping`), joins every thread and returns
the names of any that did not end in time (none, normally). A handler interrupted by the stop raises
`Stopped`: its job is queued again when the kind is idempotent, else failed with the reason.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assay.errors import AssayError
from assay.jobs import table
from assay.store.db import Db
from assay.store.queries import jobs as q

log = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised by a handler that gave up because the runner is stopping."""


@dataclass(frozen=True)
class Job:
    """A claimed job as its handler sees it."""

    id: int
    kind: str
    params: dict[str, Any]
    created_by: int | None = None


@dataclass
class JobContext:
    """What a handler gets: the job, the database, the runner's stop flag and a progress reporter."""

    job: Job
    db: Db
    stopping: threading.Event

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress (0..1) and a short message on the job's row (own short transaction)."""
        with self.db.write() as s:
            q.set_progress(s, self.job.id, max(0.0, min(1.0, fraction)), message[:2000])

    def check_stop(self) -> None:
        """Raise `Stopped` when the runner is stopping."""
        if self.stopping.is_set():
            raise Stopped("the server is stopping")


Handler = Callable[[JobContext], dict[str, Any] | None]


@dataclass(frozen=True)
class Kind:
    """A registered job kind: its handler and whether running it twice is harmless (then a job a dead
    process left running is queued again instead of failed)."""

    name: str
    handler: Handler
    idempotent: bool


@dataclass
class _Periodic:
    name: str
    seconds: float
    fn: Callable[[], object]
    due: float = 0.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(eq=False)  # a runner is itself: compared and hashed by identity (`table.listen` keeps a weak set)
class JobRunner:
    """See the module docstring. Cheap to build (no thread starts before `start()`)."""

    db: Db
    threads: int = 2
    poll_seconds: float = 1.0  # jobs this process queues wake the pollers at once; others wait at most this
    kinds: dict[str, Kind] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _threads: set[threading.Thread] = field(default_factory=set, repr=False)
    _periodic: list[_Periodic] = field(default_factory=list, repr=False)
    _started: bool = field(default=False, repr=False)

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._started and not self.stopping.is_set()

    def register(self, kind: str, handler: Handler, *, idempotent: bool) -> None:
        """Run jobs of `kind` with `handler` (which returns the job's result dict, or None)."""
        self.kinds[kind] = Kind(kind, handler, idempotent)

    def every(self, seconds: float, name: str, fn: Callable[[], object]) -> None:
        """Call `fn()` every `seconds` in the ticker thread while the runner runs (errors are logged)."""
        self._periodic.append(_Periodic(name, seconds, fn))

    def wake(self) -> None:
        """Tell the pollers a job was queued (they also poll every `poll_seconds`)."""
        self._wake.set()

    def enqueue(self, kind: str, params: dict[str, Any], *, created_by: int | None = None) -> int:
        """Queue a job (own transaction) and wake the pollers; returns its id."""
        with self.db.write() as s:
            job_id = q.add(s, kind, params, created_by=created_by).id
        self.wake()
        return job_id

    # lifecycle -----------------------------------------------------------------------------------

    def start(self) -> JobRunner:
        """Recover jobs a dead process left running, then start the pollers and the ticker."""
        if self._started:
            return self
        self.recover()
        self._started = True
        table.listen(self)
        for i in range(max(1, self.threads)):
            self._spawn(f"assay-jobs-{i}", self._poll_loop)
        if self._periodic:
            self._spawn("assay-jobs-ticker", self._tick_loop)
        return self

    def stop(self, timeout: float = 30.0) -> list[str]:
        """Stop: tell handlers, join every thread (up to `timeout` seconds in all). Returns the names of
        threads still alive (empty when all ended)."""
        self.stopping.set()
        table.unlisten(self)
        self._wake.set()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive or time.monotonic() > deadline:
                return [t.name for t in alive]
            alive[0].join(0.1)

    def recover(self) -> int:
        """Queue again (idempotent kinds) or fail the jobs a dead process left running. Returns how many."""
        host, pid = self.owner.rsplit(":", 1)
        n = 0
        with self.db.write() as s:
            for row in q.running(s):
                owner = str((row.result or {}).get("owner", ""))
                o_host, _, o_pid = owner.rpartition(":")
                if owner and (o_host != host or o_pid == pid or not o_pid.isdigit() or _pid_alive(int(o_pid))):
                    continue
                kind = self.kinds.get(row.kind)
                if kind is not None and kind.idempotent:
                    q.requeue(s, row.id, f"queued again: the process running it ({owner or 'unknown'}) stopped")
                else:
                    q.finish(s, row.id, "failed", {}, f"the server stopped while this job was running "
                                                        f"(process {owner or 'unknown'}); start it again")
                n += 1
        return n

    # running ------------------------------------------------------------------------------------

    def run_claimed(self, job: Job) -> bool:
        """Run a job this process already claimed (see `queries.jobs.add(owner=...)`) in a thread of its own.
        When the runner is stopping the job is queued again instead (for the next process) and False is
        returned."""
        if self.stopping.is_set():
            with self.db.write() as s:
                q.requeue(s, job.id, "queued again: the server was stopping when it was started")
            return False
        self._spawn(f"assay-job-{job.id}-{job.kind}", lambda: self._run(job))
        return True

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        def body() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        t = threading.Thread(target=body, name=name, daemon=True)
        with self._lock:
            self._threads.add(t)
        t.start()

    def _poll_loop(self) -> None:
        while not self.stopping.is_set():
            job = self._claim()
            if job is not None:
                self._run(job)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _claim(self) -> Job | None:
        kinds = list(self.kinds)
        if not kinds:
            return None
        try:
            with self.db.read() as s:
                if not q.has_queued(s, kinds):
                    return None
            with self.db.write() as s:
                row = q.claim_next(s, kinds, self.owner)
                return None if row is None else Job(row.id, row.kind, dict(row.params or {}), row.created_by)
        except Exception:
            log.exception("claiming a job failed")
            self.stopping.wait(1.0)
            return None

    def _run(self, job: Job) -> None:
        kind = self.kinds.get(job.kind)
        try:
            if kind is None:
                self._finish(job, "failed", {}, f"no handler for jobs of kind {job.kind!r} in this process")
                return
            result = kind.handler(JobContext(job, self.db, self.stopping))
            self._finish(job, "done", result or {})
        except Stopped:
            if kind is not None and kind.idempotent:
                with self.db.write() as s:
                    q.requeue(s, job.id, "queued again: the server stopped while it ran")
            else:
                self._finish(job, "failed", {}, "the server stopped while this job was running; start it again")
        except AssayError as e:
            self._finish(job, "failed", {}, e.message)
        except Exception as e:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(job, "failed", {}, f"{type(e).__name__}: {e}")

    def _finish(self, job: Job, state: str, result: dict[str, Any], message: str = "") -> None:
        try:
            with self.db.write() as s:
                q.finish(s, job.id, state, result, message[:4000])
        except Exception:
            log.exception("could not record the end of job %s", job.id)

    def _tick_loop(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            for p in self._periodic:
                if now >= p.due and not self.stopping.is_set():
                    p.due = now + p.seconds
                    try:
                        p.fn()
                    except Exception:
                        log.exception("periodic task %s failed", p.name)
            wait = min(p.due for p in self._periodic) - time.monotonic()
            self.stopping.wait(max(0.05, wait))
