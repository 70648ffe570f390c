"""The foundation loop in a real browser: two annotators judge records, the DPO export holds exactly that."""

from __future__ import annotations

import json
import time

import pytest

from assay.services.projects import exports, projects
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


def login(page, url, username, password):  # type: ignore[no-untyped-def]
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/projects")


def judge_by_keyboard(page, choice_key: str, strength_key: str | None, rationale: str) -> int:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#answer-form")
    rid = int(page.get_attribute("#answer-form", "data-record"))
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not a field
    page.keyboard.press(choice_key)
    if strength_key:
        page.keyboard.press(strength_key)
    page.keyboard.press("r")
    page.keyboard.type(rationale)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    return rid


def judge_by_mouse(page, choice_label: str, strength_label: str, rationale: str) -> int:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#answer-form")
    rid = int(page.get_attribute("#answer-form", "data-record"))
    page.locator("label.pill", has_text=choice_label).click()
    page.locator("label.pill", has_text=strength_label).click()
    page.fill("textarea[name='a.rationale.text']", rationale)
    page.click("[data-testid=submit]")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    return rid


def test_two_annotators_judge_and_dpo_export_matches(live_server, page, output_dir):  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    project = projects.find_project(db, "demo-pairwise")
    expected: dict[int, list[tuple[str, str, int | None]]] = {}
    started = time.monotonic()

    for who, plan in (("annotator1", [("1", "6", "a"), ("2", "4", "b"), None]),
                      ("annotator2", [("1", "5", "a"), ("2", "6", "b"), None])):
        page.goto(url + "/login")
        if who == "annotator1":
            shot(page, output_dir, "01-login")
        login(page, url, who, f"{who}-demo-pass")
        if who == "annotator1":
            shot(page, output_dir, "02-project-list")
        page.click("[data-testid='start-demo-pairwise']")
        for i, step in enumerate(plan):
            if who == "annotator1" and i == 0:
                page.wait_for_selector("#answer-form")
                page.keyboard.press("1")
                shot(page, output_dir, "03-annotate")
            if step is None:
                rid = judge_by_mouse(page, "B is better", "much better", f"{who} used the mouse")
                expected.setdefault(rid, []).append((who, "b", 3))
            else:
                key, strength, side = step
                rid = judge_by_keyboard(page, key, strength, f"{who} rationale {i}")
                expected.setdefault(rid, []).append((who, side, {"4": 1, "5": 2, "6": 3}[strength]))
        assert not page.js_errors, page.js_errors
        page.click("[data-testid=logout]")
        page.wait_for_url(url + "/login")

    # k = 2 and both took the first three records in queue order: the same three records, judged twice each.
    assert len(expected) == 3 and all(len(v) == 2 for v in expected.values())
    source = exports.export_source(db, project.id)
    stored = {(item.record_id, a.annotator): a for item in source.items for a in item.annotations}
    assert len(stored) == 6
    # The page counts whole seconds of activity; each judgment took at most the test's own wall time.
    elapsed = time.monotonic() - started
    for rid, judged in expected.items():
        for who, side, strength in judged:
            ans = stored[(rid, who)].answers
            assert ans["preference"] == {"choice": side, "strength": strength}
            assert ans["rationale"]["text"].startswith(who)
            seconds = stored[(rid, who)].active_seconds
            assert seconds == int(seconds) and 0 <= seconds <= elapsed, (rid, who, seconds, elapsed)

    out = output_dir / "dpo-export"
    result = exports.export_project(db, project.id, "dpo", "jsonl", out_dir=out)
    rows = [json.loads(line) for line in result.paths["train"].read_text().splitlines()]
    by_record = {r["record_id"]: r for r in rows}
    assert set(by_record) == set(expected)  # only judged records, each once
    for rid, judged in expected.items():
        side = judged[0][1]
        assert all(j[1] == side for j in judged)  # both people agreed in this plan
        item = next(i for i in source.items if i.record_id == rid)
        texts = [c.text for c in item.record.completions]
        row = by_record[rid]
        chosen_i = 0 if side == "a" else 1
        assert row["chosen"] == [{"role": "assistant", "content": texts[chosen_i]}]
        assert row["rejected"] == [{"role": "assistant", "content": texts[1 - chosen_i]}]
        assert row["prompt"] == [m.to_dict() for m in item.record.messages]
        assert row["num_judgments"] == 2
        assert row["agreement"] == 1.0
