"""The edit history of submitted annotations, and a person's recent submissions.

Contracts:
- every accepted submit or resubmit writes one revision row (who, when, the stored answers, the active
  seconds so far) inside the submit transaction (`record`, called by `assay.services.annotation.submissions.submit`);
- a submit carrying a client-made `submission_id` that was already recorded for that person is a retry:
  `seen` says so before any write, and `record` never writes a second row for it (the record row lock held
  by the submit makes the check race-free);
- a submitted annotation can be edited (resubmitted) until a review applies to its current revision, and
  only while the project's setting `edit_after_submit` (default true) allows it (`check_editable`);
- the author and the project's leads/reviewers may read a history (the web layer checks who asks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from assay.errors import Conflict, NotFound
from assay.store import queue_statements as Q
from assay.store.db import Db
from assay.store.tables import AnnotationRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow
from assay.store.tables_workspace import AnnotationRevisionRow

MAX_SUBMISSION_ID = 100


@dataclass(frozen=True)
class Revision:
    """One submit of an annotation: `number` counts from 1 per annotation."""

    number: int
    user_id: int
    username: str
    created_at: datetime
    answers: dict[str, Any]
    active_seconds: float
    submission_id: str | None


@dataclass(frozen=True)
class Submitted:
    """One of a person's annotations that was submitted at least once, as listed in "my recent submissions".
    `state`: submitted | returned (sent back by a reviewer, a draft again) | accepted | rejected;
    `editable`: whether the person may still change it."""

    record_id: int
    external_id: str
    state: str
    last_submitted_at: datetime
    revisions: int
    active_seconds: float
    editable: bool
    feedback: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


def _clean_id(submission_id: str | None) -> str | None:
    sid = (submission_id or "").strip()
    return sid[:MAX_SUBMISSION_ID] or None


def seen(db: Db, user_id: int, submission_id: str | None, record_id: int | None = None) -> bool:
    """Whether this person's submit with this client-made id was already recorded (on `record_id` when
    given; False without an id)."""
    with db.read() as s:
        on = seen_on(s, user_id, submission_id)
    return on is not None and (record_id is None or on == record_id)


def seen_on(s: Session | Connection, user_id: int, submission_id: str | None) -> int | None:
    """Inside a transaction: the record this person's submit with this client-made id was recorded on, or
    None (also without an id)."""
    sid = _clean_id(submission_id)
    if sid is None:
        return None
    return s.scalar(Q.SEEN_SUBMISSION, {"user_id": user_id, "submission_id": sid})


def _review_decision(s: Session, ann: AnnotationRow) -> ReviewRow | None:
    """The review that applies to the annotation's current revision, if any."""
    return s.scalar(select(ReviewRow).where(ReviewRow.annotation_id == ann.id, ReviewRow.revision == ann.revision)
                    .order_by(ReviewRow.id.desc()).limit(1))


def check_editable(s: Session, project: ProjectRow, ann: AnnotationRow) -> None:
    """Inside a submit: raise Conflict when a submitted annotation may no longer change (reviewed at its
    current revision, or the project's `edit_after_submit` is false). Drafts are always editable."""
    check_editable_columns(s, project.settings, ann.id, ann.status, ann.revision)


def check_editable_columns(s: Session | Connection, settings: dict[str, Any] | None, annotation_id: int | None,
                           status: str | None, revision: int | None) -> None:
    """`check_editable` from the project's settings and the annotation's id, status and revision (None for
    an annotation not stored yet)."""
    if annotation_id is None or status != "submitted":
        return
    if not (settings or {}).get("edit_after_submit", True):
        raise Conflict("this project does not allow editing a submitted annotation; ask your lead if it "
                       "needs a change")
    decision = s.scalar(Q.REVIEW_OF_REVISION, {"annotation_id": annotation_id, "revision": revision})
    if decision is not None:
        raise Conflict(f"this annotation was already reviewed ({decision}); it can no longer be "
                       "edited — ask your lead or reviewer to send it back if it needs a change")


def record(conn: Connection, *, annotation_id: int, first: bool, project_id: int, record_id: int, user_id: int,
           revision: int, answers: dict[str, Any], active_seconds: float, submission_id: str | None,
           already_seen: bool) -> None:
    """Inside the submit transaction, with the annotation's stored state after the submit: append a revision
    (`first`: the annotation was created by this submit, so it is number 1), unless `already_seen` (this
    person's `submission_id` was already recorded: the caller asked `seen_on`)."""
    if already_seen:
        return
    last = 0 if first else conn.scalar(Q.LAST_REVISION, {"annotation_id": annotation_id}) or 0
    conn.execute(Q.NEW_REVISION, {"annotation_id": annotation_id, "project_id": project_id, "record_id": record_id,
                                  "user_id": user_id, "number": last + 1, "annotation_revision": revision,
                                  "answers": dict(answers), "active_seconds": float(active_seconds),
                                  "submission_id": _clean_id(submission_id), "created_at": datetime.now(UTC)})


def history(db: Db, project_id: int, record_id: int, user_id: int) -> list[Revision]:
    """One person's submits on one record, oldest first ([] when never submitted). Raises NotFound for a
    record outside the project. Does not check who asks: the caller applies a policy."""
    with db.transaction() as s:
        rec = s.get(RecordRow, record_id)
        if rec is None or rec.project_id != project_id:
            raise NotFound(f"no record {record_id} in this project")
        rows = s.execute(select(AnnotationRevisionRow, UserRow.username)
                         .join(UserRow, UserRow.id == AnnotationRevisionRow.user_id)
                         .where(AnnotationRevisionRow.record_id == record_id,
                                AnnotationRevisionRow.user_id == user_id)
                         .order_by(AnnotationRevisionRow.number))
        return [Revision(number=r.number, user_id=r.user_id, username=name, created_at=r.created_at,
                         answers=dict(r.answers or {}), active_seconds=r.active_seconds,
                         submission_id=r.submission_id) for r, name in rows]


def recent(db: Db, project_id: int, user_id: int, limit: int = 50) -> list[Submitted]:
    """The person's annotations in the project that were submitted at least once, most recently submitted
    first (at most `limit`), with their state, revision count and whether they can still be edited."""
    limit = max(1, min(int(limit), 500))
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        allow = bool((project.settings or {}).get("edit_after_submit", True))
        agg = (select(AnnotationRevisionRow.annotation_id, func.count().label("n"),
                      func.max(AnnotationRevisionRow.created_at).label("last"))
               .where(AnnotationRevisionRow.project_id == project_id, AnnotationRevisionRow.user_id == user_id)
               .group_by(AnnotationRevisionRow.annotation_id).subquery())
        rows = s.execute(select(AnnotationRow, RecordRow.external_id, agg.c.n, agg.c.last)
                         .join(agg, agg.c.annotation_id == AnnotationRow.id)
                         .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
                         .order_by(agg.c.last.desc(), AnnotationRow.id.desc()).limit(limit)).all()
        out = []
        for ann, external_id, n, last in rows:
            review = _review_decision(s, ann)
            feedback = ""
            if ann.status != "submitted":
                state = "returned"
                feedback = s.scalar(select(ReviewRow.comment).where(ReviewRow.annotation_id == ann.id)
                                    .order_by(ReviewRow.id.desc()).limit(1)) or ""
            elif review is not None:
                state = review.decision
            else:
                state = "submitted"
            editable = state == "returned" or (state == "submitted" and allow)
            out.append(Submitted(record_id=ann.record_id, external_id=external_id, state=state,
                                 last_submitted_at=last, revisions=int(n), active_seconds=ann.active_seconds,
                                 editable=editable, feedback=feedback, answers=dict(ann.answers or {})))
        return out


def locked_reason(db: Db, project_id: int, record_id: int, user_id: int) -> str:
    """Why the person's submitted annotation on this record can no longer be edited, or "" when it can
    (also "" for drafts and records never answered)."""
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        ann = s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == record_id,
                                                   AnnotationRow.user_id == user_id,
                                                   AnnotationRow.project_id == project_id))
        if project is None or ann is None:
            return ""
        try:
            check_editable(s, project, ann)
        except Conflict as e:
            return e.message
        return ""
