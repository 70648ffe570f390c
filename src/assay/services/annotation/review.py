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
- return (decision "returned"): a rejection that always goes back to its author, whatever `on_reject` says;
- a gold record's annotation is reviewed only through the "gold_failed" view (see `QueueFilter`); nothing
  of that review reaches its author (that would tell them it was a check item and what they got wrong):
  "returned" is refused, a rejection changes no slot (gold is not limited by k; exports and metrics drop
  the rejected annotation), and the trainer's pages ignore reviews of gold records (my work shows
  "submitted", the annotation stays editable);
- every decision writes an audit entry `review.accepted` / `review.rejected`.

Queue views (`QueueFilter.show`): "pending" (what the policy sends to review), "disagreement" (unreviewed
annotations of records whose annotators disagree on a pairwise/labels question, whatever the mode),
"gold_failed" (unreviewed annotations of gold records where the annotator's answer differs from the gold
answer on a scored question); each optionally narrowed to one annotator.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.answers import LabelsAnswer, PairwiseAnswer, read_by_shape
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Conflict, Forbidden, Invalid, NotFound
from assay.quality.gold import SCORED_KINDS, score_answer
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.annotation.queue import lock_record
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import record_from_row
from assay.store.queries import annotations as annotations_q
from assay.store.queries import assignments, reviews
from assay.store.queries import memberships as members_q
from assay.store.tables import ProjectRow

MODES = ("all", "sample", "low_agreement")
SHOWS = ("pending", "disagreement", "gold_failed")
DECISIONS = ("accepted", "rejected", "returned")
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
    is_gold: bool = False
    gold_failed: tuple[str, ...] = ()  # gold records: the questions whose answer differs from gold
    user_id: int = 0  # the annotator's id (the link to their edit history of this record)


@dataclass(frozen=True)
class QueueFilter:
    """Which part of the queue to show: `show` one of SHOWS, `annotator` a username ("" for everyone)."""

    show: str = "pending"
    annotator: str = ""

    @classmethod
    def of(cls, show: str | None = None, annotator: str | None = None) -> QueueFilter:
        """From URL parameters; raises Invalid naming an unknown `show`."""
        f = cls(show=(show or "pending").strip(), annotator=(annotator or "").strip())
        if f.show not in SHOWS:
            raise Invalid(f"show must be one of {', '.join(SHOWS)}, not {f.show!r}")
        return f


@dataclass(frozen=True)
class Pending:
    """One annotation of a queue view, before it and its record are loaded."""

    annotation_id: int
    record_id: int
    annotator: str
    agreement: float | None
    gold_failed: tuple[str, ...] = ()


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


def _categorical_value(kind: str, raw: object) -> Any:
    """What `record_agreement` compares for one answer of a pairwise/labels question (None: not counted)."""
    if kind == "pairwise":
        p = PairwiseAnswer.read(raw)
        return p.choice if p is not None else None
    a = LabelsAnswer.read(raw)
    return tuple(sorted(a.labels)) if a is not None and a.per_completion is None else None


def agreement_of_sets(sets: dict[int, list[tuple[Any, ...]]], kinds: list[str]) -> dict[int, float]:
    """`record_agreement` per record from answers already cut down to its questions (`sets`: record id → one
    tuple per submitted annotation, the answers to questions of `kinds` in that order); records where it is
    None are left out. The queue's hot loop: it reads each answer once as its known kind."""
    out: dict[int, float] = {}
    for rid, rows in sets.items():
        if len(rows) < 2:
            continue
        worst: float | None = None
        for j, kind in enumerate(kinds):
            vals = [v for v in (_categorical_value(kind, r[j]) for r in rows) if v is not None]
            if len(vals) < 2:
                continue
            share = 1.0 if len(set(vals)) == 1 else Counter(vals).most_common(1)[0][1] / len(vals)
            worst = share if worst is None else min(worst, share)
        if worst is not None:
            out[rid] = worst
    return out


def _in_sample(annotation_id: int, rate: float) -> bool:
    return (zlib.crc32(f"review:{annotation_id}".encode()) % 10_000) < rate * 10_000


def review_queue(db: Db, project_id: int, reviewer_id: int, limit: int = 20,
                 filt: QueueFilter | None = None) -> list[ReviewItem]:
    """Submitted annotations that need review under the project's policy, oldest first; never the
    reviewer's own, never gold records, never ones already reviewed at their current revision (another
    view of the queue with `filt`)."""
    with db.read() as s:
        project = assignments.project(s, project_id, with_questions=True)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        rows = queue_rows(s, project, reviewer_id, filt or QueueFilter())[:limit]
        return load_items(s, rows)


def queue_as(db: Db, project_id: int, reviewer: User, limit: int = 20,
             filt: QueueFilter | None = None) -> list[ReviewItem]:
    """`review_queue` after `policies.review` on the reviewer's role, in one read transaction (NotFound for
    a non-member, Forbidden for an annotator)."""
    with db.read() as s:
        policies.review(reviewer, members_q.role_of(s, project_id, reviewer.id))
        project = assignments.project(s, project_id, with_questions=True)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        return load_items(s, queue_rows(s, project, reviewer.id, filt or QueueFilter())[:limit])


def queue_rows(s: Tx, project: ProjectRow, reviewer_id: int, filt: QueueFilter) -> list[Pending]:
    """The annotations of one queue view (see the module docstring), oldest submission first, without
    their records (the page loads one)."""
    rows = queue_views(s, project, reviewer_id, only=filt.show)[filt.show]
    return [p for p in rows if p.annotator == filt.annotator] if filt.annotator else rows


def queue_views(s: Tx, project: ProjectRow, reviewer_id: int, only: str | None = None) -> dict[str, list[Pending]]:
    """Every queue view (or `only` one) for everyone: show → annotations, oldest submission first. Reads ids
    only, and of the answers only the pairwise/labels ones agreement and gold scoring need."""
    out: dict[str, list[Pending]] = {}
    if only in (None, "pending", "disagreement"):
        rows = reviews.unreviewed(s, project.id, reviewer_id)
        kinds = {q.name: q.kind for q in project.questions if q.kind in ("pairwise", "labels")}
        sets = reviews.answers_to(s, sorted({rid for _, rid, _ in rows}), list(kinds))
        agreements = agreement_of_sets(sets, list(kinds.values()))
        every = [Pending(aid, rid, name, agreements.get(rid)) for aid, rid, name in rows]
        policy = ReviewPolicy.of(project.settings)
        if policy.mode == "sample":
            out["pending"] = [p for p in every if _in_sample(p.annotation_id, policy.rate)]
        elif policy.mode == "low_agreement":
            out["pending"] = [p for p in every if (p.agreement or 1.0) < policy.threshold]
        else:
            out["pending"] = every
        out["disagreement"] = [p for p in every if p.agreement is not None and p.agreement < 1.0]
    if only in (None, "gold_failed"):
        failed = gold_failures(s, project)
        out["gold_failed"] = [Pending(aid, rid, name, None, failed[aid])
                              for aid, rid, name in reviews.unreviewed(s, project.id, reviewer_id, gold=True)
                              if aid in failed]
    return out


def gold_failures(s: Tx, project: ProjectRow) -> dict[int, tuple[str, ...]]:
    """annotation id → titles of the scored (pairwise/labels) questions its answer gets wrong against the
    gold answer (score under 1), for the project's submitted annotations of gold records."""
    kinds = {q.name: (q.kind, q.title or q.name) for q in project.questions if q.kind in SCORED_KINDS}
    out: dict[int, tuple[str, ...]] = {}
    for aid, answers, gold in reviews.gold_submissions(s, project.id, list(kinds)):
        wrong = []
        for name, (kind, title) in kinds.items():
            mine, ref = answers.get(name), (gold or {}).get(name)
            if not isinstance(ref, dict):
                continue
            try:
                ok = isinstance(mine, dict) and score_answer(kind, mine, ref) >= 1.0
            except Invalid:
                ok = False
            if not ok:
                wrong.append(title)
        if wrong:
            out[aid] = tuple(wrong)
    return out


def load_items(s: Tx, rows: list[Pending]) -> list[ReviewItem]:
    """The queue rows with their annotations and records."""
    recs = assignments.records_by_id(s, [p.record_id for p in rows])
    out = []
    for p in rows:
        ann = annotations_q.get(s, p.annotation_id)
        rec = recs.get(p.record_id)
        if ann is None or rec is None:
            continue
        out.append(ReviewItem(ann.id, ann.record_id, p.annotator, dict(ann.answers or {}), ann.submitted_at,
                              record_from_row(rec), p.agreement, bool(rec.is_gold), p.gold_failed, ann.user_id))
    return out


def decide(db: Db, project_id: int, annotation_id: int, reviewer: User, decision: str, comment: str = "") -> ReviewDecision:
    """Accept, reject or return one annotation. A rejection or return needs a comment (it is what the
    author reads). Does not check the reviewer's role (the caller applies `policies.review`; see
    `decide_as`). Raises NotFound, Forbidden (own annotation), Invalid (bad decision, no comment, a gold
    record returned), Conflict (not submitted, or already reviewed at this revision)."""
    check_decision(decision, comment)
    with db.write() as s:
        return decide_in(s, db, project_id, annotation_id, reviewer, decision, comment)


def decide_as(db: Db, project_id: int, annotation_id: int, reviewer: User, decision: str,
              comment: str = "") -> ReviewDecision:
    """`decide` after `policies.review` on the reviewer's role, in the same write transaction."""
    check_decision(decision, comment)
    with db.write() as s:
        policies.review(reviewer, members_q.role_of(s, project_id, reviewer.id))
        return decide_in(s, db, project_id, annotation_id, reviewer, decision, comment)


def check_decision(decision: str, comment: str) -> None:
    """Raise Invalid for an unknown decision or a rejection/return without a comment (before any query)."""
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision != "accepted" and not (comment or "").strip():
        verb = "send it back" if decision == "returned" else "reject it"
        raise Invalid(f"say why you {verb}: the comment is what the annotator reads")


def decide_in(s: Tx, db: Db, project_id: int, annotation_id: int, reviewer: User, decision: str,
              comment: str) -> ReviewDecision:
    """`decide` inside the caller's write transaction (the decision and comment already checked)."""
    comment = (comment or "").strip()
    now = datetime.now(UTC)
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
    rec = assignments.record(s, ann.record_id)
    is_gold = bool(rec is not None and rec.is_gold)
    action = ""
    if decision != "accepted":
        if is_gold and decision == "returned":
            raise Invalid("a check (gold) item is never sent back to its author: it would tell them it was a "
                          "check item; reject it instead (the record goes to someone else)")
        if not is_gold:  # a gold record is not limited by k: its rejection changes no slot and nothing the
            # trainer sees (exports and metrics drop the rejected annotation)
            wanted = "return" if decision == "returned" else ReviewPolicy.of(project.settings).on_reject
            action = "returned" if wanted == "return" else "requeued"
            _apply_rejection(s, ann.record_id, ann.user_id, ann.id, action, now, project.lease_seconds)
    stored = "accepted" if decision == "accepted" else "rejected"
    reviews.add(s, project_id=project_id, annotation_id=ann.id, revision=ann.revision, reviewer_id=reviewer.id,
                decision=stored, comment=comment, action=action, at=now)
    record_event(s, reviewer.id, f"review.{stored}", project.name, annotation=ann.id, then=action)
    return ReviewDecision(ann.id, stored, comment, action, reviewer.username, now)


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
        return history_in(s, project_id, limit)


def history_in(s: Tx, project_id: int, limit: int) -> list[ReviewDecision]:
    return [ReviewDecision(r.annotation_id, r.decision, r.comment, r.action, name, r.created_at)
            for r, name in reviews.latest(s, project_id, limit)]
