"""Every question kind in a real browser, by keyboard and by mouse, checking what the database stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
    yield from serve(tmp_path_factory.mktemp("ws-kinds"))


@pytest.fixture
def p1(ws, page):  # type: ignore[no-untyped-def]
    login(page, ws.url, "annotator1")
    return page


def test_pairwise_keyboard_and_suggestion(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-pairwise"])
    focus_page(page)
    page.keyboard.press("2")
    page.keyboard.press("6")
    shot(page, output_dir, "ws-pairwise")
    submit_and_wait(page, rid)
    assert stored(ws.db, ws.ids["ws-pairwise"], rid, "annotator1")["answers"] == {
        "preference": {"choice": "b", "strength": 3}}
    # next record: accept the model suggestion with Shift+A
    rid2 = open_next(page, ws.url, ws.ids["ws-pairwise"])
    assert page.locator("[data-testid=suggestion-preference]").is_visible()
    focus_page(page)
    page.keyboard.press("Shift+A")
    assert page.locator("fieldset.from-suggestion").count() == 1
    shot(page, output_dir, "ws-suggestion")
    submit_and_wait(page, rid2)
    assert stored(ws.db, ws.ids["ws-pairwise"], rid2, "annotator1")["answers"]["preference"] == {
        "choice": "b", "strength": 2}
    assert not js_errors(page), js_errors(page)


def test_ranking_keyboard_with_tie(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-ranking"])
    focus_page(page)
    page.keyboard.press("Control+Enter")  # untouched ranking is not an answer: refused, nothing stored wrongly
    page.wait_for_selector("[data-testid=submit-error]:not([hidden])")
    assert "rank" in page.inner_text("[data-testid=submit-error]")
    # C to the top, then B tied with A:  C > A = B
    focus_page(page)
    page.keyboard.press("c")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("b")
    page.keyboard.press("=")
    assert page.inner_text("[data-testid=rank-state-rank]") == "Ranked: C > A = B"
    shot(page, output_dir, "ws-ranking")
    submit_and_wait(page, rid)
    assert stored(ws.db, ws.ids["ws-ranking"], rid, "annotator1")["answers"] == {"rank": {"order": [[2], [0, 1]]}}
    assert not js_errors(page), js_errors(page)


def test_ranking_by_mouse_drag_and_buttons(ws, p1) -> None:
    """Argilla's ranking-saved-wrongly bug: what is on screen after a drag is exactly what is stored."""
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-ranking"])
    cards = page.locator("[data-testid=rank-rank] [data-index]")
    assert cards.count() == 3 and cards.first.is_visible()  # Label Studio's Ranker-not-rendering bug
    # drag B above A with the mouse
    page.locator("[data-testid=rank-rank]").scroll_into_view_if_needed()
    b = page.locator("[data-testid=rank-rank] [data-index='1']").bounding_box()
    a = page.locator("[data-testid=rank-rank] [data-index='0']").bounding_box()
    page.mouse.move(b["x"] + 40, b["y"] + b["height"] / 2)
    page.mouse.down()
    for y in range(int(b["y"] + b["height"] / 2), int(a["y"]), -3):
        page.mouse.move(b["x"] + 40, y)
    page.mouse.up()
    page.locator("[data-testid=rank-state-rank]", has_text="Ranked").wait_for()
    shown = [int(i) for i in cards.evaluate_all("els => els.map(e => e.dataset.index)")]
    assert shown[0] == 1, shown
    # then C down-button → stays last; tie C with the one above by its button
    page.locator("[data-testid=rank-rank] [data-index='2'] [data-rank-action=tie]").click()
    state = page.inner_text("[data-testid=rank-state-rank]")
    page.click("[data-testid=submit]")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    order = stored(ws.db, ws.ids["ws-ranking"], rid, "annotator1")["answers"]["rank"]["order"]
    letters = " > ".join(" = ".join("ABC"[i] for i in g) for g in order)
    assert state == "Ranked: " + letters
    assert order[0] == [1] and sorted(i for g in order for i in g) == [0, 1, 2]


def test_rating_keyboard_and_mouse(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-rating"])
    focus_page(page)
    # the cursor starts at (Response A, helpfulness); each digit sets and moves on: dims, then next response
    for key in "523" + "412" + "331":
        page.keyboard.press(key)
    # mouse: fix B's correctness to 2
    page.locator("[data-cell='1:correctness'] label.dot", has_text="2").click()
    shot(page, output_dir, "ws-rating")
    submit_and_wait(page, rid)
    assert stored(ws.db, ws.ids["ws-rating"], rid, "annotator1")["answers"]["rubric"] == {"scores": {
        "0": {"helpfulness": 5, "correctness": 2, "tone": 3},
        "1": {"helpfulness": 4, "correctness": 2, "tone": 2},
        "2": {"helpfulness": 3, "correctness": 3, "tone": 1}}}
    assert not js_errors(page), js_errors(page)


def test_labels_per_completion_and_per_record(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-labels"])
    focus_page(page)
    page.keyboard.press("1")           # A: unsafe
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # C
    page.keyboard.press("2")           # C: biased
    page.keyboard.press("4")           # C: private data
    page.keyboard.press("j")           # next question: topic (single choice, per record)
    page.keyboard.press("3")
    page.locator("fieldset[data-question=topic] label.pill", has_text="science").click()  # mouse replaces it
    shot(page, output_dir, "ws-labels")
    submit_and_wait(page, rid)
    ans = stored(ws.db, ws.ids["ws-labels"], rid, "annotator1")["answers"]
    assert ans["safety"] == {"per_completion": {"0": ["unsafe"], "1": [], "2": ["biased", "private_data"]}}
    assert ans["topic"] == {"labels": ["science"]}


def test_text_min_length_and_gold_diff(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-text"])
    focus_page(page)
    page.keyboard.press("r")
    page.keyboard.type("too short")
    assert "to go" in page.inner_text("fieldset[data-question=rationale] [data-counter]")
    page.keyboard.type(" — now long enough ✓")
    assert "to go" not in page.inner_text("fieldset[data-question=rationale] [data-counter]")
    page.keyboard.press("Escape")
    page.keyboard.press("j")           # gold question: start from Response B, then edit
    page.keyboard.press("2")
    gold = page.locator("fieldset[data-question=gold] textarea")
    assert gold.input_value().startswith("The Eiffel Tower is in **Paris**")
    gold.press("End")
    gold.press("Control+End")
    page.keyboard.type(" Its top floor is at 276 m.")
    page.locator("[data-testid=diff-gold] ins").first.wait_for()
    assert "276" in page.inner_text("[data-testid=diff-gold] ins")
    shot(page, output_dir, "ws-text-gold")
    submit_and_wait(page, rid)
    ans = stored(ws.db, ws.ids["ws-text"], rid, "annotator1")["answers"]
    assert ans["rationale"]["text"] == "too short — now long enough ✓"
    assert ans["gold"]["base"] == 1 and ans["gold"]["text"].endswith("330 m tall. Its top floor is at 276 m.")


def test_spans_offsets_round_trip_with_emoji(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-spans"])
    focus_page(page)
    # keyboard: find a phrase after two emoji and umlauts, label 1 (hallucination), note, add
    page.keyboard.press("/")
    page.keyboard.type("500 m")
    page.keyboard.press("Enter")
    page.keyboard.press("1")
    page.keyboard.press("n")
    page.keyboard.type("It is 330 m")
    page.keyboard.press("Enter")
    # overlapping span by keyboard: "sagen 😀 500" with label 3
    page.keyboard.press("/")
    page.keyboard.type("sagen 😀 500")
    page.keyboard.press("Enter")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    # mouse: select "Lyon 🦁" in Response C by dragging across its text
    view = page.locator("[data-testid=span-text-errors-2]")
    page.evaluate("""(el) => {
        const t = el.textContent; const i = t.indexOf('Lyon');
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let n, seen = 0, r = document.createRange();
        const end = i + 'Lyon 🦁'.length;  // UTF-16 units: the emoji counts 2
        while ((n = walker.nextNode())) {
          const len = n.data.length;
          if (seen <= i && i <= seen + len) r.setStart(n, i - seen);
          if (seen <= end && end <= seen + len) { r.setEnd(n, end - seen); break; }
          seen += len;
        }
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    }""", view.element_handle())
    view.dispatch_event("mouseup")
    page.locator("[data-span-selection]", has_text="Lyon").wait_for()
    page.locator("fieldset[data-question=errors] label.pill", has_text="outdated").click()
    page.fill("[data-span-note]", "Paris, 1889")
    page.click("[data-span-add]")
    assert page.locator("[data-testid=span-list-errors] li").count() == 3
    shot(page, output_dir, "ws-spans")
    submit_and_wait(page, rid)
    spans = stored(ws.db, ws.ids["ws-spans"], rid, "annotator1")["answers"]["errors"]["spans"]
    texts = {0: EMOJI_TEXT, 2: "It is in Lyon 🦁 and opened in 1920."}
    got = {(s["completion"], texts[s["completion"]][s["start"]:s["end"]], s["label"], s["note"]) for s in spans}
    assert got == {(0, "500 m", "hallucination", "It is 330 m"),
                   (0, "sagen 😀 500", "unsupported_claim", ""),
                   (2, "Lyon 🦁", "outdated", "Paris, 1889")}
    for s in spans:  # the server's own copy of the marked text agrees with the offsets (code points)
        assert s["text"] == texts[s["completion"]][s["start"]:s["end"]]
    assert not js_errors(page), js_errors(page)


def test_all_kinds_on_one_page_by_keyboard(ws, p1, output_dir: Path) -> None:
    page = p1
    rid = open_next(page, ws.url, ws.ids["ws-all"])
    page.keyboard.press("?")
    assert page.locator("#help-dialog").is_visible()
    shot(page, output_dir, "ws-help")
    page.keyboard.press("Escape")
    focus_page(page)
    keys = ["1", "4",                                     # preference: A slightly
            "j", "Enter",                                 # rank: accept the shown order A > B > C
            "j", *"552" "111" "222",                      # rubric
            "j", "1",                                     # safety: A unsafe
            "j",                                          # topic (optional): leave empty
            "j"]                                          # rationale
    for k in keys:
        page.keyboard.press(k)
    page.keyboard.press("Enter")
    page.keyboard.type("A is right and B is wrong about it.")
    page.keyboard.press("Escape")
    page.keyboard.press("j")                              # gold: keep prefilled Response A
    page.keyboard.press("j")                              # spans
    page.keyboard.press("0")                              # none found
    shot(page, output_dir, "ws-all")
    submit_and_wait(page, rid)
    ans = stored(ws.db, ws.ids["ws-all"], rid, "annotator1")["answers"]
    assert ans["preference"] == {"choice": "a", "strength": 1}
    assert ans["rank"] == {"order": [[0], [1], [2]]}
    assert ans["rubric"]["scores"]["2"] == {"helpfulness": 2, "correctness": 2, "tone": 2}
    assert ans["safety"]["per_completion"]["0"] == ["unsafe"]
    assert "topic" not in ans
    assert ans["rationale"]["text"] == "A is right and B is wrong about it."
    assert ans["gold"] == {"text": EMOJI_TEXT, "base": 0}
    assert ans["errors"] == {"spans": [], "none_found": True}
    assert not js_errors(page), js_errors(page)
