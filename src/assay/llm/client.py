"""`ChatClient`: completions, streaming and bounded-concurrency batches against one OpenAI-compatible server.

Every call retries 429, 5xx, timeouts and connection errors with exponential backoff and jitter (honouring
Retry-After), never retries other 4xx, and raises `assay.errors.Unavailable` or `Invalid` with a message
that names the server and what to check. The openai client's own retries are turned off so that the policy
here is the only one. The API key is never logged and is scrubbed from error messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import openai

from assay.domain.records import Completion, Message
from assay.errors import AssayError, Forbidden, Invalid, Unavailable
from assay.llm.cache import CompletionCache, cache_key
from assay.llm.config import EndpointConfig
from assay.llm.outbound import OutboundPolicy, guarded_http_client
from assay.llm.retry import RetryPolicy, is_retryable, retry_after_of, to_assay_error

log = logging.getLogger("assay.llm")

T = TypeVar("T")
MessagesLike = Sequence[Message | Mapping[str, Any]]


@dataclass
class Generation:
    """One completion as the server returned it.

    `sampling` holds the request fields actually sent (temperature, top_p, max_tokens, extras). `usage`
    has prompt_tokens / completion_tokens / total_tokens when the server reported them. `latency_s` is the
    wall time of the attempt that succeeded (for a cache hit, of the original call); `attempts` counts HTTP
    attempts made; `cached` says it came from the on-disk cache.
    """

    text: str
    model: str
    finish_reason: str | None
    usage: dict[str, int] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)
    latency_s: float = 0.0
    endpoint: str = ""
    attempts: int = 1
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Generation:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)

    def to_completion(self) -> Completion:
        """A domain `Completion` whose metadata records how it was made (endpoint, sampling, usage...)."""
        meta = {
            "endpoint": self.endpoint,
            "finish_reason": self.finish_reason,
            "sampling": self.sampling,
            "usage": self.usage,
            "latency_s": round(self.latency_s, 4),
        }
        return Completion(text=self.text, model=self.model, metadata=meta)


def normalise_messages(messages: MessagesLike) -> list[dict[str, Any]]:
    """Turn `Message` objects or dicts into the wire form; raises Invalid for an empty or malformed list."""
    if not messages:
        raise Invalid("a model call needs at least one message")
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        d = m.to_dict() if isinstance(m, Message) else dict(m)
        if not isinstance(d.get("role"), str) or not isinstance(d.get("content"), str | None):
            raise Invalid(f"message {i} needs a string 'role' and a string 'content', got {sorted(d)}")
        out.append(d)
    return out


class ChatClient:
    """A client for one `EndpointConfig`. Thread-safe: one instance may serve many threads.

    `cache_dir` turns on the on-disk completion cache (None disables it). `retry` changes the backoff;
    the number of retries comes from `config.max_retries`. `outbound` (the server passes its
    `OutboundPolicy`) limits where calls may go: the base URL is checked before every call (Forbidden, not
    retried, nothing connects) and every connection is checked again as it is made (`llm.outbound`).
    """

    def __init__(
        self,
        config: EndpointConfig,
        *,
        cache_dir: str | Path | None = None,
        retry: RetryPolicy | None = None,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self.outbound = outbound
        self.cache = CompletionCache(cache_dir) if cache_dir is not None else None
        http_client = guarded_http_client(outbound, timeout=config.timeout) if outbound is not None else None
        self._openai = openai.OpenAI(
            api_key=config.api_key or "EMPTY",
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"ChatClient({self.config!r}, cache={'on' if self.cache else 'off'})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close HTTP connections and the cache."""
        self._openai.close()
        if self.cache is not None:
            self.cache.close()

    # -- calls ---------------------------------------------------------------------------------------

    def complete(
        self, messages: MessagesLike, *, sample_index: int = 0, use_cache: bool = True, **overrides: Any
    ) -> Generation:
        """Ask for one completion. `overrides` replace sampling fields for this call (None drops one).

        `sample_index` distinguishes repeated samples of the same prompt in the cache. Returns a
        Generation; raises Unavailable (server down, timeout, rate limit or 5xx after retries, key refused)
        or Invalid (bad request, unknown model).
        """
        msgs = normalise_messages(messages)
        sampling = self.config.sampling(**overrides)
        key = None
        if self.cache is not None and use_cache:
            key = cache_key(self.config.base_url, self.config.model, msgs, sampling, sample_index)
            hit = self.cache.get(key)
            if hit is not None:
                gen = Generation.from_dict(hit)
                gen.cached = True
                log.debug("cache hit endpoint=%s key=%s", self.config.name, key[:12])
                return gen

        def call() -> Generation:
            t0 = time.perf_counter()
            resp = self._openai.chat.completions.create(
                model=self.config.model, messages=cast(Any, msgs), extra_body=sampling
            )
            latency = time.perf_counter() - t0
            if not resp.choices:
                raise Unavailable(
                    f"model server {self.config.name!r} at {self.config.base_url} returned no "
                    "choices; check the server's logs"
                )
            choice = resp.choices[0]
            usage = (
                resp.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})
                if resp.usage
                else {}
            )
            return Generation(
                text=choice.message.content or "",
                model=resp.model or self.config.model,
                finish_reason=choice.finish_reason,
                usage=usage,
                sampling=sampling,
                latency_s=latency,
                endpoint=self.config.name,
            )

        gen, attempts = self._with_retries(call)
        gen.attempts = attempts
        if key is not None and self.cache is not None:
            self.cache.put(key, gen.to_dict())
        return gen

    def stream(self, messages: MessagesLike, **overrides: Any) -> Iterator[str]:
        """Yield the reply's text deltas as the server sends them (never cached).

        Opening the stream is retried like `complete`; a failure after the first delta is not (the
        caller already showed part of a reply) and raises Unavailable. Close the iterator early to
        abandon the reply.
        """
        msgs = normalise_messages(messages)
        sampling = self.config.sampling(**overrides)

        def open_stream() -> Any:
            return self._openai.chat.completions.create(
                model=self.config.model,
                messages=cast(Any, msgs),
                stream=True,
                extra_body=sampling,
            )

        stream, attempts = self._with_retries(open_stream)
        try:
            for chunk in stream:
                if chunk.choices:
                    delta = chunk.choices[0].delta.content
                    if delta:
                        yield delta
        except openai.OpenAIError as e:
            raise self._map(e, attempts) from None
        finally:
            stream.close()

    def complete_many(
        self,
        conversations: Sequence[MessagesLike],
        *,
        n: int = 1,
        concurrency: int | None = None,
        **overrides: Any,
    ) -> list[Generation | Exception]:
        """Complete each conversation `n` times with at most `concurrency` requests in flight.

        Returns a flat list in input order: conversation 0's n samples, then conversation 1's, ... Each
        item is a Generation or the exception that call ended with (an AssayError for server failures),
        so one bad item never loses the others. Blocks until all are done; callable from sync code.
        """
        if n < 1:
            raise Invalid(f"n must be at least 1, got {n}")
        limit = concurrency or self.config.concurrency
        if limit < 1:
            raise Invalid(f"concurrency must be at least 1, got {limit}")
        jobs = [(conv, j) for conv in conversations for j in range(n)]
        if not jobs:
            return []

        def one(job: tuple[MessagesLike, int]) -> Generation | Exception:
            try:
                return self.complete(job[0], sample_index=job[1], **overrides)
            except Exception as e:  # noqa: BLE001 - returned to the caller per item
                return e

        with ThreadPoolExecutor(max_workers=min(limit, len(jobs)), thread_name_prefix="assay-llm") as pool:
            return list(pool.map(one, jobs))

    def list_models(self) -> list[str]:
        """The model ids the server offers (GET /models); a cheap way to test an endpoint."""
        page, _ = self._with_retries(lambda: self._openai.models.list())
        return [m.id for m in page.data]

    # -- retries -------------------------------------------------------------------------------------

    def _map(self, exc: BaseException, attempts: int) -> AssayError:
        return to_assay_error(
            exc,
            endpoint=self.config.name,
            base_url=self.config.base_url,
            model=self.config.model,
            attempts=attempts,
            secret=self.config.api_key,
            timeout=self.config.timeout,
        )

    def _with_retries(self, fn: Callable[[], T]) -> tuple[T, int]:
        """Run `fn`, retrying per policy; returns (result, attempts made) or raises a mapped AssayError."""
        max_retries = self.config.max_retries
        if self.outbound is not None:
            self.outbound.check_url(self.config.base_url)
        for attempt in range(max_retries + 1):
            try:
                return fn(), attempt + 1
            except openai.OpenAIError as e:
                refused = e.__cause__ or e.__context__
                if isinstance(refused, Forbidden):  # the guarded connection refused an address
                    raise refused from None
                if not is_retryable(e) or attempt == max_retries:
                    log.warning(
                        "model call failed endpoint=%s base_url=%s attempts=%d error=%s",
                        self.config.name,
                        self.config.base_url,
                        attempt + 1,
                        type(e).__name__,
                    )
                    raise self._map(e, attempt + 1) from None
                wait = self.retry.delay(attempt, retry_after_of(e))
                log.info(
                    "retrying model call endpoint=%s attempt=%d error=%s wait=%.2fs",
                    self.config.name,
                    attempt + 1,
                    type(e).__name__,
                    wait,
                )
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
