"""The full code-review task in a real browser, with the real sandbox: open the task, run a candidate,
write tests (Tab indents), see results and the mutation score, give verdicts and a preference, submit;
hidden tests then run and the lead sees the outcome. Screenshots go to the test output folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assay.services.annotation import queue
from assay.services.code import demo as code_demo
from assay.services.projects import records
from tests.code.conftest import wait_for
from tests.web.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
HIDDEN_ONLY = "5.9, 4.0, 5.0], 0.95"  # an assert from HumanEval/0's hidden tests
REFERENCE_ONLY = "distance = abs(elem - elem2)"  # a line of HumanEval/0's reference solution


def login(page, url, username, password):  # type: ignore[no-untyped-def]
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/projects")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_code_review_task_in_browser(live_server, page, output_dir):  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    project = code_demo.ensure_code_demo(db)
    pid = project.id

    login(page, url, "annotator1", "annotator1-demo-pass")
    page.goto(f"{url}/projects/{pid}/next")
    page.wait_for_selector("[data-testid=candidate-1]")
    rid = int(page.get_attribute("#answer-form", "data-record"))
    assert records.get_record(db, pid, rid).external_id == "HumanEval/0"
    html = page.content()
    assert HIDDEN_ONLY not in html and REFERENCE_ONLY not in html
    assert page.locator("[data-testid=code-diff] .d-add").count() > 0
    assert page.locator("[data-testid=candidate-0] .hl-k").count() > 0  # highlighted keywords
    shot(page, output_dir, "code-01-task")

    page.click("[data-testid=run-visible-0]")
    summary = page.locator("#cr-res-review-0 [data-testid=run-summary]")
    summary.wait_for(timeout=60_000)
    assert summary.inner_text() == "2/2 passed"

    box = page.locator("[data-testid=cr-tests]")
    box.fill("assert has_close_elements([1.0, 5.0, 1.5], 0.6) is True\n"
             "assert has_close_elements([3.0, 1.0, 3.2], 0.3) is True\n")
    box.press("End")
    page.keyboard.type("def test_empty():\n")
    page.keyboard.press("Tab")
    page.keyboard.type("assert has_close_elements([], 1.0) is False\n")
    assert "\n    assert has_close_elements([], 1.0)" in box.input_value()
    page.click("[data-testid=run-my-tests]")
    custom = page.locator("#cr-custom-review [data-testid=run-results][data-state=finished]")
    custom.wait_for(timeout=120_000)
    summaries = custom.locator("[data-testid=run-summary]").all_inner_texts()
    assert summaries == ["3/3 passed", "1/3 passed"], summaries
    percent = custom.locator("[data-testid=mutation-percent]").inner_text()
    assert re.fullmatch(r"\d+ %", percent) and 0 < int(percent.split()[0]) <= 100
    shot(page, output_dir, "code-02-results")

    page.locator("[data-testid=verdict-0] label", has_text="correct").click()
    page.locator("[data-testid=verdict-1] label", has_text="buggy").click()
    page.locator(".cr-preference label", has_text="A is better").click()
    page.locator(".cr-preference label", has_text="much better").click()
    page.fill("[data-testid=cr-rationale]", "B compares only neighbours in input order; A sorts first.")
    shot(page, output_dir, "code-03-verdicts")

    # The JSON twins never carry hidden tests or the reference either.
    for path in (f"/api/v1/projects/{pid}/records/{rid}/code", f"/api/v1/projects/{pid}/records/{rid}/task"):
        body = page.request.get(url + path).text()
        assert HIDDEN_ONLY not in body and REFERENCE_ONLY not in body, path
    assert page.request.get(f"{url}/api/v1/projects/{pid}/records/{rid}/code/hidden").status == 404

    page.click("[data-testid=submit]")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    assert not page.js_errors, page.js_errors
    task = queue.current_task(db, pid, rid, _user_id(db, "annotator1"))
    answer = task.answers["review"]
    assert task.status == "submitted"
    assert answer["verdicts"] == {"0": "correct", "1": "buggy"}
    assert answer["preference"] == {"choice": "a", "strength": 3}
    assert "def test_empty" in answer["tests"] and answer["rationale"].startswith("B compares")

    page.click("[data-testid=logout]")
    login(page, url, "admin", "admin-demo-pass")

    def hidden_done():  # type: ignore[no-untyped-def]
        meta = records.get_record(db, pid, rid).metadata.get("code_outcome", {}).get("hidden", {})
        return meta if len(meta) == 2 and all(v["state"] in ("done", "failed") for v in meta.values()) else None
    page.goto(f"{url}/projects/{pid}/code")  # also schedules due hidden runs at once
    meta = wait_for(hidden_done, timeout=120)
    assert meta["0"]["pass_rate"] == 1.0 and meta["1"]["pass_rate"] < 1.0
    page.goto(f"{url}/projects/{pid}/code")
    cell = page.locator(f"[data-testid=hidden-{rid}-0]")
    assert "100 %" in cell.inner_text()
    assert "annotator1" in page.locator(f"tr[data-record='{rid}']").inner_text()
    shot(page, output_dir, "code-04-outcomes")
    limits = page.locator(f"[data-testid=limits-{rid}]").inner_text()  # the reference was timed on the first run
    assert re.search(r"limit [\d.]+ CPU-s · reference [\d.]+ CPU-s", limits), limits
    page.locator(f"tr[data-record='{rid}']").screenshot(path=str(DOCS_IMG / "code-limits.png"))
    outcomes = json.loads(page.request.get(f"{url}/api/v1/projects/{pid}/code/outcomes").text())
    mine = next(o for o in outcomes if o["record_id"] == rid)
    assert mine["limits"]["reference_cpu_seconds"] > 0 and mine["limits"]["cpu_seconds"] >= 5
    assert mine["candidates"][0]["pass_rate"] == 1.0 and mine["reviews"][0]["mutation"]["total"] > 0
    assert not page.js_errors, page.js_errors


def _user_id(db, name):  # type: ignore[no-untyped-def]
    from assay.services.accounts import users
    return users.find_user(db, name).id
