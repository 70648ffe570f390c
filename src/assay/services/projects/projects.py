"""Projects: create from a spec, list per person, membership, progress."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, selectinload

from assay.domain.projects import Project, ProjectProgress, ProjectSpec
from assay.domain.users import Role, User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.store.db import Db
from assay.store.mappers import project_from_row
from assay.store.tables import (
    AnnotationRow,
    AssignmentRow,
    MemberRow,
    ProjectRow,
    QuestionRow,
    RecordRow,
    UserRow,
)

MEMBER_ROLES = ("lead", "reviewer", "annotator")


def _load(s: Session, project_id: int) -> ProjectRow:
    row = s.get(ProjectRow, project_id, options=[selectinload(ProjectRow.questions)])
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return row


def create_project(db: Db, spec: ProjectSpec, actor: User | None = None) -> Project:
    """Create a project from a spec; the creator becomes its lead. Raises Conflict on a taken name."""
    with db.transaction() as s:
        if s.scalar(select(ProjectRow.id).where(ProjectRow.name == spec.name)) is not None:
            raise Conflict(f"a project named {spec.name!r} exists; choose another name or update it")
        row = ProjectRow(name=spec.name, title=spec.title, guidelines=spec.guidelines,
                         annotators_per_record=spec.annotators_per_record, lease_seconds=spec.lease_minutes * 60,
                         settings=spec.settings, created_by=actor.id if actor else None)
        row.questions = [QuestionRow(position=i, name=q.name, kind=q.kind.value, title=q.title, help=q.help,
                                     required=q.required, options=q.options) for i, q in enumerate(spec.questions)]
        s.add(row)
        s.flush()
        if actor is not None:
            s.add(MemberRow(project_id=row.id, user_id=actor.id, role="lead"))
        record_event(s, actor.id if actor else None, "project.create", spec.name)
        return project_from_row(row)


def get_project(db: Db, project_id: int) -> Project:
    with db.transaction() as s:
        return project_from_row(_load(s, project_id))


def find_project(db: Db, name_or_id: str) -> Project:
    """Look a project up by name, or by numeric id."""
    with db.transaction() as s:
        row = s.scalar(select(ProjectRow).where(ProjectRow.name == name_or_id))
        if row is None and name_or_id.isdigit():
            row = s.get(ProjectRow, int(name_or_id))
        if row is None:
            raise NotFound(f"no project named {name_or_id!r}; list them with `assay projects ls`")
        return project_from_row(row)


def list_projects(db: Db, user: User) -> list[Project]:
    """Projects the person belongs to (all projects for an admin)."""
    with db.transaction() as s:
        q = select(ProjectRow).options(selectinload(ProjectRow.questions)).order_by(ProjectRow.id)
        if not user.is_admin:
            q = q.join(MemberRow, and_(MemberRow.project_id == ProjectRow.id, MemberRow.user_id == user.id))
        return [project_from_row(r) for r in s.scalars(q)]


def member_role(db: Db, project_id: int, user_id: int) -> str | None:
    """The person's role in the project, or None when not a member."""
    with db.transaction() as s:
        return role_in(s, project_id, user_id)


def role_in(s: Session, project_id: int, user_id: int) -> str | None:
    """`member_role` inside the caller's transaction (one primary-key lookup)."""
    return s.scalar(select(MemberRow.role).where(MemberRow.project_id == project_id,
                                                 MemberRow.user_id == user_id))


def add_member(db: Db, project_id: int, username: str, role: str = "annotator", actor: User | None = None) -> None:
    """Add (or change the role of) a member. Raises NotFound for an unknown user or project."""
    if role not in MEMBER_ROLES:
        raise Invalid(f"member role must be one of {', '.join(MEMBER_ROLES)}")
    with db.transaction() as s:
        project = _load(s, project_id)
        user = s.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            raise NotFound(f"no user named {username!r}; add them with `assay users add`")
        row = s.get(MemberRow, (project_id, user.id))
        if row is None:
            s.add(MemberRow(project_id=project_id, user_id=user.id, role=role))
        else:
            row.role = role
        record_event(s, actor.id if actor else None, "project.member", project.name, user=username, role=role)


def remove_member(db: Db, project_id: int, user_id: int, actor: User | None = None) -> None:
    """Take a person out of a project. Their live leases in it end at once (the records go back to the
    pool for others; their drafts and submitted annotations stay); they see the project no more.
    Raises NotFound when the project is unknown or the person is not a member, Conflict when they are
    its only lead (make someone else lead first)."""
    with db.transaction() as s:
        project = _load(s, project_id)
        row = s.get(MemberRow, (project_id, user_id))
        if row is None:
            raise NotFound(f"user {user_id} is not a member of project {project.name!r}")
        if row.role == "lead":
            leads = s.scalar(select(func.count()).select_from(MemberRow).where(
                MemberRow.project_id == project_id, MemberRow.role == "lead")) or 0
            if leads <= 1:
                raise Conflict(f"that is the only lead of {project.name!r}; make someone else lead first")
        username = s.scalar(select(UserRow.username).where(UserRow.id == user_id)) or str(user_id)
        s.delete(row)
        now = datetime.now(timezone.utc)
        ended = s.execute(update(AssignmentRow).where(
            AssignmentRow.project_id == project_id, AssignmentRow.user_id == user_id,
            AssignmentRow.status == "leased").values(status="expired", expires_at=now)
            .returning(AssignmentRow.record_id)).scalars().all()
        for rid in sorted(ended):
            s.execute(update(RecordRow).where(RecordRow.id == rid, RecordRow.leased_count > 0)
                      .values(leased_count=RecordRow.leased_count - 1))
        record_event(s, actor.id if actor else None, "project.member.remove", project.name, user=username,
                     role=row.role, leases_ended=len(ended))


def list_members(db: Db, project_id: int) -> list[tuple[User, str]]:
    """(person, role in the project) for every member, by username. NotFound for an unknown project."""
    from assay.store.mappers import user_from_row

    with db.transaction() as s:
        _load(s, project_id)
        rows = s.execute(select(UserRow, MemberRow.role).join(MemberRow, MemberRow.user_id == UserRow.id)
                         .where(MemberRow.project_id == project_id).order_by(UserRow.username))
        return [(user_from_row(u), r) for u, r in rows]


def progress(db: Db, project_id: int, user_id: int | None = None) -> ProjectProgress:
    """Records done (k submitted) / in progress (some judgments or live leases) / to do."""
    now = datetime.now(timezone.utc)
    with db.transaction() as s:
        project = _load(s, project_id)
        k = project.annotators_per_record
        total = s.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.project_id == project_id)) or 0
        done = s.scalar(select(func.count()).select_from(RecordRow).where(
            RecordRow.project_id == project_id, RecordRow.submitted_count >= k)) or 0
        leased = select(AssignmentRow.record_id).where(
            AssignmentRow.project_id == project_id, AssignmentRow.status == "leased", AssignmentRow.expires_at > now)
        in_progress = s.scalar(select(func.count()).select_from(RecordRow).where(
            RecordRow.project_id == project_id, RecordRow.submitted_count < k,
            (RecordRow.submitted_count > 0) | RecordRow.id.in_(leased))) or 0
        submitted = s.scalar(select(func.count()).select_from(AnnotationRow).where(
            AnnotationRow.project_id == project_id, AnnotationRow.status == "submitted")) or 0
        mine = 0
        if user_id is not None:
            mine = s.scalar(select(func.count()).select_from(AnnotationRow).where(
                AnnotationRow.project_id == project_id, AnnotationRow.user_id == user_id,
                AnnotationRow.status == "submitted")) or 0
        return ProjectProgress(records=total, done=done, in_progress=in_progress,
                               submitted_annotations=submitted, mine_submitted=mine)


def site_role_may_create(user: User) -> bool:
    return user.role in (Role.admin, Role.lead)
