"""Long exports as jobs (issue 18): the API answers 202 with a job to poll (or 201 when it finished within
`wait`), the page shows the job's progress with htmx polling and the zip link once done, and nobody but the
project's leads (and admins) sees a job."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

from tests.api.conftest import ApiEnv, pair_record


def _project(api_env: ApiEnv) -> int:
    lead = api_env.raw("lead")
    r = lead.post("/api/v1/projects", json={"name": "exp", "annotators_per_record": 1,
                                            "questions": [{"name": "pref", "kind": "pairwise", "title": "Better?"}]})
    assert r.status_code == 201, r.text
    pid = int(r.json()["id"])
    r = lead.post(f"/api/v1/projects/{pid}/records", json=[pair_record(i) for i in range(6)])
    assert r.status_code in (200, 201), r.text
    return pid


def _poll(client: Any, url: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body: dict[str, Any] = client.get(url).json()
        if body["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_api_answers_202_with_a_job_then_the_export(api_env: ApiEnv) -> None:
    pid = _project(api_env)
    lead = api_env.raw("lead")
    r = lead.post(f"/api/v1/projects/{pid}/exports", params={"wait": 0}, json={"format": "raw"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["poll"] == f"/api/v1/projects/{pid}/exports/jobs/{job['job_id']}"
    done = _poll(lead, job["poll"])
    assert done["state"] == "done" and done["progress"] == 1.0, done
    export = done["export"]
    assert export["files"] == ["train.jsonl"] and export["job_id"] == job["job_id"]
    body = lead.get(export["downloads"]["train.jsonl"])
    assert body.status_code == 200 and len(body.text.splitlines()) == export["rows"]
    assert lead.get(export["downloads"]["README.md"]).status_code == 200
    # the synchronous contract: a small export finishes within the default wait and answers 201 at once
    r = lead.post(f"/api/v1/projects/{pid}/exports", json={"format": "raw"})
    assert r.status_code == 201 and r.json()["rows"] == export["rows"] and r.json()["job_id"] > job["job_id"]
    # a failed export answers 422 with the reason (the format's own check)
    r = lead.post(f"/api/v1/projects/{pid}/exports", json={"format": "raw", "options": {"min_agreement": 0.4}})
    assert r.status_code == 422 and "min_agreement" in r.json()["error"]["message"]


def test_only_the_projects_leads_see_its_export_jobs(api_env: ApiEnv) -> None:
    pid = _project(api_env)
    r = api_env.raw("lead").post(f"/api/v1/projects/{pid}/exports", params={"wait": 0}, json={"format": "raw"})
    url = r.json()["poll"]
    assert api_env.raw("admin").get(url).status_code == 200
    assert api_env.raw("ann").get(url).status_code in (403, 404)
    assert api_env.raw(None).get(url).status_code == 401
    # a job id of another kind, or under another project, is not an export job of this project
    assert api_env.raw("lead").get(f"/api/v1/projects/{pid}/exports/jobs/999999").status_code == 404


def test_the_page_shows_progress_then_the_zip_link(api_env: ApiEnv) -> None:
    from assay.services.accounts import auth
    from assay.services.projects import export_jobs
    from assay.store.queries import jobs as jobs_q

    pid = _project(api_env)
    # a queued job (no runner claims it in this app: the lifespan is not running) shows progress and polls
    with api_env.db.write() as s:
        queued = jobs_q.add(s, export_jobs.KIND, {"project_id": pid, "format": "dpo", "file_format": "jsonl",
                                                  "options": {}, "authoring": None},
                            created_by=api_env.users["lead"].id).id
    from fastapi.testclient import TestClient

    from assay.web.security import SESSION_COOKIE

    session = auth.login(api_env.db, "lead", "lead-password-1")
    page = TestClient(api_env.app, follow_redirects=False)
    page.cookies.set(SESSION_COOKIE, session.session_token)
    r = page.get(f"/projects/{pid}/exports/jobs/{queued}")
    assert r.status_code == 200 and 'data-state="queued"' in r.text and 'hx-trigger="every 1s"' in r.text
    fragment = page.get(f"/projects/{pid}/exports/jobs/{queued}", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith("<section") and "<html" not in fragment.text
    # the form: a job, then its page with the download link, and the zip holds the files and the card
    r = page.post(f"/projects/{pid}/export", data={"fmt": "raw", "file_format": "jsonl",
                                                   "csrf_token": session.csrf_token})
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    deadline = time.monotonic() + 30
    while 'data-state="done"' not in (shown := page.get(job_url).text) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert 'data-testid="export-download"' in shown and "hx-trigger" not in shown
    link = next(part.split('"', 1)[0] for part in shown.split('href="') if "/zip" in part.split('"', 1)[0])
    z = page.get(link)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert sorted(names) == ["README.md", "train.jsonl"]
