"""The lead's pages (endpoints, project authoring settings) and who may use them."""

from __future__ import annotations

import pytest

from assay.services.authoring import conversations as authoring
from assay.services.authoring import endpoints


@pytest.mark.slow
def test_lead_configures_endpoint_and_project(env, web, db) -> None:  # type: ignore[no-untyped-def]
    admin, trainer = web.client("admin"), web.client("annotator1")
    assert trainer.get("/authoring/endpoints").status_code == 403
    assert trainer.get("/api/v1/authoring/endpoints").status_code == 403
    bad = admin.post("/authoring/endpoints", data={"name": "x", "base_url": "ftp://nope", "model": "m"})
    assert bad.status_code == 422 and "not an http(s) URL" in bad.text and 'value="x"' in bad.text
    r = admin.post("/authoring/endpoints", follow_redirects=False,
                   data={"name": "big-model", "base_url": env.fake.base_url, "model": "fake-model",
                         "temperature": "1.0", "max_tokens": "128", "api_key": "k-2"})
    assert r.status_code == 303
    big = endpoints.find_endpoint(db, "big-model")
    assert big.sampling == {"temperature": 1.0, "max_tokens": 128} and big.has_key
    pid = env.project_id("chat")
    assert trainer.get(f"/projects/{pid}/authoring/settings").status_code == 403
    r = admin.post(f"/projects/{pid}/authoring/settings", follow_redirects=False,
                   data={"mode": "chat", "endpoints": ["demo-model", "big-model"], "categories": "a, b",
                         "max_calls_per_day": "50", "timeout": "20"})
    assert r.status_code == 303
    cfg = authoring.project_settings(db, pid)
    assert cfg.endpoints == ["demo-model", "big-model"] and cfg.categories == ["a", "b"]
    task = authoring.start_task(db, pid, env.trainer, "hi")
    assert [s.endpoint_name for s in task.slots] == ["demo-model", "big-model"]  # two models, one each
    none = admin.post(f"/projects/{pid}/authoring/settings", data={"mode": "chat"})
    assert none.status_code == 422 and "one or two model endpoints" in none.text
    home = trainer.get(f"/projects/{pid}/author")
    assert home.status_code == 200 and "Chat with the model" in home.text
    # another trainer of the project does not see this trainer's task
    assert web.client("annotator2").get(f"/projects/{env.demo.projects['chat'].id}/author/tasks/{task.id}")\
        .status_code == 404


@pytest.mark.slow
def test_model_html_is_inert_on_the_task_page(env, web, db) -> None:  # type: ignore[no-untyped-def]
    from assay.services.authoring import conversations as authoring

    pid = env.project_id("redteam")
    task = authoring.start_task(db, pid, env.trainer, "say something nasty")
    env.fake.queue_reply('<img src=x onerror="alert(1)"><script>alert(2)</script> **bold**')
    text = "".join(authoring.ReplyStream(db, task.id, task.turns[0].user.id, 0, env.trainer))
    assert "<script>" in text  # stored as the model wrote it ...
    page = web.client("annotator1").get(f"/projects/{pid}/author/tasks/{task.id}").text
    assert "<script>alert(2)" not in page and "<img" not in page  # ... never served as markup
    assert "&lt;script&gt;alert(2)" in page
    assert "<strong>bold</strong>" in page
