"""Issue 18, finding 9: datasets had no per-project access control.

Replayed attacks, through the real app as two leads of different projects:
1. the lead of A pulls A's judgments into a dataset; the lead of B reads the annotators' answers through
   the explorer (records, one record, stats, lineage, cache, push, export), or sees them live on a record of
   a site-wide dataset that A's records came from;
2. a lead makes a new version of a site-wide dataset (`base@2`), moving `base@latest` for everyone — by
   saving an explorer selection under its name, or by pulling into it.
Datasets now have owners (`services.datasets.owners`): a project's datasets only for its leads and admins,
site-wide ones readable by every lead and written by admins only.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from assay.datasets.schema import records_to_table
from assay.datasets.store import DatasetStore
from assay.services.accounts import auth, users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.datasets import handoff
from assay.services.projects import projects
from assay.store.db import Db
from assay.web.app import create_app
from tests.security.world import _records, _spec, answers

SECRET = "A-ANNOTATOR-SECRET-5d1"


def _setup(db: Db) -> dict[str, object]:
    admin = users.add_user(db, "root", "password123", "admin")
    la = users.add_user(db, "la", "password123", "lead")
    lb = users.add_user(db, "lb", "password123", "lead")
    ann = users.add_user(db, "anna", "password123")
    pa = projects.create_project(db, _spec("pa"), la)
    pb = projects.create_project(db, _spec("pb"), lb)
    projects.add_member(db, pa.id, "anna", "annotator", la)
    store = DatasetStore(db.settings.resolved_dataset_store)
    base = store.write_version("base", [records_to_table(_records("b", 3))], note="made from the CLI")
    handoff.push(db, store, base.ref, pa.id, la)
    t = queue.claim_next(db, pa.id, ann.id)
    assert t is not None
    annotations.submit(db, pa.id, t.record_id, ann.id, answers(SECRET), 5)
    return {"admin": admin, "la": la, "lb": lb, "pa": pa.id, "pb": pb.id, "rid": t.record.external_id}


def _client(app, db: Db, user) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, headers={"Authorization": f"Bearer {auth.create_api_token(db, user.id, 't')[0]}"},
                      follow_redirects=False)


def test_another_projects_lead_cannot_read_or_move_datasets(db: Db) -> None:
    w = _setup(db)
    app = create_app(db.settings, db)
    with _client(app, db, w["la"]) as a, _client(app, db, w["lb"]) as b, _client(app, db, w["admin"]) as root:
        r = a.post(f"/api/v1/projects/{w['pa']}/pull", json={"name": "pa-judged"})
        assert r.status_code == 200, r.text
        ref = r.json()["ref"]
        assert SECRET in a.get(f"/api/v1/explore/{ref}/records").text  # A's lead reads it

        # 1. B's lead: not listed, and every read of it answers 404 with nothing of it
        assert "pa-judged" not in b.get("/api/v1/datasets").text
        assert "pa-judged" not in b.get("/explore").text
        for path in (f"/api/v1/explore/{ref}/records", f"/api/v1/explore/{ref}/records/{w['rid']}",
                     f"/api/v1/explore/{ref}/stats", f"/api/v1/explore/{ref}/lineage", f"/api/v1/explore/{ref}/cache",
                     "/api/v1/datasets/pa-judged/versions", "/api/v1/datasets/pa-judged/versions/1",
                     "/api/v1/datasets/pa-judged/versions/latest/lineage", f"/explore/{ref}",
                     f"/explore/{ref}/records/{w['rid']}", f"/explore/{ref}/stats", f"/explore/{ref}/lineage",
                     f"/api/v1/explore/base@1/lineage?against={ref}"):
            got = b.get(path)
            assert got.status_code == 404, (path, got.status_code)
            assert SECRET not in got.text, path
        got = b.post(f"/api/v1/explore/{ref}/push", json={"project_id": w["pb"]})
        assert got.status_code == 404 and SECRET not in got.text
        got = b.post(f"/api/v1/explore/{ref}/export", json={"format": "jsonl"})
        assert got.status_code == 404 and SECRET not in got.text
        # ... nor through the site-wide dataset A's records came from (live judgments of project A)
        rec = b.get(f"/api/v1/explore/base@1/records/{w['rid']}")
        assert rec.status_code == 200 and SECRET not in rec.text and rec.json()["live_judgments"] == []
        assert SECRET in a.get(f"/api/v1/explore/base@1/records/{w['rid']}").text  # A's lead still sees them
        assert all(d["version"] != ref for d in rec.json()["downstream"])

        # 2. no lead moves a site-wide dataset's latest version, nor writes into another project's dataset
        for client in (a, b):
            got = client.post("/api/v1/explore/base@1/export", json={"format": "version", "name": "base"})
            assert got.status_code == 403, got.text
            got = client.post(f"/api/v1/projects/{w['pb'] if client is b else w['pa']}/pull", json={"name": "base"})
            assert got.status_code == 403, got.text
        got = b.post(f"/api/v1/projects/{w['pb']}/pull", json={"name": "pa-judged"})
        assert got.status_code == 404, got.text
        got = b.post("/api/v1/explore/base@1/export", json={"format": "version", "name": "b-copy"})
        assert got.status_code == 403, got.text  # a new dataset needs one of the lead's projects
        got = b.post("/api/v1/explore/base@1/export",
                     json={"format": "version", "name": "b-copy", "project_id": w["pa"]})
        assert got.status_code == 403, got.text  # ... that they lead
        assert root.get("/api/v1/datasets/base/versions/latest").json()["ref"] == "base@1"

        # what is allowed still works: B's lead saves a selection for project B; an admin moves base
        got = b.post("/api/v1/explore/base@1/export",
                     json={"format": "version", "name": "b-copy", "project_id": w["pb"]})
        assert got.status_code == 200 and got.json()["ref"] == "b-copy@1"
        assert "b-copy" not in a.get("/api/v1/datasets").text
        assert root.post("/api/v1/explore/base@1/export",
                         json={"format": "version", "name": "base"}).json()["ref"] == "base@2"
        assert SECRET in root.get(f"/api/v1/explore/{ref}/records").text
