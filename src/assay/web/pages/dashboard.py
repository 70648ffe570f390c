"""The lead's dashboard, a trainer's own stats, and the time report (page and CSV)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from assay.services.quality import dashboard
from assay.services.quality.dashboard import ConfusionChoice
from assay.services.workforce import timesheet
from assay.web.deps import DbDep, ProjectId, Reader, UserId, Writer
from assay.web.pages.common import page

router = APIRouter()


ChoiceQuery = Annotated[str | None, Query(max_length=200, description="A question part or a username.")]
ChartName = Annotated[str, Path(max_length=40, description="A chart of the dashboard, e.g. throughput-day.")]


@router.get("/projects/{project_id}/dashboard")
def dashboard_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep, unit: str = "hour",
                   question: ChoiceQuery = None, a: ChoiceQuery = None, b: ChoiceQuery = None) -> Response:
    view = dashboard.dashboard_page(db, project_id, p.user, unit, ConfusionChoice(question, a, b))
    return page(request, "dashboard.html", p, project=view.project, board=view.board, standings=view.standings,
                charts=view.charts, confusion=view.confusion, nav_active="dashboard")


@router.get("/projects/{project_id}/dashboard/charts/{chart}.csv")
def chart_csv(project_id: ProjectId, chart: ChartName, p: Reader, db: DbDep, question: ChoiceQuery = None,
              a: ChoiceQuery = None, b: ChoiceQuery = None) -> Response:
    out = dashboard.chart_csv(db, project_id, p.user, chart, ConfusionChoice(question, a, b))
    return Response(out.text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{out.filename}"'})


@router.post("/projects/{project_id}/standing/{user_id}/resume")
async def resume(project_id: ProjectId, user_id: UserId, p: Writer, db: DbDep) -> Response:
    dashboard.resume_standing(db, project_id, user_id, p.user)
    return RedirectResponse(f"/projects/{project_id}/dashboard", status_code=303)


@router.get("/projects/{project_id}/my-stats")
def my_stats_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    view = dashboard.my_stats_page(db, project_id, p.user)
    return page(request, "dashboard_mine.html", p, project=view.project, mine=view.mine, note=view.note,
                nav_active="my-stats")


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
                totals=sorted(totals.items()), start=start, end=end, nav_active="timesheet")
