"""The records table (the lead's data manager): filter, sort and page a project's records; open one with
all its judgments; bulk actions on a selection or on everything matching the filter.

Who: the project's leads and site admins (`policies.manage_project`) — the table shows which records are
gold and their expected answers, so it is never shown to a trainer (or to a reviewer, who may also judge).

Filters come from the URL (`parse_query`): a bad value raises Invalid whose `details["fields"]` maps each
bad field to what is wrong, and the page shows it inline. Bulk actions (`bulk`) are one write transaction
each, all or nothing, with one audit entry; the exactly-k counters and leases are changed only through
`assay.store.slots`:

- `gold` / `ungold`: see `services.quality.gold_records`;
- `requeue`: the record is judged afresh: live leases end (slot freed), counted submissions stop counting
  (kept, their assignment 'requeued', as a reviewer's requeue does; the same people are not served it
  again) and the record is back in the queue;
- `remove`: out of the queue (served to nobody); live leases end; judgments stay;
- `restore`: back in the queue, nothing else changes;
- `priority`: the queue serves higher priority first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.domain.projects import Project
from assay.domain.questions import QuestionKind
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.annotation.review_answers import AnswerView, answer_views
from assay.services.quality import gold, gold_records
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records_table as table_q
from assay.store.tables import ProjectRow

STATUS_LABELS = {"todo": "to do", "in_progress": "in progress", "done": "done", "reviewed": "reviewed",
                 "skipped": "skipped", "removed": "removed from queue"}
SORT_LABELS = {"id": "record id", "external_id": "external id", "priority": "priority", "judgments": "judgments",
               "created": "imported"}
PAGE_SIZES = (25, 50, 100, 200)
MAX_OFFSET = 200_000
"""Deepest row a page may start at; past it the lead narrows the filter (the count says how many match)."""
COUNT_CAP = 100_000
BULK_CAP = gold_records.MAX_RECORDS
ACTIONS = ("gold", "ungold", "requeue", "remove", "restore", "priority")
ACTION_LABELS = {"gold": "Marked gold", "ungold": "Unmarked gold", "requeue": "Requeued", "remove": "Removed from the queue",
                 "restore": "Put back in the queue", "priority": "Priority set"}
_META_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")


@dataclass(frozen=True)
class Query:
    """The table's state, as in the URL."""

    status: str = ""
    annotator: str = ""
    gold: str = ""  # yes | no | ""
    agreement: str = ""  # agreed | disagreed | ""
    meta: tuple[str, ...] = ()  # "key=value"
    q: str = ""
    sort: str = "id"
    dir: str = "asc"
    page: int = 1
    size: int = 50
    after: int | None = None  # keyset anchor: the page starts just after this record (the last row of the page before)
    before: int | None = None  # ... or ends just before it (the first row of the page after)

    def params(self, **change: Any) -> list[tuple[str, str]]:
        """The query string pairs (defaults left out), with `change` applied (e.g. page=2). The keyset
        anchors (`after`, `before`) are only kept when `change` names them: every other link starts afresh."""
        d = {"status": self.status, "annotator": self.annotator, "gold": self.gold, "agreement": self.agreement,
             "q": self.q, "sort": self.sort, "dir": self.dir, "page": self.page, "size": self.size,
             "after": None, "before": None, **change}
        defaults = {"sort": "id", "dir": "asc", "page": 1, "size": 50}
        out = [(k, str(v)) for k, v in d.items() if v not in ("", None) and defaults.get(k) != v]
        out += [("meta", m) for m in change.get("meta", self.meta)]
        return out

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.annotator or self.gold or self.agreement or self.meta or self.q)


def _one(raw: Mapping[str, Any], key: str) -> str:
    v = raw.get(key, "")
    if isinstance(v, list | tuple):
        v = v[-1] if v else ""
    return str(v).strip()


def parse_query(raw: Mapping[str, Any]) -> Query:
    """The table's Query from URL parameters (a mapping of name → value or list of values). Raises Invalid
    naming every bad field (`details["fields"]`: field → what is wrong)."""
    bad: dict[str, str] = {}
    status, gold_v, agreement = _one(raw, "status"), _one(raw, "gold"), _one(raw, "agreement")
    if status and status not in STATUS_LABELS:
        bad["status"] = f"status must be one of {', '.join(STATUS_LABELS)} (got {status[:40]!r})"
    if gold_v and gold_v not in ("yes", "no"):
        bad["gold"] = f"gold must be yes or no (got {gold_v[:40]!r})"
    if agreement and agreement not in ("agreed", "disagreed"):
        bad["agreement"] = f"agreement must be agreed or disagreed (got {agreement[:40]!r})"
    metas = raw.get("meta", ())
    metas = [metas] if isinstance(metas, str) else list(metas or ())
    meta: list[str] = []
    for m in (str(x).strip() for x in metas):
        if not m:
            continue
        key, eq, value = m.partition("=")
        if not eq or not _META_KEY.match(key.strip()) or len(value) > 200:
            bad["meta"] = (f"metadata filter {m[:60]!r}: write key=value, the key letters, digits, '_', '-' or '.' "
                           "(at most 80), the value at most 200 characters")
            continue
        meta.append(f"{key.strip()}={value.strip()}")
    text = _one(raw, "q")
    if len(text) > 200:
        bad["q"] = "text search: at most 200 characters"
    sort, direction = _one(raw, "sort") or "id", _one(raw, "dir") or "asc"
    if sort not in SORT_LABELS:
        bad["sort"] = f"sort must be one of {', '.join(SORT_LABELS)}"
    if direction not in ("asc", "desc"):
        bad["dir"] = "dir must be asc or desc"
    page, size = 1, 50
    try:
        page = int(_one(raw, "page") or 1)
        if page < 1:
            raise ValueError
    except ValueError:
        bad["page"] = "page must be a whole number from 1"
    try:
        size = int(_one(raw, "size") or 50)
        if size not in PAGE_SIZES:
            raise ValueError
    except ValueError:
        bad["size"] = f"size must be one of {', '.join(map(str, PAGE_SIZES))}"
    anchors: dict[str, int | None] = {"after": None, "before": None}
    for name in anchors:
        v = _one(raw, name)
        if v:
            if not v.isdigit() or len(v) > 10 or not 1 <= int(v) <= 2**31 - 1:
                bad[name] = f"{name} must be a record id (a whole number from 1)"
            else:
                anchors[name] = int(v)
    if anchors["after"] is not None and anchors["before"] is not None:
        bad["before"] = "give after or before, not both"
    if not bad and (page - 1) * size > MAX_OFFSET and anchors["after"] is None and anchors["before"] is None:
        bad["page"] = (f"page {page} starts past row {MAX_OFFSET:,}; narrow the filter or sort the other way "
                       "to reach those records")
    if bad:
        raise Invalid("; ".join(bad.values()), details={"fields": bad})
    return Query(status, _one(raw, "annotator")[:80], gold_v, agreement, tuple(meta), text, sort, direction,
                 page, size, anchors["after"], anchors["before"])


def _categorical(project: ProjectRow) -> tuple[tuple[str, str], ...]:
    out = []
    for q in project.questions:
        if q.kind == QuestionKind.pairwise.value:
            out.append((q.name, "choice"))
        elif q.kind == QuestionKind.labels.value and not (q.options or {}).get("per_completion"):
            out.append((q.name, "labels"))
    return tuple(out)


def _filter(s: Tx, project: ProjectRow, q: Query) -> table_q.TableFilter:
    annotator_id = None
    if q.annotator:
        annotator_id = table_q.user_id_of(s, q.annotator)
        if annotator_id is None:
            raise Invalid(f"annotator: nobody is called {q.annotator!r}",
                          details={"fields": {"annotator": f"nobody is called {q.annotator!r}"}})
    categorical = _categorical(project)
    if q.agreement and not categorical:
        msg = "agreement: this project has no pairwise or single-choice labels question to agree on"
        raise Invalid(msg, details={"fields": {"agreement": msg}})
    meta = tuple((m.partition("=")[0], m.partition("=")[2]) for m in q.meta)
    return table_q.TableFilter(status=q.status or None, annotator_id=annotator_id,
                               gold=None if not q.gold else q.gold == "yes", agreement=q.agreement or None,
                               categorical=categorical, meta=meta, text=q.q)


def _lead_project(s: Tx, project_id: int, user: User) -> ProjectRow:
    policies.manage_project(user, members_q.role_of(s, project_id, user.id))
    project = projects_q.get(s, project_id)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    return project


@dataclass(frozen=True)
class Row:
    record_id: int
    external_id: str
    prompt: str
    status: str
    submitted: int
    k: int
    annotators: tuple[str, ...]
    is_gold: bool
    agreement: str  # "agreed" | "disagreed" | "" (fewer than two judgments on the scored questions)
    votes: str  # e.g. "preference a×2 b×1"
    priority: int
    queued: bool
    meta: str


@dataclass(frozen=True)
class TablePage:
    project: Project
    query: Query
    rows: list[Row]
    total: int | None  # None: not counted with the page (the page asks `records_count` afterwards)
    total_capped: bool
    pages: int | None
    has_next: bool
    annotators: list[str]
    standings: list[gold.Standing] = field(default_factory=list)


def _prompt(messages: list[Any]) -> str:
    for m in reversed(messages or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return " ".join(str(m.get("content", "")).split())[:160]
    return ""


def _votes(categorical: Sequence[tuple[str, str]], answers: list[dict[str, Any]]) -> tuple[str, str]:
    parts, verdict = [], ""
    for name, fld in categorical:
        vals = [a.get(name, {}).get(fld) for a in answers if isinstance(a.get(name), dict)]
        vals = [", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in vals if v not in (None, [])]
        if not vals:
            continue
        c = Counter(vals)
        parts.append(f"{name} " + " ".join(f"{v}×{n}" for v, n in c.most_common()))
        if len(vals) >= 2:
            verdict = "disagreed" if len(c) > 1 or verdict == "disagreed" else "agreed"
    return verdict, " · ".join(parts)


def _status_of(r: Any, k: int, reviewed: bool, skipped: bool) -> str:
    if not r.queued:
        return "removed"
    if reviewed:
        return "reviewed"
    if r.submitted_count >= k:
        return "done"
    if r.submitted_count > 0 or r.leased_count > 0:
        return "in_progress"
    return "skipped" if skipped else "todo"


def records_count(db: Db, project_id: int, user: User, raw: Mapping[str, Any]) -> tuple[int, bool, Query]:
    """(how many records match, counted up to COUNT_CAP; whether there are more; the query) — asked by the
    page after it has shown its rows (counting reads every match; a page stops at its last row)."""
    with db.read() as s:
        project = _lead_project(s, project_id, user)
        q = parse_query(raw)
        total = table_q.count(s, project_id, project.annotators_per_record, _filter(s, project, q), COUNT_CAP)
        return min(total, COUNT_CAP), total > COUNT_CAP, q


def records_page(db: Db, project_id: int, user: User, raw: Mapping[str, Any], *, with_count: bool = False
                 ) -> TablePage:
    """One page of the table (leads and admins), with the number of matches when `with_count` (the API;
    the page asks `records_count` afterwards). Raises Invalid for bad filter values (see `parse_query`),
    NotFound / Forbidden from the policy."""
    with db.read() as s:
        project = _lead_project(s, project_id, user)
        q = parse_query(raw)
        f = _filter(s, project, q)
        k = project.annotators_per_record
        total = table_q.count(s, project_id, k, f, COUNT_CAP) if with_count else None
        # next/previous carry the neighbouring page's edge row: keyset from it (a deep page walks the index from
        # there, not past `offset` entries); a page number alone (a jump, a shared URL) is an offset
        offset, desc = (q.page - 1) * q.size, q.dir == "desc"
        keyed = table_q.page_ids(s, project_id, k, f, sort=q.sort, desc=desc, offset=offset, limit=q.size + 1,
                                 after=q.after, before=q.before) if (q.after or q.before) else None
        if keyed is not None and q.before is not None:
            has_next, ids = True, keyed[-q.size:]
        elif keyed is not None:
            has_next, ids = len(keyed) > q.size, keyed[:q.size]
        else:
            ids = table_q.page_ids(s, project_id, k, f, sort=q.sort, desc=desc, offset=offset, limit=q.size + 1) or []
            has_next, ids = len(ids) > q.size, ids[:q.size]
        recs = table_q.rows(s, ids)
        judged = table_q.judgments(s, ids, submitted_only=True)
        reviews = table_q.latest_reviews(s, [j.annotation_id for j in judged])
        skipped = table_q.skipped(s, ids)
        cat = _categorical(project)
        rows = []
        for r in recs:
            mine = [j for j in judged if j.record_id == r.id]
            verdict, votes = _votes(cat, [j.answers or {} for j in mine])
            reviewed = any(j.annotation_id in reviews for j in mine)
            meta = ", ".join(f"{key}={v}" for key, v in list((r.meta or {}).items())[:3]
                             if not isinstance(v, dict | list))[:120]
            rows.append(Row(r.id, r.external_id, _prompt(r.messages), _status_of(r, k, reviewed, r.id in skipped),
                            r.submitted_count, k, tuple(j.username for j in mine), r.is_gold, verdict, votes,
                            r.priority, r.queued, meta))
        standings = [st for st in gold.standings_in(s, project_id)
                     if st.state != "ok" or (q.annotator and st.username == q.annotator)]
        names = [name for _, name in table_q.annotators(s, project_id)]
        pages = None if total is None else max(1, -(-min(total, COUNT_CAP) // q.size))
        return TablePage(project_from_row(project), q, rows, None if total is None else min(total, COUNT_CAP),
                         total is not None and total > COUNT_CAP, pages, has_next, names, standings)


@dataclass(frozen=True)
class Judgment:
    annotation_id: int
    user_id: int
    username: str
    status: str
    answers: dict[str, Any]
    active_seconds: float
    at: datetime | None
    review: table_q.ReviewInfo | None
    views: list[AnswerView] = field(default_factory=list)  # the answers read-only, as the review page draws them


@dataclass(frozen=True)
class RecordJudgments:
    project: Project
    record_id: int
    record: Record
    status: str
    is_gold: bool
    expected: dict[str, Any]
    priority: int
    queued: bool
    submitted: int
    k: int
    judgments: list[Judgment]
    expected_views: list[AnswerView] = field(default_factory=list)


def record_judgments(db: Db, project_id: int, record_id: int, user: User) -> RecordJudgments:
    """A record with all its judgments (drafts too), their reviews and, for a gold record, the expected
    answers (leads and admins). Raises NotFound for a record of another project."""
    with db.read() as s:
        project = _lead_project(s, project_id, user)
        rows = table_q.of_project(s, project_id, [record_id])
        if not rows:
            raise NotFound(f"no record {record_id} in this project")
        r = rows[0]
        judged = table_q.judgments(s, [record_id])
        reviews = table_q.latest_reviews(s, [j.annotation_id for j in judged])
        status = _status_of(r, project.annotators_per_record, bool(reviews), bool(table_q.skipped(s, [record_id])))
        proj, rec = project_from_row(project), record_from_row(r)
        texts = [c.text for c in rec.completions]
        expected = dict(r.gold_answers or {})
        return RecordJudgments(
            proj, r.id, rec, status, r.is_gold, expected,
            r.priority, r.queued, r.submitted_count, project.annotators_per_record,
            [Judgment(j.annotation_id, j.user_id, j.username, j.status, dict(j.answers or {}), j.active_seconds,
                      j.submitted_at or j.updated_at, reviews.get(j.annotation_id),
                      answer_views(proj.questions, dict(j.answers or {}), texts)) for j in judged],
            answer_views(proj.questions, expected, texts) if r.is_gold else [])


@dataclass(frozen=True)
class GoldForm:
    project: Project
    record: Record
    record_id: int
    selected: int
    expected: dict[str, Any]


def gold_form(db: Db, project_id: int, user: User, record_ids: Sequence[int]) -> GoldForm:
    """What the gold form shows: the project's questions over the first selected record (its expected
    answers when it is gold already) and how many records are selected."""
    with db.read() as s:
        project = _lead_project(s, project_id, user)
        rows = table_q.of_project(s, project_id, list(record_ids)[:1])
        if not rows:
            raise Invalid("select at least one record of this project first")
        r = rows[0]
        return GoldForm(project_from_row(project), record_from_row(r), r.id, len(record_ids),
                        dict(r.gold_answers or {}))


@dataclass(frozen=True)
class BulkResult:
    action: str
    records: int
    detail: str


def _selection(s: Tx, project: ProjectRow, record_ids: Sequence[int], all_matching: Mapping[str, Any] | None
               ) -> list[Any]:
    if all_matching is not None:
        f = _filter(s, project, parse_query(all_matching))
        ids = table_q.matching_ids(s, project.id, project.annotators_per_record, f, BULK_CAP)
        if len(ids) > BULK_CAP:
            raise Invalid(f"more than {BULK_CAP:,} records match; narrow the filter")
        if not ids:
            raise Invalid("no record matches the filter")
        return table_q.of_project(s, project.id, ids)
    if not record_ids:
        raise Invalid("select at least one record (or choose all matching the filter)")
    return gold_records.resolve(s, project, list(record_ids))


def _end_leases(s: Tx, ids: list[int], postgres: bool) -> int:
    n = 0
    for aid, rid, status in table_q.leases_on(s, ids):
        n += slots.give_back(s, assignment_id=aid, record_id=rid, status=status, skip_reason=None)
    return n


def bulk(db: Db, project_id: int, user: User, action: str, *, record_ids: Sequence[int] = (),
         all_matching: Mapping[str, Any] | None = None, expected: dict[str, Any] | None = None,
         priority: int | None = None) -> BulkResult:
    """Apply one bulk action (see the module docstring) to the selected records, or to every record matching
    `all_matching` (URL parameters of the table). One write transaction, all or nothing, one audit entry.
    Raises Invalid for an unknown action, a missing priority / expected answer or an empty selection."""
    if action not in ACTIONS:
        raise Invalid(f"unknown action {action!r}; one of {', '.join(ACTIONS)}", details={"field": "action"})
    if action == "priority" and (priority is None or not -1_000_000 <= priority <= 1_000_000):
        raise Invalid("priority must be a whole number between -1000000 and 1000000", details={"field": "priority"})
    with db.write() as s:
        project = _lead_project(s, project_id, user)
        rows = _selection(s, project, record_ids, all_matching)
        ids = [r.id for r in rows]
        postgres = s.get_bind().dialect.name == "postgresql"
        if action in ("requeue", "remove"):
            for rid in ids:  # in id order, like every other locker
                slots.lock_record(s, rid, postgres=postgres)
        detail = ""
        if action == "gold":
            gold_records.mark_in(s, project, rows, expected or {}, user)
            return BulkResult(action, len(ids), "marked gold")
        if action == "ungold":
            n = gold_records.unmark_in(s, project, rows, user)
            return BulkResult(action, len(ids), f"{n} unmarked")
        if action == "requeue":
            ended = _end_leases(s, ids, postgres)
            uncounted = 0
            for aid, rid, ann in table_q.counted_submissions(s, ids):
                slots.reject(s, record_id=rid, assignment_id=aid, annotation_id=ann, return_until=None)
                uncounted += 1
            table_q.set_queued(s, ids, True)
            detail = f"{ended} lease(s) ended, {uncounted} judgment(s) no longer counted"
        elif action == "remove":
            ended = _end_leases(s, ids, postgres)
            table_q.set_queued(s, ids, False)
            detail = f"{ended} lease(s) ended"
        elif action == "restore":
            table_q.set_queued(s, ids, True)
        elif action == "priority":
            assert priority is not None
            table_q.set_priority(s, ids, priority)
            detail = f"priority {priority}"
        record_event(s, user.id, f"records.{action}", project.name, records=len(ids), record_ids=ids[:50],
                     detail=detail, at=datetime.now(UTC).isoformat())
        return BulkResult(action, len(ids), detail)
