"""Projects over JSON: who am I, list, create, show. Records, annotations and exports have their own
modules (records.py, annotations.py, exports.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from assay.domain.projects import ProjectSpec
from assay.schemas import ProjectCreate, ProjectPublic, UserPublic
from assay.services import policies, projects
from assay.services.auth import Principal
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["projects"])


@router.get("/me", response_model=UserPublic)
def me(p: Principal = Depends(reader)) -> UserPublic:
    return UserPublic.of(p.user)


@router.get("/projects", response_model=list[ProjectPublic])
def list_projects(request: Request, p: Principal = Depends(reader)) -> list[ProjectPublic]:
    db = ctx(request).db
    return [ProjectPublic.of(x, projects.progress(db, x.id, p.user.id)) for x in projects.list_projects(db, p.user)]


@router.post("/projects", response_model=ProjectPublic, status_code=201)
def create_project(request: Request, body: ProjectCreate, p: Principal = Depends(writer)) -> ProjectPublic:
    policies.create_project(p.user)
    spec = ProjectSpec.from_dict(body.model_dump())
    return ProjectPublic.of(projects.create_project(ctx(request).db, spec, p.user))


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(request: Request, project_id: int, p: Principal = Depends(reader)) -> ProjectPublic:
    db = ctx(request).db
    policies.view_project(p.user, projects.member_role(db, project_id, p.user.id))
    return ProjectPublic.of(projects.get_project(db, project_id), projects.progress(db, project_id, p.user.id))
