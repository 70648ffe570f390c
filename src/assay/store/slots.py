"""The one owner of the exactly-k counters: taking, freeing and counting a record's slots.

Invariant: `records.leased_count` equals the record's assignments in status 'leased' and
`records.submitted_count` its assignments in status 'submitted'; the queue never serves a record whose
`leased_count + submitted_count` has reached the project's k (only imported judgments and authored records
may count beyond it, see `add_submitted`). Every function here changes a counter and the assignment (and,
where it says so, the annotation) that it counts in the caller's transaction, so the two never drift apart;
no other code writes either counter, an assignment's status or a submitted annotation.

With the counters goes the claim's order key `records.queue_taken`: their sum while it is below the
project's k, NULL once the record is full (`open_taken`). Every statement here that changes a counter sets
it in the same UPDATE, and `reset_queue_taken` sets it again for a whole project when its k changes. The
claim orders and finds records by it (`queue_statements.NEXT_RECORD`) but checks k on the counters, so a
stale key could only change the order in which records are served, never how many judgments one gets.

Each function takes the caller's transaction — a bare `Connection` on the hot path (`Db.connection`) or an
ORM `Session` (`Db.transaction`); both have `execute` — and never commits. The statements are prebuilt at
import in `assay.store.queue_statements`, so the hot path pays for no statement construction. Callers lock
the record first where two writers could race on it (`lock_record`; PostgreSQL only, SQLite transactions are
already exclusive), except for a claim, whose candidate query locks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assay.store import queue_statements as Q
from assay.store.tables import AssignmentRow, ProjectRow, RecordRow

Tx = Session | Connection


class AlreadyHeld(Exception):
    """The person already has an assignment on the record (a concurrent claim of theirs won). The
    transaction is spoilt: roll it back and try again."""


def lock_record(tx: Tx, record_id: int, *, postgres: bool) -> bool:
    """Lock the record's row for the rest of the transaction (PostgreSQL: SELECT … FOR UPDATE; SQLite
    needs nothing). Returns whether the record exists."""
    stmt = Q.LOCK_RECORD_ROW if postgres else Q.RECORD_EXISTS
    return tx.execute(stmt, {"record_id": record_id}).first() is not None


# --- leases ------------------------------------------------------------------------------------------


def lease(tx: Tx, *, project_id: int, record_id: int, user_id: int, now: datetime, expires: datetime) -> None:
    """Take one slot of the record and lease it to the person until `expires`. The caller chose a record
    with room (or one that is not limited by k: gold, a record authored for this person). Raises
    AlreadyHeld when the person already has an assignment on it."""
    tx.execute(Q.TAKE_SLOT, {"rid": record_id})
    try:
        tx.execute(Q.NEW_ASSIGNMENT, {"project_id": project_id, "record_id": record_id, "user_id": user_id,
                                      "status": "leased", "leased_at": now, "expires_at": expires})
    except IntegrityError as e:
        raise AlreadyHeld(f"user {user_id} already holds record {record_id}") from e


def expire_stale(tx: Tx, project_id: int, now: datetime) -> int:
    """Turn the project's leases past their deadline into 'expired' and free their slots. Returns how many."""
    expired = tx.execute(Q.EXPIRE_LEASES, {"pid": project_id, "now": now}).scalars().all()
    for rid in sorted(expired):  # in id order, so concurrent sweeps lock records in the same order
        tx.execute(Q.FREE_SLOT, {"rid": rid})
    return len(expired)


def end_leases_of(tx: Tx, project_id: int, user_id: int, now: datetime) -> int:
    """End the person's live leases in the project at once (they left it): 'expired' with `expires_at`
    now, their slots freed. Drafts and submissions stay. Returns how many."""
    ended = tx.execute(Q.END_LEASES_OF, {"pid": project_id, "uid": user_id, "now": now}).scalars().all()
    for rid in sorted(ended):
        tx.execute(Q.FREE_SLOT, {"rid": rid})
    return len(ended)


def give_back(tx: Tx, *, assignment_id: int, record_id: int, status: str, skip_reason: str | None) -> bool:
    """The person gives a leased (or expired) record back: 'skipped' with a reason (never served to them
    again) or 'released'. A live lease frees its slot (the caller locked the record). `status` is the
    assignment's status as read in this transaction. Returns False (and changes nothing) for an assignment
    that is neither leased nor expired."""
    if status not in ("leased", "expired"):
        return False
    if status == "leased":
        tx.execute(Q.FREE_SLOT, {"rid": record_id})
    tx.execute(Q.SET_ASSIGNMENT, {"aid": assignment_id,
                                  "status": "skipped" if skip_reason is not None else "released",
                                  "skip_reason": skip_reason or ""})
    return True


# --- submissions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """What a submit read, in its transaction, of the person's hold on a locked record: the record's counters,
    their assignment (id, status) and their annotation (id, or None when there is none yet)."""

    submitted_count: int
    leased_count: int
    assignment_id: int
    lease_status: str
    annotation_id: int | None


def submit(tx: Tx, held: Held, *, k: int, project_id: int, record_id: int, user_id: int,
           answers: dict[str, Any], typed: dict[str, Any], values: dict[str, Any],
           now: datetime) -> tuple[int, bool]:
    """Count the person's submission on a locked record and store their annotation with `values`
    (active_seconds, revision, updated_at) and `answers` (validated).

    A live lease turns into a submission (its slot stays counted); an expired or released one is counted
    again only while the record has room under `k`, otherwise the lease is lost: the annotation stores
    `typed` (the answers as sent) and keeps its status (a new one is a draft), and no counter changes. A resubmit changes no counter. A counted
    submission marks the annotation submitted at `now` and the assignment submitted. Returns (annotation
    id, whether it counts as submitted)."""
    submitted, leased = held.submitted_count, held.leased_count
    counted = True
    if held.lease_status == "leased":
        submitted, leased = submitted + 1, max(leased - 1, 0)
    elif held.lease_status != "submitted":
        if submitted + leased >= k:
            counted = False
        else:
            submitted += 1
    if (submitted, leased) != (held.submitted_count, held.leased_count):
        tx.execute(Q.SET_RECORD, {"rid": record_id, "submitted_count": submitted, "leased_count": leased,
                                  "queue_taken": open_taken(submitted, leased, k)})
    stored = (values | {"answers": answers, "status": "submitted", "submitted_at": now} if counted
              else values | {"answers": typed})
    if held.annotation_id is None:
        stored.setdefault("status", "draft")
        annotation_id = int(tx.execute(Q.NEW_ANNOTATION, {"project_id": project_id, "record_id": record_id,
                                                          "user_id": user_id, **stored}).scalar_one())
    else:
        annotation_id = held.annotation_id
        tx.execute(Q.SET_ANNOTATION, {"aid": annotation_id, **stored})
    if counted and held.lease_status != "submitted":
        tx.execute(Q.SET_ASSIGNMENT, {"aid": held.assignment_id, "status": "submitted"})
    return annotation_id, counted


def add_submitted(tx: Tx, *, project_id: int, record_id: int, user_id: int, answers: dict[str, Any],
                  at: datetime, active_seconds: float = 0.0) -> int:
    """A submission that arrives whole (an imported judgment, an authored record): a submitted assignment
    and annotation (revision 1) stamped `at`, counted on the record even beyond k (the queue then serves the
    record to nobody). The person must have no assignment on the record yet. Returns the annotation id."""
    tx.execute(Q.NEW_ASSIGNMENT, {"project_id": project_id, "record_id": record_id, "user_id": user_id,
                                  "status": "submitted", "leased_at": at, "expires_at": at})
    annotation_id = tx.execute(Q.NEW_ANNOTATION, {
        "project_id": project_id, "record_id": record_id, "user_id": user_id, "status": "submitted",
        "answers": answers, "active_seconds": active_seconds, "revision": 1, "created_at": at, "updated_at": at,
        "submitted_at": at}).scalar_one()
    tx.execute(Q.COUNT_SUBMISSION, {"rid": record_id})
    return int(annotation_id)


def reject(tx: Tx, *, record_id: int, assignment_id: int, annotation_id: int,
           return_until: datetime | None) -> None:
    """A reviewer rejects a submitted annotation on a locked record. `return_until` set: the submission
    turns back into its author's live lease until then and the annotation into a draft (the slot stays
    theirs, so k is never exceeded). None (requeue): the annotation stays submitted (the review marks it
    rejected) but is no longer counted: its assignment becomes 'requeued' (never served to the author again)
    and the queue serves the record to someone else."""
    if return_until is None:
        tx.execute(Q.UNCOUNT_SUBMISSION, {"rid": record_id})
        tx.execute(Q.SET_ASSIGNMENT, {"aid": assignment_id, "status": "requeued"})
        return
    tx.execute(Q.SUBMISSION_TO_LEASE, {"rid": record_id})
    tx.execute(Q.SET_ASSIGNMENT, {"aid": assignment_id, "status": "leased", "expires_at": return_until})
    tx.execute(Q.SET_ANNOTATION, {"aid": annotation_id, "status": "draft"})


# --- the claim's order key ---------------------------------------------------------------------------


def open_taken(submitted: int, leased: int, k: int) -> int | None:
    """`records.queue_taken` for these counters under k: their sum while below k, None once full."""
    taken = submitted + leased
    return taken if taken < k else None


def reset_queue_taken(tx: Tx, project_id: int) -> None:
    """Set `records.queue_taken` again from the counters for every record of the project, under the k its
    row holds in this transaction (call it after changing k)."""
    tx.execute(Q.RESET_QUEUE_TAKEN, {"pid": project_id})


# --- counting ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """A record whose counters disagree with its assignments, or whose `queue_taken` with its counters."""

    record_id: int
    leased_count: int
    submitted_count: int
    leased_rows: int
    submitted_rows: int
    queue_taken: int | None = None
    expected_queue_taken: int | None = None


def drift(tx: Tx, project_id: int) -> list[Drift]:
    """Records of the project whose `leased_count` / `submitted_count` differ from the number of their
    assignments in status 'leased' / 'submitted', or whose `queue_taken` differs from what the counters
    and the project's k make it (none when the invariant holds), by record id."""
    def rows_in(status: str) -> Any:
        return (select(func.count()).select_from(AssignmentRow)
                .where(AssignmentRow.record_id == RecordRow.id, AssignmentRow.status == status)
                .correlate(RecordRow).scalar_subquery())

    k = tx.execute(select(ProjectRow.annotators_per_record).where(ProjectRow.id == project_id)).scalar_one()
    q = (select(RecordRow.id, RecordRow.leased_count, RecordRow.submitted_count, rows_in("leased"),
                rows_in("submitted"), RecordRow.queue_taken)
         .where(RecordRow.project_id == project_id).order_by(RecordRow.id))
    found = [Drift(rid, leased, submitted, leased_rows, submitted_rows, taken, open_taken(submitted, leased, k))
             for rid, leased, submitted, leased_rows, submitted_rows, taken in tx.execute(q)]
    return [d for d in found if (d.leased_count, d.submitted_count, d.queue_taken)
            != (d.leased_rows, d.submitted_rows, d.expected_queue_taken)]
