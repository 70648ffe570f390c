"""The lead's dashboard and each trainer's own numbers.

- progress over non-gold records: done (k submitted) / in progress (some judgments or a live lease) / to do;
- throughput: submitted annotations per hour (last 48 hours) or per day (last 30 days), UTC buckets;
- per trainer: submitted, active hours, gold accuracy, agreement with consensus (the share of their
  pairwise/labels answers equal to the majority of the *other* people's answers on the record, ties and
  lone answers left out), review acceptance (accepted / reviewed);
- `my_stats` is one trainer's row, plus their gold standing; it never shows other people's numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assay.errors import Invalid, NotFound
from assay.services.quality import gold
from assay.services.quality.metrics import QuestionAgreement, agreement, load_judgments
from assay.store.db import Db
from assay.store.tables import AnnotationRow, AssignmentRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow, StandingRow


@dataclass(frozen=True)
class Progress:
    records: int
    done: int
    in_progress: int
    to_do: int
    gold_records: int


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


@dataclass
class TrainerStats:
    username: str
    submitted: int = 0
    active_hours: float = 0.0
    gold_n: int = 0
    gold_accuracy: float | None = None
    consensus_n: int = 0
    consensus_agreement: float | None = None
    reviewed: int = 0
    review_acceptance: float | None = None
    state: str = "ok"


@dataclass
class Dashboard:
    project: str
    k: int
    progress: Progress
    unit: str
    throughput: list[Bucket]
    agreement: list[QuestionAgreement]
    trainers: list[TrainerStats]
    notices: list[str] = field(default_factory=list)


def progress(db: Db, project_id: int) -> Progress:
    now = datetime.now(UTC)
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        k = project.annotators_per_record
        base = (RecordRow.project_id == project_id, RecordRow.is_gold.is_(False))
        total = s.scalar(select(func.count()).select_from(RecordRow).where(*base)) or 0
        n_gold = s.scalar(select(func.count()).select_from(RecordRow).where(
            RecordRow.project_id == project_id, RecordRow.is_gold.is_(True))) or 0
        done = s.scalar(select(func.count()).select_from(RecordRow).where(*base, RecordRow.submitted_count >= k)) or 0
        leased = select(AssignmentRow.record_id).where(AssignmentRow.project_id == project_id,
                                                       AssignmentRow.status == "leased", AssignmentRow.expires_at > now)
        busy = s.scalar(select(func.count()).select_from(RecordRow).where(
            *base, RecordRow.submitted_count < k, (RecordRow.submitted_count > 0) | RecordRow.id.in_(leased))) or 0
    return Progress(total, done, busy, total - done - busy, n_gold)


def throughput(db: Db, project_id: int, unit: str = "hour", now: datetime | None = None) -> list[Bucket]:
    """Submitted annotations per hour (48 buckets) or per day (30 buckets), oldest first, ending now."""
    if unit not in ("hour", "day"):
        raise Invalid("throughput unit must be 'hour' or 'day'")
    step, n = (timedelta(hours=1), 48) if unit == "hour" else (timedelta(days=1), 30)
    now = now or datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if unit == "day":
        end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = end - n * step
    counts = [0] * n
    with db.transaction() as s:
        for (at,) in s.execute(select(AnnotationRow.submitted_at).where(
                AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted",
                AnnotationRow.submitted_at >= start)):
            if at is None:
                continue
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            i = int((at - start) / step)
            if 0 <= i < n:
                counts[i] += 1
    return [Bucket(start + i * step, c) for i, c in enumerate(counts)]


def _categorical(a: Any) -> Any:
    if isinstance(a, dict) and "choice" in a:
        return a["choice"]
    if isinstance(a, dict) and isinstance(a.get("labels"), list):
        return tuple(sorted(map(str, a["labels"])))
    return None


def _consensus(answers: list[tuple[int, str, dict[str, Any]]], gold_ids: set[int]) -> dict[str, tuple[int, int]]:
    """annotator → (answers compared, answers equal to the others' majority)."""
    by_rq: dict[tuple[int, str], list[tuple[str, Any]]] = defaultdict(list)
    for rid, who, ans in answers:
        if rid in gold_ids:
            continue
        for q, a in ans.items():
            v = _categorical(a)
            if v is not None:
                by_rq[(rid, q)].append((who, v))
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for votes in by_rq.values():
        if len(votes) < 2:
            continue
        for i, (who, v) in enumerate(votes):
            top = Counter(x for j, (_, x) in enumerate(votes) if j != i).most_common(2)
            if len(top) > 1 and top[0][1] == top[1][1]:
                continue
            out[who][0] += 1
            out[who][1] += top[0][0] == v
    return {w: (n, h) for w, (n, h) in out.items()}


def trainer_stats(db: Db, project_id: int, user_id: int | None = None) -> list[TrainerStats]:
    """One row per person who submitted in the project (only `user_id`'s row when given)."""
    with db.transaction() as s:
        j = load_judgments(s, project_id)
        rows: dict[str, TrainerStats] = {}
        q = (select(UserRow.id, UserRow.username, func.count(AnnotationRow.id), func.sum(AnnotationRow.active_seconds))
             .join(AnnotationRow, AnnotationRow.user_id == UserRow.id)
             .where(AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")
             .group_by(UserRow.id, UserRow.username))
        if user_id is not None:
            q = q.where(UserRow.id == user_id)
        ids: dict[int, str] = {}
        for uid, name, n, secs in s.execute(q):
            ids[uid] = name
            rows[name] = TrainerStats(name, int(n), round(float(secs or 0.0) / 3600.0, 3))
        for st, name in s.execute(select(StandingRow, UserRow.username).join(UserRow, UserRow.id == StandingRow.user_id)
                                  .where(StandingRow.project_id == project_id)):
            if name in rows:
                rows[name].gold_n, rows[name].gold_accuracy, rows[name].state = st.gold_n, st.gold_accuracy, st.state
        rv = s.execute(select(UserRow.username, ReviewRow.decision, func.count())
                       .join(AnnotationRow, AnnotationRow.id == ReviewRow.annotation_id)
                       .join(UserRow, UserRow.id == AnnotationRow.user_id)
                       .where(ReviewRow.project_id == project_id).group_by(UserRow.username, ReviewRow.decision))
        reviews: dict[str, Counter[str]] = defaultdict(Counter)
        for name, decision, n in rv:
            reviews[name][decision] += n
    for name, (n, hits) in _consensus(j.answers, set(j.gold)).items():
        if name in rows:
            rows[name].consensus_n, rows[name].consensus_agreement = n, hits / n
    for name, c in reviews.items():
        total = sum(int(v) for v in c.values())
        if name in rows and total:
            rows[name].reviewed = total
            rows[name].review_acceptance = c["accepted"] / sum(c.values())
    return sorted(rows.values(), key=lambda r: r.username)


def dashboard(db: Db, project_id: int, unit: str = "hour") -> Dashboard:
    """Everything the lead's dashboard shows, in one call (the page and its JSON twin use it)."""
    with db.transaction() as s:
        project = s.get(ProjectRow, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        name, k = project.name, project.annotators_per_record
    notices = [f"{st.username} is {st.state}: {st.reason}" for st in gold.standings(db, project_id)
               if st.state in ("paused", "warned")]
    return Dashboard(name, k, progress(db, project_id), unit, throughput(db, project_id, unit),
                     agreement(db, project_id), trainer_stats(db, project_id), notices)


def my_stats(db: Db, project_id: int, user_id: int) -> tuple[TrainerStats, str]:
    """The person's own row (zeros when they have not submitted yet) and a message about their gold
    standing ("" when all is well)."""
    rows = trainer_stats(db, project_id, user_id)
    with db.transaction() as s:
        user = s.get(UserRow, user_id)
        st = s.get(StandingRow, (project_id, user_id))
        mine = rows[0] if rows else TrainerStats(user.username if user else str(user_id))
        note = ""
        if st is not None and st.state != "ok":
            mine.state = st.state
            note = (f"You are {st.state}: {st.reason} " + ("Talk to your lead to resume." if st.state == "paused"
                                                           else "Read the guidelines again before going on."))
    return mine, note
