"""Drafts and submissions. A submission is validated against the project's questions and stored in the
same transaction that counts it, so an acknowledged submit is durable and counted exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from assay.domain.questions import validate_answers
from assay.domain.work import Task
from assay.errors import Conflict, Invalid, NotFound
from assay.services.annotation import history as annotation_history
from assay.services.annotation.queue import Authorize, authorize_member, build_task
from assay.services.quality import gold
from assay.store import queue_statements as Q
from assay.store.db import Db
from assay.store.mappers import questions_from_json, record_from_columns
from assay.store.tables import AnnotationRow, AssignmentRow, ProjectRow

MAX_ACTIVE_SECONDS_PER_SAVE = 24 * 3600


def _assignment(s: Any, project_id: int, record_id: int, user_id: int) -> AssignmentRow:
    a = s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == record_id,
                                             AssignmentRow.user_id == user_id,
                                             AssignmentRow.project_id == project_id))
    if a is None:
        raise NotFound("this record is not in your queue")
    return a


def _new_annotation(s: Any, a: AssignmentRow) -> AnnotationRow:
    ann = AnnotationRow(project_id=a.project_id, record_id=a.record_id, user_id=a.user_id, status="draft",
                        answers={}, active_seconds=0.0, revision=0)
    s.add(ann)
    return ann


def _annotation(s: Any, a: AssignmentRow) -> AnnotationRow:
    ann = s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == a.record_id,
                                               AnnotationRow.user_id == a.user_id))
    return ann if ann is not None else _new_annotation(s, a)


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
    with db.transaction() as s:
        authorize_member(s, project_id, user_id, authorize)
        a = _assignment(s, project_id, record_id, user_id)
        ann = _annotation(s, a)
        if ann.status == "submitted":
            raise Conflict("this record is already submitted; edit it with submit instead")
        now = datetime.now(UTC)
        if a.status == "leased":  # someone still typing keeps the record: the draft renews the lease
            # (its slot is still counted in leased_count until the lease is swept, so renewing keeps k)
            lease_seconds = s.scalar(select(ProjectRow.lease_seconds).where(ProjectRow.id == project_id))
            a.expires_at = now + timedelta(seconds=lease_seconds or 0)
        ann.answers = answers
        ann.active_seconds = max(ann.active_seconds or 0.0, _seconds(active_seconds))
        ann.revision = (ann.revision or 0) + 1
        ann.updated_at = now
        s.flush()
        return build_task(s, a, ann=ann)


def submit(db: Db, project_id: int, record_id: int, user_id: int, answers: dict[str, Any],
           active_seconds: float | None = None, authorize: Authorize | None = None, *,
           submission_id: str | None = None) -> Task:
    """Validate and submit the person's answers for a record they were served.

    Re-submitting replaces the answers (the record is counted once) until the annotation is reviewed
    (then Conflict). A lease that expired can still be submitted while the record has room; otherwise
    Conflict, and the answers stay saved as a draft. Each submit adds a revision to the annotation's
    history; a retry with an already recorded client-made `submission_id` changes nothing.

    One transaction of prebuilt Core statements (`assay.store.queue_statements`): 8 for a first submit
    (9 with a submission id; the record comes with its completions, the project with its questions), an ORM session only for a retry and for gold records.
    """
    with db.connection() as conn:
        found = conn.execute(Q.SUBMIT_CONTEXT, {"project_id": project_id, "user_id": user_id}).first()
        if authorize is not None:
            authorize(found.role if found is not None else None)
        if found is None:
            raise NotFound(f"no project with id {project_id}")
        seen_on = annotation_history.seen_on(conn, user_id, submission_id)  # the record a retried id was used on
        # the record first (locked on PostgreSQL), so two submits of one person on it run one after the
        # other and the second reads the annotation the first stored
        rec = conn.execute(Q.LOCK_RECORD, {"record_id": record_id}).first()
        pair = conn.execute(Q.LEASE_AND_ANNOTATION, {"project_id": project_id, "record_id": record_id,
                                                     "user_id": user_id}).first()
        if pair is None or rec is None:
            raise NotFound("this record is not in your queue")
        if seen_on == record_id:  # a retry of a submit already stored: change nothing
            with db.session_on(conn) as s:
                a = s.get(AssignmentRow, pair.assignment_id)
                assert a is not None
                return build_task(s, a)
        record = record_from_columns(rec)  # with its completions, from the same query
        clean = validate_answers(questions_from_json(found.questions), answers, [c.text for c in record.completions])
        # Conflict once reviewed, or when the project does not allow edits after submitting
        annotation_history.check_editable_columns(conn, found.settings, pair.annotation_id, pair.status,
                                                  pair.revision)
        submitted, leased = rec.submitted_count, rec.leased_count
        lost_lease = False
        if pair.lease_status == "leased":
            submitted, leased = submitted + 1, max(leased - 1, 0)
        elif pair.lease_status != "submitted":  # expired or released: counted again only while there is room
            if submitted + leased >= found.annotators_per_record:
                lost_lease = True
            else:
                submitted += 1
        if (submitted, leased) != (rec.submitted_count, rec.leased_count):
            conn.execute(Q.SET_RECORD, {"rid": record_id, "submitted_count": submitted, "leased_count": leased})
        now = datetime.now(UTC)
        seconds = max(pair.active_seconds or 0.0, _seconds(active_seconds))
        revision = (pair.revision or 0) + 1
        stored = answers if lost_lease else clean
        values: dict[str, Any] = {"answers": stored, "active_seconds": seconds, "revision": revision,
                                  "updated_at": now}
        if not lost_lease:
            values |= {"status": "submitted", "submitted_at": now}
        if pair.annotation_id is None:
            values.setdefault("status", "draft")
            annotation_id = conn.execute(Q.NEW_ANNOTATION, {"project_id": project_id, "record_id": record_id,
                                                            "user_id": user_id, **values}).scalar_one()
        else:
            annotation_id = pair.annotation_id
            conn.execute(Q.SET_ANNOTATION, {"aid": annotation_id, **values})
        if not lost_lease:
            if pair.lease_status != "submitted":
                conn.execute(Q.SET_ASSIGNMENT, {"aid": pair.assignment_id, "status": "submitted"})
            if rec.is_gold:  # rescore the person's gold accuracy (warn or pause below the project's bar)
                with db.session_on(conn) as s:
                    gold.after_submit(s, project_id, found.name, found.settings, user_id)
            # edit history, one row per submission id (an id already used on another record adds nothing)
            annotation_history.record(conn, annotation_id=annotation_id, first=pair.annotation_id is None,
                                      project_id=project_id, record_id=record_id, user_id=user_id,
                                      revision=revision, answers=stored, active_seconds=seconds,
                                      submission_id=submission_id, already_seen=seen_on is not None)
    if lost_lease:
        raise Conflict("your lease on this record expired and others have judged it meanwhile; "
                       "your answers are kept as a draft")
    return Task(project_id=project_id, record_id=record_id, record=record,
                lease_expires_at=pair.expires_at, status="submitted", answers=dict(clean), active_seconds=seconds,
                revision=revision)


def active_seconds_today(db: Db, user_id: int, exclude_record_id: int | None = None) -> float:
    """Active seconds the person logged on annotations touched since midnight UTC, over all projects.
    `exclude_record_id` leaves one record out (the page adds its live count for that one itself)."""
    from sqlalchemy import func

    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with db.transaction() as s:
        q = select(func.coalesce(func.sum(AnnotationRow.active_seconds), 0.0)).where(
            AnnotationRow.user_id == user_id, AnnotationRow.updated_at >= midnight)
        if exclude_record_id is not None:
            q = q.where(AnnotationRow.record_id != exclude_record_id)
        return float(s.scalar(q) or 0.0)
