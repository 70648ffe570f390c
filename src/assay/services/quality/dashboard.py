"""The lead's dashboard and each trainer's own numbers.

- progress over non-gold records: done (k submitted) / in progress (some judgments or a live lease) / to do;
- throughput: submitted annotations per hour (last 48 hours) or per day (last 30 days), UTC buckets;
- per trainer: submitted, active hours, gold accuracy, agreement with consensus (the share of their
  pairwise/labels answers equal to the majority of the *other* people's answers on the record, ties and
  lone answers left out), review acceptance (accepted / reviewed);
- `my_stats` is one trainer's row, plus their gold standing; it never shows other people's numbers, and
  it never tells which record was gold: its gold accuracy and its agreement with others count only what the
  trainer submitted before today (UTC), gold accuracy over whole blocks of `TRAINER_GOLD_BLOCK` gold answers
  (see `gold.trainer_view` and docs/quality.md), so a submit changes only `submitted` and `active_hours`,
  the same way whether the record was gold or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.domain.answers import LabelsAnswer, PairwiseAnswer, read_by_shape
from assay.domain.majority import TiePolicy, majority_of
from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import NotFound
from assay.services.accounts import policies
from assay.services.annotation.source_judgments import is_source_annotator
from assay.services.quality import chart_views, charts, gold
from assay.services.quality.charts import Bucket, Confusion, window
from assay.services.quality.metrics import Judgments, QuestionAgreement, agreement_of, load_judgments
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import dashboard as dashboard_q
from assay.store.queries import gold as gold_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q
from assay.store.queries import users as users_q
from assay.store.tables import ProjectRow

TRAINER_GOLD_BLOCK = 10
"""A trainer sees their gold accuracy over whole blocks of this many gold answers (see `my_stats`)."""


@dataclass(frozen=True)
class Progress:
    records: int
    done: int
    in_progress: int
    to_do: int
    gold_records: int


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


def _project(s: Tx, project_id: int) -> ProjectRow:
    project = projects_q.get(s, project_id, with_questions=False)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    return project


def progress(db: Db, project_id: int) -> Progress:
    """Progress over the project's non-gold records (see the module docstring). Raises NotFound."""
    with db.read() as s:
        return _progress(s, _project(s, project_id), datetime.now(UTC))


def _progress(s: Tx, project: ProjectRow, now: datetime) -> Progress:
    total, done, busy = records_q.progress_counts(s, project.id, project.annotators_per_record, now,
                                                  include_gold=False)
    return Progress(total, done, busy, total - done - busy, records_q.gold_count(s, project.id))


def throughput(db: Db, project_id: int, unit: str = "hour", now: datetime | None = None) -> list[Bucket]:
    """Submitted annotations per hour (48 buckets) or per day (30 buckets), oldest first, ending now."""
    window(unit, now)  # a bad unit is refused before any database work
    with db.read() as s:
        return charts.throughput(s, project_id, unit, now)


def _categorical(raw: Any) -> Any:
    a = read_by_shape(raw)
    if isinstance(a, PairwiseAnswer):
        return a.choice
    if isinstance(a, LabelsAnswer) and a.per_completion is None:
        return tuple(sorted(a.labels))
    return None


def _consensus(answers: list[tuple[int, str, dict[str, Any]]], gold_ids: set[int],
               only: tuple[str, set[int]] | None = None) -> dict[str, tuple[int, int]]:
    """annotator → (answers compared, answers equal to the others' majority). With `only` = (name, record
    ids), that person's answers count only on those records (everyone else's count everywhere)."""
    by_rq: dict[tuple[int, str], list[tuple[str, Any]]] = defaultdict(list)
    for rid, who, ans in answers:
        if rid in gold_ids or (only is not None and who == only[0] and rid not in only[1]):
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
            others = Counter(x for j, (_, x) in enumerate(votes) if j != i)
            won = majority_of(list(others.values()), TiePolicy.exclude())
            if won < 0:
                continue
            out[who][0] += 1
            out[who][1] += list(others)[won] == v
    return {w: (n, h) for w, (n, h) in out.items()}


def trainer_stats(db: Db, project_id: int, user_id: int | None = None) -> list[TrainerStats]:
    """One row per person who submitted in the project (only `user_id`'s row when given)."""
    with db.read() as s:
        return _trainer_stats(s, project_id, load_judgments(s, project_id), user_id)


def _trainer_stats(s: Tx, project_id: int, j: Judgments, user_id: int | None = None) -> list[TrainerStats]:
    rows: dict[str, TrainerStats] = {}
    for _uid, name, n, secs in dashboard_q.submitter_totals(s, project_id, user_id):
        if not is_source_annotator(name):  # a data set's own judgments: not a trainer
            rows[name] = TrainerStats(name, n, round(float(secs or 0.0) / 3600.0, 3))
    for st, name in gold_q.standings(s, project_id):
        if name in rows:
            rows[name].gold_n, rows[name].gold_accuracy, rows[name].state = st.gold_n, st.gold_accuracy, st.state
    reviews: dict[str, Counter[str]] = defaultdict(Counter)
    for name, decision, n in dashboard_q.review_decisions(s, project_id):
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
    """Everything the lead's dashboard shows, from one read transaction (the page and its JSON twin use
    it). Raises NotFound for an unknown project, Invalid for a bad unit."""
    window(unit, None)
    with db.read() as s:
        return _dashboard_in(s, project_id, unit, datetime.now(UTC))


def _dashboard_in(s: Tx, project_id: int, unit: str, now: datetime) -> Dashboard:
    project = _project(s, project_id)
    j = load_judgments(s, project_id)
    notices = [st.notice for st in gold.standings_in(s, project_id)
               if st.state in ("paused", "warned")]
    return Dashboard(project.name, project.annotators_per_record, _progress(s, project, now), unit,
                     charts.throughput(s, project_id, unit, now), agreement_of(j), _trainer_stats(s, project_id, j),
                     notices)


def my_stats(db: Db, project_id: int, user_id: int) -> tuple[TrainerStats, str]:
    """The person's own row (zeros when they have not submitted yet) and a message about their gold
    standing ("" when all is well). Gold accuracy and agreement are as of the start of today (UTC), gold
    accuracy over whole blocks of `TRAINER_GOLD_BLOCK` answers (see the module docstring)."""
    with db.read() as s:
        return _my_stats_in(s, project_id, user_id)


def _my_stats_in(s: Tx, project_id: int, user_id: int) -> tuple[TrainerStats, str]:
    now = datetime.now(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    j = load_judgments(s, project_id)
    rows = _trainer_stats(s, project_id, j, user_id)
    user = users_q.by_id(s, user_id)
    st = gold_q.standing(s, project_id, user_id)
    mine = rows[0] if rows else TrainerStats(user.username if user else str(user_id))
    mine.gold_n, mine.gold_accuracy = gold.trainer_view(s, project_id, user_id, TRAINER_GOLD_BLOCK, now)
    before = dashboard_q.records_submitted_before(s, project_id, user_id, day)
    n, hits = _consensus(j.answers, set(j.gold), (mine.username, before)).get(mine.username, (0, 0))
    mine.consensus_n, mine.consensus_agreement = n, (hits / n if n else None)
    note = ""
    if st is not None and st.state != "ok":
        mine.state = st.state
        note = (f"You are {st.state}: {st.reason} " + ("Talk to your lead to resume." if st.state == "paused"
                                                       else "Read the guidelines again before going on."))
    return mine, note


def _full_project(s: Tx, project_id: int) -> Project:
    row = projects_q.get(s, project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return project_from_row(row)


@dataclass(frozen=True)
class ConfusionChoice:
    """Which confusion matrix the lead asked for (None: the default part / pair, see `charts.confusion`)."""

    part: str | None = None
    a: str | None = None
    b: str | None = None


@dataclass(frozen=True)
class DashboardPage:
    """The lead's dashboard page: the project, the board, every gold standing (paused first) and the charts
    (`chart_views.ChartView`s in page order; `confusion` also names the choices for its pickers)."""

    project: Project
    board: Dashboard
    standings: list[gold.Standing]
    charts: list[chart_views.ChartView]
    confusion: Confusion | None


def _views(s: Tx, project_id: int, j: Judgments, choice: ConfusionChoice, now: datetime, names: tuple[str, ...],
           strict: bool = True) -> tuple[list[chart_views.ChartView], Confusion | None]:
    """The chart views named in `names` (in `chart_views.CHART_NAMES` order), computed only when asked.
    `strict=False`: a confusion choice that does not fit shows the default matrix with a note."""
    out: list[chart_views.ChartView] = []
    conf = None
    parts = charts.parts_of(j) if {"agreement", "confusion"} & set(names) else {}
    for name in chart_views.CHART_NAMES:
        if name not in names:
            continue
        if name.startswith("throughput-"):
            unit = name.split("-", 1)[1]
            out.append(chart_views.throughput_view(charts.throughput(s, project_id, unit, now), unit))
        elif name == "trainers":
            out.append(chart_views.trainers_view(charts.trainers(s, project_id)))
        elif name == "agreement":
            out.append(chart_views.agreement_view(charts.agreement(j, parts)))
        elif name == "confusion":
            conf = charts.confusion(j, choice.part, choice.a, choice.b, parts, strict=strict)
            out.append(chart_views.confusion_view(conf))
        elif name == "gold-accuracy":
            out.append(chart_views.gold_view(charts.gold_by_day(s, project_id, now)))
        elif name == "ratings":
            out.extend(chart_views.ratings_views(charts.ratings(j)))
    return out, conf


def dashboard_page(db: Db, project_id: int, user: User, unit: str = "hour",
                   choice: ConfusionChoice | None = None) -> DashboardPage:
    """The dashboard page's view in one read transaction. Applies `policies.manage_project` first (NotFound
    for a non-member, Forbidden for a non-lead), then NotFound for an unknown project, Invalid for a bad unit.
    A confusion choice that does not fit (a person who did not answer the chosen question) shows the default
    matrix with a note."""
    with db.read() as s:
        policies.manage_project(user, members_q.role_of(s, project_id, user.id))
        window(unit, None)
        project = _full_project(s, project_id)
        now = datetime.now(UTC)
        j = load_judgments(s, project_id)
        views, conf = _views(s, project_id, j, choice or ConfusionChoice(), now, chart_views.CHART_NAMES, False)
        return DashboardPage(project, _dashboard_in(s, project_id, unit, now), gold.standings_in(s, project_id),
                             views, conf)


@dataclass(frozen=True)
class DashboardCharts:
    """The dashboard's charts alone (the JSON twin of the page's charts)."""

    charts: list[chart_views.ChartView]
    confusion: Confusion | None


def dashboard_charts(db: Db, project_id: int, user: User, choice: ConfusionChoice | None = None) -> DashboardCharts:
    """Every chart of the dashboard page (figures, tables, drawing specs) in one read transaction, with its
    policy (`policies.manage_project`). Raises like `dashboard_page`."""
    with db.read() as s:
        policies.manage_project(user, members_q.role_of(s, project_id, user.id))
        _full_project(s, project_id)
        j = load_judgments(s, project_id)
        views, conf = _views(s, project_id, j, choice or ConfusionChoice(), datetime.now(UTC), chart_views.CHART_NAMES)
        return DashboardCharts(views, conf)


@dataclass(frozen=True)
class ChartCsv:
    filename: str
    text: str


RATINGS_COLUMNS = ["question", "dimension", "score", "count"]


def chart_csv(db: Db, project_id: int, user: User, name: str, choice: ConfusionChoice | None = None) -> ChartCsv:
    """One dashboard chart's table as CSV, in one read transaction, with the dashboard's policy
    (`policies.manage_project`: NotFound for a non-member, Forbidden for a non-lead). Raises NotFound for a
    name outside `chart_views.CHART_NAMES`, Invalid for a bad confusion choice."""
    with db.read() as s:
        policies.manage_project(user, members_q.role_of(s, project_id, user.id))
        if name not in chart_views.CHART_NAMES:
            raise NotFound(f"no chart {name!r}; charts: {', '.join(chart_views.CHART_NAMES)}")
        _full_project(s, project_id)
        j = load_judgments(s, project_id)
        views, _ = _views(s, project_id, j, choice or ConfusionChoice(), datetime.now(UTC), (name,))
    text = chart_views.to_csv(views) or (",".join(RATINGS_COLUMNS) + "\n" if name == "ratings" else "")
    return ChartCsv(f"project-{project_id}-{name}.csv", text)


def resume_standing(db: Db, project_id: int, user_id: int, actor: User) -> None:
    """A lead resumes a paused or warned person: the dashboard's policy (`policies.manage_project`) and
    `gold.resume` (NotFound when the person has no standing) in one write transaction."""
    def authorize(s: Tx) -> None:
        policies.manage_project(actor, members_q.role_of(s, project_id, actor.id))

    gold.resume(db, project_id, user_id, actor, authorize=authorize)


@dataclass(frozen=True)
class MyStatsPage:
    """A trainer's own stats page: the project, their row and their gold-standing note (see `my_stats`)."""

    project: Project
    mine: TrainerStats
    note: str


def my_stats_page(db: Db, project_id: int, user: User) -> MyStatsPage:
    """The my-stats page's view in one read transaction. Applies `policies.annotate` first (NotFound for a
    non-member), then NotFound for an unknown project."""
    with db.read() as s:
        policies.annotate(user, members_q.role_of(s, project_id, user.id))
        project = _full_project(s, project_id)
        mine, note = _my_stats_in(s, project_id, user.id)
        return MyStatsPage(project, mine, note)
