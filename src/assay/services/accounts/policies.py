"""Named permission policies. A handler loads the caller's project role and asks one of these.

Site roles: admin sees and does everything. Otherwise project membership decides: a project's lead runs it
(settings, members, exports, dashboards), a reviewer reviews in it, an annotator works their own queue.
"""

from __future__ import annotations

from assay.domain.users import Role, User
from assay.errors import Forbidden, NotFound


def _deny_unseen(member_role: str | None) -> None:
    if member_role is None:
        # Not a member: the project does not exist as far as this person is concerned.
        raise NotFound("no such project (or you are not a member of it)")


def view_project(user: User, member_role: str | None) -> None:
    if user.is_admin:
        return
    _deny_unseen(member_role)


def annotate(user: User, member_role: str | None) -> None:
    if user.is_admin:
        return
    _deny_unseen(member_role)


def manage_project(user: User, member_role: str | None) -> None:
    if user.is_admin:
        return
    _deny_unseen(member_role)
    if member_role != "lead":
        raise Forbidden("only the project's lead or an admin may do this")


def review(user: User, member_role: str | None) -> None:
    if user.is_admin:
        return
    _deny_unseen(member_role)
    if member_role not in ("lead", "reviewer"):
        raise Forbidden("only reviewers and leads of this project may review")


def create_project(user: User) -> None:
    if user.role not in (Role.admin, Role.lead):
        raise Forbidden("only admins and leads may create projects")


def read_datasets(user: User) -> None:
    """Datasets are site-wide, so only admins and leads read them (and explore, push or pull them)."""
    if user.role not in (Role.admin, Role.lead):
        raise Forbidden("only admins and leads may read datasets")


def manage_users(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("only admins may manage users")


def write_scope(scope: str) -> None:
    if scope != "write":
        raise Forbidden("this API token is read-only; create a token with scope 'write'")
