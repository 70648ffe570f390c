"""Review: reviewers accept or reject submitted annotations.

Project settings (`project.settings["review"]`, every key optional):

    review:
      mode: all            # all | sample | low_agreement
      rate: 0.2            # sample: the share of annotations that need review (stable per annotation)
      threshold: 0.75      # low_agreement: review records whose majority share on a pairwise/labels
                           # question is under this
      on_reject: return    # return (to its author, with the comment) | requeue (for someone else)

Contracts:
- a review applies to one revision of an annotation; a resubmitted annotation needs review again;
- nobody reviews their own annotation; gold records are not reviewed (gold scoring judges them);
- reject + return: the author's assignment becomes a live lease again (for a week at least) and the
  annotation a draft, so the record comes back at the front of their queue with the comment
  (`Task.feedback`); the record's slot stays theirs, so k is never exceeded;
- reject + requeue: the annotation stays submitted but rejected (exports and agreement drop it) and the
  record's submitted count drops by one, so someone else is served it;
- every decision writes an audit entry `review.accepted` / `review.rejected`.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.answers import LabelsAnswer, PairwiseAnswer, read_by_shape
from assay.domain.projects import Project
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Conflict, Forbidden, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.annotation.queue import lock_record
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments, reviews
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q

MODES = ("all", "sample", "low_agreement")
RETURN_LEASE = timedelta(days=7)


@dataclass(frozen=True)
class ReviewPolicy:
    mode: str = "all"
    rate: float = 0.2
    threshold: float = 0.75
    on_reject: str = "return"

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> ReviewPolicy:
        """Read `settings["review"]`. Raises Invalid naming a bad value."""
        raw = (settings or {}).get("review") or {}
        p = cls(mode=str(raw.get("mode", "all")), rate=float(raw.get("rate", 0.2)),
                threshold=float(raw.get("threshold", 0.75)), on_reject=str(raw.get("on_reject", "return")))
        if p.mode not in MODES:
            raise Invalid(f"review mode must be one of {', '.join(MODES)}, not {p.mode!r}")
        if p.on_reject not in ("return", "requeue"):
            raise Invalid("review on_reject must be 'return' or 'requeue'")
        if not 0 <= p.rate <= 1:
            raise Invalid("review rate must be between 0 and 1")
        return p


@dataclass(frozen=True)
class ReviewItem:
    """One submitted annotation waiting for review, with its record."""

    annotation_id: int
    record_id: int
    annotator: str
    answers: dict[str, Any]
    submitted_at: datetime | None
    record: Record
    agreement: float | None  # the record's lowest majority share over categorical questions


@dataclass(frozen=True)
class ReviewDecision:
    annotation_id: int
    decision: str
    comment: str
    action: str
    reviewer: str
    at: datetime


def _categorical(ans: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in (ans or {}).items():
        a = read_by_shape(raw)
        if isinstance(a, PairwiseAnswer):
            out[name] = a.choice
        elif isinstance(a, LabelsAnswer) and a.per_completion is None:
            out[name] = tuple(sorted(a.labels))
    return out


def record_agreement(answer_sets: list[dict[str, Any]]) -> float | None:
    """The lowest, over pairwise/labels questions, share of annotators who gave the majority answer;
    None when fewer than two people answered any such question."""
    by_q: dict[str, list[Any]] = defaultdict(list)
    for ans in answer_sets:
        for name, v in _categorical(ans).items():
            by_q[name].append(v)
    shares = [Counter(v).most_common(1)[0][1] / len(v) for v in by_q.values() if len(v) >= 2]
    return min(shares) if shares else None


def _in_sample(annotation_id: int, rate: float) -> bool:
    return (zlib.crc32(f"review:{annotation_id}".encode()) % 10_000) < rate * 10_000


def review_queue(db: Db, project_id: int, reviewer_id: int, limit: int = 20) -> list[ReviewItem]:
    """Submitted annotations that need review under the project's policy, oldest first; never the
    reviewer's own, never gold records, never ones already reviewed at their current revision."""
    with db.read() as s:
        return _queue_in(s, project_id, reviewer_id, limit)


def _queue_in(s: Tx, project_id: int, reviewer_id: int, limit: int) -> list[ReviewItem]:
    project = assignments.project(s, project_id)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    policy = ReviewPolicy.of(project.settings)
    rows = reviews.unreviewed_submissions(s, project_id, reviewer_id)
    if policy.mode == "sample":
        rows = [r for r in rows if _in_sample(r[0].id, policy.rate)]
    sets = annotations_q.submitted_answers(s, sorted({a.record_id for a, _ in rows}))
    agreements = {rid: record_agreement(v) for rid, v in sets.items()}
    if policy.mode == "low_agreement":
        rows = [r for r in rows if (agreements.get(r[0].record_id) or 1.0) < policy.threshold]
    rows = rows[:limit]
    recs = assignments.records_by_id(s, [a.record_id for a, _ in rows])
    return [ReviewItem(a.id, a.record_id, name, dict(a.answers), a.submitted_at, record_from_row(recs[a.record_id]),
                       agreements.get(a.record_id)) for a, name in rows]


def decide(db: Db, project_id: int, annotation_id: int, reviewer: User, decision: str, comment: str = "") -> ReviewDecision:
    """Accept or reject one annotation. A rejection needs a comment (it is what the author reads).
    Raises NotFound, Forbidden (own annotation), Invalid (bad decision, rejection without comment),
    Conflict (not submitted, or already reviewed at this revision)."""
    if decision not in ("accepted", "rejected"):
        raise Invalid("decision must be 'accepted' or 'rejected'")
    comment = (comment or "").strip()
    if decision == "rejected" and not comment:
        raise Invalid("say why you reject it: the comment is what the annotator reads")
    now = datetime.now(UTC)
    with db.write() as s:
        project = assignments.project(s, project_id)
        ann = annotations_q.get(s, annotation_id)
        if project is None or ann is None or ann.project_id != project_id:
            raise NotFound(f"no annotation {annotation_id} in this project")
        if ann.user_id == reviewer.id:
            raise Forbidden("you cannot review your own annotation")
        lock_record(s, db, ann.record_id)
        annotations_q.refresh(s, ann)
        if ann.status != "submitted":
            raise Conflict("this annotation is not submitted (it was sent back or is still a draft)")
        if reviews.current(s, ann.id, ann.revision) is not None:
            raise Conflict("this annotation was already reviewed; reload the review queue")
        action = ""
        if decision == "rejected":
            action = "returned" if ReviewPolicy.of(project.settings).on_reject == "return" else "requeued"
            _apply_rejection(s, ann.record_id, ann.user_id, ann.id, action, now, project.lease_seconds)
        reviews.add(s, project_id=project_id, annotation_id=ann.id, revision=ann.revision, reviewer_id=reviewer.id,
                    decision=decision, comment=comment, action=action, at=now)
        record_event(s, reviewer.id, f"review.{decision}", project.name, annotation=ann.id, then=action)
        return ReviewDecision(ann.id, decision, comment, action, reviewer.username, now)


def _apply_rejection(s: Tx, record_id: int, user_id: int, annotation_id: int, action: str, now: datetime,
                     lease_seconds: int) -> None:
    a = assignments.of_record(s, record_id, user_id)
    assert a is not None
    until = now + max(RETURN_LEASE, timedelta(seconds=lease_seconds)) if action == "returned" else None
    slots.reject(s, record_id=record_id, assignment_id=a.id, annotation_id=annotation_id, return_until=until)


def review_states(s: Tx, project_id: int) -> dict[int, str]:
    """annotation id → 'accepted' | 'rejected' for the review that applies to its current revision (inside
    the caller's transaction; for exports and metrics)."""
    return reviews.states(s, project_id)


def history(db: Db, project_id: int, limit: int = 50) -> list[ReviewDecision]:
    """The latest review decisions in the project, newest first."""
    with db.read() as s:
        return _history_in(s, project_id, limit)


def _history_in(s: Tx, project_id: int, limit: int) -> list[ReviewDecision]:
    return [ReviewDecision(r.annotation_id, r.decision, r.comment, r.action, name, r.created_at)
            for r, name in reviews.latest(s, project_id, limit)]


@dataclass(frozen=True)
class ReviewPage:
    """The review page: the project, its review policy, the reviewer's queue and the latest decisions."""

    project: Project
    policy: ReviewPolicy
    items: list[ReviewItem]
    history: list[ReviewDecision]


def review_page(db: Db, project_id: int, reviewer: User, limit: int = 10, history_limit: int = 20) -> ReviewPage:
    """The review page's view in one read transaction. Applies `policies.review` first (NotFound for a
    non-member, Forbidden for an annotator), then NotFound for an unknown project."""
    with db.read() as s:
        policies.review(reviewer, members_q.role_of(s, project_id, reviewer.id))
        row = projects_q.get(s, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(row)
        return ReviewPage(project, ReviewPolicy.of(project.settings), _queue_in(s, project_id, reviewer.id, limit),
                          _history_in(s, project_id, history_limit))
