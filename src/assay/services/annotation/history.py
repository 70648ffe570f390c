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

from assay.errors import Conflict, NotFound
from assay.store.db import Conn, Db, Tx
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments, reviews
from assay.store.queries import history as revisions_q
from assay.store.tables import AnnotationRow, ProjectRow

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


def seen_on(s: Tx | Conn, user_id: int, submission_id: str | None) -> int | None:
    """Inside a transaction: the record this person's submit with this client-made id was recorded on, or
    None (also without an id)."""
    sid = _clean_id(submission_id)
    if sid is None:
        return None
    return revisions_q.seen_on(s, user_id, sid)


def check_editable(s: Tx, project: ProjectRow, ann: AnnotationRow) -> None:
    """Inside a submit: raise Conflict when a submitted annotation may no longer change (reviewed at its
    current revision, or the project's `edit_after_submit` is false). Drafts are always editable."""
    check_editable_columns(s, project.settings, ann.id, ann.status, ann.revision)


def check_editable_columns(s: Tx | Conn, settings: dict[str, Any] | None, annotation_id: int | None,
                           status: str | None, revision: int | None) -> None:
    """`check_editable` from the project's settings and the annotation's id, status and revision (None for
    an annotation not stored yet)."""
    if annotation_id is None or status != "submitted":
        return
    if not (settings or {}).get("edit_after_submit", True):
        raise Conflict("this project does not allow editing a submitted annotation; ask your lead if it "
                       "needs a change")
    decision = reviews.decision_of_revision(s, annotation_id, revision)
    if decision is not None:
        raise Conflict(f"this annotation was already reviewed ({decision}); it can no longer be "
                       "edited — ask your lead or reviewer to send it back if it needs a change")


def record(conn: Tx | Conn, *, annotation_id: int, first: bool, project_id: int, record_id: int, user_id: int,
           revision: int, answers: dict[str, Any], active_seconds: float, submission_id: str | None,
           already_seen: bool) -> None:
    """Inside the submit transaction, with the annotation's stored state after the submit: append a revision
    (`first`: the annotation was created by this submit, so it is number 1), unless `already_seen` (this
    person's `submission_id` was already recorded: the caller asked `seen_on`)."""
    if already_seen:
        return
    revisions_q.add_revision(conn, annotation_id=annotation_id, first=first, project_id=project_id,
                             record_id=record_id, user_id=user_id, revision=revision, answers=dict(answers),
                             active_seconds=float(active_seconds), submission_id=_clean_id(submission_id),
                             at=datetime.now(UTC))


def history_in(s: Tx, project_id: int, record_id: int, user_id: int) -> list[Revision]:
    """`history` inside the caller's transaction."""
    rec = assignments.record(s, record_id)
    if rec is None or rec.project_id != project_id:
        raise NotFound(f"no record {record_id} in this project")
    return [Revision(number=r.number, user_id=r.user_id, username=name, created_at=r.created_at,
                     answers=dict(r.answers or {}), active_seconds=r.active_seconds,
                     submission_id=r.submission_id) for r, name in revisions_q.revisions(s, record_id, user_id)]


def history(db: Db, project_id: int, record_id: int, user_id: int) -> list[Revision]:
    """One person's submits on one record, oldest first ([] when never submitted). Raises NotFound for a
    record outside the project. Does not check who asks: the caller applies a policy."""
    with db.read() as s:
        return history_in(s, project_id, record_id, user_id)


def recent(db: Db, project_id: int, user_id: int, limit: int = 50) -> list[Submitted]:
    """The person's annotations in the project that were submitted at least once, most recently submitted
    first (at most `limit`), with their state, revision count and whether they can still be edited."""
    limit = max(1, min(int(limit), 500))
    with db.read() as s:
        project = assignments.project(s, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        allow = bool((project.settings or {}).get("edit_after_submit", True))
        out = []
        for ann, external_id, n, last in revisions_q.recently_submitted(s, project_id, user_id, limit):
            rec = assignments.record(s, ann.record_id)
            # a gold record's review is for leads only: the trainer never learns it was a check item
            review = None if rec is None or rec.is_gold else reviews.current(s, ann.id, ann.revision)
            feedback = ""
            if ann.status != "submitted":
                state = "returned"
                feedback = reviews.latest_comment(s, ann.id)
            elif review is not None:
                state = review.decision
            else:
                state = "submitted"
            editable = state == "returned" or (state == "submitted" and allow)
            out.append(Submitted(record_id=ann.record_id, external_id=external_id, state=state,
                                 last_submitted_at=last, revisions=n, active_seconds=ann.active_seconds,
                                 editable=editable, feedback=feedback, answers=dict(ann.answers or {})))
        return out


def locked_reason_in(s: Tx, project_id: int, record_id: int, user_id: int) -> str:
    """`locked_reason` inside the caller's transaction."""
    project = assignments.project(s, project_id)
    ann = annotations_q.find(s, project_id, record_id, user_id)
    if project is None or ann is None:
        return ""
    try:
        check_editable(s, project, ann)
    except Conflict as e:
        return e.message
    return ""


def locked_reason(db: Db, project_id: int, record_id: int, user_id: int) -> str:
    """Why the person's submitted annotation on this record can no longer be edited, or "" when it can
    (also "" for drafts and records never answered)."""
    with db.read() as s:
        return locked_reason_in(s, project_id, record_id, user_id)
