"""The navigation view models: the site's top bar (`site_nav`) and a project's sub-navigation (`project_nav`).

Both are pure functions of who is looking (site role, role in the project), the project and the current path,
so the templates stay free of permission logic. Visibility follows the named policies in
`services/accounts/policies.py` (admins see everything; a project's lead runs it; reviewers and leads review;
every member annotates) and `read_datasets` / `create_project` for the site-wide pages. A link shown here is
a page the viewer may open; a page the viewer may open is linked here or from a page linked here (the crawl
test in tests/web/test_crawl_roles.py checks both against the permission matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

from assay.domain.projects import Project
from assay.domain.users import Role, User


@dataclass(frozen=True)
class NavItem:
    key: str  # stable name, also what `nav_active` names
    label: str
    href: str
    active: bool = False

    @property
    def testid(self) -> str:
        return f"nav-{self.key}"


@dataclass(frozen=True)
class ProjectNav:
    """A project's sub-navigation for one viewer. `role` is the viewer's role in the project (None for an
    admin who is not a member)."""

    project_id: int
    title: str
    role: str | None
    is_lead: bool
    may_review: bool
    items: tuple[NavItem, ...]


def authoring_mode(project: Project) -> str | None:
    """The project's authoring mode ("prompt", "chat", "redteam"), or None when it is not an authoring
    project. Reads `settings.authoring` without validating it (the authoring pages do that)."""
    raw = (project.settings or {}).get("authoring")
    if not isinstance(raw, dict) or not raw:
        return None
    return str(raw.get("mode") or "prompt")


def is_code_project(project: Project) -> bool:
    return any(getattr(q.kind, "value", q.kind) == "code_review" for q in project.questions)


def site_nav(user: User | None, path: str) -> tuple[NavItem, ...]:
    """The top bar's links for `user` (empty when signed out). Sign-out is a form, not a link."""
    if user is None:
        return ()
    runs = user.role in (Role.admin, Role.lead)  # policies.create_project / read_datasets
    items = [("projects", "Projects", "/projects", True),
             ("new-project", "New project", "/new-project", runs),
             ("explore", "Datasets", "/explore", runs),
             ("endpoints", "Model endpoints", "/authoring/endpoints", runs),
             ("admin", "People", "/admin/users", user.is_admin),
             ("audit", "Audit", "/admin/audit", user.is_admin),
             ("account", "Account", "/account", True)]
    shown = [NavItem(k, label, href) for k, label, href, ok in items if ok]
    active = _active_key(shown, path, None)
    if active is None and (path == "/" or path.startswith("/projects")):
        active = "projects"
    return tuple(NavItem(i.key, i.label, i.href, i.key == active) for i in shown)


def project_nav(user: User, project: Project, role: str | None, path: str,
                nav_active: str | None = None) -> ProjectNav:
    """The project's sub-navigation for `user` whose role in `project` is `role`. `nav_active` names the
    active item; without it the item whose link matches `path` is active (the annotate page
    /projects/{id}/records/{rid} counts as Annotate, a record's judgments page as Records, an export job
    as Export)."""
    is_lead = user.is_admin or role == "lead"
    may_review = is_lead or role == "reviewer"
    base = f"/projects/{project.id}"
    mode = authoring_mode(project)
    spec: list[tuple[str, str, str, bool]] = [
        ("overview", "Overview", base, True),
        ("author", "Write with the model", f"{base}/author", mode is not None),
        ("annotate", "Annotate", f"{base}/next", mode in (None, "prompt")),
        ("my-work", "My work", f"{base}/my-work", True),
        ("my-stats", "My stats", f"{base}/my-stats", True),
        ("records", "Records", f"{base}/records", is_lead),
        ("gold", "Gold", f"{base}/gold", is_lead),
        ("import", "Import data", f"{base}/import", is_lead),
        ("review", "Review", f"{base}/review", may_review),
        ("reports", "Reports", f"{base}/reports", may_review),
        ("dashboard", "Dashboard", f"{base}/dashboard", is_lead),
        ("timesheet", "Time report", f"{base}/timesheet", is_lead),
        ("code", "Code", f"{base}/code", is_lead and is_code_project(project)),
        ("setup", "Settings", f"{base}/setup", is_lead),
        ("authoring-settings", "Model settings", f"{base}/authoring/settings", is_lead and mode is not None),
        ("export", "Export", f"{base}#export", is_lead),
    ]
    shown = [NavItem(k, label, href) for k, label, href, ok in spec if ok]
    active = nav_active or _project_active(base, path) or _active_key(shown, path, base)
    items = tuple(NavItem(i.key, i.label, i.href, i.key == active) for i in shown)
    return ProjectNav(project.id, project.display_title, role, is_lead, may_review, items)


def _project_active(base: str, path: str) -> str | None:
    """The item of the project pages whose path is not a prefix of the item's link."""
    if path == base:
        return "overview"
    rest = path[len(base):] if path.startswith(base + "/") else ""
    if rest.startswith("/records/"):
        return "records" if rest.endswith("/judgments") else "annotate"
    if rest.startswith("/exports/"):
        return "export"
    if rest.startswith("/author/") or rest == "/author":
        return "author"
    if rest.startswith(("/queue", "/my-work")):
        return "my-work"
    return None


def _active_key(items: list[NavItem], path: str, skip_exact: str | None) -> str | None:
    """The item whose link is the longest prefix of `path` (on a path-segment boundary)."""
    best: tuple[int, str] | None = None
    for i in items:
        href = i.href.split("#", 1)[0]
        if href == skip_exact:
            continue
        matches = path == href or path.startswith(href.rstrip("/") + "/")
        if matches and (best is None or len(href) > best[0]):
            best = (len(href), i.key)
    return best[1] if best else None
