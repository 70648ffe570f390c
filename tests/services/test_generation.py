"""`services.generation`: completions from a real (fake) OpenAI-compatible server on loopback that fails some
calls; every record filled exactly once; interrupted runs resume without asking twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from assay.domain.projects import ProjectSpec
from assay.domain.records import Message, Record
from assay.llm import ChatClient, EndpointConfig, RetryPolicy
from assay.llm.fake_server import FakeLLMServer
from assay.services.authoring import generation
from assay.services.projects import projects
from assay.store.tables import CompletionRow, RecordRow

SPEC = {"name": "gen", "questions": [{"name": "preference", "kind": "pairwise"}], "annotators_per_record": 1}


def _setup(db: Any, count: int) -> int:
    p = projects.create_project(db, ProjectSpec.from_dict(SPEC))
    recs = [Record(external_id=f"q{i}", messages=[Message("user", f"Explain item {i} briefly.")]) for i in range(count)]
    res = generation.add_prompts(db, p.id, recs)
    assert res.created == count
    return p.id


def _client(srv: FakeLLMServer, **cfg: Any) -> ChatClient:
    return ChatClient(EndpointConfig(base_url=srv.base_url, model=srv.model, temperature=0.9, max_tokens=64,
                                     **cfg), retry=RetryPolicy(base_delay=0.01, max_delay=0.05))


def _completions(db: Any, project_id: int) -> dict[str, list[CompletionRow]]:
    with db.write() as s:
        rows = s.execute(select(RecordRow.external_id, CompletionRow).join(CompletionRow, CompletionRow.record_id == RecordRow.id)
                         .where(RecordRow.project_id == project_id).order_by(CompletionRow.position))
        out: dict[str, list[CompletionRow]] = {}
        for ext, c in rows:
            s.expunge(c)
            out.setdefault(ext, []).append(c)
        return out


@pytest.mark.slow
def test_flaky_server_fills_every_record_exactly_once(db: Any) -> None:
    pid = _setup(db, 8)
    with FakeLLMServer() as srv:
        srv.fail_next(2, 500)
        srv.fail_next(1, 429, retry_after=0)
        srv.hang_next(1, seconds=2.0)
        srv.fail_next(1, 503)
        with _client(srv, timeout=0.5, max_retries=5, concurrency=3) as client:
            report = generation.generate(db, pid, client, n=2, concurrency=3)
        assert srv.max_concurrent <= 3
    assert report.generated == 8 and not report.failed
    comps = _completions(db, pid)
    assert sorted(comps) == [f"q{i}" for i in range(8)]
    for ext, cs in comps.items():
        assert [c.position for c in cs] == [0, 1], ext
        assert Counter(c.meta["generation"]["sample_index"] for c in cs) == {0: 1, 1: 1}
        for c in cs:
            assert c.model == "fake-model" and c.text
            gen = c.meta["generation"]
            assert gen["sampling"]["temperature"] == 0.9 and gen["sampling"]["max_tokens"] == 64
            assert gen["base_url"].startswith("http://127.0.0.1")
    # a rerun finds nothing to do and asks the server nothing
    with FakeLLMServer() as srv2, _client(srv2) as client:
        again = generation.generate(db, pid, client, n=2)
        assert again.generated == 0 and again.skipped == 8 and srv2.chat_requests() == []


class Stop(Exception):
    pass


@pytest.mark.slow
def test_interrupted_run_resumes_with_only_the_missing_records(db: Any) -> None:
    pid = _setup(db, 7)
    with FakeLLMServer() as srv:
        with _client(srv, concurrency=2) as client:
            def stop_after_three(report: Any, total: int) -> None:
                assert total == 7
                if report.generated == 3:
                    raise Stop("killed midway")

            with pytest.raises(Stop):
                generation.generate(db, pid, client, n=2, concurrency=2, on_progress=stop_after_three)
            filled = {k for k, v in _completions(db, pid).items() if len(v) == 2}
            assert len(filled) == 3 and all(len(v) == 2 for v in _completions(db, pid).values())
            srv.reset()
            report = generation.generate(db, pid, client, n=2, concurrency=2)
        asked = {b["messages"][-1]["content"] for b in srv.chat_requests()}
    assert report.generated == 4 and report.skipped == 3
    assert len(srv.chat_requests()) == 4 * 2
    assert not any(f"item {k[1:]} " in text for k in filled for text in asked)
    assert all(len(v) == 2 for v in _completions(db, pid).values()) and len(_completions(db, pid)) == 7


@pytest.mark.slow
def test_permanent_failures_are_reported_and_retried_next_run(db: Any) -> None:
    pid = _setup(db, 4)
    with FakeLLMServer() as srv, _client(srv, max_retries=1) as client:
        srv.fail_next(100, 400, message="model overloaded for good")
        report = generation.generate(db, pid, client, n=2)
        assert report.generated == 0 and sorted(report.failed) == ["q0", "q1", "q2", "q3"]
        assert _completions(db, pid) == {}
        srv.reset()
        report = generation.generate(db, pid, client, n=2)
    assert report.generated == 4 and not report.failed


def test_store_is_exactly_once_when_two_runs_race(db: Any) -> None:
    pid = _setup(db, 1)
    with FakeLLMServer() as srv, _client(srv) as client:
        gens = [client.complete([{"role": "user", "content": "hi"}], sample_index=j) for j in range(2)]
        url = srv.base_url
    rid = generation.missing(db, pid, "fake-model", 2)[0][0]
    assert generation.store_generations(db, rid, "fake-model", url, gens) is True
    assert generation.store_generations(db, rid, "fake-model", url, gens) is False
    assert len(_completions(db, pid)["q0"]) == 2
