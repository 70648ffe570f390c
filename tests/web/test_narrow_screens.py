"""The trainer's page fits a 390 px phone for every question kind, and the code-review page a 1280 px laptop,
without sideways scrolling (issue 19, item 8); the code-review keys work and are in the ? help.

Measured in real Chromium: `document.documentElement.scrollWidth <= window.innerWidth` once the page (and the
code panel, which loads by htmx) is in. A failure names the elements that stick out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import shot
from tests.web.workspace_support import Served, login, open_next, serve

pytestmark = pytest.mark.browser

KINDS = ("ws-pairwise", "ws-ranking", "ws-rating", "ws-labels", "ws-text", "ws-spans", "ws-all")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

# The widest elements past the right edge (for the failure message).
OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    const pr = el.parentElement.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0 && pr.right <= w + 1) {  // the outermost element sticking out
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: w, culprits: out.slice(0, 8)};
}"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from assay.services.code import demo as code_demo

    for served in serve(tmp_path_factory.mktemp("ws-narrow")):
        served.ids["code"] = code_demo.ensure_code_demo(served.db).id
        yield served


def _fits(page: Any) -> dict[str, Any]:
    return page.evaluate(OVERFLOW_JS)  # type: ignore[no-any-return]


def _open_code_task(page: Any, ws: Served) -> None:
    page.goto(f"{ws.url}/projects/{ws.ids['code']}/next")
    page.wait_for_selector("[data-testid=candidate-1]")  # the htmx code panel is in
    page.locator("#active-clock", has_text="active").wait_for()


def test_trainer_page_fits_a_phone_for_every_kind(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "annotator1")
    page.set_viewport_size(PHONE)
    too_wide = {}
    for name in (*KINDS, "code"):
        if name == "code":
            _open_code_task(page, ws)
        else:
            open_next(page, ws.url, ws.ids[name])
        got = _fits(page)
        assert got["inner"] == PHONE["width"]
        if got["scroll"] > got["inner"]:
            too_wide[name] = got
        shot(page, output_dir, f"narrow-390-{name}")
    assert not too_wide, f"pages wider than a {PHONE['width']} px screen: {too_wide}"


def test_top_bar_folds_into_a_menu_on_a_phone(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "admin")
    page.set_viewport_size(PHONE)
    page.goto(f"{ws.url}/projects/{ws.ids['ws-all']}")
    toggle = page.locator("[data-testid=nav-toggle]")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("[data-testid=nav-explore]").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    for key in ("projects", "new-project", "explore", "endpoints", "admin", "audit", "account"):
        assert page.locator(f"[data-testid=nav-{key}]").is_visible(), key
    got = _fits(page)
    assert got["scroll"] <= got["inner"], got
    page.keyboard.press("Escape")
    assert not page.locator("[data-testid=nav-explore]").is_visible()
    page.set_viewport_size(LAPTOP)
    assert not toggle.is_visible() and page.locator("[data-testid=nav-explore]").is_visible()


def test_code_review_fits_a_laptop_and_works_by_keyboard(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "annotator2")
    page.set_viewport_size(LAPTOP)
    _open_code_task(page, ws)
    got = _fits(page)
    assert got["scroll"] <= got["inner"] == LAPTOP["width"], f"the code-review page scrolls sideways: {got}"
    shot(page, output_dir, "narrow-1280-code-review")

    page.locator(".annotate-head").click(position={"x": 2, "y": 2})  # no text box focused
    page.keyboard.press("ArrowRight")  # candidate B
    assert "cell-current" in (page.get_attribute("[data-testid=verdict-1]", "class") or "")
    page.keyboard.press("b")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("c")
    page.keyboard.press("1")
    page.keyboard.press("6")
    assert page.is_checked("[data-testid=verdict-1] input[value=buggy]")
    assert page.is_checked("[data-testid=verdict-0] input[value=correct]")
    assert page.is_checked(".cr-preference input[data-cr-choice][value=a]")
    assert page.is_checked(".cr-preference input[data-cr-strength][value='3']")
    answer = page.eval_on_selector("input[data-cr-answer]", "e => JSON.parse(e.value)")
    assert answer["verdicts"] == {"0": "correct", "1": "buggy"}
    assert answer["preference"] == {"choice": "a", "strength": 3}
    page.keyboard.press("t")
    assert page.evaluate("document.activeElement.dataset.testid") == "cr-tests"
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    help_text = page.locator("#help-dialog").inner_text()
    assert "code review" in help_text.lower() and "fails to run" in help_text and "visible tests" in help_text
    shot(page, output_dir, "code-review-help")
