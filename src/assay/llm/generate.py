"""Resumable generation: n completions per key, bounded concurrency, skipping keys already done.

The caller owns storage: `is_done(key)` says whether a key's completions are already stored and
`store(key, generations)` stores them. Both are called on the calling thread only (safe for a database
session bound to it), `store` only once all n samples of a key succeeded. So when a run is interrupted (an
exception in `store`, Ctrl-C, a crash) a rerun with the same inputs requests only the keys that were not
stored. With the client's cache on, samples that finished but were not stored are not paid for twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from assay.errors import Invalid
from assay.llm.client import ChatClient, Generation, MessagesLike

log = logging.getLogger("assay.llm")


@dataclass
class GenerationReport:
    """What a run did: keys generated and stored, skipped as done, repeated in the input, and failed
    (key → error message; such keys were not stored, so a rerun tries them again)."""

    generated: int = 0
    skipped: int = 0
    duplicates: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def seen(self) -> int:
        return self.generated + self.skipped + len(self.failed)


def generate_resumable(
    client: ChatClient,
    items: Iterable[tuple[str, MessagesLike]],
    *,
    store: Callable[[str, list[Generation]], None],
    is_done: Callable[[str], bool],
    n: int = 1,
    concurrency: int | None = None,
    stop_on_error: bool = False,
    on_progress: Callable[[GenerationReport], None] | None = None,
    **overrides: Any,
) -> GenerationReport:
    """Generate `n` completions for every (key, messages) whose key is not done, and `store` them.

    `items` is consumed lazily (a generator over millions of rows is fine); at most `concurrency`
    requests (default: the endpoint's) are in flight. `overrides` are sampling fields for every call.
    A key whose call fails after the client's retries is recorded in `report.failed` and the run goes
    on, unless `stop_on_error`, which re-raises that error. An exception raised by `store`, `is_done` or
    `on_progress` cancels queued calls, waits for running ones and propagates. Returns the report.
    """
    if n < 1:
        raise Invalid(f"n must be at least 1, got {n}")
    limit = concurrency or client.config.concurrency
    if limit < 1:
        raise Invalid(f"concurrency must be at least 1, got {limit}")
    report = GenerationReport()
    seen: set[str] = set()
    partial: dict[str, list[Generation | None]] = {}
    pending: dict[Future[Generation], tuple[str, int]] = {}
    source = iter(items)
    exhausted = False

    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="assay-generate") as pool:
        try:
            while True:
                while not exhausted and len(pending) < 2 * limit:
                    try:
                        key, messages = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    if key in seen:
                        report.duplicates += 1
                        continue
                    seen.add(key)
                    if is_done(key):
                        report.skipped += 1
                        continue
                    partial[key] = [None] * n
                    for j in range(n):
                        fut = pool.submit(client.complete, messages, sample_index=j, **overrides)
                        pending[fut] = (key, j)
                if not pending:
                    break
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in done:
                    key, j = pending.pop(fut)
                    if key not in partial:
                        continue  # another sample of this key already failed
                    exc = fut.exception()
                    if exc is not None:
                        del partial[key]
                        report.failed[key] = str(exc)
                        log.warning("generation failed key=%s: %s", key, exc)
                        if stop_on_error:
                            raise exc
                        continue
                    partial[key][j] = fut.result()
                    gens = partial[key]
                    if all(g is not None for g in gens):
                        del partial[key]
                        store(key, [g for g in gens if g is not None])
                        report.generated += 1
                        if on_progress is not None:
                            on_progress(report)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return report
