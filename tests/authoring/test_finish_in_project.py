"""Finishing an authoring task goes through one service call (`records.finish`) that also checks the task
belongs to the project in the URL: the page route used to finish a task named under another project's URL
(and redirect into that project); now both the page and the API answer NotFound and the task stays open."""

from __future__ import annotations

import pytest

from assay.errors import NotFound
from assay.services.authoring import conversations
from assay.services.authoring import records as authoring_records
from tests.authoring.conftest import Env


def test_finish_refuses_a_task_named_under_another_project(db, env: Env) -> None:  # type: ignore[no-untyped-def]
    chat, prompt = env.project_id("chat"), env.project_id("prompt")
    task = conversations.start_task(db, chat, env.trainer, "Tell me about tides.")
    with pytest.raises(NotFound):
        authoring_records.finish(db, prompt, task.id, env.trainer)
    assert conversations.get_task(db, task.id, env.trainer).state != "done"
    done = authoring_records.finish(db, chat, task.id, env.trainer)
    assert done.record_id is None and done.task.state == "done"


def test_finish_refuses_someone_elses_task(db, env: Env) -> None:  # type: ignore[no-untyped-def]
    chat = env.project_id("chat")
    task = conversations.start_task(db, chat, env.trainer, "Tell me about tides.")
    with pytest.raises(NotFound):
        authoring_records.finish(db, chat, task.id, env.other)
    assert conversations.get_task(db, task.id, env.trainer).state != "done"
