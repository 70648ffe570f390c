"""Drafts and submissions. A submission is validated against the project's questions and stored in the
same transaction that counts it, so an acknowledged submit is durable and counted exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from assay.domain.questions import validate_answers
from assay.domain.work import Task
from assay.errors import Conflict, Invalid, NotFound
from assay.services import annotation_history, gold
from assay.services.db import Db
from assay.services.queue import Authorize, authorize_member, build_task, lock_record
from assay.store.mappers import question_from_row
from assay.store.tables import AnnotationRow, AssignmentRow, MemberRow, ProjectRow

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
    """
    lost_lease = False
    with db.transaction() as s:
        # The project (with its questions) and the caller's role in one query.
        found = s.execute(select(ProjectRow, MemberRow.role)
                          .outerjoin(MemberRow, and_(MemberRow.project_id == ProjectRow.id,
                                                     MemberRow.user_id == user_id))
                          .where(ProjectRow.id == project_id).options(selectinload(ProjectRow.questions))).first()
        if authorize is not None:
            authorize(found.role if found is not None else None)
        if found is None:
            raise NotFound(f"no project with id {project_id}")
        project = found.ProjectRow
        seen_on = annotation_history.seen_on(s, user_id, submission_id)  # the record a retried id was used on
        # the person's assignment and annotation (None when there is none yet) in one query
        pair = s.execute(select(AssignmentRow, AnnotationRow)
                         .outerjoin(AnnotationRow, and_(AnnotationRow.record_id == AssignmentRow.record_id,
                                                        AnnotationRow.user_id == AssignmentRow.user_id))
                         .where(AssignmentRow.record_id == record_id, AssignmentRow.user_id == user_id,
                                AssignmentRow.project_id == project_id)).first()
        if pair is None:
            raise NotFound("this record is not in your queue")
        a = pair.AssignmentRow
        if seen_on == record_id:  # a retry of a submit already stored: change nothing
            return build_task(s, a, ann=pair.AnnotationRow)
        rec = lock_record(s, db, record_id, with_completions=True)
        texts = [c.text for c in rec.completions]
        clean = validate_answers([question_from_row(q) for q in project.questions], answers, texts)
        ann = pair.AnnotationRow if pair.AnnotationRow is not None else _new_annotation(s, a)
        annotation_history.check_editable(s, project, ann)  # Conflict once reviewed
        if a.status == "leased":
            rec.leased_count = max(rec.leased_count - 1, 0)
            rec.submitted_count += 1
        elif a.status != "submitted":
            if rec.submitted_count + rec.leased_count >= project.annotators_per_record:
                lost_lease = True
            else:
                rec.submitted_count += 1
        now = datetime.now(UTC)
        ann.answers = answers if lost_lease else clean
        ann.active_seconds = max(ann.active_seconds or 0.0, _seconds(active_seconds))
        ann.revision = (ann.revision or 0) + 1
        ann.updated_at = now
        if not lost_lease:
            a.status = "submitted"
            ann.status = "submitted"
            ann.submitted_at = now
            gold.after_submit(s, project, rec, user_id)  # scores gold records; no-op otherwise
            # edit history, one row per submission id (an id already used on another record adds nothing)
            annotation_history.record(s, ann, submission_id, already_seen=seen_on is not None)
        task = None if lost_lease else build_task(s, a, rec, ann)  # the reply, inside the same transaction
    if task is None:
        raise Conflict("your lease on this record expired and others have judged it meanwhile; "
                       "your answers are kept as a draft")
    return task


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
