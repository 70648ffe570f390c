"""Issue 18, finding 3: an annotator cannot read a code record's hidden material (the reference solution,
the hidden tests, their output and tracebacks) through their own tests.

The attack: a trainer's own tests are also run against the reference solution (to score them by mutants),
so a test like `assert False, open("solution.py").read()` used to come back with the reference's source in
the error message. This replays it, and the other ways a test can carry text out (a one-line repr, a
module-level raise, stderr before a crash, printed output), through the real bubblewrap sandbox and the real
API and pages as the annotator the record is assigned to; then submits and checks what the annotator sees
once the hidden tests have run.
"""

from __future__ import annotations

import time
from importlib import resources

import pytest
import yaml
from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.domain.records import CodeTask, Completion, Message, Record
from assay.services.accounts import auth, users
from assay.services.annotation import queue
from assay.services.code import hidden as code_hidden
from assay.services.projects import projects, records
from assay.services.site.demo import ensure_demo
from assay.store.db import Db
from assay.web.app import create_app

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]  # runs hidden tests in the sandbox: seconds

REF_SECRET = "REFSECRET7f3a"
HIDDEN_SECRET = "HIDSECRET9c1e"
PROBLEM = 'def add(a, b):\n    """Return a + b."""\n'
REFERENCE = f'def add(a, b):\n    marker = "{REF_SECRET}"\n    return a + b if marker else 0\n'
HIDDEN = f'assert add(2, 3) == 5, "{HIDDEN_SECRET}"\nassert add(-1, 1) == 0\n'
CANDIDATE = "```python\ndef add(a, b):\n    return a + b\n```"

ATTACKS = {
    "assert message": 'assert False, open("solution.py").read()\n',
    "one-line repr": 'assert add(1, 1) == 2\nassert False, repr(open("solution.py").read())\n',
    "module-level raise": 'raise ValueError(open("solution.py").read())\nassert add(1, 1) == 2\n',
    "stderr then crash": ('import sys, os\n'
                          'def test_leak():\n'
                          '    sys.stderr.write(open("solution.py").read())\n'
                          '    sys.stderr.flush()\n'
                          '    if "marker" in open("solution.py").read():\n'
                          '        os._exit(3)\n'),
    "printed output": ('def test_print():\n'
                       '    print(open("solution.py").read())\n'
                       '    assert "marker" not in open("solution.py").read()\n'),
}


def _setup(db: Db) -> tuple[int, int, str]:
    """A code project with one record whose reference and hidden tests carry markers; annotator1 holds it.
    Returns (project id, record id, annotator1's API token)."""
    ensure_demo(db)
    admin = users.find_user(db, "admin")
    raw = yaml.safe_load(resources.files("assay.demo").joinpath("code_project.yaml").read_text("utf-8"))
    spec = ProjectSpec.from_dict({**raw, "name": "secret-code"})
    project = projects.create_project(db, spec, admin)
    projects.add_member(db, project.id, "annotator1", "annotator", admin)
    rec = Record(external_id="secret/1", messages=[Message(role="user", content="Write add.")],
                 completions=[Completion(text=CANDIDATE, model="model-a")],
                 code=CodeTask(problem=PROBLEM, entry_point="add", visible_tests="assert add(0, 0) == 0\n",
                               hidden_tests=HIDDEN, reference_solution=REFERENCE))
    records.import_records(db, project.id, [rec], admin)
    ann = users.find_user(db, "annotator1")
    task = queue.claim_next(db, project.id, ann.id)
    assert task is not None
    token, _ = auth.create_api_token(db, ann.id, "attack")
    return project.id, task.record_id, token


def _wait_batch(client: TestClient, base: str, batch: str, headers: dict[str, str]) -> list[dict[str, object]]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = client.get(f"{base}/code/runs", params={"batch": batch}, headers=headers).json()
        if runs and all(r["state"] in ("done", "failed") for r in runs):
            return list(runs)
        time.sleep(0.2)
    raise AssertionError("runs did not finish")


def _assert_clean(text: str, where: str) -> None:
    assert REF_SECRET not in text, f"{where} shows the reference solution"
    assert HIDDEN_SECRET not in text, f"{where} shows the hidden tests"
    assert "return a + b if marker" not in text, f"{where} shows the reference solution"


def test_annotator_never_sees_hidden_material(db: Db) -> None:
    pid, rid, token = _setup(db)
    app = create_app(db.settings, db)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/projects/{pid}/records/{rid}"
    with TestClient(app, follow_redirects=False) as client:
        for name, tests in ATTACKS.items():
            r = client.post(f"{base}/code/runs", json={"kind": "custom", "tests": tests}, headers=headers)
            assert r.status_code == 202, (name, r.text)
            batch = r.json()[0]["batch"]
            runs = _wait_batch(client, base, batch, headers)
            assert {x["kind"] for x in runs} == {"custom", "mutation"}, name
            mutation = next(x for x in runs if x["kind"] == "mutation")
            assert mutation["state"] == "failed", (name, mutation)  # the tests fail on the reference...
            assert mutation["result"]["message"], name  # ...and the trainer is told so, without the text
            _assert_clean(r.text, f"{name}: start answer")
            _assert_clean(client.get(f"{base}/code/runs", params={"batch": batch}, headers=headers).text,
                          f"{name}: runs JSON")
            page = client.get(f"/projects/{pid}/records/{rid}/code/batches/{batch}", headers=headers)
            assert page.status_code == 200, page.text
            _assert_clean(page.text, f"{name}: runs page")

        # after submitting, the hidden tests run; the annotator still sees none of them
        r = client.post(f"{base}/submit",
                        json={"answers": {"review": {"verdicts": {"0": "correct"}, "rationale": "fine"}},
                              "active_seconds": 5}, headers=headers)
        assert r.status_code == 200, r.text
        runner = app.state.code_runner
        code_hidden.sweep(db, runner)
        admin = users.find_user(db, "admin")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            hidden = code_hidden.hidden_runs(db, pid, rid, admin)
            if hidden and all(h.finished for h in hidden):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("hidden runs did not finish")
        for path in (f"{base}/code", f"{base}/code/runs", f"{base}/task"):
            r = client.get(path, headers=headers)
            _assert_clean(r.text, path)
        assert client.get(f"{base}/code/hidden", headers=headers).status_code == 404
        panel = client.get(f"/projects/{pid}/records/{rid}/code/panel", headers=headers)
        assert panel.status_code == 200
        _assert_clean(panel.text, "code panel")
