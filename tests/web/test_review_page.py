"""The review page through the real app (httpx TestClient, SQLite): every answer kind rendered read-only with
no raw JSON, one item at a time with its position, decisions (accept, reject, return) that keep the reviewer's
place, a refused decision shown inline on the same page with the typed comment kept, the queue views and the
annotator filter (checked against the JSON twin), and who may review."""

from __future__ import annotations

import html
import re
import shutil
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.domain.text_diff import word_diff
from assay.services.accounts import auth, users
from assay.services.annotation import queue, review
from assay.services.projects import projects
from tests.web.review_support import REPLY_A, REPLY_B, REWRITE, ReviewWorld, build


@pytest.fixture(params=["sqlite"])
def settings(sqlite_template, tmp_path):  # type: ignore[no-untyped-def]
    """SQLite only (the fast loop); the PostgreSQL variant of the review logic is tests/services/test_review.py.
    The database is a copy of the session's migrated template (tests/conftest.py)."""
    from assay.config import load_settings

    s = load_settings(data_dir=tmp_path / "data")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template, s.data_dir / "assay.db")
    return s


@pytest.fixture
def world(db) -> ReviewWorld:  # type: ignore[no-untyped-def]
    return build(db)


@pytest.fixture
def client(db, world):  # type: ignore[no-untyped-def]
    from assay.web.app import create_app

    with TestClient(create_app(db.settings, db)) as c:
        yield c


def headers(db: Any, world: ReviewWorld, name: str) -> dict[str, str]:
    if name not in world.users:
        world.users[name] = users.add_user(db, name, f"{name}-password-1", "admin" if name == "root" else "annotator")
    return {"Authorization": f"Bearer {auth.create_api_token(db, world.users[name].id, 't')[0]}"}


def text_of(page: str) -> str:
    """The visible text of the page's main element (tags dropped, entities decoded)."""
    main = page.split("<main", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def position(page: str) -> tuple[int, int]:
    m = re.search(r'data-testid="review-position">(\d+) of (\d+)<', page)
    assert m, "no position on the page"
    return int(m.group(1)), int(m.group(2))


def current_annotation(page: str) -> int:
    m = re.search(r'data-testid="review-item" data-annotation="(\d+)"', page)
    assert m, "no item on the page"
    return int(m.group(1))


def assert_no_raw_json(page: str) -> None:
    main = page.split("<main", 1)[1]
    for raw in ('"choice"', "&#34;choice", "&quot;choice", '{"', "\\u20", "per_completion", "none_found", '"order"'):
        assert raw not in main, f"raw JSON on the review page: {raw!r}"


def test_every_answer_kind_is_rendered_read_only_without_json(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = headers(db, world, "rev")
    r = client.get(f"/projects/{world.project_id}/review", headers=h)
    assert r.status_code == 200
    page = r.text
    assert_no_raw_json(page)
    text = text_of(page)
    item = next(i for i in review.review_queue(db, world.project_id, world.users["rev"].id)
                if i.annotation_id == current_annotation(page))
    ans = item.answers
    # pairwise: the chosen side and strength, highlighted among the workspace's pills
    side, strength = ans["preference"]["choice"].upper(), {1: "slightly", 2: "clearly", 3: "much"}[ans["preference"]["strength"]]
    assert f"{side} is {strength} better" in text
    assert re.search(rf'class="pill chosen"\s+aria-current="true">{side} is better<', page)
    assert re.search(rf'class="pill chosen"\s+aria-current="true">{strength} better<', page)
    # ranking: the order, best first, ties shown
    order = " > ".join(" = ".join("ABC"[i] for i in g) for g in ans["rank"]["order"])
    assert html.unescape(re.search(r'data-testid="answer-rank-phrase">([^<]+)<', page).group(1)) == order
    assert page.count('class="rank-card tied"') == sum(len(g) - 1 for g in ans["rank"]["order"])
    # rating: every score in its cell, out of its dimension's maximum
    grid = page.split('data-testid="answer-rubric-grid"')[1].split("</table>")[0]
    for comp, scores in ans["rubric"]["scores"].items():
        for dim, v in scores.items():
            assert f'<strong class="score">{v}</strong>' in grid, (comp, dim)
    # labels: per completion and for the record
    assert "private data" in page.split('data-testid="answer-safety"')[1].split("</section>")[0]
    assert re.search(r'class="pill chosen"\s+aria-current="true">travel<', page)
    # text: as text, the curly apostrophe and quotes as characters (no \u2019 escapes)
    assert ans["rationale"]["text"] in text and "B’s “Lyon”" in page
    # gold rewrite: a word diff against reply A, each insertion in <ins>, each deletion in <del>
    diff = page.split('data-testid="answer-gold-diff"')[1].split("</div>\n</div>")[0]
    parts = word_diff(REPLY_A, REWRITE)
    for p in parts:
        tag = {"+": "ins", "-": "del", "=": "span"}[p.op]
        assert f"<{tag}>{html.escape(p.text, quote=False)}</{tag}>" in diff.replace("&#39;", "'"), p
    assert "Rewrite of Response A" in diff
    # spans: highlighted inside reply B's text, each followed by its number and label; the list has the notes
    spans = page.split('data-testid="answer-errors-spans-B"')[1].split("</div>")[0]
    for k, sp in enumerate(sorted(ans["errors"]["spans"], key=lambda s: s["start"]), start=1):
        quote = REPLY_B[sp["start"]:sp["end"]]
        assert re.search(rf'<mark class="span-mark depth-1" title="[^"]*">{quote}</mark><sup class="span-tag">{k} '
                         rf'{sp["label"]}</sup>', spans), quote
        assert sp["note"] in text
    # the record itself, with the long line in the page (wrapping is CSS: checked in the browser test)
    assert "Lyon and opened in 1920" in text


def test_code_review_verdicts(client, db, world) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/projects/{world.code_project_id}/review", headers=headers(db, world, "rev"))
    assert r.status_code == 200
    assert_no_raw_json(r.text)
    (item,) = review.review_queue(db, world.code_project_id, world.users["rev"].id)
    for i, verdict in item.answers["code"]["verdicts"].items():
        letter = "AB"[int(i)]
        assert f'data-testid="answer-code-verdict-{letter}">{letter}: {verdict.replace("_", " ")}<' in r.text
    assert "Preference: A is much better" in text_of(r.text)
    assert item.answers["code"]["rationale"] in text_of(r.text)


def test_one_item_at_a_time_and_decisions_keep_the_place(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = headers(db, world, "rev")
    base = f"/projects/{world.project_id}/review"
    queued = [i.annotation_id for i in review.review_queue(db, world.project_id, world.users["rev"].id, limit=100)]
    first = client.get(base, headers=h).text
    assert position(first) == (1, len(queued)) and current_annotation(first) == queued[0]
    assert 'data-testid="prev"' not in first and f'href="{base}?at={queued[1]}&amp;i=2"' in first
    second = client.get(f"{base}?at={queued[1]}&i=2", headers=h).text
    assert position(second) == (2, len(queued)) and current_annotation(second) == queued[1]
    assert f'href="{base}?at={queued[0]}&amp;i=1"' in second  # previous
    # accept item 2: back at position 2, now showing what was item 3
    r = client.post(f"{base}/{queued[1]}", data={"decision": "accepted", "next": str(queued[2]), "i": "2"},
                    headers=h, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{base}?at={queued[2]}&i=2"
    after = client.get(r.headers["location"], headers=h).text
    assert position(after) == (2, len(queued) - 1) and current_annotation(after) == queued[2]
    # return item 3 to its author: it becomes their draft again with the comment
    r = client.post(f"{base}/{queued[2]}", data={"decision": "returned", "comment": "Say why B is wrong",
                                                  "next": str(queued[3]), "i": "2"}, headers=h, follow_redirects=False)
    assert r.status_code == 303
    returned = review.history(db, world.project_id, 5)[0]
    assert (returned.annotation_id, returned.decision, returned.action) == (queued[2], "rejected", "returned")
    assert r.headers["location"] == f"{base}?at={queued[3]}&i=2"
    # a decided item is gone from the queue; the page counts one fewer each time
    final = client.get(base, headers=h).text
    assert position(final)[1] == len(queued) - 2


def test_return_goes_back_to_the_author_with_the_comment(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = headers(db, world, "rev")
    items = review.review_queue(db, world.project_id, world.users["rev"].id, limit=100,
                                filt=review.QueueFilter("pending", "ann1"))
    target = items[0]
    r = client.post(f"/projects/{world.project_id}/review/{target.annotation_id}",
                    data={"decision": "returned", "comment": "Mark the date too", "annotator": "ann1"},
                    headers=h, follow_redirects=False)
    assert r.status_code == 303 and "annotator=ann1" in r.headers["location"]
    t = queue.claim_next(db, world.project_id, world.users["ann1"].id)
    assert t is not None and t.record_id == target.record_id and t.feedback == "Mark the date too"


def test_missing_comment_is_an_inline_error_on_the_same_item(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = headers(db, world, "rev")
    base = f"/projects/{world.project_id}/review"
    queued = [i.annotation_id for i in review.review_queue(db, world.project_id, world.users["rev"].id, limit=100)]
    for decision in ("rejected", "returned"):
        r = client.post(f"{base}/{queued[1]}", data={"decision": decision, "comment": "   ", "next": str(queued[2]),
                                                      "i": "2"}, headers=h)
        assert r.status_code == 422
        assert 'data-testid="review-item"' in r.text and current_annotation(r.text) == queued[1]
        assert position(r.text) == (2, len(queued))
        err = re.search(r'data-testid="review-error">([^<]+)<', r.text)
        assert err and "the comment is what the annotator reads" in err.group(1)
        assert f'data-armed="{decision}"' in r.text  # Ctrl+Enter sends the same decision once a comment is typed
    assert review.history(db, world.project_id) == []  # nothing decided
    # a decision someone else already made: 409 on the page, the reviewer's typed comment kept
    client.post(f"{base}/{queued[0]}", data={"decision": "accepted"}, headers=h)
    typed = "B’s date is wrong <and> this comment must survive"
    r = client.post(f"{base}/{queued[0]}", data={"decision": "rejected", "comment": typed}, headers=h)
    assert r.status_code == 409 and "already reviewed" in r.text
    assert f">{html.escape(typed, quote=False)}</textarea>" in r.text.replace("&#39;", "'")
    # a gold record is never returned to its author (it would tell them it was a check item)
    gold = review.queue_as(db, world.project_id, world.users["rev"], filt=review.QueueFilter("gold_failed"))[0]
    r = client.post(f"{base}/{gold.annotation_id}", data={"decision": "returned", "comment": "wrong side",
                                                          "show": "gold_failed"}, headers=h)
    assert r.status_code == 422 and "never sent back" in r.text and ">wrong side</textarea>" in r.text
    assert 'data-testid="return"' not in r.text  # no such button on a gold item


def test_views_and_annotator_filter_match_the_json_twin(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = headers(db, world, "rev")
    base = f"/projects/{world.project_id}/review"
    api = f"/api/v1/projects/{world.project_id}/review/queue"
    for show in ("pending", "disagreement", "gold_failed"):
        for annotator in ("", "ann1", "ann2"):
            twin = client.get(api, params={"show": show, "annotator": annotator, "limit": 200}, headers=h).json()
            page = client.get(base, params={"show": show, "annotator": annotator}, headers=h).text
            if not twin:
                assert 'data-testid="review-empty"' in page, (show, annotator)
                continue
            assert position(page) == (1, len(twin)), (show, annotator)
            assert current_annotation(page) == twin[0]["annotation_id"]
            if annotator:
                assert {t["annotator"] for t in twin} == {annotator}
            assert re.search(rf'data-testid="view-{show}" aria-current="page">[^<]+<small>\({len(twin)}\)</small>', page)
    disagree = client.get(api, params={"show": "disagreement"}, headers=h).json()
    assert {t["record"]["external_id"] for t in disagree} == {"rv-1"} and len(disagree) == 2
    assert all(t["agreement"] < 1 for t in disagree)
    failed = client.get(api, params={"show": "gold_failed"}, headers=h).json()
    assert [(t["annotator"], t["record"]["external_id"]) for t in failed] == [("ann2", world.gold_record)]
    pending = client.get(api, params={"limit": 200}, headers=h).json()
    assert world.gold_record not in {t["record"]["external_id"] for t in pending}
    # the gold failure page shows the expected answer beside theirs and flags the question
    page = client.get(base, params={"show": "gold_failed"}, headers=h).text
    assert "Expected (gold) answers" in page and "differs from gold" in page
    assert "A is slightly better" in text_of(page)  # the gold answer, set by build()
    # filters travel in the links and the form
    assert f'href="/projects/{world.project_id}/review?show=disagreement"' in page
    r = client.get(base, params={"show": "nonsense"}, headers=h)
    assert r.status_code == 422 and "show must be one of" in r.text


def test_who_may_review(client, db, world) -> None:  # type: ignore[no-untyped-def]
    base = f"/projects/{world.project_id}/review"
    some = review.review_queue(db, world.project_id, world.users["boss"].id)[0]
    for name, status in (("root", 200), ("boss", 200), ("rev", 200), ("ann1", 403), ("otherlead", 404)):
        h = headers(db, world, name)
        assert client.get(base, headers=h).status_code == status, name
        api = client.get(f"/api/v1/projects/{world.project_id}/review/queue", headers=h)
        assert api.status_code == status, name
        if status != 200:
            r = client.post(f"{base}/{some.annotation_id}", data={"decision": "accepted"}, headers=h)
            assert r.status_code == status, name
            assert some.answers["rationale"]["text"] not in r.text
    # another project's lead is denied on this project's posts too, and a reviewer never reviews their own work
    projects.add_member(db, world.project_id, "ann1", "reviewer", world.users["boss"])
    h = headers(db, world, "ann1")
    mine = client.get(f"/api/v1/projects/{world.project_id}/review/queue", params={"limit": 200}, headers=h).json()
    assert mine and {m["annotator"] for m in mine} == {"ann2"}
    page = client.get(base, params={"annotator": "ann1"}, headers=h).text
    assert 'data-testid="review-empty"' in page
    own = next(i for i in review.review_queue(db, world.project_id, world.users["rev"].id, limit=100)
               if i.annotator == "ann1")
    r = client.post(f"{base}/{own.annotation_id}", data={"decision": "accepted"}, headers=h)
    assert r.status_code == 403 and "your own" in r.text
    assert review.history(db, world.project_id) == []


def test_a_gold_review_never_reaches_the_trainer(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from assay.services.annotation import submissions
    from assay.store import slots
    from tests.web.review_support import full_answers

    h = headers(db, world, "rev")
    base = f"/projects/{world.project_id}/review"
    gold = review.queue_as(db, world.project_id, world.users["rev"], filt=review.QueueFilter("gold_failed"))[0]
    ordinary = review.queue_as(db, world.project_id, world.users["rev"], filt=review.QueueFilter("pending", "ann2"))[0]
    secret = "GOLD-REVIEW-COMMENT: the expected side was A"
    r = client.post(f"{base}/{gold.annotation_id}", data={"decision": "rejected", "comment": secret,
                                                          "show": "gold_failed"}, headers=h, follow_redirects=False)
    assert r.status_code == 303 and "show=gold_failed" in r.headers["location"]
    client.post(f"{base}/{ordinary.annotation_id}", data={"decision": "accepted"}, headers=h)
    decided = {d.annotation_id: (d.decision, d.action) for d in review.history(db, world.project_id)}
    assert decided == {gold.annotation_id: ("rejected", ""), ordinary.annotation_id: ("accepted", "")}
    with db.read() as s:
        assert slots.drift(s, world.project_id) == []  # a gold rejection changes no counter
    mine = client.get(f"/projects/{world.project_id}/my-work", headers=headers(db, world, "ann2")).text
    assert secret not in mine
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr data-record="(\d+)">(.*?)</tr>', mine, re.DOTALL)}
    assert "not yet reviewed" in rows[str(gold.record_id)] and "rejected" not in rows[str(gold.record_id)]
    assert "accepted" in rows[str(ordinary.record_id)]  # an ordinary review does show
    # still editable: the submit's lock ignores the gold review
    submissions.submit(db, world.project_id, gold.record_id, world.users["ann2"].id, full_answers("a"), 5)


def test_malformed_or_hostile_stored_answers_never_break_the_page(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from assay.store.tables import AnnotationRow

    h = headers(db, world, "rev")
    first = review.review_queue(db, world.project_id, world.users["rev"].id)[0]
    hostile = {
        "preference": {"choice": "<script>window.__pwned=1</script>"},
        "rank": {"order": [[7, "x"], 9, []]},
        "rubric": {"scores": {"0": {"helpfulness": "lots"}, "x": {"tone": 2}, "9": {"tone": 3}}},
        "safety": {"per_completion": {"5": ["<b>bold</b>"]}},
        "rationale": {"text": "<img src=x onerror=alert(1)> — fine"},
        "gold": {"text": "rewritten", "base": 12},
        "errors": {"spans": [{"completion": 1, "start": 50_000, "end": 50_010, "label": "hallucination",
                              "text": "far away"}, {"completion": 9, "start": 0, "end": 3}, "junk"]},
        "gone_question": {"x": "é"},
    }
    with db.write() as s:
        s.execute(update(AnnotationRow).where(AnnotationRow.id == first.annotation_id).values(answers=hostile))
    r = client.get(f"/projects/{world.project_id}/review", params={"at": first.annotation_id}, headers=h)
    assert r.status_code == 200 and current_annotation(r.text) == first.annotation_id
    main = r.text.split("<main", 1)[1]
    assert "<script>window.__pwned" not in main and "<img src=x" not in main and "<b>bold</b>" not in main
    assert "not readable as a pairwise answer" in main
    assert "no question with this name any more" in main and "é" in main  # stored JSON, non-ASCII as is
    assert "offsets outside the text" in main and "&lt;img src=x onerror=alert(1)&gt; — fine" in main
