"""`llm_judge`: score each record 1..10 (or `low..high`) against a rubric with a model behind an
OpenAI-compatible endpoint, through `assay.llm` (retries with backoff, on-disk cache, concurrency).

Parameters:
  base_url, model   the endpoint (vLLM, llama.cpp server, OpenAI, the fake server in tests)
  api_key_env       name of the environment variable holding the key (the key never goes in a spec)
  rubric            what a good record is; field: which text is scored (default `response`)
  low, high         the scale (default 1..10); min_score: drop records scoring lower (reason `low_score`)
  concurrency       requests in flight per shard (default 4); cache_dir: on-disk cache folder
                    (default `.assay-llm-cache`; re-running a pipeline costs no new calls)
  temperature       default 0
Records the judge could not score keep a null score, the error text in `<id>__error`, and are counted
under `errors`; they are never dropped for it. Attributes: `<id>__score`, `<id>__rationale`.

Outbound calls: the step calls `base_url` only under the outbound allow-list it was given
(`bind_outbound`; `run_pipeline(outbound=...)`, which `assay pipeline run` fills from the
`outbound_allowed_hosts` setting) — the same rule as model endpoints (`assay.llm.outbound`): the host must be
listed, and loopback, private and link-local addresses only when listed explicitly. The runner refuses a
host the list does not allow before the run starts (Forbidden naming the step); `process` checks again
before any connection and every connection is checked as it is made. Without a policy the step refuses to
call out at all (Forbidden), so a spec cannot point the server at an address only it can reach.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from assay.errors import AssayError, Forbidden, Invalid
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.text import texts

if TYPE_CHECKING:
    from assay.llm.outbound import OutboundPolicy


class LlmJudge(Step):
    """Pointwise LLM scores as attributes, with an optional minimum."""

    name = "llm_judge"

    def __init__(self, base_url: str, model: str, rubric: str, field: str = "response", low: int = 1,
                 high: int = 10, min_score: float | None = None, concurrency: int = 4,
                 cache_dir: str = ".assay-llm-cache", api_key_env: str = "", temperature: float = 0.0,
                 **common: Any) -> None:
        super().__init__(**common)
        if low >= high:
            raise Invalid(f"llm_judge: low ({low}) must be below high ({high})")
        if concurrency < 1:
            raise Invalid("llm_judge: concurrency must be at least 1")
        from assay.llm.config import EndpointConfig

        EndpointConfig(base_url=base_url, model=model)  # validates the URL now, not in a worker
        self.base_url, self.model, self.rubric, self.field = base_url, model, rubric, field
        self.low, self.high, self.min_score, self.concurrency = low, high, min_score, concurrency
        self.cache_dir, self.api_key_env, self.temperature = cache_dir, api_key_env, temperature
        self._outbound: OutboundPolicy | None = None

    def outbound_urls(self) -> tuple[str, ...]:
        return (self.base_url,)

    def bind_outbound(self, policy: OutboundPolicy) -> None:
        self._outbound = policy

    def _policy(self) -> OutboundPolicy:
        """The bound allow-list, with `base_url` checked against it (host and every address it resolves
        to): Forbidden before anything connects."""
        if self._outbound is None:
            raise Forbidden(f"llm_judge step {self.id!r}: no outbound allow-list was given, so it calls no model "
                            f"server; run the pipeline with `assay pipeline run` (it applies the "
                            f"outbound_allowed_hosts setting, ASSAY_OUTBOUND_ALLOWED_HOSTS) or pass "
                            f"outbound=OutboundPolicy(...) to run_pipeline")
        try:
            self._outbound.check_url(self.base_url)
        except Forbidden as e:
            raise Forbidden(f"llm_judge step {self.id!r}: {e.message}") from None
        return self._outbound

    def process(self, batch: pa.Table) -> StepOutput:
        from assay.llm.client import ChatClient
        from assay.llm.config import EndpointConfig
        from assay.llm.judge import Judge

        policy = self._policy()  # raises: a refused host fails the run, it is not a per-record error
        cfg = EndpointConfig(base_url=self.base_url, model=self.model,
                             api_key=os.environ.get(self.api_key_env, "") if self.api_key_env else "",
                             temperature=self.temperature, concurrency=self.concurrency)
        items = texts(batch, self.field)
        with ChatClient(cfg, cache_dir=self.cache_dir or None, outbound=policy) as client:
            judge = Judge(client)

            def one(text: str) -> tuple[float | None, str, str | None]:
                try:
                    score, why = judge.score_detail(text, self.rubric, low=self.low, high=self.high)
                    return score, why, None
                except Forbidden:  # an address the allow-list refuses (e.g. DNS changed): fail the run
                    raise
                except AssayError as e:
                    return None, "", e.message

            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                results = list(pool.map(one, items))
        scores = [r[0] for r in results]
        keep = None
        if self.min_score is not None:
            keep = [s is None or s >= self.min_score for s in scores]
        return self.decide(batch, keep=keep, reasons="low_score",
                           attributes={"score": pa.array(scores, pa.float64()),
                                       "rationale": pa.array([r[1] for r in results], pa.string()),
                                       "error": pa.array([r[2] for r in results], pa.string())},
                           counters={"errors": sum(r[2] is not None for r in results)})
