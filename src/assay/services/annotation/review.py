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

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Conflict, Forbidden, Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.services.annotation.queue import lock_record
from assay.store.db import Db
from assay.store.mappers import record_from_row
from assay.store.tables import AnnotationRow, AssignmentRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow

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
    out = {}
    for name, a in (ans or {}).items():
        if isinstance(a, dict) and "choice" in a:
            out[name] = a["choice"]
        elif isinstance(a, dict) and isinstance(a.get("labels"), list):
            out[name] = tuple(sorted(map(str, a["labels"])))
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


def _current(s: Session, ann: AnnotationRow) -> ReviewRow | None:
    return s.scalar(select(ReviewRow).where(ReviewRow.annotation_id == ann.id, ReviewRow.revision == ann.revision)
                    .order_by(ReviewRow.id.desc()).limit(1))


def review_queue(db: Db, project_id: int, reviewer_id: int, limit: int = 20) -> list[ReviewItem]:
    """Submitted annotations that need review under the project's policy, oldest first; never the
    reviewer's own, never gold records, never ones already reviewed at their current revision."""
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        policy = ReviewPolicy.of(project.settings)
        reviewed = select(ReviewRow.id).where(ReviewRow.annotation_id == AnnotationRow.id,
                                              ReviewRow.revision == AnnotationRow.revision).exists()
        rows = s.execute(
            select(AnnotationRow, UserRow.username).join(UserRow, UserRow.id == AnnotationRow.user_id)
            .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
            .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                   AnnotationRow.user_id != reviewer_id, RecordRow.is_gold.is_(False), ~reviewed)
            .order_by(AnnotationRow.submitted_at, AnnotationRow.id)).all()
        if policy.mode == "sample":
            rows = [r for r in rows if _in_sample(r[0].id, policy.rate)]
        agreements: dict[int, float | None] = {}
        rec_ids = sorted({a.record_id for a, _ in rows})
        for i in range(0, len(rec_ids), 500):
            sets: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for rid, ans in s.execute(select(AnnotationRow.record_id, AnnotationRow.answers).where(
                    AnnotationRow.record_id.in_(rec_ids[i:i + 500]), AnnotationRow.status == "submitted")):
                sets[rid].append(ans)
            agreements.update({rid: record_agreement(v) for rid, v in sets.items()})
        if policy.mode == "low_agreement":
            rows = [r for r in rows if (agreements.get(r[0].record_id) or 1.0) < policy.threshold]
        rows = rows[:limit]
        recs = {r.id: r for r in s.scalars(select(RecordRow).where(RecordRow.id.in_([a.record_id for a, _ in rows]))
                                           .options(selectinload(RecordRow.completions)))}
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
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        ann = s.get(AnnotationRow, annotation_id)
        if project is None or ann is None or ann.project_id != project_id:
            raise NotFound(f"no annotation {annotation_id} in this project")
        if ann.user_id == reviewer.id:
            raise Forbidden("you cannot review your own annotation")
        lock_record(s, db, ann.record_id)
        s.refresh(ann)
        if ann.status != "submitted":
            raise Conflict("this annotation is not submitted (it was sent back or is still a draft)")
        if _current(s, ann) is not None:
            raise Conflict("this annotation was already reviewed; reload the review queue")
        action = ""
        if decision == "rejected":
            action = "returned" if ReviewPolicy.of(project.settings).on_reject == "return" else "requeued"
            _apply_rejection(s, ann, action, now, project.lease_seconds)
        s.add(ReviewRow(project_id=project_id, annotation_id=ann.id, revision=ann.revision, reviewer_id=reviewer.id,
                        decision=decision, comment=comment, action=action, created_at=now))
        record_event(s, reviewer.id, f"review.{decision}", project.name, annotation=ann.id, then=action)
        return ReviewDecision(ann.id, decision, comment, action, reviewer.username, now)


def _apply_rejection(s: Session, ann: AnnotationRow, action: str, now: datetime, lease_seconds: int) -> None:
    rec = s.get(RecordRow, ann.record_id)
    a = s.scalar(select(AssignmentRow).where(AssignmentRow.record_id == ann.record_id,
                                             AssignmentRow.user_id == ann.user_id))
    assert rec is not None and a is not None
    rec.submitted_count = max(rec.submitted_count - 1, 0)
    if action == "returned":
        rec.leased_count += 1
        a.status = "leased"
        a.expires_at = now + max(RETURN_LEASE, timedelta(seconds=lease_seconds))
        ann.status = "draft"


def review_states(s: Session, project_id: int) -> dict[int, str]:
    """annotation id → 'accepted' | 'rejected' for the review that applies to its current revision (inside
    the caller's transaction; for exports and metrics)."""
    out: dict[int, str] = {}
    rows = s.execute(select(ReviewRow.annotation_id, ReviewRow.revision, ReviewRow.decision, AnnotationRow.revision)
                     .join(AnnotationRow, AnnotationRow.id == ReviewRow.annotation_id)
                     .where(ReviewRow.project_id == project_id).order_by(ReviewRow.id))
    for aid, rev, decision, current in rows:
        if rev == current:
            out[aid] = decision
    return out


def history(db: Db, project_id: int, limit: int = 50) -> list[ReviewDecision]:
    """The latest review decisions in the project, newest first."""
    with db.transaction() as s:
        rows = s.execute(select(ReviewRow, UserRow.username).outerjoin(UserRow, UserRow.id == ReviewRow.reviewer_id)
                         .where(ReviewRow.project_id == project_id).order_by(ReviewRow.id.desc()).limit(limit))
        return [ReviewDecision(r.annotation_id, r.decision, r.comment, r.action, name or "", r.created_at)
                for r, name in rows]
