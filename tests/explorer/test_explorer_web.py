"""Explorer pages and their JSON twins through the real app (token auth), on the explorer test store."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.services.accounts import auth, users
from assay.services.projects import projects
from assay.web.app import create_app


@pytest.fixture
def env(xdb):  # type: ignore[no-untyped-def]
    lead = users.add_user(xdb, "lead", "password123", "lead")
    ann = users.add_user(xdb, "ann", "password123")
    app = create_app(xdb.settings, xdb)

    def client(u):  # type: ignore[no-untyped-def]
        return TestClient(app, headers={"Authorization": f"Bearer {auth.create_api_token(xdb, u.id, 't')[0]}"})

    with client(lead) as lead_client:  # runs the app's lifespan: its job runner builds the explorer caches
        yield {"db": xdb, "lead": lead_client, "ann": client(ann), "lead_user": lead}


@pytest.mark.slow
def test_pages_render_and_twins_agree(env):  # type: ignore[no-untyped-def]
    c = env["lead"]
    assert "hh-clean@1" in c.get("/explore").text
    r = c.get("/explore/hh-clean@1", params={"q": "kill", "f": ["turns>=2"]})
    assert r.status_code == 200 and 'data-testid="record"' in r.text
    j = c.get("/api/v1/explore/hh-clean@1/records", params={"q": "kill", "f": ["turns>=2"]}).json()
    assert j["total"] > 0 and f"<strong>{j['total']}</strong>" in r.text
    assert all("kill" in json.dumps(row).lower() for row in j["rows"])
    rid = j["rows"][0]["id"]
    page = c.get(f"/explore/hh-clean@1/records/{rid}")
    assert page.status_code == 200 and rid in page.text and "Pipeline" in page.text
    rec = c.get(f"/api/v1/explore/hh-clean@1/records/{rid}").json()
    assert rec["id"] == rid and [s["id"] for s in rec["pipeline_steps"]] == ["pii", "filter", "exact_dedup"]
    stats = c.get("/api/v1/explore/hh-clean@1/stats").json()
    assert stats["rows"] == sum(b["count"] for b in stats["histograms"]["chars"]["bins"])
    filt = next(s for s in stats["steps"] if s["id"] == "filter")
    assert filt["dropped"] and all(len(v) <= 3 for v in filt["examples"].values()) and filt["examples"]
    html = c.get("/explore/hh-clean@1/stats").text
    assert 'data-testid="run-report"' in html and "<svg" in html
    # dropped examples link to the parent version, where the dropped record still is
    ex = next(iter(filt["examples"].values()))[0]
    assert c.get(f"/api/v1/explore/hh@1/records/{ex}").status_code == 200


@pytest.mark.slow  # builds two DuckDB caches, 1.7 s: CI runs it
def test_judgments_stats_and_record_outcome(env):  # type: ignore[no-untyped-def]
    c = env["lead"]
    s = c.get("/api/v1/explore/hh-judged@1/stats").json()
    assert s["judgments"]["judged"] == 30 and s["judgments"]["unjudged"] == 10
    assert sum(b["count"] for b in s["judgments"]["agreement"]["bins"]) == 30
    labels = dict(s["value_counts"]["label"]["top"])
    assert labels["unsafe"] > 0 and labels["safe"] > labels["unsafe"]
    rows = c.get("/api/v1/explore/hh-judged@1/records", params={"f": ["agreement<0.9"]}).json()["rows"]
    assert rows
    rec = c.get(f"/api/v1/explore/hh-judged@1/records/{rows[0]['id']}").json()
    assert rec["outcome"]["judgments"] == 3 and rec["outcome"]["questions"]["pref"]["share"] < 0.9


def test_lineage_and_diff(env):  # type: ignore[no-untyped-def]
    c = env["lead"]
    g = c.get("/api/v1/explore/hh-judged@1/lineage", params={"against": "hh@1"}).json()
    refs = [n["ref"] for n in g["graph"]["nodes"]]
    assert refs == ["hh-judged@1", "hh-clean@1", "hh@1"]
    assert {(e["parent"], e["child"]) for e in g["graph"]["edges"]} == {("hh-clean@1", "hh-judged@1"),
                                                                       ("hh@1", "hh-clean@1")}
    assert g["diff"]["removed"] == 260 and g["diff"]["changed"] == 40
    html = c.get("/explore/hh-judged@1/lineage", params={"against": "hh@1"}).text
    assert html.count("<rect") == 3 and 'data-testid="diff-summary"' in html


@pytest.mark.slow
def test_export_and_push_the_selection(env):  # type: ignore[no-untyped-def]
    c, db = env["lead"], env["db"]
    sel = {"conditions": ["meta.split=dev"], "q": "you"}
    want = c.get("/api/v1/explore/hh@1/records", params={"f": sel["conditions"], "q": "you", "per_page": 200}).json()
    p = projects.create_project(db, ProjectSpec(name="px", questions=[Question("pref", "pairwise")]),
                                env["lead_user"])
    # a lead's new dataset belongs to a project they lead (issue 18, finding 9); the store is shared by both
    # back ends' runs and owners live in each database, so each run makes its own name
    name = "hh-dev-" + ("sqlite" if db.settings.is_sqlite else "pg")
    assert c.post("/api/v1/explore/hh@1/export", json={**sel, "name": name}).status_code == 403
    out = c.post("/api/v1/explore/hh@1/export", json={**sel, "name": name, "project_id": p.id}).json()
    assert out["rows"] == want["total"] and out["ref"] == f"{name}@1"
    again = c.get(f"/api/v1/explore/{name}@1/records", params={"per_page": 200}).json()
    assert [r["id"] for r in again["rows"]] == [r["id"] for r in want["rows"]]
    assert out["pipeline"]["steps"][0]["filter"]["match"] == ["meta.split=dev", "text~you"]
    f = c.post("/api/v1/explore/hh@1/export", json={**sel, "format": "jsonl"})
    assert f.status_code == 200 and len(f.text.strip().splitlines()) == want["total"]
    r = c.post("/api/v1/explore/hh@1/push", json={**sel, "project_id": p.id}).json()
    assert r["created"] == want["total"]
    assert env["ann"].post("/api/v1/explore/hh@1/push", json={**sel, "project_id": p.id}).status_code in (403, 404)


@pytest.mark.slow
def test_annotators_cannot_see_datasets(env):  # type: ignore[no-untyped-def]
    a = env["ann"]
    for url in ["/explore", "/explore/hh@1", "/explore/hh@1/stats", "/explore/hh@1/lineage",
                "/api/v1/explore/hh@1/records", "/api/v1/explore/hh@1/stats"]:
        assert a.get(url).status_code == 403, url


def test_bad_filters_say_what_to_do(env):  # type: ignore[no-untyped-def]
    r = env["lead"].get("/api/v1/explore/hh@1/records", params={"f": ["nope=1"]})
    assert r.status_code == 422 and "unknown field" in r.json()["error"]["message"]
    assert env["lead"].get("/api/v1/explore/hh@9/records").status_code == 404
