"""Projects over JSON: who am I, list, create, show, members (leads). Records, annotations and exports have their own
modules (records.py, annotations.py, exports.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from assay.domain.projects import ProjectSpec
from assay.schemas import MemberCreate, MemberPublic, ProjectCreate, ProjectPublic, UserPublic
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.projects import projects
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


@router.get("/projects/{project_id}/members", response_model=list[MemberPublic])
def list_members(request: Request, project_id: int, p: Principal = Depends(reader)) -> list[MemberPublic]:
    """The project's members with their roles (the project's leads and admins)."""
    db = ctx(request).db
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    return [MemberPublic.of(u, role) for u, role in projects.list_members(db, project_id)]


@router.post("/projects/{project_id}/members", response_model=MemberPublic, status_code=201)
def add_member(request: Request, project_id: int, body: MemberCreate, p: Principal = Depends(writer)) -> MemberPublic:
    """Add a person by username, or change their role in the project (leads and admins)."""
    db = ctx(request).db
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    projects.add_member(db, project_id, body.username, body.role, actor=p.user)
    return next(MemberPublic.of(u, role) for u, role in projects.list_members(db, project_id)
                if u.username == body.username)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
def remove_member(request: Request, project_id: int, user_id: int, p: Principal = Depends(writer)) -> Response:
    """Take a person out of the project; their live leases end (leads and admins; never the only lead)."""
    db = ctx(request).db
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    projects.remove_member(db, project_id, user_id, actor=p.user)
    return Response(status_code=204)
