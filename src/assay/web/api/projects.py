"""Projects over JSON: who am I, list, create, show, members (leads). Records, annotations and exports have their own
modules (records.py, annotations.py, exports.py)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from starlette.responses import Response

from assay.domain.projects import ProjectSpec
from assay.schemas import MemberCreate, MemberPublic, ProjectCreate, ProjectPublic, UserPublic
from assay.services.accounts import policies
from assay.services.projects import projects
from assay.web.deps import DbDep, ProjectId, Reader, UserId, Writer

router = APIRouter(tags=["projects"])


@router.get("/me", response_model=UserPublic)
def me(p: Reader) -> UserPublic:
    return UserPublic.of(p.user)


@router.get("/projects", response_model=list[ProjectPublic])
def list_projects(p: Reader, db: DbDep) -> list[ProjectPublic]:
    return [ProjectPublic.of(x, progress) for x, progress in projects.list_with_progress(db, p.user)]


@router.post("/projects", response_model=ProjectPublic, status_code=201)
def create_project(body: ProjectCreate, p: Writer, db: DbDep) -> ProjectPublic:
    policies.create_project(p.user)
    spec = ProjectSpec.from_dict(body.model_dump())
    return ProjectPublic.of(projects.create_project(db, spec, p.user))


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(project_id: ProjectId, p: Reader, db: DbDep) -> ProjectPublic:
    policies.view_project(p.user, projects.member_role(db, project_id, p.user.id))
    return ProjectPublic.of(*projects.with_progress(db, project_id, p.user.id))


@router.get("/projects/{project_id}/members", response_model=list[MemberPublic])
def list_members(project_id: ProjectId, p: Reader, db: DbDep) -> list[MemberPublic]:
    """The project's members with their roles (the project's leads and admins)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    return [MemberPublic.of(u, role) for u, role in projects.list_members(db, project_id)]


@router.post("/projects/{project_id}/members", response_model=MemberPublic, status_code=201)
def add_member(project_id: ProjectId, body: MemberCreate, p: Writer, db: DbDep) -> MemberPublic:
    """Add a person by username, or change their role in the project (leads and admins)."""
    return MemberPublic.of(*projects.add_member(db, project_id, body.username, body.role, actor=p.user,
                                                authorize=partial(policies.manage_project, p.user)))


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
def remove_member(project_id: ProjectId, user_id: UserId, p: Writer, db: DbDep) -> Response:
    """Take a person out of the project; their live leases end (leads and admins; never the only lead)."""
    projects.remove_member(db, project_id, user_id, actor=p.user, authorize=partial(policies.manage_project, p.user))
    return Response(status_code=204)
