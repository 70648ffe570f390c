"""Admin pages: people (create, reset password, role, deactivate), invite links, the audit log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from assay.errors import AssayError, Invalid
from assay.services.accounts import audit, invites, policies, users
from assay.services.accounts.auth import Principal
from assay.web.context import ctx
from assay.web.deps import BeforeId, DbDep, FormInt, InviteId, Reader, UserId, Writer
from assay.web.pages.common import page

router = APIRouter()


def _users_page(request: Request, p: Principal, status_code: int = 200, **extra: object) -> Response:
    db = ctx(request).db
    extra.setdefault("error", "")
    extra.setdefault("message", "")
    extra.setdefault("invite_link", "")
    return page(request, "admin_users.html", p, status_code=status_code, people=users.list_users(db),
                invites=invites.list_invites(db), roles=["annotator", "reviewer", "lead", "admin"], **extra)


def _done(request: Request, p: Principal, action: Callable[[], object]) -> Response:
    """Run an admin action; on a user error show the page again with the message, else go back."""
    try:
        action()
    except AssayError as e:
        return _users_page(request, p, status_code=e.status, error=e.message)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, p: Reader) -> Response:
    policies.manage_users(p.user)
    return _users_page(request, p)


@router.post("/admin/users")
def create_user(request: Request, p: Writer, db: DbDep, username: str = Form(...), password: str = Form(...),
                role: str = Form("annotator"), display_name: str = Form("")) -> Response:
    policies.manage_users(p.user)
    return _done(request, p, lambda: users.add_user(db, username, password, role, display_name,
                                                    actor_id=p.user.id))


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, user_id: UserId, p: Writer, db: DbDep, password: str = Form(...)
                   ) -> Response:
    """Set a new password for someone; ends all of their sessions and API tokens, and the page says how many."""
    policies.manage_users(p.user)
    try:
        ended = users.set_password(db, user_id, password, actor_id=p.user.id)
    except AssayError as e:
        return _users_page(request, p, status_code=e.status, error=e.message)
    return _users_page(request, p, message=f"password of {users.get_user(db, user_id).username} reset; "
                       f"{ended.describe()}")


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, user_id: UserId, p: Writer, db: DbDep, active: str = Form(...)) -> Response:
    """Activate (active=true) or deactivate (active=false; ends their sessions and tokens at once)."""
    policies.manage_users(p.user)
    if active not in ("true", "false"):
        raise Invalid("active must be 'true' or 'false'")
    return _done(request, p, lambda: users.set_active(db, user_id, active == "true",
                                                      actor_id=p.user.id))


@router.post("/admin/users/{user_id}/role")
def set_role(request: Request, user_id: UserId, p: Writer, db: DbDep, role: str = Form(...)) -> Response:
    policies.manage_users(p.user)
    return _done(request, p, lambda: users.set_role(db, user_id, role, actor_id=p.user.id))


@router.post("/admin/invites")
def create_invite(request: Request, p: Writer, db: DbDep, role: str = Form("annotator"), hours: FormInt = 72,
                  note: str = Form("")) -> Response:
    """Create an invite link and show it once."""
    policies.manage_users(p.user)
    try:
        raw, inv = invites.create_invite(db, role, p.user.id, hours, note)
    except AssayError as e:
        return _users_page(request, p, status_code=e.status, error=e.message)
    link = str(request.base_url).rstrip("/") + f"/invite/{raw}"
    return _users_page(request, p, invite_link=link,
                       message=f"invite {inv.id} for a {inv.role.value} created; it expires {inv.expires_at:%Y-%m-%d %H:%M} UTC")


@router.post("/admin/invites/{invite_id}/revoke")
def revoke_invite(request: Request, invite_id: InviteId, p: Writer, db: DbDep) -> Response:
    policies.manage_users(p.user)
    return _done(request, p, lambda: invites.revoke_invite(db, invite_id, p.user.id))


@router.get("/admin/audit")
def audit_page(request: Request, p: Reader, db: DbDep, action: str = "", username: str = "",
               before: BeforeId = None) -> Response:
    """The audit log, newest first, 200 per page (filter by action prefix and actor)."""
    policies.manage_users(p.user)
    events = audit.list_events(db, 200, before, action, username)
    return page(request, "admin_audit.html", p, events=events, action=action, username=username,
                older=events[-1].id if len(events) == 200 else None)
