"""A prompt task end to end through the pages: write (category, difficulty, reference), stream the replies,
judge them on the annotate page with the project's questions → a record with an annotation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from assay.exporters import build
from assay.services.projects import exports
from assay.store.tables import AnnotationRow, RecordRow
from tests.authoring.conftest import sse


@pytest.mark.slow
def test_prompt_task_becomes_a_judged_record(env, web, db) -> None:  # type: ignore[no-untyped-def]
    pid = env.project_id("prompt")
    c = web.client("annotator1")
    refused = c.post(f"/projects/{pid}/author/tasks", data={"content": "Prove it.", "category": "cooking",
                                                           "difficulty": "hard"})
    assert refused.status_code == 422 and "choose a category" in refused.text
    assert "Prove it." in refused.text  # what was typed is shown again
    r = c.post(f"/projects/{pid}/author/tasks", follow_redirects=False,
               data={"content": "Prove that sqrt(2) is irrational.", "category": "math", "difficulty": "hard",
                     "reference_answer": "Assume p/q in lowest terms..."})
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and page.text.count("data-stream=") == 2
    task = c.get("/api/v1" + r.headers["location"].replace("/author/", "/authoring/")).json()
    mid = task["turns"][0]["message"]["id"]
    texts = []
    for slot in (0, 1):
        body = c.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages/{mid}/replies/{slot}/stream").text
        texts.append("".join(d for e, d in sse(body) if e == "delta"))
    page = c.get(r.headers["location"])
    assert "data-stream=" not in page.text and 'data-testid="judge"' in page.text
    done = c.post(f"/projects/{pid}/author/tasks/{task['id']}/finish", follow_redirects=False)
    assert done.status_code == 303 and "/records/" in done.headers["location"]
    record_id = int(done.headers["location"].rsplit("/", 1)[1])
    annotate = c.get(done.headers["location"])
    assert annotate.status_code == 200 and "Order the replies" in annotate.text
    answers = {"a.ranking.json": json.dumps({"order": [[1], [0]]}),
               "a.quality.json": json.dumps({"scores": {"0": {"helpful": 2, "correct": 3},
                                                        "1": {"helpful": 5, "correct": 5}}})}
    sub = c.post(f"/projects/{pid}/records/{record_id}/submit", data=answers, follow_redirects=False)
    assert sub.status_code == 303, sub.text[:500]
    with db.write() as s:
        rec = s.get(RecordRow, record_id)
        assert rec is not None
        assert rec.messages == [{"role": "user", "content": "Prove that sqrt(2) is irrational."}]
        assert [c.text for c in rec.completions] == texts
        meta = rec.meta["authoring"]
        assert (meta["category"], meta["difficulty"], meta["author"]) == ("math", "hard", "annotator1")
        assert meta["reference_answer"].startswith("Assume p/q")
        ann = s.scalar(select(AnnotationRow).where(AnnotationRow.record_id == record_id))
        assert ann is not None and ann.status == "submitted" and ann.answers["ranking"] == {"order": [[1], [0]]}
    sft = build(exports.export_source(db, pid), "sft")
    assert sft.rows[0]["messages"][-1]["content"] == texts[1]
    # the task is done; its page links the record and its fact-check page
    page = c.get(f"/projects/{pid}/author/tasks/{task['id']}")
    assert f"/records/{record_id}/fact-check" in page.text


def test_call_limit_per_trainer(env, web, db) -> None:  # type: ignore[no-untyped-def]
    from assay.services.authoring import conversations as authoring

    pid = env.project_id("prompt")
    authoring.update_settings(db, pid, env.admin, {**authoring.project_settings(db, pid).to_dict(),
                                                   "max_calls_per_day": 1})
    c = web.client("annotator1")
    task = c.post(f"/api/v1/projects/{pid}/authoring/tasks",
                  json={"content": "q", "category": "math", "difficulty": "easy"}).json()
    url = f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages/{task['turns'][0]['message']['id']}/replies"
    assert sse(c.post(f"{url}/0/stream").text)[-1][0] == "done"
    r = c.post(f"{url}/1/stream")
    assert r.status_code == 503 and "limit of 1" in r.json()["error"]["message"]
    # another trainer has their own allowance; nobody else may stream into this task
    assert web.client("annotator2").post(f"{url}/1/stream").status_code == 404
