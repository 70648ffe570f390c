"""A record's judgments page (/projects/{id}/records/{rid}/judgments) draws every answer read-only with the
review page's own macros (templates/review_answers.html): a gold rewrite shows its word diff against the reply
it started from, spans are highlighted inside their reply, the expected (gold) answers too; and each judgment
links to that person's edit history (page and JSON), which the lead may open. Both databases."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.services.accounts import auth
from assay.services.projects import records_table
from assay.services.quality import gold
from tests.web.review_support import REPLY_B, REWRITE, ReviewWorld, build


@pytest.fixture
def world(db: Any) -> ReviewWorld:
    return build(db)


@pytest.fixture
def lead(db: Any, world: ReviewWorld) -> Any:
    from assay.web.app import create_app

    token = auth.create_api_token(db, world.users["boss"].id, "t")[0]
    with TestClient(create_app(db.settings, db), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _record_id(db: Any, world: ReviewWorld, external_id: str) -> int:
    view = records_table.records_page(db, world.project_id, world.users["boss"], {"size": "100"})
    return next(r.record_id for r in view.rows if r.external_id == external_id)


def _judgment(page: str, who: str) -> str:
    return page.split(f'data-annotator="{who}"', 1)[1].split("</article>", 1)[0]


def test_answers_drawn_like_the_review_page(db: Any, world: ReviewWorld, lead: TestClient) -> None:
    rid = _record_id(db, world, "rv-1")
    r = lead.get(f"/projects/{world.project_id}/records/{rid}/judgments")
    assert r.status_code == 200
    for who in ("ann1", "ann2"):
        part = _judgment(r.text, who)
        # the rewrite: a word diff against Response A, insertions and deletions marked
        diff = part.split('data-testid="answer-gold-diff"', 1)[1].split("</div>\n</div>", 1)[0]
        assert "Rewrite of Response A" in diff and "<ins>" in diff and "<del>" in diff
        assert "France." in html.unescape(diff)
        # the spans: highlighted inside Response B's text
        spans = part.split('data-testid="answer-errors-spans-B">', 1)[1].split("</div>", 1)[0]
        marks = re.findall(r'<mark class="span-mark[^"]*"[^>]*>([^<]*)</mark>', spans)
        assert marks == ["Lyon", "1920"], marks
        assert html.unescape(re.sub(r"<sup[^>]*>.*?</sup>|<[^>]+>", "", spans)).strip() == REPLY_B
        # pairwise: the chosen side as a pill, not a JSON blob
        side = "B" if who == "ann2" else "A"
        assert re.search(rf'class="pill chosen"\s+aria-current="true">{side} is better<', part)
    main = r.text.split("<main", 1)[1]
    assert '"choice"' not in main and "&#34;choice" not in main and "none_found" not in main


def test_gold_rewrite_expected_answer_shows_its_diff(db: Any, world: ReviewWorld, lead: TestClient) -> None:
    gold.set_gold(db, world.project_id, world.gold_record,
                  {"preference": {"choice": "a", "strength": 1}, "gold": {"text": REWRITE, "base": 0}})
    rid = _record_id(db, world, world.gold_record)
    page = lead.get(f"/projects/{world.project_id}/records/{rid}/judgments").text
    expected = page.split('data-testid="gold-expected"', 1)[1].split("</article>", 1)[0]
    assert 'data-testid="answer-gold-diff"' in expected and "<ins>" in expected
    assert "A is slightly better" in html.unescape(re.sub(r"<[^>]+>", " ", expected))
    assert _judgment(page, "ann2").count('data-testid="gold-check"') == 1
    assert "differs from gold" in _judgment(page, "ann2") and "matches gold" in _judgment(page, "ann1")


def test_each_judgment_links_to_its_edit_history(db: Any, world: ReviewWorld, lead: TestClient) -> None:
    rid = _record_id(db, world, "rv-0")
    page = lead.get(f"/projects/{world.project_id}/records/{rid}/judgments").text
    for who in ("ann1", "ann2"):
        uid = world.users[who].id
        part = _judgment(page, who)
        link = f"/projects/{world.project_id}/records/{rid}/history?user={uid}"
        assert f'href="{link}"' in part and f'href="/projects/{world.project_id}/records/{rid}/history.json?user={uid}"' in part
        hist = lead.get(link)
        assert hist.status_code == 200 and who in hist.text
        js = lead.get(f"/projects/{world.project_id}/records/{rid}/history.json", params={"user": uid})
        assert js.status_code == 200 and js.json()["user_id"] == uid and len(js.json()["revisions"]) == 1
