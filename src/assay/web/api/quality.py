"""JSON twins of the quality pages: dashboard, my stats, agreement, aggregation, ranking, review, time
report, gold standing. Each handler checks a named policy and calls one service."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import review
from assay.services.projects import projects
from assay.services.quality import dashboard, gold, metrics
from assay.services.workforce import timesheet
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["quality"])


def _role(request: Request, project_id: int, p: Principal) -> str | None:
    return projects.member_role(ctx(request).db, project_id, p.user.id)


def _lead(request: Request, project_id: int, p: Principal) -> None:
    policies.manage_project(p.user, _role(request, project_id, p))


def plain(obj: Any) -> Any:
    """Dataclasses (and numpy scalars inside them) as JSON-able data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    return obj


@router.get("/projects/{project_id}/dashboard")
def get_dashboard(request: Request, project_id: int, unit: str = "hour", p: Principal = Depends(reader)) -> Any:
    """The lead's dashboard: progress, throughput, agreement per question, a row per trainer, notices."""
    _lead(request, project_id, p)
    return plain(dashboard.dashboard(ctx(request).db, project_id, unit))


@router.get("/projects/{project_id}/my-stats")
def my_stats(request: Request, project_id: int, p: Principal = Depends(reader)) -> Any:
    """The caller's own numbers in the project (never anyone else's)."""
    policies.annotate(p.user, _role(request, project_id, p))
    mine, note = dashboard.my_stats(ctx(request).db, project_id, p.user.id)
    return {"stats": plain(mine), "notice": note}


@router.get("/projects/{project_id}/agreement")
def agreement(request: Request, project_id: int, p: Principal = Depends(reader)) -> Any:
    _lead(request, project_id, p)
    return plain(metrics.agreement(ctx(request).db, project_id))


@router.get("/projects/{project_id}/aggregate/{question}")
def aggregate(request: Request, project_id: int, question: str, method: str = "dawid_skene",
              p: Principal = Depends(reader)) -> Any:
    _lead(request, project_id, p)
    return plain(metrics.aggregate(ctx(request).db, project_id, question, method))


@router.get("/projects/{project_id}/model-ranking")
def model_ranking(request: Request, project_id: int, bootstrap: int = 200, p: Principal = Depends(reader)) -> Any:
    _lead(request, project_id, p)
    n, scores = metrics.rank_models(ctx(request).db, project_id, n_bootstrap=max(0, min(bootstrap, 2000)))
    return {"comparisons": n, "models": plain(scores)}


@router.get("/projects/{project_id}/timesheet")
def get_timesheet(request: Request, project_id: int, start: date, end: date, format: str = "json",
                  p: Principal = Depends(reader)) -> Any:
    """Active hours per trainer per day (`start`..`end` inclusive); `format=csv` for a CSV file."""
    _lead(request, project_id, p)
    rows = timesheet.timesheet(ctx(request).db, project_id, start, end)
    if format == "csv":
        return Response(timesheet.timesheet_csv(rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="timesheet-{project_id}-{start}-{end}.csv"'})
    return plain(rows)


@router.get("/projects/{project_id}/gold/standing")
def standing(request: Request, project_id: int, p: Principal = Depends(reader)) -> Any:
    _lead(request, project_id, p)
    return plain(gold.standings(ctx(request).db, project_id))


@router.post("/projects/{project_id}/gold/standing/{user_id}/resume", status_code=204)
def resume(request: Request, project_id: int, user_id: int, p: Principal = Depends(writer)) -> Response:
    _lead(request, project_id, p)
    gold.resume(ctx(request).db, project_id, user_id, p.user)
    return Response(status_code=204)


@router.get("/projects/{project_id}/review/queue")
def review_queue(request: Request, project_id: int, limit: int = 20, p: Principal = Depends(reader)) -> Any:
    policies.review(p.user, _role(request, project_id, p))
    return plain(review.review_queue(ctx(request).db, project_id, p.user.id, limit=max(1, min(limit, 200))))


class ReviewCreate(BaseModel):
    decision: str
    comment: str = ""


@router.post("/projects/{project_id}/annotations/{annotation_id}/review")
def decide(request: Request, project_id: int, annotation_id: int, body: ReviewCreate,
           p: Principal = Depends(writer)) -> Any:
    policies.review(p.user, _role(request, project_id, p))
    return plain(review.decide(ctx(request).db, project_id, annotation_id, p.user, body.decision, body.comment))
