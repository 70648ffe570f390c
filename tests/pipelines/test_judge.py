"""The LLM-judge step against the fake OpenAI-compatible server (real HTTP on loopback), with the cache."""

from __future__ import annotations

from pathlib import Path

from assay.llm.fake_server import FakeLLMServer
from assay.llm.outbound import OutboundPolicy
from assay.pipelines.registry import build_step
from tests.pipelines.helpers import batch

LOOPBACK = OutboundPolicy(("127.0.0.1", "::1"))


def test_scores_records_and_caches(tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        params = {"base_url": server.base_url, "model": server.model, "rubric": "helpful and correct",
                  "cache_dir": str(tmp_path / "cache"), "concurrency": 2, "min_score": 1}
        b = batch(("What is 2+2?", "4"), ("Name a colour.", "Blue."), ("Hi", "Hello!"))
        step = build_step("llm_judge", params)
        step.bind_outbound(LOOPBACK)  # the fake server is on loopback: allowed only when listed (issue 18)
        out = step.process(b)
        scores = out.table.column("llm_judge__score").to_pylist()
        assert all(s is not None and 1 <= s <= 10 for s in scores)
        assert out.stats.counters["errors"] == 0 and out.stats.kept == 3
        calls = len(server.chat_requests())
        again_step = build_step("llm_judge", params)
        again_step.bind_outbound(LOOPBACK)
        again = again_step.process(b)
        assert again.table.column("llm_judge__score").to_pylist() == scores
        assert len(server.chat_requests()) == calls  # served from the on-disk cache
