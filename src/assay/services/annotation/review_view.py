"""The review page's view model: one item of a queue view at a time, with its position and neighbours.

`review_page` is the page's one service call (policy, project, the queue view, the current item with its
answers as read-only views, the counts of each view, the annotators to filter by, the latest decisions; one
read transaction). `decide_on_page` is the form post's: it checks the policy and records the decision in
one write transaction, and when the decision is refused (no comment, already reviewed, a gold item
returned) it answers the page again with the error, so the reviewer stays on the item with what they typed.

Where the reviewer is: `at` (an annotation id) when it is still in the view, else the `index`-th item
(1-based, clamped), else the first. Deciding an item removes it from every view, so after a decision the
page shows the item that followed it (`next_id`), at the same position.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.annotation.review import (
    SHOWS,
    Pending,
    QueueFilter,
    ReviewDecision,
    ReviewItem,
    ReviewPolicy,
    check_decision,
    decide_in,
    history_in,
    load_items,
    queue_views,
)
from assay.services.annotation.review_answers import AnswerView, answer_views, letter
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import assignments
from assay.store.queries import memberships as members_q

SHOW_LABELS = {"pending": "All pending", "disagreement": "Annotators disagree", "gold_failed": "Gold failures"}


@dataclass(frozen=True)
class ReviewCard:
    """The item on screen: the annotation, its answers as views and, on a gold record, the gold answers."""

    item: ReviewItem
    answers: list[AnswerView]
    gold: list[AnswerView]
    can_return: bool  # gold items are never sent back to their author
    completion_letters: list[str]


@dataclass(frozen=True)
class ViewTab:
    show: str
    label: str
    count: int
    href: str
    active: bool


@dataclass(frozen=True)
class ReviewPage:
    """Everything the review page shows (see the module docstring)."""

    project: Project
    role: str | None
    policy: ReviewPolicy
    filt: QueueFilter
    tabs: list[ViewTab]
    annotators: list[tuple[str, int]]  # (username, items in the current view) to filter by
    total: int
    position: int  # 1-based; 0 when the view is empty
    card: ReviewCard | None
    prev_id: int | None
    next_id: int | None
    history: list[ReviewDecision]

    def href(self, at: int | None = None, index: int | None = None, show: str | None = None,
             annotator: str | None = None) -> str:
        """The page's URL in this view (or with `show`/`annotator` changed), at an item."""
        filt = QueueFilter(show if show is not None else self.filt.show,
                           annotator if annotator is not None else self.filt.annotator)
        return review_href(self.project.id, filt, at, index)

    @property
    def prev_href(self) -> str | None:
        return self.href(self.prev_id, self.position - 1) if self.prev_id is not None else None

    @property
    def next_href(self) -> str | None:
        return self.href(self.next_id, self.position + 1) if self.next_id is not None else None


@dataclass(frozen=True)
class PageDecision:
    """What a decision from the page did: `decision` made and where to go next (`redirect`), or `error`
    with the page to show again (`page`) and the HTTP status (422 invalid, 409 conflict)."""

    decision: ReviewDecision | None
    redirect: str
    error: str = ""
    status: int = 200
    page: ReviewPage | None = None


def review_href(project_id: int, filt: QueueFilter, at: int | None = None, index: int | None = None) -> str:
    """/projects/{id}/review with the view's parameters (defaults left out) and the item (`at`, `i`)."""
    q: dict[str, str | int] = {}
    if filt.show != "pending":
        q["show"] = filt.show
    if filt.annotator:
        q["annotator"] = filt.annotator
    if at is not None:
        q["at"] = at
    if index is not None:
        q["i"] = index
    return f"/projects/{project_id}/review" + (f"?{urlencode(q)}" if q else "")


def _tabs(project: Project, filt: QueueFilter, counts: dict[str, int]) -> list[ViewTab]:
    return [ViewTab(show, SHOW_LABELS[show], counts[show], review_href(project.id, QueueFilter(show, filt.annotator)),
                    show == filt.show) for show in SHOWS]


def _card(s: Tx, project: Project, pending: Pending) -> ReviewCard | None:
    items = load_items(s, [pending])
    if not items:
        return None
    item = items[0]
    texts = [c.text for c in item.record.completions]
    gold: list[AnswerView] = []
    if item.is_gold:
        rec = assignments.record(s, item.record_id)
        gold = answer_views(project.questions, dict((rec.gold_answers if rec else None) or {}), texts)
    return ReviewCard(item, answer_views(project.questions, item.answers, texts), gold, not item.is_gold,
                      [letter(i) for i in range(len(texts))])


def page_in(s: Tx, project_id: int, reviewer: User, filt: QueueFilter, at: int | None = None,
            index: int | None = None, history_limit: int = 10) -> ReviewPage:
    """`review_page` inside the caller's transaction."""
    role = members_q.role_of(s, project_id, reviewer.id)
    policies.review(reviewer, role)
    row = assignments.project(s, project_id, with_questions=True)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    project = project_from_row(row)
    views = queue_views(s, row, reviewer.id)
    everyone = views[filt.show]
    rows = [p for p in everyone if not filt.annotator or p.annotator == filt.annotator]
    counts = {show: sum(1 for p in v if not filt.annotator or p.annotator == filt.annotator)
              for show, v in views.items()}
    names = Counter(p.annotator for p in everyone)
    if filt.annotator and filt.annotator not in names:
        names[filt.annotator] = 0
    ids = [p.annotation_id for p in rows]
    pos = 0
    if rows:
        if at is not None and at in ids:
            pos = ids.index(at)
        elif index is not None:
            pos = max(0, min(index, len(rows)) - 1)
    card = _card(s, project, rows[pos]) if rows else None
    return ReviewPage(project=project, role=role, policy=ReviewPolicy.of(project.settings), filt=filt,
                      tabs=_tabs(project, filt, counts), annotators=sorted(names.items()), total=len(rows),
                      position=pos + 1 if rows else 0, card=card,
                      prev_id=ids[pos - 1] if rows and pos > 0 else None,
                      next_id=ids[pos + 1] if pos + 1 < len(ids) else None,
                      history=history_in(s, project_id, history_limit))


def review_page(db: Db, project_id: int, reviewer: User, filt: QueueFilter | None = None, at: int | None = None,
                index: int | None = None, history_limit: int = 10) -> ReviewPage:
    """The review page in one read transaction. Applies `policies.review` first (NotFound for a non-member,
    Forbidden for an annotator), then NotFound for an unknown project."""
    with db.read() as s:
        return page_in(s, project_id, reviewer, filt or QueueFilter(), at, index, history_limit)


def decide_on_page(db: Db, project_id: int, annotation_id: int, reviewer: User, decision: str, comment: str,
                   filt: QueueFilter, next_id: int | None, index: int | None) -> PageDecision:
    """Record a decision made on the review page (policy checked in the same transaction). On success the
    redirect goes to the item that followed (`next_id`, at position `index`). Invalid and Conflict become
    an error shown on the page again at the same item; Forbidden and NotFound propagate (the caller may not
    see the page, or the annotation is not in this project)."""
    try:
        check_decision(decision, comment)
        with db.write() as s:
            policies.review(reviewer, members_q.role_of(s, project_id, reviewer.id))
            done = decide_in(s, db, project_id, annotation_id, reviewer, decision, comment)
    except (Invalid, Conflict) as e:
        status = 422 if isinstance(e, Invalid) else 409
        page = review_page(db, project_id, reviewer, filt, at=annotation_id, index=index)
        return PageDecision(None, page.href(annotation_id, index), str(e), status, page)
    return PageDecision(done, review_href(project_id, filt, next_id, index))
