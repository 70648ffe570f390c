"""The records table (the lead's data manager): one project's records filtered, sorted and paged in the
database, the judgments of a page of records, and the bulk changes that are not counters (priority, the
queue flag, gold). Counters and leases are `assay.store.slots`' alone: the service calls it.

Filters are combined with AND. Paging walks an indexed order (`(project_id, <sort>, id)`, see migration
0010): next/previous by keyset from the neighbouring page's edge row, a jump to a page number by offset (the
caller caps the offset). Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased, selectinload

from assay.store.tables import AnnotationRow, AssignmentRow, CompletionRow, MemberRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow

STATUSES = ("todo", "in_progress", "done", "reviewed", "skipped", "removed")
SORTS: dict[str, Any] = {"id": RecordRow.id, "external_id": RecordRow.external_id, "priority": RecordRow.priority,
                         "judgments": RecordRow.submitted_count, "created": RecordRow.created_at}


@dataclass(frozen=True)
class TableFilter:
    """What the table shows. `categorical` lists the (question, field) pairs whose answers decide agreement
    (pairwise `choice`, labels `labels`); `meta` are (key, value) pairs matched against the record's metadata
    (as text, or as a number when the value reads as one); `text` is a case-insensitive substring of the
    record's messages or completions."""

    status: str | None = None
    annotator_id: int | None = None
    gold: bool | None = None
    agreement: str | None = None  # agreed | disagreed
    categorical: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    text: str = ""


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(s: Session, col: Any, text: str) -> ColumnElement[bool]:
    pattern = f"%{_like_escape(text)}%"
    out: ColumnElement[bool] = (col.ilike(pattern, escape="\\") if s.get_bind().dialect.name == "postgresql"
                                else col.like(pattern, escape="\\"))
    return out  # SQLite's LIKE ignores ASCII case already (no lower() per row)


def _unindexed(s: Session, col: Any) -> Any:
    """`col + 0`: the same value, but the planner cannot use an index on it, so it walks the index of the
    ORDER BY (project_id, <sort>, id) and stops after a page, instead of reading every match through the
    counters' index and sorting them all (both SQLite and PostgreSQL chose that for `status=done`)."""
    return col + 0


def _status(s: Session, project_id: int, k: int, status: str) -> ColumnElement[bool]:
    sub, leased = _unindexed(s, RecordRow.submitted_count), RecordRow.leased_count
    if status == "todo":
        return and_(sub == 0, leased == 0, RecordRow.queued.is_(True))
    if status == "in_progress":
        return and_(sub < k, or_(sub > 0, leased > 0))
    if status == "done":
        done: ColumnElement[bool] = sub >= k
        return done
    if status == "reviewed":
        return RecordRow.id.in_(select(AnnotationRow.record_id).join(ReviewRow, ReviewRow.annotation_id == AnnotationRow.id)
                                .where(AnnotationRow.project_id == project_id))
    if status == "skipped":
        return RecordRow.id.in_(select(AssignmentRow.record_id).where(AssignmentRow.project_id == project_id,
                                                                      AssignmentRow.status == "skipped"))
    if status == "removed":
        return RecordRow.queued.is_(False)
    raise ValueError(f"unknown status {status!r}")


def _answer_value(row: Any, question: str, field: str) -> ColumnElement[Any]:
    value: ColumnElement[Any] = row.answers[(question, field)].as_string()
    return value


def _agreement(f: TableFilter) -> ColumnElement[bool]:
    """Correlated to the record (evaluated only for the rows a page reads, through the annotations' record
    index): disagreed = two submitted judgments answer a scored question differently; agreed = two submitted
    judgments answer one, and none differ."""
    a1, a2 = aliased(AnnotationRow), aliased(AnnotationRow)
    both = [a1.record_id == RecordRow.id, a2.record_id == RecordRow.id, a1.status == "submitted",
            a2.status == "submitted", a1.id < a2.id]
    differ = or_(*[exists().where(*both, _answer_value(a1, q, fld) != _answer_value(a2, q, fld))
                   for q, fld in f.categorical])
    if f.agreement == "disagreed":
        return differ
    two = or_(*[exists().where(*both, _answer_value(a1, q, fld).is_not(None), _answer_value(a2, q, fld).is_not(None))
                for q, fld in f.categorical])
    return and_(RecordRow.submitted_count >= 2, two, ~differ)


def _meta(s: Session, key: str, value: str) -> ColumnElement[bool]:
    as_text: ColumnElement[bool] = RecordRow.meta[key].as_string() == value
    try:
        number = float(value)
    except ValueError:
        return as_text
    return or_(as_text, RecordRow.meta[key].as_float() == number)


def where(s: Session, project_id: int, k: int, f: TableFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the filter (raises ValueError for an unknown status)."""
    out: list[ColumnElement[bool]] = [RecordRow.project_id == project_id]
    if f.status:
        out.append(_status(s, project_id, k, f.status))
    if f.annotator_id is not None:
        out.append(RecordRow.id.in_(select(AnnotationRow.record_id).where(
            AnnotationRow.project_id == project_id, AnnotationRow.user_id == f.annotator_id,
            AnnotationRow.status == "submitted")))
    if f.gold is not None:
        sqlite = s.get_bind().dialect.name == "sqlite"
        out.append((cast(RecordRow.is_gold, Integer) == int(f.gold)) if sqlite else RecordRow.is_gold.is_(f.gold))
    if f.agreement and f.categorical:
        out.append(_agreement(f))
    for key, value in f.meta:
        out.append(_meta(s, key, value))
    if f.text:
        # a scalar subquery with LIMIT 1: evaluated per record the page reads (through the completions' record
        # index), never turned into one scan of every completion hashed up front (PostgreSQL did that for an
        # EXISTS under OR: 1.2 s for a page of a 100k-record project)
        in_completion = (select(literal(1)).where(CompletionRow.record_id == RecordRow.id,
                                                  _contains(s, CompletionRow.text, f.text))
                         .limit(1).scalar_subquery().is_not(None))
        out.append(or_(_contains(s, cast(RecordRow.messages, String), f.text), in_completion))
    return out


def page_ids(s: Session, project_id: int, k: int, f: TableFilter, *, sort: str, desc: bool, offset: int,
             limit: int, after: int | None = None, before: int | None = None) -> list[int] | None:
    """Ids of one page of matching records in the sort order (ties by id).

    By offset, or by keyset from an anchor record of the project (the last row of the page before: `after`;
    the first row of the page after: `before`): `(sort value, id)` past the anchor's, so the database walks
    the ORDER BY index from the anchor instead of counting `offset` entries (a deep page of a 100k-record
    project). With `before`, the `limit` rows just before the anchor, still in display order. None when the
    anchor is not a record of the project (the caller falls back to the offset)."""
    col = SORTS[sort]
    order = [col.desc(), RecordRow.id.desc()] if desc else [col.asc(), RecordRow.id.asc()]
    if sort == "id":
        order = order[:1]
    anchor_id = after if after is not None else before
    if anchor_id is None:
        q: Select[Any] = (select(RecordRow.id).where(*where(s, project_id, k, f)).order_by(*order)
                          .offset(offset).limit(limit))
        return list(s.scalars(q))
    anchor = s.execute(select(col, RecordRow.id).where(RecordRow.project_id == project_id,
                                                       RecordRow.id == anchor_id)).first()
    if anchor is None:
        return None
    forward = after is not None
    key = RecordRow.id if sort == "id" else tuple_(col, RecordRow.id)
    value = anchor[1] if sort == "id" else tuple_(literal(anchor[0], col.type), literal(anchor[1], Integer))
    past: ColumnElement[bool] = (key > value) if forward != desc else (key < value)
    if not forward:  # walk back from the anchor, then show those rows the right way round
        order = [col.asc(), RecordRow.id.asc()] if desc else [col.desc(), RecordRow.id.desc()]
        order = order[:1] if sort == "id" else order
    q = select(RecordRow.id).where(*where(s, project_id, k, f), past).order_by(*order).limit(limit)
    ids = list(s.scalars(q))
    return ids if forward else ids[::-1]


def count(s: Session, project_id: int, k: int, f: TableFilter, cap: int) -> int:
    """How many records match, counted up to `cap + 1` (more than `cap`: the caller says "cap+")."""
    inner = select(RecordRow.id).where(*where(s, project_id, k, f)).limit(cap + 1).subquery()
    return int(s.scalar(select(func.count()).select_from(inner)) or 0)


def matching_ids(s: Session, project_id: int, k: int, f: TableFilter, cap: int) -> list[int]:
    """Ids of every matching record (at most `cap + 1`, by id) — "all matching the filter" bulk actions."""
    return list(s.scalars(select(RecordRow.id).where(*where(s, project_id, k, f)).order_by(RecordRow.id)
                          .limit(cap + 1)))


def rows(s: Session, ids: Sequence[int]) -> list[RecordRow]:
    """The records with these ids (completions not loaded), in the order of `ids`."""
    if not ids:
        return []
    by_id = {r.id: r for r in s.scalars(select(RecordRow).where(RecordRow.id.in_(list(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def of_project(s: Session, project_id: int, ids: Sequence[int]) -> list[RecordRow]:
    """Those of `ids` that are records of the project, by id (completions loaded)."""
    found: list[RecordRow] = []
    for i in range(0, len(ids), 500):
        found += s.scalars(select(RecordRow).where(RecordRow.project_id == project_id,
                                                   RecordRow.id.in_(list(ids[i:i + 500])))
                           .options(selectinload(RecordRow.completions)))
    return sorted(found, key=lambda r: r.id)


def by_external_ids(s: Session, project_id: int, external_ids: Sequence[str]) -> list[RecordRow]:
    found: list[RecordRow] = []
    for i in range(0, len(external_ids), 500):
        found += s.scalars(select(RecordRow).where(RecordRow.project_id == project_id,
                                                   RecordRow.external_id.in_(list(external_ids[i:i + 500])))
                           .options(selectinload(RecordRow.completions)))
    return sorted(found, key=lambda r: r.id)


@dataclass(frozen=True)
class JudgmentRow:
    annotation_id: int
    record_id: int
    user_id: int
    username: str
    status: str
    answers: dict[str, Any]
    active_seconds: float
    updated_at: datetime | None
    submitted_at: datetime | None


def judgments(s: Session, record_ids: Sequence[int], *, submitted_only: bool = False) -> list[JudgmentRow]:
    """Annotations (drafts too unless `submitted_only`) on these records with their authors, oldest first."""
    if not record_ids:
        return []
    q = (select(AnnotationRow.id, AnnotationRow.record_id, AnnotationRow.user_id, UserRow.username,
                AnnotationRow.status, AnnotationRow.answers, AnnotationRow.active_seconds, AnnotationRow.updated_at,
                AnnotationRow.submitted_at)
         .join(UserRow, UserRow.id == AnnotationRow.user_id)
         .where(AnnotationRow.record_id.in_(list(record_ids))).order_by(AnnotationRow.record_id, AnnotationRow.id))
    if submitted_only:
        q = q.where(AnnotationRow.status == "submitted")
    return [JudgmentRow(*r) for r in s.execute(q)]


@dataclass(frozen=True)
class ReviewInfo:
    decision: str
    action: str
    comment: str
    reviewer: str
    at: datetime


def latest_reviews(s: Session, annotation_ids: Sequence[int]) -> dict[int, ReviewInfo]:
    """annotation id → its latest review."""
    if not annotation_ids:
        return {}
    out: dict[int, ReviewInfo] = {}
    q = (select(ReviewRow.annotation_id, ReviewRow.decision, ReviewRow.action, ReviewRow.comment,
                func.coalesce(UserRow.username, ""), ReviewRow.created_at)
         .outerjoin(UserRow, UserRow.id == ReviewRow.reviewer_id)
         .where(ReviewRow.annotation_id.in_(list(annotation_ids))).order_by(ReviewRow.created_at, ReviewRow.id))
    for aid, decision, action, comment, reviewer, at in s.execute(q):
        out[aid] = ReviewInfo(decision, action or "", comment or "", reviewer, at)
    return out


def skipped(s: Session, record_ids: Sequence[int]) -> set[int]:
    """Those of the records somebody skipped."""
    if not record_ids:
        return set()
    return set(s.scalars(select(AssignmentRow.record_id).where(AssignmentRow.record_id.in_(list(record_ids)),
                                                               AssignmentRow.status == "skipped")))


def annotators(s: Session, project_id: int) -> list[tuple[int, str]]:
    """(user id, username) of the project's members and of everyone who judged in it, by username."""
    judged = select(AnnotationRow.user_id).where(AnnotationRow.project_id == project_id).distinct()
    members = select(MemberRow.user_id).where(MemberRow.project_id == project_id)
    q = (select(UserRow.id, UserRow.username).where(or_(UserRow.id.in_(judged), UserRow.id.in_(members)))
         .order_by(UserRow.username))
    return [(uid, name) for uid, name in s.execute(q)]


def user_id_of(s: Session, username: str) -> int | None:
    return s.scalar(select(UserRow.id).where(UserRow.username == username))


def leases_on(s: Session, record_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(assignment id, record id, status) of the live ('leased') assignments on these records, by record."""
    if not record_ids:
        return []
    q = (select(AssignmentRow.id, AssignmentRow.record_id, AssignmentRow.status)
         .where(AssignmentRow.record_id.in_(list(record_ids)), AssignmentRow.status == "leased")
         .order_by(AssignmentRow.record_id, AssignmentRow.id))
    return [(a, r, st) for a, r, st in s.execute(q)]


def counted_submissions(s: Session, record_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(assignment id, record id, annotation id) of the counted submissions on these records, by record."""
    if not record_ids:
        return []
    q = (select(AssignmentRow.id, AssignmentRow.record_id, AnnotationRow.id)
         .join(AnnotationRow, and_(AnnotationRow.record_id == AssignmentRow.record_id,
                                   AnnotationRow.user_id == AssignmentRow.user_id))
         .where(AssignmentRow.record_id.in_(list(record_ids)), AssignmentRow.status == "submitted")
         .order_by(AssignmentRow.record_id, AssignmentRow.id))
    return [(a, r, n) for a, r, n in s.execute(q)]


def set_priority(s: Session, record_ids: Sequence[int], priority: int) -> None:
    ids = list(record_ids)
    for i in range(0, len(ids), 500):
        s.execute(update(RecordRow).where(RecordRow.id.in_(ids[i:i + 500])).values(priority=priority))


def set_queued(s: Session, record_ids: Sequence[int], queued: bool) -> None:
    ids = list(record_ids)
    for i in range(0, len(ids), 500):
        s.execute(update(RecordRow).where(RecordRow.id.in_(ids[i:i + 500])).values(queued=queued))


def set_gold(s: Session, row: RecordRow, answers: dict[str, Any] | None) -> None:
    """Mark the record gold with these (validated) expected answers, or (None) unmark it."""
    row.is_gold = answers is not None
    row.gold_answers = answers
    s.flush()


def gold_records(s: Session, project_id: int) -> list[RecordRow]:
    """The project's gold records, by id (completions not loaded)."""
    return list(s.scalars(select(RecordRow).where(RecordRow.project_id == project_id, RecordRow.is_gold.is_(True))
                          .order_by(RecordRow.id)))
