"""The top bar and the project sub-navigation in a real browser, for a lead and a trainer, on a desktop and a
390 px phone: what each sees, the active item, the folded menu; the screenshots go to docs/img/ for
docs/navigation.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.workspace_support import Served, login, serve

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LEAD_ONLY = ("records", "gold", "import", "review", "dashboard", "timesheet", "setup", "export")
EVERYONE = ("overview", "annotate", "my-work", "my-stats")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The workspace projects, with `lead1` (site role lead) the lead of ws-all."""
    from assay.services.accounts import users
    from assay.services.projects import projects

    for served in serve(tmp_path_factory.mktemp("ws-nav")):
        users.add_user(served.db, "lead1", "lead1-demo-pass", "lead")
        projects.add_member(served.db, served.ids["ws-all"], "lead1", "lead")
        yield served


def _snap(page: Any, name: str, menu_open: bool = False) -> None:
    """The top of the page (top bar, heading, sub-navigation) as docs/img/<name>.png."""
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    nav = page.locator("[data-testid=project-nav]").bounding_box()
    width = page.viewport_size["width"]
    height = (nav["y"] + nav["height"] + 12) if nav else 300
    page.screenshot(path=str(DOCS_IMG / f"{name}.png"), clip={"x": 0, "y": 0, "width": width, "height": height})


def _items(page: Any) -> list[str]:
    return [t.removeprefix("nav-") for t in page.eval_on_selector_all(
        "[data-testid=project-nav] a", "els => els.map(e => e.dataset.testid)")]


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_lead_sees_every_project_page(ws: Served, page: Any) -> None:
    pid = ws.ids["ws-all"]
    login(page, ws.url, "lead1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{ws.url}/projects/{pid}")
    items = _items(page)
    assert set(LEAD_ONLY + EVERYONE) <= set(items), items
    for key in ("new-project", "explore", "endpoints", "account"):
        assert page.locator(f"[data-testid=nav-{key}]").is_visible(), key
    assert page.locator("[data-testid=nav-admin]").count() == 0  # People and Audit: admins only
    assert page.get_attribute("[data-testid=nav-overview]", "aria-current") == "page"
    _snap(page, "nav-lead-desktop")

    page.click("[data-testid=nav-dashboard]")
    page.wait_for_url(f"**/projects/{pid}/dashboard")
    assert page.get_attribute("[data-testid=nav-dashboard]", "aria-current") == "page"
    assert page.locator("[data-testid=project-nav] [aria-current=page]").count() == 1

    page.set_viewport_size(PHONE)
    page.goto(f"{ws.url}/projects/{pid}")
    assert _fits(page), "the project page scrolls sideways on a phone"
    assert page.locator("[data-testid=nav-toggle]").is_visible()
    _snap(page, "nav-lead-390")
    page.click("[data-testid=nav-toggle]")
    assert page.locator("[data-testid=nav-explore]").is_visible()
    _snap(page, "nav-lead-390-menu")
    # the sub-navigation wraps: its last item is on screen
    last = page.locator("[data-testid=nav-export]")
    last.scroll_into_view_if_needed()
    assert last.is_visible() and _fits(page)


def test_trainer_sees_only_their_pages(ws: Served, page: Any) -> None:
    pid = ws.ids["ws-all"]
    login(page, ws.url, "annotator1")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{ws.url}/projects/{pid}")
    items = _items(page)
    assert items == list(EVERYONE), items
    for key in ("new-project", "explore", "endpoints", "admin", "audit"):
        assert page.locator(f"[data-testid=nav-{key}]").count() == 0, key
    assert page.locator("[data-testid=project-links]").inner_text().count("Review") == 0
    _snap(page, "nav-trainer-desktop")
    page.click("[data-testid=nav-my-stats]")
    page.wait_for_url(f"**/projects/{pid}/my-stats")
    assert page.get_attribute("[data-testid=nav-my-stats]", "aria-current") == "page"

    page.set_viewport_size(PHONE)
    page.goto(f"{ws.url}/projects/{pid}")
    assert _fits(page)
    _snap(page, "nav-trainer-390")
