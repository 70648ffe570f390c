"""In a real browser: marking spans with a keyboard caret, reopening a submitted record from "your work",
editing it with a dropped reply (one revision per submit, never two), the history panel, and the reviewer's
comment, gold warning and judge suggestions shown on the annotate page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.conftest import shot
from tests.web.workspace_support import (
    EMOJI_TEXT,
    Served,
    focus_page,
    js_errors,
    login,
    open_next,
    serve,
    stored,
    submit_and_wait,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("ws-edits"))


def _revisions(db: Any, record_id: int) -> list[Any]:
    from assay.store.tables_workspace import AnnotationRevisionRow

    with db.write() as s:
        return [(r.number, r.answers, r.submission_id) for r in s.scalars(
            select(AnnotationRevisionRow).where(AnnotationRevisionRow.record_id == record_id)
            .order_by(AnnotationRevisionRow.number))]


def test_spans_by_keyboard_caret(ws, page, output_dir: Path) -> None:
    login(page, ws.url, "annotator1")
    rid = open_next(page, ws.url, ws.ids["ws-spans"])
    focus_page(page)
    page.keyboard.press("c")                        # caret at the start of Response A
    assert page.evaluate("() => document.activeElement.dataset.spanText") == "0"
    for key in ("Control+ArrowRight", "Control+ArrowRight", "ArrowRight"):
        page.keyboard.press(key)                    # after "Der Eiffelturm "
    page.keyboard.press("Shift+ArrowRight")         # the emoji (one code point, two UTF-16 units)
    page.keyboard.press("Shift+Control+ArrowRight")  # … through the next word
    page.locator("[data-testid=span-selection-errors]", has_text="🗼 steht").wait_for()
    page.keyboard.press("2")                        # outdated
    page.keyboard.press("Enter")                    # add
    page.keyboard.press("ArrowDown")                # the second stored line
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    page.keyboard.press("Shift+ArrowLeft")          # drop the final period
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    assert page.locator("[data-testid=span-list-errors] li").count() == 2
    assert page.locator("[data-testid=span-caret]").count() == 1
    shot(page, output_dir, "ws-spans-caret")
    page.keyboard.press("Escape")                   # back to the question: its keys apply again
    assert page.evaluate("() => document.activeElement.dataset.question") == "errors"
    submit_and_wait(page, rid)
    spans = stored(ws.db, ws.ids["ws-spans"], rid, "annotator1")["answers"]["errors"]["spans"]
    got = [(s["completion"], EMOJI_TEXT[s["start"]:s["end"]], s["label"]) for s in spans]
    assert got == [(0, "🗼 steht", "outdated"), (0, "Zweite Zeile: Café ☕ über alles", "hallucination")]
    assert not js_errors(page), js_errors(page)


def test_reopen_edit_with_dropped_reply_keeps_one_revision_per_submit(ws, page, output_dir: Path) -> None:
    login(page, ws.url, "annotator2")
    pid = ws.ids["ws-pairwise"]
    rid = open_next(page, ws.url, pid)
    focus_page(page)
    page.keyboard.press("1")
    page.keyboard.press("5")
    submit_and_wait(page, rid)
    page.goto(f"{ws.url}/projects/{pid}/my-work")
    shot(page, output_dir, "ws-my-work")
    page.click(f"[data-testid=reopen-{rid}]")
    page.locator("#active-clock", has_text="active").wait_for()
    assert "Submit again" in page.inner_text("[data-testid=submit]")
    assert page.locator("[data-testid=history-panel] li[data-number]").count() == 1
    ids: list[str] = []

    def drop_first_reply(route):  # type: ignore[no-untyped-def]
        ids.append(route.request.headers.get("x-submission-id", ""))
        if len(ids) == 1:
            route.fetch()          # the server gets and stores it…
            route.abort("failed")  # …but the browser sees the network fail
        else:
            route.continue_()

    page.route(f"**/projects/{pid}/records/{rid}/submit", drop_first_reply)
    focus_page(page)
    page.keyboard.press("2")
    page.keyboard.press("6")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u, timeout=20000)
    page.unroute(f"**/projects/{pid}/records/{rid}/submit")
    assert len(ids) == 2 and ids[0] and ids[0] == ids[1]
    revs = _revisions(ws.db, rid)
    assert [(n, a) for n, a, _ in revs] == [(1, {"preference": {"choice": "a", "strength": 2}}),
                                            (2, {"preference": {"choice": "b", "strength": 3}})]
    assert revs[1][2] == ids[0] and revs[0][2] != ids[0]
    page.goto(f"{ws.url}/projects/{pid}/records/{rid}")
    page.click("[data-testid=history-panel] summary")
    assert page.locator("[data-testid=history-panel] li[data-number]").count() == 2
    assert "B is much better" in page.inner_text("[data-testid=history-panel]")
    shot(page, output_dir, "ws-history")
    assert not [e for e in js_errors(page) if "Failed to load resource" not in e]


def test_feedback_gold_warning_and_suggestion_summaries_on_the_page(ws, page, output_dir: Path) -> None:
    from assay.services.accounts import users
    from assay.services.annotation import queue, review
    from assay.services.annotation import submissions as annotations
    from assay.store.tables_quality import StandingRow

    db, pid = ws.db, ws.ids["ws-ranking"]
    me, admin = users.find_user(db, "annotator2"), users.find_user(db, "admin")
    t = queue.claim_next(db, pid, me.id)
    annotations.submit(db, pid, t.record_id, me.id, {"rank": {"order": [[0], [1], [2]]}}, 20)
    item = next(i for i in review.review_queue(db, pid, admin.id) if i.record_id == t.record_id)
    review.decide(db, pid, item.annotation_id, admin, "rejected", "C invents a city: rank it last.")
    with db.write() as s:
        s.add(StandingRow(project_id=pid, user_id=me.id, state="warned", gold_n=6, gold_accuracy=0.6,
                          reason="accuracy on check items is 60% over 6 answers (the project asks for at least 70%)."))
    login(page, ws.url, "annotator2")
    assert open_next(page, ws.url, pid) == t.record_id  # sent back: first in the queue again
    assert page.inner_text("[data-testid=review-feedback]").count("C invents a city: rank it last.") == 1
    assert "60% over 6 answers" in page.inner_text("[data-testid=gold-warning]")
    assert page.inner_text("[data-testid=suggestion-summary-rank]") == "B > A = C"
    shot(page, output_dir, "ws-feedback")
    open_next(page, ws.url, ws.ids["ws-all"])
    summaries = {q: page.inner_text(f"[data-testid=suggestion-summary-{q}]")
                 for q in ("preference", "rank", "rubric", "safety")}
    assert summaries == {"preference": "B is clearly better", "rank": "B > A = C",
                         "rubric": "A: helpfulness 4/5, correctness 4/5, tone 2/3",
                         "safety": "A: none; B: none; C: unsafe"}
    assert "from judge-test" in page.inner_text("[data-testid=suggestion-rubric]")
    shot(page, output_dir, "ws-suggestion-summaries")
    assert not js_errors(page), js_errors(page)
