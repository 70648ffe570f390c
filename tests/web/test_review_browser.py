"""A reviewer works the review queue in a real browser with the keyboard only: walks to the second item, accepts
it, rejects the next with a comment (after an empty reject is refused inline), returns the next to its author,
goes back with k. Checks what the database recorded, that nothing scrolls sideways, and saves the screenshots
docs/review.md uses (pairwise, the gold-rewrite diff, spans, the inline error)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import shot, start_live_server
from tests.web.review_support import ReviewWorld, build

pytestmark = pytest.mark.browser


@dataclass
class Live:
    url: str
    db: Any
    world: ReviewWorld


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.store.migrate import upgrade

    s = load_settings(data_dir=tmp_path / "data")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(s.resolved_database_url)
    db = open_db(s, migrate=False)
    world = build(db, n_records=4, review_settings={"mode": "all", "on_reject": "requeue"})
    with start_live_server(s, db, demo=False) as server:
        yield Live(server.url, db, world)


def login(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/projects")


def where(page: Any) -> tuple[int, int, int]:
    """(position, total, annotation id) of the item on screen."""
    m = re.fullmatch(r"(\d+) of (\d+)", page.inner_text("[data-testid=review-position]").strip())
    assert m, page.inner_text("[data-testid=review-position]")
    return int(m.group(1)), int(m.group(2)), int(page.get_attribute("[data-testid=review-item]", "data-annotation"))


def press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_selector("[data-testid=review-bar]")


def element_shot(page: Any, selector: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(selector).first.screenshot(path=str(path))


def test_reviewer_walks_the_queue_by_keyboard(live: Live, page: Any, output_dir: Path) -> None:
    from assay.services.annotation import review

    shots = output_dir / "screenshots"
    pid = live.world.project_id
    login(page, live.url, "rev")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live.url}/projects/{pid}")
    page.click("[data-testid=nav-review]")  # reachable by a link from the project page
    page.wait_for_selector("[data-testid=review-item]")
    start_pos, total, first = where(page)
    assert start_pos == 1 and total >= 4
    # long lines wrap: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, output_dir, "review-page")
    element_shot(page, "[data-testid=answer-preference]", shots / "review-pairwise.png")
    element_shot(page, "[data-testid=answer-gold]", shots / "review-gold-diff.png")
    element_shot(page, "[data-testid=answer-errors]", shots / "review-spans.png")

    # the gold-failure view: the expected answer beside theirs, the question flagged
    page.click("[data-testid=view-gold_failed]")
    page.wait_for_selector("[data-testid=review-item]")
    assert "differs from gold" in page.inner_text(".review-answers")
    element_shot(page, ".review-answers", shots / "review-gold-failure.png")
    page.click("[data-testid=view-pending]")
    page.wait_for_selector("[data-testid=review-item]")
    assert where(page) == (1, total, first)

    page.keyboard.press("?")
    assert page.locator("#review-help").is_visible()
    page.keyboard.press("Escape")

    press_and_wait(page, "j")  # item 2
    pos, _, second = where(page)
    assert pos == 2 and second != first
    press_and_wait(page, "a")  # accept it: still position 2, now the item that followed
    pos, total2, third = where(page)
    assert (pos, total2) == (2, total - 1) and third not in (first, second)

    page.keyboard.press("r")  # reject: the comment box takes the focus
    assert page.evaluate("document.activeElement.id") == "review-comment"
    page.keyboard.press("Control+Enter")  # without a comment: refused inline, nothing sent
    page.wait_for_selector("[data-testid=review-error]:not([hidden])")
    assert "comment" in page.inner_text("[data-testid=review-error]")
    assert where(page)[2] == third
    element_shot(page, "#review-form", shots / "review-inline-error.png")
    page.keyboard.type("B invents the city; the tower is in Paris.")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    pos, total3, fourth = where(page)
    assert (pos, total3) == (2, total - 2) and fourth != third

    page.keyboard.press("u")  # return to author
    assert page.evaluate("document.activeElement.id") == "review-comment"
    page.keyboard.type("Please mark the wrong date as a span too.")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert where(page)[:2] == (2, total - 3)

    page.keyboard.press("Escape")
    press_and_wait(page, "k")  # back to the first item, still pending
    assert where(page) == (1, total - 3, first)
    shot(page, output_dir, "review-after-walk")

    decided = {d.annotation_id: (d.decision, d.action, d.comment) for d in review.history(live.db, pid, 10)}
    assert decided == {second: ("accepted", "", ""),
                       third: ("rejected", "requeued", "B invents the city; the tower is in Paris."),
                       fourth: ("rejected", "returned", "Please mark the wrong date as a span too.")}
    assert not [e for e in page.js_errors if "status of 4" not in e], page.js_errors
