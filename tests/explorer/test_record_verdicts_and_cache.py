"""A record's page tells the real per-step verdict from the run's per-record decisions (kept, dropped by
which step and why, or would-drop when a step only annotated), and the explorer cache is built in the
background: a page shows "building" (its JSON twin 202) until the cache is ready, never building it inside
the request."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from assay.jobs import JobRunner
from assay.pipelines.runner import run_pipeline
from assay.pipelines.spec import PipelineSpec
from assay.services.accounts import auth, users
from assay.services.explorer import browse as explorer
from assay.services.explorer import cache as explorer_cache
from assay.services.explorer import record as explorer_record
from assay.web.app import create_app


@pytest.fixture
def lead(xdb):  # type: ignore[no-untyped-def]
    u = users.add_user(xdb, "lead", "password123", "lead")
    app = create_app(xdb.settings, xdb)
    # as a context manager: the app's lifespan runs its job runner, which builds the caches
    with TestClient(app, headers={"Authorization": f"Bearer {auth.create_api_token(xdb, u.id, 't')[0]}"}) as c:
        yield c


def test_runs_keep_one_decision_per_dropped_record(explorer_store):  # type: ignore[no-untyped-def]
    m = explorer_store.resolve("hh-clean@1")
    t = explorer_store.read_decisions(m)
    assert t is not None
    dropped = {s["id"]: sum(s["dropped"].values()) for s in m.steps}
    by_step: dict[str, int] = {}
    for d in t.to_pylist():
        by_step[d["step"]] = by_step.get(d["step"], 0) + 1
        assert d["verdict"] == "dropped"
    assert by_step == {k: v for k, v in dropped.items() if v}
    assert len(t) + m.row_count == explorer_store.resolve("hh@1").row_count
    assert explorer_store.read_decisions("hh@1") is None  # imported, not made by a run


@pytest.mark.slow
def test_record_page_says_which_step_dropped_it_and_why(xdb, explorer_store, lead):  # type: ignore[no-untyped-def]
    t = explorer_store.read_decisions("hh-clean@1").to_pylist()
    short = next(d for d in t if d["step"] == "filter")
    dup = next(d for d in t if d["step"] == "exact_dedup")
    kept = explorer_store.read_table("hh-clean@1").column("id")[0].as_py()
    for rid, step, reason in ((short["id"], "filter", "too_few_words"), (dup["id"], "exact_dedup", "duplicate")):
        rec = explorer_record.record_detail(xdb, "hh@1", rid)
        later = {d["version"]: d for d in rec["downstream"]}
        assert later["hh-clean@1"]["verdict"] == "dropped"
        assert later["hh-clean@1"]["step"] == step and later["hh-clean@1"]["reason"] == reason
        html = lead.get(f"/explore/hh@1/records/{rid}").text
        assert 'data-testid="record-downstream"' in html and f"<code>{step}</code>: {reason}" in html
        assert lead.get(f"/api/v1/explore/hh@1/records/{rid}").json()["downstream"] == rec["downstream"]
    rec = explorer_record.record_detail(xdb, "hh@1", kept)
    assert {d["version"]: d["verdict"] for d in rec["downstream"]}["hh-clean@1"] == "kept"
    # in the version the run made, every step kept it; the hard-coded "kept" is now the run's verdict
    steps = explorer_record.record_detail(xdb, "hh-clean@1", kept)["pipeline_steps"]
    assert [(s["id"], s["verdict"]) for s in steps] == [("pii", "kept"), ("filter", "kept"), ("exact_dedup", "kept")]
    # hh-judged@1 (a pull, no run) holds only the first 40 records
    first = explorer_store.read_table("hh-judged@1").column("id")[0].as_py()
    assert {d["version"]: d["verdict"] for d in explorer_record.record_detail(
        xdb, "hh-clean@1", first)["downstream"]}.get("hh-judged@1") == "kept"


def test_annotate_only_step_shows_would_drop_with_reason(xdb, explorer_store):  # type: ignore[no-untyped-def]
    spec = PipelineSpec.parse({"name": "hh-flagged", "shards": 2, "steps": [
        {"filter": {"field": "response", "min_words": 6, "annotate_only": True}}]})
    m = run_pipeline(explorer_store, spec, "hh@1").manifest
    t = explorer_store.read_decisions(m).to_pylist()
    assert t and all(d["verdict"] == "would_drop" for d in t) and m.row_count == 300
    steps = explorer_record.record_detail(xdb, m.ref, t[0]["id"])["pipeline_steps"]
    assert steps[0]["verdict"] == "would_drop" and steps[0]["reason"] == "too_few_words"
    later = explorer_record.record_detail(xdb, "hh@1", t[0]["id"])["downstream"]
    flagged = next(d for d in later if d["version"] == m.ref)
    assert flagged["verdict"] == "kept" and flagged["flags"][0]["reason"] == "too_few_words"


@pytest.mark.slow
def test_cache_builds_in_the_background_and_pages_show_building(xdb, explorer_store, lead, monkeypatch):  # type: ignore[no-untyped-def]
    release, started = threading.Event(), threading.Event()
    real_build = explorer_cache.build

    def slow_build(store, m, root):  # type: ignore[no-untyped-def]
        if threading.current_thread() is threading.main_thread():
            raise AssertionError("the cache must not be built inside a request")
        started.set()
        assert release.wait(30)
        return real_build(store, m, root)

    monkeypatch.setattr(explorer_cache, "build", slow_build)
    monkeypatch.setattr(explorer, "WAIT_SECONDS", 0.05)
    ref = "hh-judged@1"
    assert not explorer_cache.db_path_of(explorer.cache_root(xdb), explorer_store.resolve(ref)).exists()
    r = lead.get(f"/explore/{ref}")
    assert r.status_code == 202 and 'data-testid="cache-building"' in r.text and 'http-equiv="refresh"' in r.text
    assert started.wait(10)
    api = lead.get(f"/api/v1/explore/{ref}/records")
    assert api.status_code == 202 and api.json()["state"] == "building" and api.headers["retry-after"] == "1"
    assert lead.get(f"/api/v1/explore/{ref}/stats").status_code == 202
    assert lead.get(f"/api/v1/explore/{ref}/cache").json()["state"] == "building"
    release.set()
    for _ in range(200):
        if explorer_cache.status(xdb, explorer_store.resolve(ref), explorer.cache_root(xdb)).ready:
            break
        threading.Event().wait(0.05)
    assert lead.get(f"/api/v1/explore/{ref}/cache").json()["state"] == "ready"
    page = lead.get(f"/explore/{ref}")
    assert page.status_code == 200 and 'data-testid="record"' in page.text
    assert lead.get(f"/api/v1/explore/{ref}/records").json()["total"] == 40


@pytest.mark.slow
def test_failed_build_is_shown_and_can_be_retried(xdb, explorer_store, lead, monkeypatch):  # type: ignore[no-untyped-def]
    real_build = explorer_cache.build
    monkeypatch.setattr(explorer_cache, "build", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    r = lead.get("/explore/hh-judged@1")
    assert r.status_code == 500 and "disk full" in r.text and 'data-testid="cache-retry"' in r.text
    assert lead.get("/api/v1/explore/hh-judged@1/records").json()["state"] == "failed"
    monkeypatch.setattr(explorer_cache, "build", real_build)
    assert lead.get("/explore/hh-judged@1", params={"rebuild": "1"}).status_code == 200


def test_an_explorer_export_starts_the_new_versions_build(xdb, explorer_store):  # type: ignore[no-untyped-def]
    res = explorer.export_selection(xdb, "hh@1", explorer.View(conditions=("meta.split=dev",)), name="hh-dev-x")
    assert res.manifest is not None
    # the export queued the build (no runner is running yet, so it waits in the jobs table)
    assert explorer_cache.status(xdb, res.manifest, explorer.cache_root(xdb)).state == "building"
    jobs = JobRunner(xdb, threads=1)
    explorer_cache.register(jobs)
    jobs.start()
    try:
        st = explorer.prepare(xdb, res.manifest.ref, wait=30)
        assert st.ready
    finally:
        assert jobs.stop() == []
