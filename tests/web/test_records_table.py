"""The records table (/projects/{id}/records): filters, sorting, paging, the judgments page, bulk actions with
the exactly-k counters intact, who may see it, and bad filter values answered inline (both databases)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.web.records_world import RecordsWorld, make_world


@pytest.fixture
def w(settings: Any) -> Any:
    world = make_world(settings)
    yield world
    world.db.close()


def _externals(html: str) -> list[str]:
    return re.findall(r'<tr data-record="([^"]+)"', html)


def _count(w: RecordsWorld, **params: Any) -> str:
    """The count the table loads after its rows ("30 records · 1 page")."""
    r = w.client("lead").get(f"/projects/{w.project_id}/records-count", params=params)
    assert r.status_code == 200
    return r.text


def _page(w: RecordsWorld, who: str = "lead", **params: Any) -> Any:
    return w.client(who).get(f"/projects/{w.project_id}/records", params=params)


def _drift(w: RecordsWorld) -> list[Any]:
    from assay.store import slots

    with w.db.read() as s:
        return slots.drift(s, w.project_id)


def _judge_two(w: RecordsWorld) -> None:
    """r00 agreed (a, a), r01 disagreed (a, b), r02 half-judged by ann1 (b)."""
    assert [w.judge_next("ann1", c) for c in "aab"] == ["r00", "r01", "r02"]
    assert [w.judge_next("ann2", c) for c in "ab"] == ["r00", "r01"]


def test_filters_sorting_and_paging(w: RecordsWorld) -> None:
    _judge_two(w)
    html = _page(w).text
    assert _count(w) == "30 records · 1 page" and 'hx-get="/projects/' in html  # the page loads it
    assert _externals(html)[:3] == ["r00", "r01", "r02"] and len(_externals(html)) == 30
    assert _externals(_page(w, status="done").text) == ["r00", "r01"]
    assert _externals(_page(w, status="in_progress").text) == ["r02"]
    assert len(_externals(_page(w, status="todo").text)) == 27
    assert _externals(_page(w, annotator="ann2").text) == ["r00", "r01"]
    assert _externals(_page(w, agreement="agreed").text) == ["r00"]
    assert _externals(_page(w, agreement="disagreed").text) == ["r01"]
    assert _externals(_page(w, meta="n=7").text) == ["r07"]  # a number in the metadata
    assert _count(w, meta="src=hh", size=25) == "15 records match · 1 page"
    assert _count(w, size=25) == "30 records · 2 pages"
    assert _externals(_page(w, q="word13").text) == ["r13"]  # text in the prompt
    assert _externals(_page(w, q="APPLE", meta="src=hh").text) == ["r00", "r06", "r12", "r18", "r24"]
    assert _externals(_page(w, q="59").text) == ["r29"]  # text in a completion ("59")
    # sorting: by external id descending; by judgments
    assert _externals(_page(w, sort="external_id", dir="desc").text)[:2] == ["r29", "r28"]
    assert _externals(_page(w, sort="judgments", dir="desc").text)[:3] == ["r01", "r00", "r02"]  # ties: by id, the same way
    # paging: 25 a page, the second page holds the last five, and links keep the filter
    first, second = _page(w, size=25).text, _page(w, size=25, page=2).text
    assert len(_externals(first)) == 25 and _externals(second) == [f"r{i}" for i in range(25, 30)]
    assert "page=2" in first and "size=25" in first and 'data-testid="page-next"' not in second
    assert _externals(_page(w, page=7).text) == []  # past the end: an empty page, not an error
    # the htmx request gets the table fragment only
    frag = w.client("lead").get(f"/projects/{w.project_id}/records", params={"status": "done"},
                                headers={"HX-Request": "true", "HX-Target": "records-table"})
    assert frag.status_code == 200 and "<html" not in frag.text and _externals(frag.text) == ["r00", "r01"]
    # the JSON twin gives the same rows
    api = w.client("lead").get(f"/api/v1/projects/{w.project_id}/records-table", params={"status": "done"}).json()
    assert [r["external_id"] for r in api["rows"]] == ["r00", "r01"] and api["total"] == 2
    assert api["rows"][1]["agreement"] == "disagreed" and api["rows"][1]["annotators"] == ["ann1", "ann2"]


BAD_FILTERS = [
    ({"status": "finished"}, "status"), ({"gold": "maybe"}, "gold"), ({"page": "x"}, "page"),
    ({"page": "0"}, "page"), ({"size": "7"}, "size"), ({"sort": "drop table"}, "sort"), ({"dir": "up"}, "dir"),
    ({"meta": "no-equals"}, "metadata"), ({"meta": "bad key!=1"}, "metadata"), ({"agreement": "meh"}, "agreement"),
    ({"annotator": "nobody-here"}, "annotator"), ({"q": "x" * 201}, "text search"), ({"page": "999999"}, "page"),
]


def test_bad_filter_values_are_an_inline_error(w: RecordsWorld) -> None:
    """Every bad value in one world (they only read): each names its field above the table, the JSON twin 422."""
    for params, field in BAD_FILTERS:
        r = _page(w, **params)
        assert r.status_code == 400, params
        m = re.search(r'data-testid="filter-error">([^<]*)<', r.text)
        assert m and field in m.group(1), (params, r.text[:400])
        assert len(_externals(r.text)) == 30, params  # the table still shows (every record), the error above it
        api = w.client("lead").get(f"/api/v1/projects/{w.project_id}/records-table", params=params)
        assert api.status_code == 422 and api.json()["error"]["details"]["fields"], params


def test_judgments_page_shows_every_judgment_side_by_side(w: RecordsWorld) -> None:
    from assay.services.annotation import review

    _judge_two(w)
    rid = w.ids["r01"]
    with w.db.read() as s:
        from assay.store.queries import records_table as table_q

        anns = {j.username: j.annotation_id for j in table_q.judgments(s, [rid])}
    review.decide(w.db, w.project_id, anns["ann2"], w.users["rev"], "rejected", "B is wrong here")
    html = _page(w).text
    assert f'/projects/{w.project_id}/records/{rid}/judgments' in html  # each row opens it
    page = w.client("lead").get(f"/projects/{w.project_id}/records/{rid}/judgments").text
    assert page.count('data-testid="judgment"') == 2
    assert 'data-annotator="ann1"' in page and 'data-annotator="ann2"' in page
    assert "A is clearly better" in page and "B is clearly better" in page  # answers as the question kind reads
    assert "rejected" in page and "B is wrong here" in page and "not reviewed" in page
    assert "What is 1 + 1?" in page
    api = w.client("lead").get(f"/api/v1/projects/{w.project_id}/records/{rid}/judgments").json()
    assert [j["username"] for j in api["judgments"]] == ["ann1", "ann2"] and api["status"] == "reviewed"
    # a record of another project is not found through this one
    other = w.client("lead").get(f"/projects/{w.project_id}/records/999999/judgments")
    assert other.status_code == 404


def _bulk(w: RecordsWorld, who: str = "lead", hx: bool = True, **form: Any) -> Any:
    headers = {"HX-Request": "true", "HX-Target": "records-table"} if hx else {}
    return w.client(who).post(f"/projects/{w.project_id}/records/bulk", data=form, headers=headers,
                              follow_redirects=False)


def _audit(w: RecordsWorld, action: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assay.store.tables import AuditRow

    with w.db.read() as s:
        return [r.detail for r in s.scalars(select(AuditRow).where(AuditRow.action == action))]


def test_bulk_gold_with_the_form_then_unmark(w: RecordsWorld) -> None:
    ids = [w.ids["r03"], w.ids["r04"]]
    form = w.client("lead").get(f"/projects/{w.project_id}/gold/form", params=[("ids", i) for i in ids]).text
    assert 'name="a.preference.choice"' in form and "2 selected records" in form  # the trainers' component
    r = _bulk(w, action="gold", ids=ids, expected_json=json.dumps({"preference": {"choice": "b"}}))
    assert r.status_code == 200 and "Marked gold: 2 record(s)" in r.text
    html = _page(w, gold="yes").text
    assert _externals(html) == ["r03", "r04"] and html.count('data-testid="gold-flag"') == 2
    page = w.client("lead").get(f"/projects/{w.project_id}/records/{ids[0]}/judgments").text
    assert 'data-testid="gold-expected"' in page and "B is better" in page
    # the plain form fields of the trainers' form work too (no script)
    r = _bulk(w, hx=False, action="gold", ids=[w.ids["r05"]], **{"a.preference.choice": "a"})
    assert r.status_code == 303
    assert _externals(_page(w, gold="yes").text) == ["r03", "r04", "r05"]
    assert [g["external_id"] for g in w.client("lead").get(f"/api/v1/projects/{w.project_id}/gold").json()] == [
        "r03", "r04", "r05"]
    # a bad expected answer changes nothing and names the question
    bad = _bulk(w, action="gold", ids=[w.ids["r06"]], expected_json=json.dumps({"preference": {"choice": "c"}}))
    assert bad.status_code == 422 and "preference" in bad.text
    bad = _bulk(w, action="gold", ids=[w.ids["r06"]], expected_json=json.dumps({"nope": {"choice": "a"}}))
    assert bad.status_code == 422 and "nope" in bad.text
    assert "r06" not in _externals(_page(w, gold="yes").text)
    # all or nothing: one record of the selection is not in the project -> nothing is marked
    other = _bulk(w, action="gold", ids=[w.ids["r07"], 999999], expected_json=json.dumps({"preference": {"choice": "a"}}))
    assert other.status_code == 404 and "r07" not in _externals(_page(w, gold="yes").text)
    r = _bulk(w, action="ungold", ids=[w.ids["r03"]])
    assert r.status_code == 200 and _externals(_page(w, gold="yes").text) == ["r04", "r05"]
    assert [d["records"] for d in _audit(w, "gold.set")] == [2, 1] and _audit(w, "gold.unset")[0]["records"] == 1


def test_bulk_requeue_remove_restore_priority_keep_the_counters(w: RecordsWorld) -> None:
    from assay.services.annotation import queue

    _judge_two(w)
    t = queue.claim_next(w.db, w.project_id, w.users["ann2"].id)  # ann2 holds r02 now (a live lease)
    assert t is not None and t.record.external_id == "r02"
    r = _bulk(w, action="requeue", ids=[w.ids["r00"], w.ids["r02"]])
    assert r.status_code == 200 and "Requeued: 2 record(s)" in r.text and "1 lease(s) ended" in r.text
    assert "3 judgment(s) no longer counted" in r.text
    assert _drift(w) == []
    rows = {x["external_id"]: x for x in w.client("lead").get(
        f"/api/v1/projects/{w.project_id}/records-table", params={"size": 200}).json()["rows"]}
    assert rows["r00"]["submitted"] == 0 and rows["r02"]["submitted"] == 0 and rows["r01"]["submitted"] == 2
    # remove from the queue: served to nobody; restore: served again
    r = _bulk(w, action="remove", ids=[w.ids[f"r{i:02d}"] for i in range(3, 30)])
    assert r.status_code == 200 and "Removed from the queue: 27 record(s)" in r.text
    assert _externals(_page(w, status="removed").text)[:2] == ["r03", "r04"]
    u = w.users["admin"].id  # someone who never had any of them
    seen = []
    while (t := queue.claim_next(w.db, w.project_id, u)) is not None:
        seen.append(t.record.external_id)
        queue.release(w.db, w.project_id, t.record_id, u)
    assert seen == ["r00", "r02"]  # the requeued records are served afresh; the removed ones to nobody
    assert _drift(w) == []
    r = _bulk(w, action="restore", ids=[w.ids["r29"]])
    assert r.status_code == 200 and "r29" not in _externals(_page(w, status="removed").text)
    # priority, on everything matching a filter
    r = _bulk(w, action="priority", priority="5", scope="all", **{"f.meta": "src=hh"})
    assert r.status_code == 200 and "Priority set: 15 record(s)" in r.text
    top = _externals(_page(w, sort="priority", dir="desc").text)
    assert top[:15] == sorted((f"r{i:02d}" for i in range(0, 30, 2)), reverse=True)  # ties by id, descending too
    bad = _bulk(w, action="priority", priority="lots", ids=[w.ids["r01"]])
    assert bad.status_code == 422 and "priority" in bad.text
    bad = _bulk(w, action="explode", ids=[w.ids["r01"]])
    assert bad.status_code == 422 and "unknown action" in bad.text
    assert [d["records"] for d in _audit(w, "records.requeue")] == [2]
    assert [d["records"] for d in _audit(w, "records.priority")] == [15]
    assert _drift(w) == []


@pytest.mark.parametrize("who, status", [("admin", 200), ("lead", 200), ("rev", 403), ("ann1", 403),
                                         ("lead2", 404)])
def test_who_may_see_and_change_the_table(w: RecordsWorld, who: str, status: int) -> None:
    rid = w.ids["r01"]
    c = w.client(who)
    assert c.get(f"/projects/{w.project_id}/records").status_code == status
    assert c.get(f"/projects/{w.project_id}/records/{rid}/judgments").status_code == status
    assert c.get(f"/api/v1/projects/{w.project_id}/records-table").status_code == status
    assert c.get(f"/api/v1/projects/{w.project_id}/gold").status_code == status
    r = c.post(f"/projects/{w.project_id}/records/bulk", data={"action": "gold", "ids": rid,
                                                                 "a.preference.choice": "a"},
               follow_redirects=False)
    assert r.status_code == (303 if status == 200 else status)
    gold_set = c.post(f"/api/v1/projects/{w.project_id}/gold", json={"record_ids": [rid],
                                                                     "expected": {"preference": {"choice": "a"}}})
    assert gold_set.status_code == status
    if status != 200:  # nothing changed
        with w.db.read() as s:
            from assay.store.queries import records_table as table_q

            assert table_q.gold_records(s, w.project_id) == []


def test_another_projects_lead_cannot_reach_records_through_their_own_project(w: RecordsWorld) -> None:
    """lead2 leads project Q: P's record ids through Q's URLs are not found, and bulk on them changes nothing."""
    c = w.client("lead2")
    q = w.other_project_id
    rid = w.ids["r01"]
    assert c.get(f"/projects/{q}/records/{rid}/judgments").status_code == 404
    r = c.post(f"/projects/{q}/records/bulk", data={"action": "priority", "priority": "9", "ids": rid})
    assert r.status_code == 404
    r = c.post(f"/api/v1/projects/{q}/gold", json={"record_ids": [rid], "expected": {"preference": {"choice": "a"}}})
    assert r.status_code == 404
    assert "r01" not in _externals(_page(w, sort="priority", dir="desc").text)[:1]


def _link(html: str, testid: str) -> str | None:
    import html as html_mod

    m = re.search(rf'<a href="\?([^"]*)"[^>]*data-testid="{testid}"', html)
    return html_mod.unescape(m.group(1)) if m else None


@pytest.mark.parametrize("sort,direction", [  # the fast loop walks two (ties by id included); CI all five
    ("id", "asc"), pytest.param("id", "desc", marks=pytest.mark.slow), ("priority", "desc"),
    pytest.param("judgments", "desc", marks=pytest.mark.slow), pytest.param("external_id", "asc", marks=pytest.mark.slow)])
def test_next_and_previous_page_by_keyset(settings: Any, sort: str, direction: str) -> None:
    """Next/previous links carry the edge row of the page (`after=` / `before=`): the database walks the sort
    index from it instead of counting an offset; the pages are exactly the offset pages, ties (equal priority,
    equal judgments) broken by id, and a filter kept; a page number alone still jumps by offset."""
    from urllib.parse import parse_qsl

    world = make_world(settings, n=80)
    try:
        _judge_two(world)
        for prio, names in ((5, ["r10", "r11", "r12"]), (2, ["r40", "r41"]), (-1, ["r70"])):
            assert _bulk(world, action="priority", priority=prio, ids=[world.ids[n] for n in names]).status_code == 200
        for flt in ({}, {"meta": "src=hh"}):
            base = {"sort": sort, "dir": direction, "size": 25, **flt}
            offset_pages = []
            for n in range(1, 5):
                rows = _externals(_page(world, **base, page=n).text)
                if rows:
                    offset_pages.append(rows)
            assert sum(map(len, offset_pages)) == (80 if not flt else 40)
            # forward with the next links
            html, walked = _page(world, **base).text, []
            while True:
                walked.append(_externals(html))
                nxt = _link(html, "page-next")
                if nxt is None:
                    break
                params = parse_qsl(nxt)
                assert ("after", str(world.ids[walked[-1][-1]])) in params, nxt
                html = world.client("lead").get(f"/projects/{world.project_id}/records", params=params).text
            assert walked == offset_pages
            # and back with the previous links
            back = [walked[-1]]
            while (prev := _link(html, "page-prev")) is not None:
                params = parse_qsl(prev)
                if len(back) < len(walked) - 1:
                    assert ("before", str(world.ids[back[-1][0]])) in params, prev
                html = world.client("lead").get(f"/projects/{world.project_id}/records", params=params).text
                back.append(_externals(html))
            assert back[::-1] == offset_pages
        # an anchor of another project (or none at all) is an offset page, a bad one an inline error
        assert _externals(_page(world, page=2, size=25, after=999999).text) == _externals(_page(world, page=2, size=25).text)
        bad = _page(world, after="x")
        assert bad.status_code == 400 and "after must be a record id" in bad.text
    finally:
        world.db.close()
