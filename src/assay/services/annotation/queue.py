"""Serving records to annotators: leases, exactly k judgments per record.

Invariant: for every record, leased_count + submitted_count <= the project's k, where both counters live
on the record row and change only in `assay.store.slots` (their one owner), while that row is locked
(PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers take different records; SQLite: every
transaction is BEGIN IMMEDIATE, so claims are serialised). Expired leases are turned into status 'expired' (freeing their slot) before each claim.
A person never gets a record they already had (submitted, skipped or let expire).

Gold records (`records.is_gold`) are kept out of the normal pool: the gold service decides per claim
whether to serve one (the first N a person sees, then a set rate), and a gold record is not limited by k.
A person the gold service paused is refused with Forbidden. A rejected annotation that a reviewer sent
back is served to its author again as a live lease, with the reviewer's comment in `Task.feedback`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from assay.domain.projects import Project, ProjectProgress
from assay.domain.work import Task
from assay.errors import Forbidden, NotFound
from assay.services.projects import projects
from assay.services.quality import gold
from assay.store import slots
from assay.store.db import Conn, Db, Tx
from assay.store.mappers import record_from_columns, record_from_row
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments, reviews
from assay.store.queries import memberships as members_q
from assay.store.tables import AnnotationRow, AssignmentRow, RecordRow

Authorize = Callable[[str | None], None]  # a permission policy bound to the caller: raises or returns

NEEDS_COMPLETIONS = assignments.CLAIM_KINDS


def _now() -> datetime:
    return datetime.now(UTC)


def expire_stale_leases(s: Tx | Conn, project_id: int, now: datetime) -> int:
    """Mark leases past their deadline as expired and give their slots back. Returns how many."""
    return slots.expire_stale(s, project_id, now)


SWEEP_EVERY_SECONDS = 1.0


def _sweep_due(db: Db, project_id: int) -> bool:
    """Whether this claim should turn expired leases into free slots first: at most once a second per
    project and process (a claim that finds nothing sweeps anyway). Skipping a sweep is always safe: an
    expired lease keeps its slot counted until swept, so k is never exceeded; it is only served later.
    (Two threads racing here may both sweep, which is harmless.)"""
    t = time.monotonic()
    last = db.last_sweeps.get(project_id)
    if last is not None and t - last < SWEEP_EVERY_SECONDS:
        return False
    db.last_sweeps[project_id] = t
    return True


def build_task(s: Tx, a: AssignmentRow, rec: RecordRow | None = None,
               ann: AnnotationRow | None | Literal["load"] = "load") -> Task:
    """Build the person's Task for assignment `a` inside the caller's transaction. `rec` (with its
    completions) and `ann` (the person's annotation on the record, or None when there is none) may be
    passed when the caller already holds them, saving the queries."""
    if rec is None:
        rec = assignments.record(s, a.record_id, with_completions=True)
        assert rec is not None
    row = annotations_q.of_record(s, a.record_id, a.user_id) if isinstance(ann, str) else ann
    feedback = ""
    if row is not None and row.status != "submitted":
        feedback = reviews.latest_comment(s, row.id, action="returned")
    return Task(project_id=a.project_id, record_id=a.record_id, record=record_from_row(rec),
                lease_expires_at=a.expires_at, status=row.status if row else "leased",
                answers=dict(row.answers) if row else {}, active_seconds=row.active_seconds if row else 0.0,
                revision=row.revision if row else 0, feedback=feedback)


def authorize_member(s: Tx, project_id: int, user_id: int, authorize: Authorize | None) -> None:
    """Run the caller's permission policy on the person's project role, inside the service's own
    transaction (no separate membership transaction; a removed member is refused at once)."""
    if authorize is not None:
        authorize(members_q.role_of(s, project_id, user_id))


def claim_next(db: Db, project_id: int, user_id: int, authorize: Authorize | None = None) -> Task | None:
    """Serve the person their next record: their live lease if they have one, else a new lease on the
    best free record (priority, then records that already have judgments, then oldest), or a gold record
    when the project's gold policy says so. None when the queue holds nothing more for them.
    Raises Forbidden when the person is paused in this project, NotFound for an unknown project.
    `authorize(member_role)` (e.g. `functools.partial(policies.annotate, user)`) is checked first, in the
    same transaction."""
    for _attempt in range(5):
        try:
            return _claim_once(db, project_id, user_id, authorize)
        except slots.AlreadyHeld:  # the same person claiming twice at once: the other claim won
            continue
    return _claim_once(db, project_id, user_id, authorize)


@dataclass(frozen=True)
class NextOutcome:
    """What `/projects/{id}/next` shows: the served `task`; or, when the queue holds nothing more for the
    person, the `project` and its `progress`; or, when the gold check paused them, `paused` (why)."""

    task: Task | None = None
    project: Project | None = None
    progress: ProjectProgress | None = None
    paused: str = ""


def next_for(db: Db, project_id: int, user_id: int, authorize: Authorize) -> NextOutcome:
    """`claim_next` with `authorize(member_role)` checked in the claim's own transaction (what it raises
    propagates: NotFound for a non-member). A gold pause comes back as `paused` instead of Forbidden; an
    empty queue reads the project and the person's progress in one read transaction after the claim (the
    claim's writer lock is not held for the counts)."""
    authorized = False

    def check(role: str | None) -> None:
        nonlocal authorized
        authorize(role)
        authorized = True

    try:
        task = claim_next(db, project_id, user_id, check)
    except Forbidden as e:
        if not authorized:  # the caller's policy refused: not a pause
            raise
        return NextOutcome(paused=e.message)
    if task is not None:
        return NextOutcome(task=task)
    project, progress = projects.with_progress(db, project_id, user_id)
    return NextOutcome(project=project, progress=progress)


def _claim_once(db: Db, project_id: int, user_id: int, authorize: Authorize | None) -> Task | None:
    """One claim in one transaction of 4 statements (5 when the sweep is due; the record comes with its
    completions), all prebuilt Core statements on a bare connection (`assay.store.queue_statements`)."""
    now = _now()
    with db.write_connection() as conn:
        # the project, the caller's role and standing, whether the form judges completions, their live lease
        found = assignments.claim_context(conn, project_id, user_id, now)
        if authorize is not None:
            authorize(found.role if found is not None else None)
        if found is None:
            raise NotFound(f"no project with id {project_id}")
        if found.live_id is not None:  # the person's live lease: served again as it is
            with db.session_on(conn) as s:
                live = assignments.get(s, found.live_id)
                assert live is not None
                return build_task(s, live)
        gold.raise_if_paused(found.standing_state, found.standing_reason)
        swept = _sweep_due(db, project_id)
        if swept:
            slots.expire_stale(conn, project_id, now)
        k = found.annotators_per_record
        ready = bool(found.needs)
        rec = None
        if gold.want_gold(conn, project_id, user_id, gold.GoldPolicy.of(found.settings)):
            rec = assignments.next_record(conn, project_id, user_id, k, ready=ready, gold=True)
        if rec is None:
            # a sweep's freed slots hold their records locked: then the claim must not wait for other records
            rec = assignments.next_record(conn, project_id, user_id, k, ready=ready, gold=False, may_wait=not swept)
            if rec is None and not swept and slots.expire_stale(conn, project_id, now):  # slots came free
                rec = assignments.next_record(conn, project_id, user_id, k, ready=ready, gold=False, may_wait=False)
        if rec is None:
            return None
        expires = now + timedelta(seconds=found.lease_seconds)
        slots.lease(conn, project_id=project_id, record_id=rec.id, user_id=user_id, now=now, expires=expires)
        # A record this person never had: every writer of annotations (drafts, submits, imported judgments,
        # authored records) adds the assignment with the annotation, so there is no annotation to load.
        record = record_from_columns(rec)  # its completions came with it
        return Task(project_id=project_id, record_id=rec.id, record=record, lease_expires_at=expires,
                    status="leased")


def task_in(s: Tx, project_id: int, record_id: int, user_id: int) -> Task:
    """`current_task` inside the caller's transaction (no permission check)."""
    a = assignments.find(s, project_id, record_id, user_id)
    if a is None:
        raise NotFound("this record is not in your queue")
    return build_task(s, a)


def current_task(db: Db, project_id: int, record_id: int, user_id: int, authorize: Authorize | None = None) -> Task:
    """The person's own task on a record they were served. Raises NotFound otherwise (never reveals
    records outside their queue). `authorize` as in `claim_next`. One read transaction."""
    with db.read() as s:
        authorize_member(s, project_id, user_id, authorize)
        return task_in(s, project_id, record_id, user_id)


def release(db: Db, project_id: int, record_id: int, user_id: int, *, skip_reason: str | None = None) -> None:
    """Give a leased record back: 'skipped' (with a reason; never served to this person again) or
    'released'. A draft already typed is kept."""
    with db.write() as s:
        a = assignments.find(s, project_id, record_id, user_id)
        if a is None:
            raise NotFound("this record is not in your queue")
        if a.status == "leased":
            lock_record(s, db, record_id)
        slots.give_back(s, assignment_id=a.id, record_id=record_id, status=a.status, skip_reason=skip_reason)


def lock_record(s: Tx, db: Db, record_id: int) -> None:
    """Lock the record's row for the rest of the transaction (PostgreSQL; SQLite transactions are already
    exclusive). Raises NotFound for an unknown record."""
    if not slots.lock_record(s, record_id, postgres=db.is_postgres):
        raise NotFound(f"no record {record_id}")
