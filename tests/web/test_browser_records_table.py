"""The records table in a real browser, as a new lead would use it: open Records from the project page,
filter, select two rows, mark them gold by entering the expected answer in the trainers' own form, see them
flagged gold; then open one record's judgments. Screenshots go to docs/img/ (the docs show them) and the
test output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.services.accounts import users
from assay.services.annotation import queue, submissions
from assay.services.projects import projects
from tests.web.conftest import shot
from tests.web.test_browser_loop import login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


SPILL_JS = """card => {
  const box = card.getBoundingClientRect();
  const out = [];
  for (const e of card.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.width > box.width + 1 || r.left < box.left - 1 || r.right > box.right + 1)
      out.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return {width: box.width, left: box.left, right: box.right, out: out.slice(0, 10)};
}"""


def _rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("tr[data-record]", "rows => rows.map(r => r.dataset.record)")


def test_lead_filters_and_marks_two_records_gold(live_server, page, output_dir) -> None:  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    project = projects.find_project(db, "demo-pairwise")
    users.add_user(db, "lead1", "lead1-password-1", "lead")
    projects.add_member(db, project.id, "lead1", "lead")
    for name, choice, why in (("annotator1", "a", "A is right and simple."), ("annotator2", "b", "B is faster.")):
        u = users.find_user(db, name)
        t = queue.claim_next(db, project.id, u.id)
        assert t is not None and t.record.external_id == "demo-01"
        submissions.submit(db, project.id, t.record_id, u.id, {"preference": {"choice": choice, "strength": 2},
                                                               "rationale": {"text": why}})
    login(page, url, "lead1", "lead1-password-1")
    page.goto(f"{url}/projects/{project.id}")
    page.click("[data-testid=nav-records]")
    page.wait_for_url(f"{url}/projects/{project.id}/records")
    assert len(_rows(page)) == 12, page.inner_text("#records-table")[:1500]

    # filter by a metadata field: htmx swaps the table and puts the filter in the URL (shareable)
    page.fill("[data-testid=f-meta]", "topic=code")
    page.press("[data-testid=f-meta]", "Enter")
    page.wait_for_selector("tr[data-record=demo-02]", state="detached")  # swapped by htmx
    assert _rows(page) == ["demo-01", "demo-09", "demo-11"]
    assert "meta=topic%3Dcode" in page.url
    page.wait_for_selector("[data-testid=match-count]:has-text('3 records match')")  # counted after the rows

    # select two rows (keyboard: focus the box, Space), choose "Mark gold…", Apply
    page.focus("tr[data-record=demo-01] [data-testid=select-row]")
    page.keyboard.press("Space")
    page.check("tr[data-record=demo-09] [data-testid=select-row]")
    assert page.inner_text("[data-testid=selected-count]") == "2 selected"
    page.select_option("[data-testid=bulk-action]", "gold")
    shot(page, output_dir, "records-table-selected")
    page.click("[data-testid=bulk-apply]")

    # the gold form: the trainers' pairwise component; answer "A is better" with its key, then Save
    page.wait_for_selector("#gold-dialog[open] [data-testid=gold-form]")
    assert "2 selected records" in page.inner_text("[data-testid=gold-form-scope]")
    page.click("#gold-dialog fieldset[data-question=preference] legend")
    page.keyboard.press("1")
    assert page.is_checked("#gold-dialog input[name='a.preference.choice'][value=a]")
    page.set_viewport_size({"width": 1280, "height": 900})
    # nothing inside the dialog is wider than the dialog's card or sticks out of it (the two response cards
    # once took the dialog card's own 96vw width and spilled out of it)
    spill = page.eval_on_selector("#gold-dialog > article", SPILL_JS)
    assert spill["width"] > 0 and spill["out"] == [], spill
    page.screenshot(path=str(DOCS_IMG / "records-gold-form.png"))
    shot(page, output_dir, "records-gold-form")
    page.click("[data-testid=gold-save]")
    page.wait_for_selector("[data-testid=bulk-flash]")
    assert "Marked gold: 2 record(s)" in page.inner_text("[data-testid=bulk-flash]")
    assert not page.is_visible("#gold-dialog[open]")
    flagged = page.eval_on_selector_all("tr[data-record]:has([data-testid=gold-flag])",
                                        "rows => rows.map(r => r.dataset.record)")
    assert flagged == ["demo-01", "demo-09"]
    # the table comes back with the filter it had (not every record while the filter box still shows one)
    assert _rows(page) == ["demo-01", "demo-09", "demo-11"]
    assert page.input_value("[data-testid=f-meta]") == "topic=code"
    page.wait_for_selector("[data-testid=match-count]:has-text('3 records match')")

    # the gold filter shows exactly those two, flagged
    page.goto(f"{url}/projects/{project.id}/records?gold=yes")
    assert _rows(page) == ["demo-01", "demo-09"]
    assert page.locator("[data-testid=gold-flag]").count() == 2
    page.goto(f"{url}/projects/{project.id}/records")
    page.screenshot(path=str(DOCS_IMG / "records-table.png"), full_page=True)

    assert not page.js_errors, page.js_errors
    # a bad filter value in a shared URL: an inline error (the page answers 400), the table still there
    page.goto(f"{url}/projects/{project.id}/records?status=finished")
    assert "status must be one of" in page.inner_text("[data-testid=filter-error]")
    assert len(_rows(page)) == 12
    assert all("status of 400" in e for e in page.js_errors), page.js_errors  # the browser logs the 400 itself
    page.js_errors.clear()

    # one record with its judgments: the expected (gold) answer beside them
    page.goto(f"{url}/projects/{project.id}/records")
    page.click("tr[data-record=demo-01] [data-testid=open-record]")
    page.wait_for_selector("[data-testid=gold-expected]")
    assert "A is better" in page.inner_text("[data-testid=gold-expected]")
    assert page.locator("[data-testid=judgment]").count() == 2
    assert page.inner_text("[data-annotator=annotator1] [data-testid=gold-check]") == "matches gold"
    assert page.inner_text("[data-annotator=annotator2] [data-testid=gold-check]") == "differs from gold"
    page.screenshot(path=str(DOCS_IMG / "record-judgments.png"), full_page=True)
    shot(page, output_dir, "record-judgments")
    assert not page.js_errors, page.js_errors
