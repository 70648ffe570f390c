"""The model key is stored encrypted and never leaves the server: not in pages, JSON, stream events,
errors, the audit log or log output — while the model server does receive it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from assay.errors import Forbidden, Unavailable
from assay.services.authoring import endpoints
from assay.store.tables import AuditRow
from assay.store.tables_authoring import ModelEndpointRow
from tests.authoring.conftest import API_KEY, sse


def test_key_is_encrypted_at_rest_and_kept_on_update(env, db) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        stored = s.scalar(select(ModelEndpointRow.key_encrypted).where(ModelEndpointRow.name == "demo-model"))
    assert stored and API_KEY not in stored
    assert endpoints.decrypt_key(db.settings.secret_key, stored) == API_KEY
    ep = endpoints.find_endpoint(db, "demo-model")
    assert ep.has_key and "SECRET" not in repr(ep)
    endpoints.save_endpoint(db, env.admin, name=ep.name, base_url=ep.base_url, model=ep.model,
                            sampling={"temperature": "0.3"}, api_key=None, endpoint_id=ep.id)
    with endpoints.client_for(db, ep.id) as client:
        assert client.config.api_key == API_KEY and client.config.temperature == 0.3
        assert API_KEY not in repr(client)
    with pytest.raises(Unavailable, match="secret_key"):
        endpoints.decrypt_key("another-secret", stored)
    with pytest.raises(Forbidden):
        endpoints.save_endpoint(db, env.trainer, name="x", base_url="http://h/v1", model="m")


@pytest.mark.slow
def test_key_never_appears_in_any_response_or_log(env, web, db, caplog, capfd) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    admin, trainer = web.client("admin"), web.client("annotator1")
    seen: list[str] = []

    def get(client, url: str) -> None:  # type: ignore[no-untyped-def]
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        seen.append(r.text)

    pid = env.project_id("chat")
    ep = endpoints.find_endpoint(db, "demo-model")
    r = admin.post("/api/v1/authoring/endpoints", json={"name": "second", "base_url": env.fake.base_url,
                                                         "model": "fake-model", "api_key": API_KEY})
    assert r.status_code == 201 and r.json()["has_key"] is True
    seen.append(r.text)
    r = admin.put(f"/api/v1/authoring/endpoints/{ep.id}", json={"name": ep.name, "base_url": ep.base_url,
                                                                 "model": ep.model, "sampling": {"temperature": 0.7}})
    seen.append(r.text)
    for url in ("/authoring/endpoints", "/api/v1/authoring/endpoints", f"/projects/{pid}/authoring/settings",
                f"/api/v1/projects/{pid}/authoring/settings", f"/projects/{pid}/author"):
        get(admin, url)
    seen.append(admin.post(f"/authoring/endpoints/{ep.id}/check").text)  # lists the fake server's models
    assert "fake-model" in seen[-1]
    task = trainer.post(f"/api/v1/projects/{pid}/authoring/tasks", json={"content": "hello"}).json()
    mid = task["turns"][0]["message"]["id"]
    for slot in (0, 1):
        body = trainer.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages/{mid}/replies/{slot}/stream").text
        assert sse(body)[-1][0] == "done"
        seen.append(body)
    get(trainer, f"/projects/{pid}/author/tasks/{task['id']}")
    get(trainer, f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}")
    # a server that refuses the key: the error names the endpoint, not the key
    env.fake.api_key = "a-different-key"
    t2 = trainer.post(f"/api/v1/projects/{pid}/authoring/tasks", json={"content": "again"}).json()
    body = trainer.post(f"/api/v1/projects/{pid}/authoring/tasks/{t2['id']}/messages/"
                        f"{t2['turns'][0]['message']['id']}/replies/0/stream").text
    assert sse(body)[-1][0] == "error"
    seen.append(body)
    get(admin, "/admin/audit")
    with db.write() as s:
        seen.extend(repr(a.detail) for a in s.scalars(select(AuditRow)))
    out, err = capfd.readouterr()
    seen.extend([out, err, caplog.text])
    # the server did receive the key (so it was really used) ...
    assert any(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in env.fake.requests)
    # ... and it is nowhere in what Assay sent back or logged
    leaks = [i for i, text in enumerate(seen) if API_KEY in text or "SECRET-9f3c2a" in text]
    assert not leaks, [seen[i][:200] for i in leaks]
