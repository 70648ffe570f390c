"""One source of truth for a trainer's gold standing (issue 19): with `gold: {first_n: 1, min_items: 2,
warn_below: 0.7}` and three gold answers, one right, the project page banner, the dashboard banner, the
dashboard table, the records table and the API all say "33 % (1 of 3)" — none says "50 % over 2 answers"
(what the banner said when the warning's text was stored at the second answer and never again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.records_world import GOLD_CONFIG, RecordsWorld, make_world

from assay.services.quality import gold

FIGURE = "33 % (1 of 3)"


def test_figure_is_written_one_way() -> None:
    assert gold.figure(3, 1 / 3) == FIGURE
    assert gold.figure(2, 0.5) == "50 % (1 of 2)"
    assert gold.figure(4, 0.375) == "38 % (1.5 of 4)"  # labels scored by overlap can be partly right
    assert gold.figure(0, None) == "no gold answers yet"


@pytest.fixture
def w(settings: Any) -> Iterator[RecordsWorld]:
    assert GOLD_CONFIG == {"first_n": 1, "min_items": 2, "warn_below": 0.7}
    world = make_world(settings, n=6)
    yield world
    world.db.close()


def test_every_place_says_the_same(w: RecordsWorld) -> None:
    lead = w.client("lead")
    # ann1 answers a, b, b on r00..r02; the lead then marks the first two gold (expected a): 1 of 2 right,
    # 50 %: warned (under 0.7, not under the default pause_below 0.5)...
    assert [w.judge_next("ann1", c) for c in "abb"] == ["r00", "r01", "r02"]
    r = lead.post(f"/api/v1/projects/{w.project_id}/gold", json={"external_ids": ["r00", "r01"],
                                                                "expected": {"preference": {"choice": "a"}}})
    assert r.status_code == 200 and r.json() == {"records": 2}
    st = {s["username"]: s for s in lead.get(f"/api/v1/projects/{w.project_id}/gold/standing").json()}["ann1"]
    assert (st["state"], st["figure"]) == ("warned", "50 % (1 of 2)")
    # ...then the third (expected a, answered b): 1 of 3 right, 33 %
    r = lead.post(f"/api/v1/projects/{w.project_id}/gold", json={"external_ids": ["r02"],
                                                                "expected": {"preference": {"choice": "a"}}})
    assert r.status_code == 200
    standing = {s["username"]: s for s in lead.get(f"/api/v1/projects/{w.project_id}/gold/standing").json()}["ann1"]
    assert standing["figure"] == FIGURE and standing["gold_n"] == 3

    places = {
        "project page banner": lead.get(f"/projects/{w.project_id}").text,
        "dashboard page (banner and table)": lead.get(f"/projects/{w.project_id}/dashboard").text,
        "records table": lead.get(f"/projects/{w.project_id}/records", params={"annotator": "ann1"}).text,
        "dashboard API": lead.get(f"/api/v1/projects/{w.project_id}/dashboard").text,
        "standing API": lead.get(f"/api/v1/projects/{w.project_id}/gold/standing").text,
        "records table API": lead.get(f"/api/v1/projects/{w.project_id}/records-table",
                                      params={"annotator": "ann1"}).text,
    }
    for where, text in places.items():
        assert FIGURE in text, f"{where} does not say {FIGURE}"
        assert "(1 of 2)" not in text and "50%" not in text and "over 2 answers" not in text, f"{where} is stale"
    dash = places["dashboard page (banner and table)"]
    assert dash.count(FIGURE) >= 3  # the banner, the trainers table and the gold standing table
    notices = lead.get(f"/api/v1/projects/{w.project_id}/dashboard").json()["notices"]
    assert any(FIGURE in n and n.startswith("ann1 is ") for n in notices)


def test_nothing_of_it_reaches_the_trainer(w: RecordsWorld) -> None:
    """The trainer's own pages never mark a record gold or show an expected answer, and every lead surface
    (records table, gold list, standings) refuses them. (A paused trainer is told why — the stored reason,
    written with the same figure when their state changed — as before.)"""
    assert [w.judge_next("ann1", c) for c in "abb"] == ["r00", "r01", "r02"]
    w.client("lead").post(f"/api/v1/projects/{w.project_id}/gold", json={
        "external_ids": ["r00", "r01", "r02"], "expected": {"preference": {"choice": "a"}}})
    ann = w.client("ann1")
    for url in (f"/projects/{w.project_id}/my-stats", f"/api/v1/projects/{w.project_id}/my-stats",
                f"/projects/{w.project_id}/my-work", f"/projects/{w.project_id}"):
        body = ann.get(url).text
        assert 'data-testid="gold-flag"' not in body and "gold_answers" not in body and "expected" not in body, url
    for url in (f"/projects/{w.project_id}/records", f"/api/v1/projects/{w.project_id}/gold",
                f"/api/v1/projects/{w.project_id}/records-table", f"/api/v1/projects/{w.project_id}/gold/standing"):
        assert ann.get(url).status_code in (403, 404), url
