"""The lead's dashboard, a trainer's own stats, and the time report (page and CSV)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.projects import projects
from assay.services.quality import dashboard, gold
from assay.services.quality.dashboard import Bucket
from assay.services.workforce import timesheet
from assay.web.context import ctx
from assay.web.deps import DbDep, ProjectId, Reader, UserId, Writer
from assay.web.pages.common import page

router = APIRouter()


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


def chart_bars(buckets: list[Bucket], width: float = 720, height: float = 160) -> tuple[list[Bar], int]:
    """Geometry of an inline SVG bar chart (no JavaScript): one bar per bucket, scaled to the largest."""
    top = max((b.count for b in buckets), default=0) or 1
    step = width / max(len(buckets), 1)
    bars = []
    for i, b in enumerate(buckets):
        h = (height - 20) * b.count / top
        bars.append(Bar(round(i * step + 1, 2), round(height - 18 - h, 2), round(max(step - 2, 1), 2), round(h, 2),
                        b.start.strftime("%d %b %H:%M"), b.count))
    return bars, top


def _lead(request: Request, project_id: int, p: Principal) -> None:
    policies.manage_project(p.user, projects.member_role(ctx(request).db, project_id, p.user.id))


@router.get("/projects/{project_id}/dashboard")
def dashboard_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep, unit: str = "hour"
                   ) -> Response:
    view = dashboard.dashboard_page(db, project_id, p.user, unit)
    bars, top = chart_bars(view.board.throughput)
    return page(request, "dashboard.html", p, project=view.project, board=view.board, bars=bars, top=top,
                standings=view.standings)


@router.post("/projects/{project_id}/standing/{user_id}/resume")
async def resume(request: Request, project_id: ProjectId, user_id: UserId, p: Writer, db: DbDep) -> Response:
    _lead(request, project_id, p)
    gold.resume(db, project_id, user_id, p.user)
    return RedirectResponse(f"/projects/{project_id}/dashboard", status_code=303)


@router.get("/projects/{project_id}/my-stats")
def my_stats_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    view = dashboard.my_stats_page(db, project_id, p.user)
    return page(request, "dashboard_mine.html", p, project=view.project, mine=view.mine, note=view.note)


@router.get("/projects/{project_id}/timesheet")
def timesheet_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep, start: date | None = None,
                   end: date | None = None, format: str = "html") -> Response:
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=6)
    view = timesheet.timesheet_page(db, project_id, p.user, start, end)
    rows = view.rows
    if format == "csv":
        return Response(timesheet.timesheet_csv(rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="timesheet-{project_id}-{start}-{end}.csv"'})
    totals: dict[str, float] = {}
    for r in rows:
        totals[r.username] = totals.get(r.username, 0.0) + r.active_hours
    return page(request, "timesheet.html", p, project=view.project, rows=rows,
                totals=sorted(totals.items()), start=start, end=end)
