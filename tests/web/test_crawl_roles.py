"""Every page a role may use is reachable by links from the home page (issue 19, item 1).

For admin, a project lead, a reviewer and an annotator of the security world (tests/security/world.py, plus a
code-review project led by the same lead so its code page has a project to be linked from), a crawler signed
in as that person starts at `/` and follows `<a href>` links only (GET, same site; redirects are followed
and do not count as clicks). The pages it must reach come from the permission matrix
(tests/security/test_permission_matrix.py RULES): every GET page route whose rule allows the role, minus the
few that are no pages or are reached otherwise (NOT_LINKED, each with its reason), plus the pages of the
agreed route map that other engineers are still building (ROUTE_MAP, used only while RULES lacks them).

It asserts: every expected route is reached; the main pages (MAIN) within two clicks of the home page; and no
page reached answers 4xx or 5xx.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import cheap_password_hashing, world_template  # noqa: F401 - fixtures
from tests.security.test_permission_matrix import RULES
from tests.security.world import World, copy_world, settings_for

pytestmark = pytest.mark.slow  # four crawls of about a hundred pages each

CRAWLED_ROLES = ("admin", "lead", "reviewer", "annotator")
A, L, R, N = "admin", "lead", "reviewer", "annotator"
LEADS, MEMBERS = {A, L}, {A, L, R, N}

# Pages of the agreed route map (issue 19) that may not be in the permission matrix yet: used for a route
# only while RULES has no "GET <route>" entry (the owner adds it when the page lands).
ROUTE_MAP: dict[str, set[str]] = {
    "/new-project": LEADS,
    "/projects/{project_id}/import": LEADS,
    "/projects/{project_id}/records": LEADS,
    "/projects/{project_id}/gold": LEADS,
    "/projects/{project_id}/clone": LEADS,
    "/projects/{project_id}/setup": LEADS,
    "/projects/{project_id}/review": {A, L, R},
    "/projects/{project_id}/dashboard": LEADS,
    "/projects/{project_id}/my-stats": MEMBERS,
    "/projects/{project_id}/timesheet": LEADS,
}

# GET routes the matrix allows that are not pages a person navigates to, or are reached by a form post.
NOT_LINKED: dict[str, str] = {
    "/": "the crawl's starting point",
    "/login": "the sign-in page (the crawler is signed in)",
    "/invite/{token}": "an invite link travels by mail or chat, not by a link in the app",
    "/docs/oauth2-redirect": "Swagger UI helper",
    "/static-gen/pygments.css": "a stylesheet",
    "/favicon.ico": "an icon",
    "/healthz": "a probe for the orchestrator",
    "/projects/{project_id}/exports/jobs/{job_id}": "the export form's POST redirects there",
    "/projects/{project_id}/exports/{export_id}/zip": "a download on the export job page (after the POST)",
    "/projects/{project_id}/records/{record_id}/code/panel": "an htmx fragment of the code-review task",
    "/projects/{project_id}/records/{record_id}/code/diff": "an htmx fragment of the code-review task",
    "/projects/{project_id}/records/{record_id}/code/batches/{batch}": "an htmx fragment polled while tests run",
    "/projects/{project_id}/gold/form": "an htmx fragment of the records table (the gold form for a selection)",
    "/projects/{project_id}/import/jobs/{job_id}": "the import form's POST redirects there (progress of that import)",
    "/projects/{project_id}/records-count": "an htmx fragment: the records table's match count, loaded after its rows",
}

# The main pages: reachable within two clicks of the home page (top bar: one; project overview: one; the
# project sub-navigation on it: two).
MAIN = {
    "/projects", "/account", "/admin/users", "/admin/audit", "/new-project", "/explore", "/authoring/endpoints",
    "/projects/{project_id}", "/projects/{project_id}/next", "/projects/{project_id}/my-work",
    "/projects/{project_id}/my-stats", "/projects/{project_id}/review", "/projects/{project_id}/reports",
    "/projects/{project_id}/dashboard", "/projects/{project_id}/timesheet", "/projects/{project_id}/setup",
    "/projects/{project_id}/records", "/projects/{project_id}/gold", "/projects/{project_id}/import",
    "/projects/{project_id}/author", "/projects/{project_id}/authoring/settings", "/projects/{project_id}/code",
}
# Routes whose matrix entry is about someone else's object (ann1's lease, ann2's history): a role the matrix
# refuses there still opens its own (a lead's own lease, an annotator's own history).
OWN_OBJECT = {"/projects/{project_id}/records/{record_id}", "/projects/{project_id}/records/{record_id}/history",
              "/projects/{project_id}/records/{record_id}/history.json"}
PER_ROUTE = 4  # distinct URLs visited per route (other projects, query variants): enough to find every link
MAX_PAGES = 800


def page_routes() -> dict[str, set[str]]:
    """GET page route -> roles that may open it: the matrix, completed by the route map."""
    out = {k.split(" ", 1)[1]: rule.allow for k, rule in RULES.items()
           if k.startswith("GET ") and not k.startswith("GET /api/")}
    for route, roles in ROUTE_MAP.items():
        out.setdefault(route, roles)
    return out


def expected_for(role: str) -> set[str]:
    return {r for r, allow in page_routes().items() if role in allow and r not in NOT_LINKED}


def _matcher(routes: list[str]) -> list[tuple[re.Pattern[str], str]]:
    def rx(route: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", route)
        return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")

    # the most literal route first: /projects/{id}/records/{rid}/history before /projects/{id}/records/{rid}
    ordered = sorted(routes, key=lambda r: (-len(re.sub(r"\{[^}]+\}", "", r)), r))
    return [(rx(r), r) for r in ordered]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


@dataclass
class Crawl:
    depth: dict[str, int] = field(default_factory=dict)  # route -> fewest clicks from the home page
    errors: list[str] = field(default_factory=list)
    visited: int = 0
    example: dict[str, str] = field(default_factory=dict)  # route -> first URL reaching it


def crawl(client: TestClient, routes: list[str]) -> Crawl:
    """Breadth-first over same-site `<a href>` links from `/`; each URL once, at most PER_ROUTE per route."""
    match = _matcher(routes)
    out = Crawl()
    seen: set[str] = set()
    per_route: dict[str, int] = {}
    todo: deque[tuple[str, int]] = deque([("/", 0)])

    def route_of(path: str) -> str:
        return next((r for rx, r in match if rx.match(path)), path)

    while todo and out.visited < MAX_PAGES:
        url, clicks = todo.popleft()
        if url in seen:
            continue
        route = route_of(urlsplit(url).path)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        seen.add(url)
        per_route[route] = per_route.get(route, 0) + 1
        current, resp = url, None
        for _ in range(6):  # redirects are not clicks; every hop counts as reached
            resp = client.get(current, follow_redirects=False)
            out.visited += 1
            r = route_of(urlsplit(current).path)
            out.depth[r] = min(out.depth.get(r, clicks), clicks)
            out.example.setdefault(r, current)
            if resp.status_code in (301, 302, 303, 307, 308):
                current = urljoin(current, resp.headers["location"])
                if urlsplit(current).netloc not in ("", "testserver"):
                    break
                current = urlsplit(current)._replace(scheme="", netloc="").geturl()
                continue
            break
        assert resp is not None
        if resp.status_code >= 400:
            out.errors.append(f"{current} (linked as {url}, {clicks} clicks) answers {resp.status_code}: "
                              f"{resp.text[:160]!r}")
            continue
        if "text/html" not in resp.headers.get("content-type", ""):
            continue
        parser = _Links()
        parser.feed(resp.text)
        for href in parser.hrefs:
            parts = urlsplit(urljoin(current, href))
            if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
                continue
            target = parts._replace(scheme="", netloc="", fragment="").geturl()
            if target and target not in seen:
                todo.append((target, clicks + 1))
    return out


def _add_code_project(w: World) -> int:
    """A code-review project led by the world's lead, with its reviewer and annotator as members."""
    from assay.services.accounts import users
    from assay.services.code.demo import code_demo_records, code_demo_spec
    from assay.services.projects import projects, records
    from assay.store.db import open_db

    db = open_db(settings_for(w.path), migrate=False)
    try:
        lead = users.find_user(db, "lead1")
        p = projects.create_project(db, code_demo_spec(), lead)
        for name, role in (("rev1", "reviewer"), ("ann1", "annotator")):
            projects.add_member(db, p.id, name, role, lead)
        records.import_records(db, p.id, code_demo_records()[:2], lead)
        return p.id
    finally:
        db.close()


@pytest.fixture(scope="module")
def crawled(world_template: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Crawl]:  # noqa: F811
    from assay.store.db import open_db
    from assay.web.app import create_app
    from assay.web.security import SESSION_COOKIE

    w = copy_world(world_template, tmp_path_factory.mktemp("crawl") / "w")
    _add_code_project(w)
    db = open_db(settings_for(w.path), migrate=False)
    app = create_app(settings_for(w.path), db)
    routes = sorted(page_routes())
    out = {}
    try:
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            for role in CRAWLED_ROLES:
                client.cookies.clear()
                client.cookies.set(SESSION_COOKIE, w.sessions[role])
                out[role] = crawl(client, routes)
    finally:
        db.close()
    return out


@pytest.mark.parametrize("role", CRAWLED_ROLES)
def test_every_allowed_page_is_linked(crawled: dict[str, Crawl], role: str) -> None:
    got = crawled[role]
    expected = expected_for(role)
    assert expected, "the permission matrix allows this role no page at all"
    assert got.visited > len(expected) / 2, f"the crawl visited only {got.visited} pages"
    missing = sorted(expected - got.depth.keys())
    assert not missing, (f"{role}: pages the permission matrix allows but no link reaches from the home page "
                         f"({got.visited} pages visited): {missing}")


@pytest.mark.parametrize("role", CRAWLED_ROLES)
def test_main_pages_within_two_clicks(crawled: dict[str, Crawl], role: str) -> None:
    got = crawled[role]
    main = expected_for(role) & MAIN
    far = {r: got.depth[r] for r in main if r in got.depth and got.depth[r] > 2}
    assert main and not far, f"{role}: main pages more than two clicks from the home page: {far}"


@pytest.mark.parametrize("role", CRAWLED_ROLES)
def test_no_linked_page_fails(crawled: dict[str, Crawl], role: str) -> None:
    errors = crawled[role].errors
    assert not errors, f"{role}: linked pages that answer an error:\n" + "\n".join(errors)


@pytest.mark.parametrize("role", CRAWLED_ROLES)
def test_nothing_beyond_the_role_is_linked(crawled: dict[str, Crawl], role: str) -> None:
    """The navigation never offers a page the matrix refuses this role (no dead links for them)."""
    routes = page_routes()
    beyond = sorted(r for r in crawled[role].depth if r in routes and role not in routes[r]
                    and r not in OWN_OBJECT)
    assert not beyond, f"{role}: links to pages the matrix refuses this role: " + ", ".join(
        f"{r} ({crawled[role].example[r]})" for r in beyond)


def test_matrix_routes_are_known() -> None:
    """NOT_LINKED and MAIN name real routes of the matrix or the route map (no stale names)."""
    routes = page_routes()
    # routes of pages still being built (records table, import): in the matrix once they land
    pending = {"/projects/{project_id}/gold/form", "/projects/{project_id}/import/jobs/{job_id}",
               "/projects/{project_id}/records-count"}
    assert not (set(NOT_LINKED) - routes.keys() - pending), sorted(set(NOT_LINKED) - routes.keys() - pending)
    assert not (MAIN - routes.keys()), sorted(MAIN - routes.keys())

