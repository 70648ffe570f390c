"""JSON twins of the quality pages: dashboard, my stats, agreement, aggregation, ranking, review, time
report, gold standing. Each handler checks a named policy and calls one service.

The routes that answer `plain(...)` data declare `response_model=None`: FastAPI then sends that data through
`jsonable_encoder` and the app's `SafeJSONResponse` (stored text that is not valid Unicode shown as U+FFFD)
instead of validating it against `Any` with pydantic, whose JSON mode fails on a lone surrogate in a dict key
(a stored record's metadata key made the review queue answer 500)."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from assay.schemas import ModelRankingPublic, MyStatsPublic, ReviewCreate
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import review
from assay.services.projects import projects
from assay.services.quality import dashboard, gold, metrics
from assay.services.workforce import timesheet
from assay.store.db import Db
from assay.web.deps import AnnotationId, DbDep, IntQuery, ProjectId, Reader, UserId, Writer

router = APIRouter(tags=["quality"])
ChoiceQuery = Annotated[str | None, Query(max_length=200, description="A question part or a username.")]


def _lead(db: Db, project_id: int, p: Principal) -> None:
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))


def plain(obj: Any) -> Any:
    """Dataclasses (and numpy scalars inside them) as JSON-able data; a NaN or infinite number as None (JSON
    has neither)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if hasattr(obj, "item"):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@router.get("/projects/{project_id}/dashboard", response_model=None)
def get_dashboard(project_id: ProjectId, p: Reader, db: DbDep, unit: str = "hour") -> Any:
    """The lead's dashboard: progress, throughput, agreement per question, a row per trainer, notices."""
    _lead(db, project_id, p)
    return plain(dashboard.dashboard(db, project_id, unit))


@router.get("/projects/{project_id}/dashboard/charts", response_model=None)
def get_dashboard_charts(project_id: ProjectId, p: Reader, db: DbDep, question: ChoiceQuery = None,
                         a: ChoiceQuery = None, b: ChoiceQuery = None) -> Any:
    """The dashboard's charts: per chart its name, title, caption, table (columns, rows: also its CSV at
    /projects/{id}/dashboard/charts/{name}.csv) and drawing spec; `question`, `a`, `b` choose the confusion
    matrix (a question part and two annotators)."""
    return plain(dashboard.dashboard_charts(db, project_id, p.user, dashboard.ConfusionChoice(question, a, b)))


@router.get("/projects/{project_id}/my-stats", response_model=MyStatsPublic)
def my_stats(project_id: ProjectId, p: Reader, db: DbDep) -> MyStatsPublic:
    """The caller's own numbers in the project (never anyone else's)."""
    policies.annotate(p.user, projects.member_role(db, project_id, p.user.id))
    mine, note = dashboard.my_stats(db, project_id, p.user.id)
    return MyStatsPublic(stats=plain(mine), notice=note)


@router.get("/projects/{project_id}/agreement", response_model=None)
def agreement(project_id: ProjectId, p: Reader, db: DbDep) -> Any:
    _lead(db, project_id, p)
    return plain(metrics.agreement(db, project_id))


@router.get("/projects/{project_id}/aggregate/{question}", response_model=None)
def aggregate(project_id: ProjectId, question: str, p: Reader, db: DbDep, method: str = "dawid_skene") -> Any:
    _lead(db, project_id, p)
    return plain(metrics.aggregate(db, project_id, question, method))


@router.get("/projects/{project_id}/model-ranking", response_model=ModelRankingPublic)
def model_ranking(project_id: ProjectId, p: Reader, db: DbDep, bootstrap: IntQuery = 200) -> ModelRankingPublic:
    _lead(db, project_id, p)
    n, scores = metrics.rank_models(db, project_id, n_bootstrap=max(0, min(bootstrap, 2000)))
    return ModelRankingPublic(comparisons=n, models=plain(scores))


@router.get("/projects/{project_id}/timesheet", response_model=None)
def get_timesheet(project_id: ProjectId, start: date, end: date, p: Reader, db: DbDep,
                  format: str = "json") -> Any:
    """Active hours per trainer per day (`start`..`end` inclusive); `format=csv` for a CSV file."""
    _lead(db, project_id, p)
    rows = timesheet.timesheet(db, project_id, start, end)
    if format == "csv":
        return Response(timesheet.timesheet_csv(rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="timesheet-{project_id}-{start}-{end}.csv"'})
    return plain(rows)


@router.get("/projects/{project_id}/gold/standing", response_model=None)
def standing(project_id: ProjectId, p: Reader, db: DbDep) -> Any:
    _lead(db, project_id, p)
    return plain(gold.standings(db, project_id))


@router.post("/projects/{project_id}/gold/standing/{user_id}/resume", status_code=204)
def resume(project_id: ProjectId, user_id: UserId, p: Writer, db: DbDep) -> Response:
    _lead(db, project_id, p)
    gold.resume(db, project_id, user_id, p.user)
    return Response(status_code=204)


@router.get("/projects/{project_id}/review/queue", response_model=None)
def review_queue(project_id: ProjectId, p: Reader, db: DbDep, limit: IntQuery = 20, show: str | None = None,
                 annotator: str | None = None) -> Any:
    """The caller's review queue (`show`: pending | disagreement | gold_failed; `annotator`: a username)."""
    return plain(review.queue_as(db, project_id, p.user, max(1, min(limit, 200)),
                                 review.QueueFilter.of(show, annotator)))


@router.post("/projects/{project_id}/annotations/{annotation_id}/review", response_model=None)
def decide(project_id: ProjectId, annotation_id: AnnotationId, body: ReviewCreate, p: Writer, db: DbDep) -> Any:
    return plain(review.decide_as(db, project_id, annotation_id, p.user, body.decision, body.comment))
