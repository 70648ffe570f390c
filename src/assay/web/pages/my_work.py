"""A trainer's own work in a project: the queue page (gold standing, pause reason, "my recent submissions"
with links to reopen them) and the edit history of one annotation (page and JSON), for its author and for
the project's leads and reviewers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from assay.schemas import HistoryPublic, RevisionPublic
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import history as annotation_history
from assay.services.projects import projects
from assay.services.quality import gold
from assay.store.db import Db
from assay.web.context import ctx
from assay.web.deps import DbDep, IntQuery, ProjectId, Reader, RecordId, UserQuery
from assay.web.pages.answer_summary import summarize_all
from assay.web.pages.common import page

router = APIRouter()


def standing_of(db: Db, project_id: int, user_id: int) -> gold.Standing | None:
    """The person's gold standing in the project when it is not "ok" (warned or paused), else None."""
    return next((s for s in gold.standings(db, project_id) if s.user_id == user_id and s.state != "ok"), None)


def queue_page(request: Request, project_id: int, p: Principal, *, status_code: int = 200,
               refused: str = "", limit: IntQuery = 50) -> Response:
    """Render the person's queue page (the caller has checked the annotate policy). `refused`: why `next`
    refused to serve a record (e.g. the gold pause), shown at the top."""
    db = ctx(request).db
    project, progress = projects.with_progress(db, project_id, p.user.id)
    return page(request, "my_work.html", p, status_code=status_code, project=project, progress=progress,
                refused=refused,
                standing=standing_of(db, project_id, p.user.id),
                items=annotation_history.recent(db, project_id, p.user.id, limit=limit))


@router.get("/projects/{project_id}/my-work")
def my_work(request: Request, project_id: ProjectId, p: Reader, db: DbDep, limit: IntQuery = 50) -> Response:
    """Your queue in this project: start or continue, your gold standing, your recent submissions."""
    policies.annotate(p.user, projects.member_role(db, project_id, p.user.id))
    return queue_page(request, project_id, p, limit=limit)


def _history_for(request: Request, project_id: int, record_id: int, p: Principal, user: int | None) -> tuple[int, Any]:
    """(whose history, revisions) after the policy check: your own, or anyone's for leads and reviewers."""
    db = ctx(request).db
    role = projects.member_role(db, project_id, p.user.id)
    who = p.user.id if user is None else user
    if who == p.user.id:
        policies.annotate(p.user, role)
    else:
        policies.review(p.user, role)
    return who, annotation_history.history(db, project_id, record_id, who)


@router.get("/projects/{project_id}/records/{record_id}/history.json", response_model=HistoryPublic)
def history_json(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader,
                 user: UserQuery = None) -> HistoryPublic:
    """The submits of one annotation, oldest first (`assay.schemas.HistoryPublic`). Yours; leads and
    reviewers pass `?user=ID`."""
    who, revs = _history_for(request, project_id, record_id, p, user)
    return HistoryPublic(project_id=project_id, record_id=record_id, user_id=who, revisions=[
        RevisionPublic(number=r.number, user_id=r.user_id, username=r.username, created_at=r.created_at.isoformat(),
                       answers=r.answers, active_seconds=r.active_seconds, submission_id=r.submission_id)
        for r in revs])


@router.get("/projects/{project_id}/records/{record_id}/history")
def history_page(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep,
                 user: UserQuery = None) -> Response:
    """The same history as a page, each submit's answers as short sentences."""
    who, revs = _history_for(request, project_id, record_id, p, user)
    project = projects.get_project(db, project_id)
    return page(request, "my_work_history.html", p, project=project, record_id=record_id, user_id=who,
                own=who == p.user.id,
                history=[(r, summarize_all(project.questions, r.answers)) for r in reversed(revs)])
