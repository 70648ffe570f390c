"""OpenAI-compatible model client: completions, streaming, batches, caching, judging, resumable generation.

Pure (no database, no web). Talks to any OpenAI-compatible server (vLLM, llama.cpp server, OpenAI) through
the `openai` package with a configurable base URL. Main entry points:

- `EndpointConfig`, `ChatClient` (`complete`, `stream`, `complete_many`, `list_models`), `Generation`
- `CompletionCache` (on-disk, SQLite) — turned on with `ChatClient(config, cache_dir=...)`
- `Judge` / `JudgeResult` — LLM-as-judge for pairwise, rating and labels questions, and rubric scores
- `generate_resumable` / `GenerationReport` — n completions per key, skipping keys already stored
- `assay.llm.fake_server.FakeLLMServer` — a fake server on loopback for tests and demos (import it directly)
"""

from __future__ import annotations

from assay.llm.cache import CompletionCache
from assay.llm.client import ChatClient, Generation
from assay.llm.config import EndpointConfig
from assay.llm.generate import GenerationReport, generate_resumable
from assay.llm.judge import Judge, JudgeResult
from assay.llm.judge_parse import JudgeOutputError
from assay.llm.outbound import OutboundPolicy
from assay.llm.retry import RetryPolicy

__all__ = [
    "ChatClient",
    "CompletionCache",
    "EndpointConfig",
    "Generation",
    "GenerationReport",
    "Judge",
    "JudgeOutputError",
    "JudgeResult",
    "OutboundPolicy",
    "RetryPolicy",
    "generate_resumable",
]
