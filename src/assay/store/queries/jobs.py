"""The `jobs` table: enqueue, claim, progress, finish and recovery of background jobs.

A job's `state` goes queued → running → done | failed. While a job runs, `result` holds
`{"owner": "<host>:<pid>"}` (the process that claimed it); when it ends, the handler's result replaces it.
Every function takes a session and never commits (the caller's `db.write()` does).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assay.store.tables import JobRow


def _now() -> datetime:
    return datetime.now(UTC)


def add(s: Session, kind: str, params: dict[str, Any], *, created_by: int | None = None,
        owner: str | None = None) -> JobRow:
    """Insert a job and flush (it has its id). With `owner` it is inserted already claimed (state
    "running", owned by `owner`), for work the enqueuing process starts at once."""
    row = JobRow(kind=kind, params=params, created_by=created_by, state="queued" if owner is None else "running",
                 progress=0.0, message="", result={} if owner is None else {"owner": owner},
                 created_at=_now(), started_at=None if owner is None else _now())
    s.add(row)
    s.flush()
    return row


def get(s: Session, job_id: int) -> JobRow | None:
    return s.get(JobRow, job_id)


def has_queued(s: Session, kinds: Collection[str]) -> bool:
    """Whether any job of `kinds` waits to be claimed (a cheap read before a claiming write)."""
    return s.scalar(select(JobRow.id).where(JobRow.state == "queued", JobRow.kind.in_(list(kinds))).limit(1)) \
        is not None


def claim_next(s: Session, kinds: Collection[str], owner: str) -> JobRow | None:
    """Claim the oldest queued job of `kinds` for `owner` (state "running"), or None.

    On PostgreSQL the row is locked with FOR UPDATE SKIP LOCKED, so concurrent claimers (threads, server
    processes, workers) never take the same job and never wait for each other; SQLite transactions are
    one writer at a time already."""
    q = select(JobRow).where(JobRow.state == "queued", JobRow.kind.in_(list(kinds))).order_by(JobRow.id).limit(1)
    bind = s.get_bind()
    if bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    row = s.scalar(q)
    if row is None:
        return None
    row.state, row.started_at, row.result, row.message = "running", _now(), {"owner": owner}, ""
    s.flush()
    return row


def claim(s: Session, job_id: int, owner: str) -> bool:
    """Claim job `job_id` if it is still queued. True when this call claimed it."""
    res = s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == "queued").values(
        state="running", started_at=_now(), result={"owner": owner}, message=""))
    return bool(getattr(res, "rowcount", 0))


def set_progress(s: Session, job_id: int, progress: float, message: str) -> None:
    s.execute(update(JobRow).where(JobRow.id == job_id).values(progress=progress, message=message))


def finish(s: Session, job_id: int, state: str, result: dict[str, Any], message: str = "") -> None:
    """End a job: state "done" (progress 1; the last progress message stays unless `message` is given) or
    "failed" with `message` saying why."""
    values: dict[str, Any] = {"state": state, "result": result, "finished_at": _now()}
    if state == "done":
        values["progress"] = 1.0
    if message or state != "done":
        values["message"] = message
    s.execute(update(JobRow).where(JobRow.id == job_id).values(**values))


def running(s: Session) -> Sequence[JobRow]:
    """Every job in state "running" (for recovery at start)."""
    return s.scalars(select(JobRow).where(JobRow.state == "running").order_by(JobRow.id)).all()


def requeue(s: Session, job_id: int, message: str) -> None:
    s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == "running").values(
        state="queued", started_at=None, result={}, message=message))


def latest_with_key(s: Session, kind: str, key: str) -> JobRow | None:
    """The newest job of `kind` whose params carry `"key": key` (e.g. the explorer cache of one version)."""
    return s.scalar(select(JobRow).where(JobRow.kind == kind, JobRow.params["key"].as_string() == key)
                    .order_by(JobRow.id.desc()).limit(1))


def of_kind(s: Session, kind: str, states: Collection[str]) -> Sequence[JobRow]:
    return s.scalars(select(JobRow).where(JobRow.kind == kind, JobRow.state.in_(list(states)))
                     .order_by(JobRow.id)).all()


def prune_finished(s: Session, before: datetime) -> int:
    """Delete the jobs that ended (done or failed) before `before`; queued and running jobs stay. Returns how
    many were deleted."""
    res = s.execute(delete(JobRow).where(JobRow.state.in_(("done", "failed")), JobRow.finished_at < before))
    return int(getattr(res, "rowcount", 0) or 0)
