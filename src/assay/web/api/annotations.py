"""Submitted annotations over JSON, read incrementally with a cursor (`?after=<last id>&limit=`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from assay.schemas import AnnotationPage, AnnotationPublic
from assay.services.accounts import policies
from assay.services.projects import feeds, projects
from assay.web.deps import AfterId, DbDep, ProjectId, Reader

router = APIRouter(tags=["annotations"])


@router.get("/projects/{project_id}/annotations", response_model=AnnotationPage)
def list_annotations(project_id: ProjectId, p: Reader, db: DbDep, after: AfterId = 0,
                     limit: Annotated[int, Query(ge=1, le=feeds.MAX_LIMIT,
                                                 description=f"Page size, 1..{feeds.MAX_LIMIT}.")] = 500,
                     ) -> AnnotationPage:
    """Submitted annotations in id order (drafts never). Leads and admins get everyone's; other members
    get only their own."""
    role = projects.member_role(db, project_id, p.user.id)
    policies.view_project(p.user, role)
    mine_only = not (p.user.is_admin or role == "lead")
    page = feeds.annotations_page(db, project_id, after=after, limit=limit,
                                  user_id=p.user.id if mine_only else None)
    items = [AnnotationPublic(id=a.id, project_id=a.project_id, record_id=a.record_id,
                              record_external_id=a.record_external_id, annotator=a.annotator, answers=a.answers,
                              active_seconds=a.active_seconds, revision=a.revision, submitted_at=a.submitted_at)
             for a in page]
    return AnnotationPage(items=items, next_after=page[-1].id if len(page) == limit else None)
