"""The import page's upload (issue 19 item 3, issue 18 finding 5): who may upload, checked before a byte of
the body is read; bad files name the line and field and import nothing; a good file goes upload -> dry run
-> import -> summary. TestClient over the security world (lead1 leads P; Q has no lead1)."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assay.services.projects import projects
from tests.security.world import World

MB = 1024 * 1024
GOOD = {"prompt": "Say hi", "completions": [{"model": "m1", "text": "hi"}, {"model": "m2", "text": "hello"}]}


def _headers(w: World, role: str) -> dict[str, str]:
    return {"X-CSRF-Token": w.csrf[role], "Content-Type": "application/octet-stream"}


def _as(client: TestClient, w: World, role: str) -> TestClient:
    from assay.web.security import SESSION_COOKIE

    client.cookies.clear()
    if role != "anon":
        client.cookies.set(SESSION_COOKIE, w.sessions[role])
    return client


class Counted:
    """A request body that counts how many bytes the server pulled."""

    def __init__(self, total: int) -> None:
        self.total, self.sent = total, 0

    def __iter__(self) -> Iterator[bytes]:
        block = b"x" * MB
        while self.sent < self.total:
            self.sent += len(block)
            yield block


def _uploads(w: World) -> list[Path]:
    folder = w.path / "uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _records(w: World, project_id: int) -> int:
    from assay.store.db import open_db
    from tests.security.world import settings_for

    db = open_db(settings_for(w.path), migrate=False)
    try:
        return projects.progress(db, project_id).records
    finally:
        db.close()


def _upload(client: TestClient, w: World, role: str, name: str, body: bytes | Counted, project: int = 0,
            **query: str) -> object:
    return _as(client, w, role).post(f"/projects/{project or w.project_id}/import/upload",
                                     params={"name": name, **query}, content=body, headers=_headers(w, role))


def _job(client: TestClient, url: str) -> dict[str, str]:
    """The job page's state once it stopped running (polls the status fragment)."""
    for _ in range(200):
        r = client.get(url, headers={"HX-Request": "true"})
        assert r.status_code == 200, r.text[:300]
        if 'data-state="running"' not in r.text and 'data-state="queued"' not in r.text:
            return {"html": r.text}
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_anyone_but_a_lead_is_refused_before_the_body_is_read(client: TestClient, world: World) -> None:
    for role, status in (("annotator", 403), ("reviewer", 403), ("outsider", 404)):
        body = Counted(30 * MB)
        r = _upload(client, world, role, "x.jsonl", body)
        assert r.status_code == status, (role, r.status_code, r.text[:200])
        assert body.sent <= 2 * MB, f"{role}: the server read {body.sent} bytes before refusing"
    body = Counted(30 * MB)
    r = _as(client, world, "anon").post(f"/projects/{world.project_id}/import/upload", content=body)
    assert r.status_code == 401 and body.sent <= 2 * MB
    # a lead of P is no lead of Q: 404 (Q does not exist for them), nothing stored
    body = Counted(30 * MB)
    r = _upload(client, world, "lead", "x.jsonl", body, project=world.other_project_id)
    assert r.status_code in (403, 404) and body.sent <= 2 * MB
    assert _uploads(world) == []
    # the pages too
    for role in ("annotator", "reviewer"):
        assert _as(client, world, role).get(f"/projects/{world.project_id}/import").status_code == 403
    assert _as(client, world, "lead").get(f"/projects/{world.other_project_id}/import").status_code == 404


def test_without_the_csrf_header_nothing_is_read(client: TestClient, world: World) -> None:
    body = Counted(30 * MB)
    r = _as(client, world, "lead").post(f"/projects/{world.project_id}/import/upload", content=body,
                                         headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 403 and body.sent <= 2 * MB


def test_bad_json_at_line_n_names_the_line_and_imports_nothing(client: TestClient, world: World) -> None:
    before = _records(world, world.project_id)
    lines = [json.dumps({**GOOD, "id": f"ok-{i}"}) for i in range(4)] + ['{"id": "bad", "prompt": "x",']
    r = _upload(client, world, "lead", "bad.jsonl", ("\n".join(lines) + "\n").encode())
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    page = client.get(url)
    assert page.status_code == 200
    html = _job(client, url)["html"]
    assert 'data-testid="import-error"' in html and "broken JSON" in html
    assert "bad.jsonl line 5" in html  # the uploader's file name, not the server's
    assert 'data-testid="import-error-line">5<' in html
    assert 'data-testid="import-run"' not in html  # no Import button
    job_id = int(r.json()["job"])
    run = client.post(f"/projects/{world.project_id}/import/jobs/{job_id}/run", data={"csrf_token": world.csrf["lead"]})
    assert run.status_code == 422
    assert _records(world, world.project_id) == before
    assert _uploads(world) == []  # a file that cannot be imported is not kept


def test_a_missing_field_names_the_line_and_the_field(client: TestClient, world: World) -> None:
    rows = [{"chosen": "\n\nHuman: hi\n\nAssistant: a", "rejected": "\n\nHuman: hi\n\nAssistant: b"},
            {"chosen": "\n\nHuman: yo\n\nAssistant: c"}]
    data = gzip.compress(("\n".join(json.dumps(x) for x in rows) + "\n").encode())
    r = _upload(client, world, "lead", "hh.jsonl.gz", data, fmt="hh")
    html = _job(client, r.json()["url"])["html"]
    assert 'data-testid="import-error-line">2<' in html
    assert 'data-testid="import-error-field">rejected<' in html


def test_a_json_array_with_a_bad_element_names_its_line(client: TestClient, world: World) -> None:
    text = '[\n  {"id": "a1", "prompt": "p", "completions": [{"text": "x"}, {"text": "y"}]},\n  {"id": "a2" "prompt": 1}\n]'
    r = _upload(client, world, "lead", "items.json", text.encode())
    html = _job(client, r.json()["url"])["html"]
    assert 'data-testid="import-error-line">3<' in html and "broken JSON" in html


@pytest.mark.slow  # real data, a few seconds: out of the fast loop
def test_upload_dry_run_import_summary(client: TestClient, world: World) -> None:
    before = _records(world, world.project_id)
    rows = [{**GOOD, "id": f"new-{i}", "prompt": f"Question {i} <script>alert(1)</script>"} for i in range(7)]
    rows.append(rows[0])  # an exact repeat: imported once, warned
    rows.append({**GOOD, "id": "empty-reply", "completions": [{"text": "ok"}, {"text": "  "}]})
    r = _upload(client, world, "lead", "../../etc/passwd.jsonl", ("\n".join(json.dumps(x) for x in rows)).encode())
    assert r.status_code == 201
    url = r.json()["url"]
    files = _uploads(world)
    assert len(files) == 1 and files[0].parent == world.path / "uploads" and "passwd" not in files[0].name
    html = _job(client, url)["html"]
    assert 'data-testid="count-new">8<' in html
    assert 'data-testid="count-duplicates">1<' in html and 'data-kind="duplicate"' in html
    assert 'data-kind="empty"' in html and "completions[1].text" in html
    full = client.get(url).text
    assert full.count('data-testid="preview-record"') == 5 and "<script>alert(1)" not in full
    job_id = int(r.json()["job"])
    run = client.post(f"/projects/{world.project_id}/import/jobs/{job_id}/run",
                      data={"csrf_token": world.csrf["lead"]})
    assert run.status_code == 303
    done = _job(client, run.headers["location"])["html"]
    assert 'data-testid="summary-created">8<' in done
    assert _records(world, world.project_id) == before + 8
    assert _uploads(world) == []  # removed once imported
    # the import cannot be started twice from the same check (it answers with the same job)
    again = client.post(f"/projects/{world.project_id}/import/jobs/{job_id}/run",
                        data={"csrf_token": world.csrf["lead"]})
    assert again.headers["location"] == run.headers["location"]
    assert _records(world, world.project_id) == before + 8


def test_an_upload_over_the_limit_is_cut_and_removed(world: World) -> None:
    from assay.store.db import open_db
    from assay.web.app import create_app
    from tests.security.world import settings_for

    settings = settings_for(world.path).model_copy(update={"max_upload_bytes": 4 * MB})
    db = open_db(settings, migrate=False)
    try:
        with TestClient(create_app(settings, db), follow_redirects=False) as c:
            body = Counted(40 * MB)
            r = _upload(c, world, "lead", "big.jsonl", body)
            assert r.status_code in (413, 422), r.text[:200]
            assert "larger than" in r.text
            assert _uploads(world) == []
    finally:
        db.close()


def test_gold_records_come_in_through_the_upload(client: TestClient, world: World) -> None:
    """A row's `expected` field (issue 19's gold import field) goes through the streamed path: counted in
    the dry run, checked against the form (a bad answer names line and field), stored as gold."""
    from tests.security.world import settings_for

    good = {"choice": "a", "strength": 2}
    rows = [{**GOOD, "id": "gold-1", "expected": {"preference": good}}, {**GOOD, "id": "plain-1"}]
    r = _upload(client, world, "lead", "gold.jsonl", "\n".join(json.dumps(x) for x in rows).encode())
    html = _job(client, r.json()["url"])["html"]
    assert 'data-testid="count-gold">1<' in html
    run = client.post(f"/projects/{world.project_id}/import/jobs/{r.json()['job']}/run",
                      data={"csrf_token": world.csrf["lead"]})
    assert 'data-testid="summary-created">2<' in _job(client, run.headers["location"])["html"]
    from sqlalchemy import select

    from assay.store.db import open_db
    from assay.store.tables import RecordRow

    db = open_db(settings_for(world.path), migrate=False)
    try:
        with db.read() as s:
            row = s.scalar(select(RecordRow).where(RecordRow.project_id == world.project_id,
                                                   RecordRow.external_id == "gold-1"))
            assert row is not None and row.is_gold and row.gold_answers["preference"]["choice"] == "a"
    finally:
        db.close()
    bad = [{**GOOD, "id": "gold-2"}, {**GOOD, "id": "gold-3", "expected": {"preference": "a"}}]
    r = _upload(client, world, "lead", "gold-bad.jsonl", "\n".join(json.dumps(x) for x in bad).encode())
    html = _job(client, r.json()["url"])["html"]
    assert 'data-testid="import-error-line">2<' in html and "expected.preference" in html
