"""A 3-turn chat over the web API against the fake server: streamed replies, a choice (and an edit) at every
turn, then the exports: 3 preference pairs (DPO) and one SFT path; model errors lose nothing."""

from __future__ import annotations

import pytest

from assay.exporters import build
from assay.services.authoring import export as authoring_export
from assay.services.projects import exports
from tests.authoring.conftest import sse


def _stream(client, pid: int, task: dict, slot: int) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    mid = task["turns"][-1]["message"]["id"]
    r = client.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages/{mid}/replies/{slot}/stream")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return sse(r.text)


@pytest.mark.slow
def test_three_turn_chat_gives_three_pairs_and_one_sft_path(env, web, db) -> None:  # type: ignore[no-untyped-def]
    pid = env.project_id("chat")
    c = web.client("annotator1")
    task = c.post(f"/api/v1/projects/{pid}/authoring/tasks", json={"content": "Tell me about tides."}).json()
    assert task["waiting_for"] == "replies" and len(task["slots"]) == 2
    said = ["Tell me about tides.", "Why two a day?", "Thanks, summarise it."]
    kept = []
    for turn in range(3):
        events = [_stream(c, pid, task, slot) for slot in (0, 1)]
        for ev in events:
            assert [e for e, _ in ev][-1] == "done"
            assert sum(1 for e, _ in ev if e == "delta") >= 2  # streamed in pieces
        replies = ["".join(d for e, d in ev if e == "delta") for ev in events]
        assert replies[0] != replies[1]  # two temperatures, two replies
        mid = task["turns"][-1]["message"]["id"]
        edit = "An edited reply about the moon." if turn == 1 else None
        task = c.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/choice",
                      json={"message_id": mid, "slot": turn % 2, "strength": 3 if turn == 0 else 1,
                            "edited_text": edit}).json()
        kept.append(edit or replies[turn % 2])
        assert task["waiting_for"] == "message"
        if turn < 2:
            task = c.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages",
                          json={"content": said[turn + 1]}).json()
    # the path sent to the model at turn 3 carried the edit of turn 2
    last_request = env.fake.chat_requests()[-1]["messages"]
    assert {"role": "assistant", "content": "An edited reply about the moon."} in last_request

    source = exports.export_source(db, pid)
    assert len(source.items) == 3 and all(len(i.annotations) == 1 for i in source.items)
    dpo = build(source, "dpo")
    assert dpo.counts["rows"] == 3
    row2 = next(r for r in dpo.rows if r["external_id"].endswith("turn-2"))
    assert row2["chosen_index"] == 1 and len(row2["prompt"]) == 3  # user, assistant (turn 1), user
    assert row2["prompt"][1]["content"] == kept[0]

    sft = build(authoring_export.final_paths(source), "sft")
    assert sft.counts["rows"] == 1
    messages = sft.rows[0]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert [m["content"] for m in messages[0::2]] == said
    assert [m["content"] for m in messages[1::2]] == kept

    out = authoring_export.export_authoring(db, pid, "sft", actor=env.admin, final_paths_only=True,
                                            out_dir=db.settings.data_dir / "sft-out")
    assert out.rows == 1 and out.paths["train"].exists()


@pytest.mark.slow
def test_model_errors_are_shown_and_retry_keeps_the_message(env, web, db) -> None:  # type: ignore[no-untyped-def]
    pid = env.project_id("chat")
    c = web.client("annotator1")
    task = c.post(f"/api/v1/projects/{pid}/authoring/tasks", json={"content": "Keep this text safe."}).json()
    env.fake.fail_next(3, 503)  # first attempt + 2 retries
    ev = _stream(c, pid, task, 0)
    assert ev[-1][0] == "error" and ev[-1][1]["status"] == 503
    assert "demo-model" in ev[-1][1]["message"] and "503" in ev[-1][1]["message"]
    again = c.get(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}").json()
    assert again["turns"][0]["message"]["text"] == "Keep this text safe."
    assert again["turns"][0]["replies"] == [None, None]
    # a rate limit, then the retry succeeds
    env.fake.fail_next(1, 429)
    ev = _stream(c, pid, task, 0)
    assert ev[-1][0] == "done"
    # the server is down: a clear message naming the endpoint
    env.fake.stop()
    ev = _stream(c, pid, task, 1)
    assert ev[-1][0] == "error" and "demo-model" in ev[-1][1]["message"]
    # a next message is refused while a reply is missing, with a reason
    r = c.post(f"/api/v1/projects/{pid}/authoring/tasks/{task['id']}/messages", json={"content": "more"})
    assert r.status_code == 409 and "retry" in r.json()["error"]["message"]
