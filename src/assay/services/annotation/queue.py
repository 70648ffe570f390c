"""Serving records to annotators: leases, exactly k judgments per record.

Invariant: for every record, leased_count + submitted_count <= the project's k, where both counters live
on the record row and change only while that row is locked (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED,
so concurrent claimers take different records; SQLite: every transaction is BEGIN IMMEDIATE, so claims
are serialised). Expired leases are turned into status 'expired' (freeing their slot) before each claim.
A person never gets a record they already had (submitted, skipped or let expire).

Gold records (`records.is_gold`) are kept out of the normal pool: the gold service decides per claim
whether to serve one (the first N a person sees, then a set rate), and a gold record is not limited by k.
A person the gold service paused is refused with Forbidden. A rejected annotation that a reviewer sent
back is served to its author again as a live lease, with the reviewer's comment in `Task.feedback`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from assay.domain.questions import QuestionKind
from assay.domain.work import Task
from assay.errors import NotFound
from assay.services.projects.projects import role_in
from assay.services.quality import gold
from assay.store import queue_statements as Q
from assay.store.db import Db
from assay.store.mappers import record_from_columns, record_from_row
from assay.store.tables import (
    AnnotationRow,
    AssignmentRow,
    RecordRow,
)
from assay.store.tables_quality import ReviewRow

Authorize = Callable[[str | None], None]  # a permission policy bound to the caller: raises or returns

NEEDS_COMPLETIONS = {QuestionKind.pairwise.value, QuestionKind.ranking.value, QuestionKind.rating.value,
                     QuestionKind.spans.value, QuestionKind.code_review.value}
_CLAIM_CONTEXT = Q.claim_context(NEEDS_COMPLETIONS)


def _now() -> datetime:
    return datetime.now(UTC)


def expire_stale_leases(s: Session | Connection, project_id: int, now: datetime) -> int:
    """Mark leases past their deadline as expired and give their slots back. Returns how many."""
    expired = s.execute(Q.EXPIRE_LEASES, {"pid": project_id, "now": now}).scalars().all()
    for rid in sorted(expired):  # in id order, so concurrent sweeps lock records in the same order
        s.execute(Q.FREE_SLOT, {"rid": rid})
    return len(expired)


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


def build_task(s: Session, a: AssignmentRow, rec: RecordRow | None = None,
               ann: AnnotationRow | None | Literal["load"] = "load") -> Task:
    """Build the person's Task for assignment `a` inside the caller's transaction. `rec` (with its
    completions) and `ann` (the person's annotation on the record, or None when there is none) may be
    passed when the caller already holds them, saving the queries."""
    if rec is None:
        rec = s.get(RecordRow, a.record_id, options=[selectinload(RecordRow.completions)])
        assert rec is not None
    row: AnnotationRow | None = (
        s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == a.record_id,
                                             AnnotationRow.user_id == a.user_id))
        if isinstance(ann, str) else ann)
    feedback = ""
    if row is not None and row.status != "submitted":
        feedback = s.scalar(select(ReviewRow.comment).where(ReviewRow.annotation_id == row.id,
                                                            ReviewRow.action == "returned")
                            .order_by(ReviewRow.id.desc()).limit(1)) or ""
    return Task(project_id=a.project_id, record_id=a.record_id, record=record_from_row(rec),
                lease_expires_at=a.expires_at, status=row.status if row else "leased",
                answers=dict(row.answers) if row else {}, active_seconds=row.active_seconds if row else 0.0,
                revision=row.revision if row else 0, feedback=feedback)


def authorize_member(s: Session, project_id: int, user_id: int, authorize: Authorize | None) -> None:
    """Run the caller's permission policy on the person's project role, inside the service's own
    transaction (no separate membership transaction; a removed member is refused at once)."""
    if authorize is not None:
        authorize(role_in(s, project_id, user_id))


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
        except IntegrityError:  # the same person claiming twice at once: the other claim won
            continue
    return _claim_once(db, project_id, user_id, authorize)


def _claim_once(db: Db, project_id: int, user_id: int, authorize: Authorize | None) -> Task | None:
    """One claim in one transaction of 4 statements (5 when the sweep is due; the record comes with its
    completions), all prebuilt Core statements on a bare connection (`assay.store.queue_statements`)."""
    now = _now()
    with db.connection() as conn:
        # the project, the caller's role and standing, whether the form judges completions, their live lease
        found = conn.execute(_CLAIM_CONTEXT, {"project_id": project_id, "user_id": user_id, "now": now}).first()
        if authorize is not None:
            authorize(found.role if found is not None else None)
        if found is None:
            raise NotFound(f"no project with id {project_id}")
        if found.live_id is not None:  # the person's live lease: served again as it is
            with db.session_on(conn) as s:
                live = s.get(AssignmentRow, found.live_id)
                assert live is not None
                return build_task(s, live)
        gold.raise_if_paused(found.standing_state, found.standing_reason)
        swept = _sweep_due(db, project_id)
        if swept:
            expire_stale_leases(conn, project_id, now)
        k = found.annotators_per_record
        ready = bool(found.needs)
        params = {"project_id": project_id, "user_id": user_id, "k": k}
        rec = None
        if gold.want_gold(conn, project_id, user_id, gold.GoldPolicy.of(found.settings)):
            rec = conn.execute(Q.NEXT_GOLD[ready], params).first()
        if rec is None:
            rec = conn.execute(Q.NEXT_RECORD[ready], params).first()
            if rec is None and not swept and expire_stale_leases(conn, project_id, now):  # slots came free
                rec = conn.execute(Q.NEXT_RECORD[ready], params).first()
        if rec is None:
            return None
        expires = now + timedelta(seconds=found.lease_seconds)
        conn.execute(Q.TAKE_SLOT, {"rid": rec.id})
        conn.execute(Q.NEW_ASSIGNMENT, {"project_id": project_id, "record_id": rec.id, "user_id": user_id,
                                        "status": "leased", "leased_at": now, "expires_at": expires})
        # A record this person never had: every writer of annotations (drafts, submits, imported judgments,
        # authored records) adds the assignment with the annotation, so there is no annotation to load.
        record = record_from_columns(rec)  # its completions came with it
        return Task(project_id=project_id, record_id=rec.id, record=record, lease_expires_at=expires,
                    status="leased")


def current_task(db: Db, project_id: int, record_id: int, user_id: int, authorize: Authorize | None = None) -> Task:
    """The person's own task on a record they were served. Raises NotFound otherwise (never reveals
    records outside their queue). `authorize` as in `claim_next`."""
    with db.transaction() as s:
        authorize_member(s, project_id, user_id, authorize)
        a = s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == record_id,
                                                 AssignmentRow.user_id == user_id,
                                                 AssignmentRow.project_id == project_id))
        if a is None:
            raise NotFound("this record is not in your queue")
        return build_task(s, a)


def release(db: Db, project_id: int, record_id: int, user_id: int, *, skip_reason: str | None = None) -> None:
    """Give a leased record back: 'skipped' (with a reason; never served to this person again) or
    'released'. A draft already typed is kept."""
    with db.transaction() as s:
        a = s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == record_id,
                                                 AssignmentRow.user_id == user_id,
                                                 AssignmentRow.project_id == project_id))
        if a is None:
            raise NotFound("this record is not in your queue")
        if a.status == "leased":
            _lock_record(s, db, record_id)
            s.execute(Q.FREE_SLOT, {"rid": record_id})
        if a.status in ("leased", "expired"):
            a.status = "skipped" if skip_reason is not None else "released"
            a.skip_reason = skip_reason or ""


def _lock_record(s: Session, db: Db, record_id: int) -> RecordRow:
    """The record row, locked on PostgreSQL (SQLite transactions are already exclusive)."""
    q = select(RecordRow).where(RecordRow.id == record_id)
    if db.is_postgres:
        q = q.with_for_update(of=RecordRow)
    row = s.scalars(q).first()
    if row is None:
        raise NotFound(f"no record {record_id}")
    return row


lock_record = _lock_record
