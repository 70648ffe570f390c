"""Projects: create from a spec, list per person, membership, progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from assay.domain.projects import Project, ProjectProgress, ProjectSpec
from assay.domain.users import Role, User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.quality.gold import Standing, standings_in
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row, user_from_row
from assay.store.queries import feeds as feeds_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q
from assay.store.queries import users as users_q
from assay.store.tables import ProjectRow

MEMBER_ROLES = ("lead", "reviewer", "annotator")
Authorize = Callable[[str | None], None]  # a permission policy bound to the caller: raises or returns


def _load(s: Tx, project_id: int) -> ProjectRow:
    row = projects_q.get(s, project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return row


def create_project(db: Db, spec: ProjectSpec, actor: User | None = None) -> Project:
    """Create a project from a spec; the creator becomes its lead. Raises Conflict on a taken name."""
    with db.write() as s:
        if projects_q.name_taken(s, spec.name):
            raise Conflict(f"a project named {spec.name!r} exists; choose another name or update it")
        row = projects_q.add(s, spec, actor.id if actor else None)
        if actor is not None:
            members_q.put(s, row.id, actor.id, "lead")
        record_event(s, actor.id if actor else None, "project.create", spec.name)
        return project_from_row(row)


def get_project(db: Db, project_id: int) -> Project:
    """Raises NotFound for an unknown id."""
    with db.read() as s:
        return project_from_row(_load(s, project_id))


def find_project(db: Db, name_or_id: str) -> Project:
    """Look a project up by name, or by numeric id."""
    with db.read() as s:
        row = projects_q.by_name(s, name_or_id)
        if row is None and name_or_id.isdigit():
            row = projects_q.get(s, int(name_or_id))
        if row is None:
            raise NotFound(f"no project named {name_or_id!r}; list them with `assay projects ls`")
        return project_from_row(row)


def list_projects(db: Db, user: User) -> list[Project]:
    """Projects the person belongs to (all projects for an admin)."""
    with db.read() as s:
        return [project_from_row(r) for r in projects_q.visible(s, None if user.is_admin else user.id)]


def list_with_progress(db: Db, user: User) -> list[tuple[Project, ProjectProgress]]:
    """`list_projects`, each project with its `progress` for the person, in one read transaction (the
    project list page and `GET /api/v1/projects`)."""
    with db.read() as s:
        return [(project_from_row(r), progress_in(s, r.id, user.id))
                for r in projects_q.visible(s, None if user.is_admin else user.id)]


def with_progress(db: Db, project_id: int, user_id: int) -> tuple[Project, ProjectProgress]:
    """The project and its `progress` for the person, in one read transaction. NotFound for an unknown id."""
    with db.read() as s:
        return project_from_row(_load(s, project_id)), progress_in(s, project_id, user_id)


def member_role(db: Db, project_id: int, user_id: int) -> str | None:
    """The person's role in the project, or None when not a member."""
    with db.read() as s:
        return role_in(s, project_id, user_id)


def role_in(s: Tx, project_id: int, user_id: int) -> str | None:
    """`member_role` inside the caller's transaction (one primary-key lookup)."""
    return members_q.role_of(s, project_id, user_id)


def _authorize(s: Tx, project_id: int, actor: User | None, authorize: Authorize | None) -> None:
    """Run the caller's policy on the actor's role in the project, inside the caller's transaction."""
    if authorize is not None:
        if actor is None:
            raise ValueError("authorize needs the actor whose role it checks")
        authorize(role_in(s, project_id, actor.id))


def add_member(db: Db, project_id: int, username: str, role: str = "annotator", actor: User | None = None,
               *, authorize: Authorize | None = None) -> tuple[User, str]:
    """Add (or change the role of) a member; returns (person, role) as `list_members` shows them. With
    `authorize` (e.g. `functools.partial(policies.manage_project, actor)`), the actor's role is checked by it
    first, in the same write transaction. Raises Invalid for an unknown role, NotFound for an unknown user
    or project."""
    with db.write() as s:
        _authorize(s, project_id, actor, authorize)
        if role not in MEMBER_ROLES:
            raise Invalid(f"member role must be one of {', '.join(MEMBER_ROLES)}")
        project = _load(s, project_id)
        user = users_q.by_name(s, username)
        if user is None:
            raise NotFound(f"no user named {username!r}; add them with `assay users add`")
        members_q.put(s, project_id, user.id, role)
        record_event(s, actor.id if actor else None, "project.member", project.name, user=username, role=role)
        return user_from_row(user), role


def remove_member(db: Db, project_id: int, user_id: int, actor: User | None = None, *,
                  authorize: Authorize | None = None) -> None:
    """Take a person out of a project. Their live leases in it end at once (the records go back to the
    pool for others; their drafts and submitted annotations stay); they see the project no more.
    `authorize` as in `add_member` (checked first, same transaction). Raises NotFound when the project is
    unknown or the person is not a member, Conflict when they are its only lead (make someone else lead
    first)."""
    with db.write() as s:
        _authorize(s, project_id, actor, authorize)
        project = _load(s, project_id)
        row = members_q.get(s, project_id, user_id)
        if row is None:
            raise NotFound(f"user {user_id} is not a member of project {project.name!r}")
        if row.role == "lead" and members_q.count_in_role(s, project_id, "lead") <= 1:
            raise Conflict(f"that is the only lead of {project.name!r}; make someone else lead first")
        username = users_q.username_of(s, user_id) or str(user_id)
        members_q.remove(s, row)
        now = datetime.now(timezone.utc)
        ended = slots.end_leases_of(s, project_id, user_id, now)  # their slots go back to the pool
        record_event(s, actor.id if actor else None, "project.member.remove", project.name, user=username,
                     role=row.role, leases_ended=ended)


def list_members(db: Db, project_id: int) -> list[tuple[User, str]]:
    """(person, role in the project) for every member, by username. NotFound for an unknown project."""
    with db.read() as s:
        _load(s, project_id)
        return [(user_from_row(u), r) for u, r in members_q.members(s, project_id)]


def progress(db: Db, project_id: int, user_id: int | None = None) -> ProjectProgress:
    """Records done (k submitted) / in progress (some judgments or live leases) / to do."""
    with db.read() as s:
        return progress_in(s, project_id, user_id)


def progress_in(s: Tx, project_id: int, user_id: int | None = None) -> ProjectProgress:
    """`progress` inside the caller's transaction."""
    now = datetime.now(timezone.utc)
    project = _load(s, project_id)
    total, done, in_progress = records_q.progress_counts(s, project_id, project.annotators_per_record, now,
                                                         include_gold=True)
    submitted = feeds_q.submitted_count(s, project_id)
    mine = feeds_q.submitted_count(s, project_id, user_id) if user_id is not None else 0
    return ProjectProgress(records=total, done=done, in_progress=in_progress,
                           submitted_annotations=submitted, mine_submitted=mine)


@dataclass(frozen=True)
class ProjectOverview:
    """Everything the project page shows: `members` and `flagged` (people the gold check paused or warned)
    are empty unless the viewer leads the project (or is an admin)."""

    project: Project
    role: str | None
    is_lead: bool
    members: list[tuple[User, str]]
    flagged: list[Standing]
    progress: ProjectProgress


def overview(db: Db, project_id: int, user: User) -> ProjectOverview:
    """The project page's view, in one read transaction. Applies `policies.view_project` to the person's
    role (NotFound for a non-member) and raises NotFound for an unknown project."""
    with db.read() as s:
        role = role_in(s, project_id, user.id)
        policies.view_project(user, role)
        project = project_from_row(_load(s, project_id))
        is_lead = user.is_admin or role == "lead"
        members = [(user_from_row(u), r) for u, r in members_q.members(s, project_id)] if is_lead else []
        flagged = [st for st in standings_in(s, project_id) if st.state != "ok"] if is_lead else []
        return ProjectOverview(project=project, role=role, is_lead=is_lead, members=members, flagged=flagged,
                               progress=progress_in(s, project_id, user.id))


def site_role_may_create(user: User) -> bool:
    return user.role in (Role.admin, Role.lead)
