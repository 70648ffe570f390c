"""Drafts and submissions. A submission is validated against the project's questions and stored in the
same transaction that counts it, so an acknowledged submit is durable and counted exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.questions import validate_answers
from assay.domain.work import Task
from assay.errors import Conflict, Invalid, NotFound
from assay.services.annotation import history as annotation_history
from assay.services.annotation.queue import Authorize, authorize_member, build_task
from assay.services.quality import gold
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import questions_from_json, record_from_columns
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments

MAX_ACTIVE_SECONDS_PER_SAVE = 24 * 3600


def _seconds(value: float | None) -> float:
    try:
        v = float(value or 0.0)
    except (TypeError, ValueError):
        raise Invalid("active_seconds must be a number")
    return min(max(v, 0.0), MAX_ACTIVE_SECONDS_PER_SAVE)


def save_draft(db: Db, project_id: int, record_id: int, user_id: int, answers: dict[str, Any],
               active_seconds: float | None = None, authorize: Authorize | None = None) -> Task:
    """Store partial answers (not validated) and the active time so far. `active_seconds` is the client's
    running total for this record; the stored value only grows, so a repeated save never double counts.
    A draft on a live lease renews the lease for the project's full lease time, so a trainer still typing
    never loses the record to someone else. After submission a draft save edits nothing and raises Conflict. `authorize(member_role)` (a
    permission policy bound to the caller) is checked first, in the same transaction."""
    if not isinstance(answers, dict):
        raise Invalid("answers must be an object keyed by question name")
    with db.write() as s:
        authorize_member(s, project_id, user_id, authorize)
        a = assignments.find(s, project_id, record_id, user_id)
        if a is None:
            raise NotFound("this record is not in your queue")
        ann = annotations_q.of_record(s, record_id, user_id) or annotations_q.new_draft(s, project_id, record_id, user_id)
        if ann.status == "submitted":
            raise Conflict("this record is already submitted; edit it with submit instead")
        now = datetime.now(UTC)
        if a.status == "leased":  # someone still typing keeps the record: the draft renews the lease
            # (its slot is still counted in leased_count until the lease is swept, so renewing keeps k)
            assignments.renew(a, now + timedelta(seconds=assignments.lease_seconds(s, project_id)))
        annotations_q.save_draft(s, ann, answers, _seconds(active_seconds), now)
        return build_task(s, a, ann=ann)


def submit(db: Db, project_id: int, record_id: int, user_id: int, answers: dict[str, Any],
           active_seconds: float | None = None, authorize: Authorize | None = None, *,
           submission_id: str | None = None, edit_needs_id: bool = False) -> Task:
    """Validate and submit the person's answers for a record they were served.

    Re-submitting replaces the answers (the record is counted once) until the annotation is reviewed
    (then Conflict). A lease that expired can still be submitted while the record has room; otherwise
    Conflict, and the answers stay saved as a draft. Each submit adds a revision to the annotation's
    history; a retry with an already recorded client-made `submission_id` changes nothing. With
    `edit_needs_id` (the API and the page), a submit *without* a submission id on an annotation that is
    already submitted is a Conflict (409): only a submit carrying a new id edits, so a blind repeat never
    makes a revision.

    One transaction of prebuilt Core statements (`assay.store.queue_statements`): 8 for a first submit
    (9 with a submission id; the record comes with its completions, the project with its questions), an ORM
    session only for a retry and for gold records. The counters and the annotation are written by
    `assay.store.slots.submit`.
    """
    with db.write_connection() as conn:
        found = annotations_q.submit_context(conn, project_id, user_id)
        if authorize is not None:
            authorize(found.role if found is not None else None)
        if found is None:
            raise NotFound(f"no project with id {project_id}")
        seen_on = annotation_history.seen_on(conn, user_id, submission_id)  # the record a retried id was used on
        # the record first (locked on PostgreSQL), so two submits of one person on it run one after the
        # other and the second reads the annotation the first stored
        rec = annotations_q.lock_record(conn, record_id)
        pair = annotations_q.hold(conn, project_id, record_id, user_id)
        if pair is None or rec is None:
            raise NotFound("this record is not in your queue")
        if seen_on == record_id:  # a retry of a submit already stored: change nothing
            with db.session_on(conn) as s:
                a = assignments.get(s, pair.assignment_id)
                assert a is not None
                return build_task(s, a)
        if edit_needs_id and submission_id is None and pair.status == "submitted":
            raise Conflict("this annotation is already submitted; to change it, submit again with a new "
                           "submission_id (body field or X-Submission-Id header)")
        record = record_from_columns(rec)  # with its completions, from the same query
        clean = validate_answers(questions_from_json(found.questions), answers, [c.text for c in record.completions])
        # Conflict once reviewed, or when the project does not allow edits after submitting
        annotation_history.check_editable_columns(conn, found.settings, pair.annotation_id, pair.status,
                                                  pair.revision)
        now = datetime.now(UTC)
        seconds = max(pair.active_seconds or 0.0, _seconds(active_seconds))
        revision = (pair.revision or 0) + 1
        held = slots.Held(submitted_count=rec.submitted_count, leased_count=rec.leased_count,
                          assignment_id=pair.assignment_id, lease_status=pair.lease_status,
                          annotation_id=pair.annotation_id)
        annotation_id, counted = slots.submit(
            conn, held, k=found.annotators_per_record, project_id=project_id, record_id=record_id,
            user_id=user_id, answers=clean, typed=answers,
            values={"active_seconds": seconds, "revision": revision, "updated_at": now}, now=now)
        if counted:
            if rec.is_gold:  # rescore the person's gold accuracy (warn or pause below the project's bar)
                with db.session_on(conn) as s:
                    gold.after_submit(s, project_id, found.name, found.settings, user_id)
            # edit history, one row per submission id (an id already used on another record adds nothing)
            annotation_history.record(conn, annotation_id=annotation_id, first=pair.annotation_id is None,
                                      project_id=project_id, record_id=record_id, user_id=user_id,
                                      revision=revision, answers=clean, active_seconds=seconds,
                                      submission_id=submission_id, already_seen=seen_on is not None)
    if not counted:
        raise Conflict("your lease on this record expired and others have judged it meanwhile; "
                       "your answers are kept as a draft")
    return Task(project_id=project_id, record_id=record_id, record=record,
                lease_expires_at=pair.expires_at, status="submitted", answers=dict(clean), active_seconds=seconds,
                revision=revision)


def active_seconds_today_in(s: Tx, user_id: int, exclude_record_id: int | None = None) -> float:
    """`active_seconds_today` inside the caller's transaction."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return annotations_q.active_seconds_since(s, user_id, midnight, exclude_record_id)


def active_seconds_today(db: Db, user_id: int, exclude_record_id: int | None = None) -> float:
    """Active seconds the person logged on annotations touched since midnight UTC, over all projects.
    `exclude_record_id` leaves one record out (the page adds its live count for that one itself)."""
    with db.read() as s:
        return active_seconds_today_in(s, user_id, exclude_record_id)
