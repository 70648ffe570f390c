"""The reviewer's queue: accept or reject submitted annotations with a comment."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import review
from assay.services.projects import projects
from assay.web.context import ctx
from assay.web.deps import AnnotationId, DbDep, ProjectId, Reader, Writer
from assay.web.pages.common import page

router = APIRouter()


def _check(request: Request, project_id: int, p: Principal) -> None:
    policies.review(p.user, projects.member_role(ctx(request).db, project_id, p.user.id))


@router.get("/projects/{project_id}/review")
def review_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    view = review.review_page(db, project_id, p.user, limit=10, history_limit=20)
    return page(request, "review.html", p, project=view.project, items=view.items, history=view.history,
                policy=view.policy)


@router.post("/projects/{project_id}/review/{annotation_id}")
async def decide(request: Request, project_id: ProjectId, annotation_id: AnnotationId, p: Writer, db: DbDep
                 ) -> Response:
    _check(request, project_id, p)
    form = await request.form()
    review.decide(db, project_id, annotation_id, p.user, str(form.get("decision", "")),
                  str(form.get("comment", "")))
    return RedirectResponse(f"/projects/{project_id}/review", status_code=303)
