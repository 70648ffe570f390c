"""Reading and queueing jobs without a runner at hand: services enqueue work that whichever runner of
the deployment claims (the server's threads, or another server process), and read a job's state to show
its progress."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from assay.store.db import Db
from assay.store.queries import jobs as q
from assay.store.tables import JobRow


@dataclass(frozen=True)
class JobState:
    """Where one job stands: state (queued | running | done | failed), progress 0..1, message (why it
    failed, or what it is doing), result, and when it was created (UTC, on either database)."""

    id: int
    kind: str
    state: str
    progress: float
    message: str
    result: dict[str, Any]
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def seconds(self) -> float:
        """Seconds since the job was created."""
        return max(0.0, (datetime.now(UTC) - self.created_at).total_seconds())


class _Wakeable(Protocol):
    def wake(self) -> None: ...


_runners: weakref.WeakSet[_Wakeable] = weakref.WeakSet()  # the runners started in this process
_runners_lock = threading.Lock()


def listen(runner: _Wakeable) -> None:
    """Wake `runner` whenever this process queues a job here (a runner's `start()` calls this; runners of
    other processes find the job at their next poll)."""
    with _runners_lock:
        _runners.add(runner)


def unlisten(runner: _Wakeable) -> None:
    with _runners_lock:
        _runners.discard(runner)


def _wake_runners() -> None:
    with _runners_lock:
        listening = list(_runners)
    for r in listening:
        r.wake()


def _state(row: JobRow) -> JobState:
    return JobState(id=row.id, kind=row.kind, state=row.state, progress=row.progress, message=row.message,
                    result=dict(row.result or {}),
                    created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC))


def get(db: Db, job_id: int) -> JobState | None:
    with db.read() as s:
        row = q.get(s, job_id)
        return None if row is None else _state(row)


class _Polled(Protocol):
    @property
    def active(self) -> bool: ...


P = TypeVar("P", bound=_Polled)


def wait_until_done(fetch: Callable[[], P], seconds: float) -> P:
    """Call `fetch` (a job's view, re-read each time) until it is no longer queued or running, or `seconds`
    passed (backing off from 20 ms to 250 ms between reads); answers the last view."""
    deadline = time.monotonic() + max(0.0, seconds)
    delay = 0.02
    while True:
        job = fetch()
        if not job.active or time.monotonic() >= deadline:
            return job
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.25)


def latest_with_key(db: Db, kind: str, key: str) -> JobState | None:
    """The newest job of `kind` whose params hold `"key": key`, or None."""
    with db.read() as s:
        row = q.latest_with_key(s, kind, key)
        return None if row is None else _state(row)


def enqueue_unless_active(db: Db, kind: str, key: str, params: dict[str, Any], *,
                          created_by: int | None = None) -> JobState:
    """Queue a job of `kind` for `key` (stored in its params) unless one is queued or running already;
    returns that one or the new one. Check and insert share one write transaction (on PostgreSQL two
    callers at the same instant may both insert; the handler must then be idempotent)."""
    with db.write() as s:
        row = q.latest_with_key(s, kind, key)
        if row is not None and row.state in ("queued", "running"):
            return _state(row)
        state = _state(q.add(s, kind, {**params, "key": key}, created_by=created_by))
    _wake_runners()  # after the commit, so the pollers see the row
    return state


def prune(db: Db, days: float) -> int:
    """Delete the jobs that ended more than `days` days ago (the jobs table's retention; 0 or less keeps
    every job). A job's state, message and result are then gone: its poll URL answers 404 and an explorer
    cache whose failed build was pruned is built again when opened. Returns how many were deleted."""
    if days <= 0:
        return 0
    with db.write() as s:
        return q.prune_finished(s, datetime.now(UTC) - timedelta(days=days))
