"""The reviewer's page: one submitted annotation at a time, read-only, with accept / reject / return.

GET /projects/{id}/review?show=<pending|disagreement|gold_failed>&annotator=<username>&at=<annotation>&i=<n>
POST /projects/{id}/review/{annotation_id} (decision, comment; next, i, show, annotator keep the place)

Each handler makes one service call (`assay.services.annotation.review_view`), which checks the review
policy. A refused decision (no comment, already reviewed) answers the same page with the error inline and
the typed comment kept (422 / 409), never a bare error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from assay.schemas.common import MAX_ID
from assay.services.accounts.auth import Principal
from assay.services.annotation.review import QueueFilter
from assay.services.annotation.review_view import ReviewPage, decide_on_page
from assay.services.annotation.review_view import review_page as review_view
from assay.web.deps import AnnotationId, DbDep, ProjectId, Reader, Writer
from assay.web.pages.common import page

router = APIRouter()

AtQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="The annotation to show.")]
PositionQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="The 1-based position to fall back to.")]
TextQuery = Annotated[str | None, Query(max_length=200)]


def _render(request: Request, p: Principal, view: ReviewPage, *, error: str = "", comment: str = "",
            decision: str = "", status_code: int = 200) -> Response:
    return page(request, "review.html", p, status_code=status_code, view=view, project=view.project,
                project_role=view.role, nav_active="review", error=error, comment=comment, decision=decision)


@router.get("/projects/{project_id}/review")
def review_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep, show: TextQuery = None,
                annotator: TextQuery = None, at: AtQuery = None, i: PositionQuery = None) -> Response:
    view = review_view(db, project_id, p.user, QueueFilter.of(show, annotator), at=at, index=i)
    return _render(request, p, view)


def _int(v: object) -> int | None:
    try:
        n = int(str(v))
    except ValueError:
        return None
    return n if 1 <= n <= MAX_ID else None


@router.post("/projects/{project_id}/review/{annotation_id}")
async def decide(request: Request, project_id: ProjectId, annotation_id: AnnotationId, p: Writer, db: DbDep
                 ) -> Response:
    form = await request.form()
    comment, decision = str(form.get("comment", ""))[:20_000], str(form.get("decision", ""))
    out = decide_on_page(db, project_id, annotation_id, p.user, decision, comment,
                         QueueFilter.of(str(form.get("show", "") or ""), str(form.get("annotator", "") or "")),
                         next_id=_int(form.get("next", "")), index=_int(form.get("i", "")))
    if out.page is not None:
        return _render(request, p, out.page, error=out.error, comment=comment, decision=decision,
                       status_code=out.status)
    return RedirectResponse(out.redirect, status_code=303)
