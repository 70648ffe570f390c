"""Filling a project's records with completions from a model server, resumably.

Flow: `add_prompts` puts records in a project before they have the completions its questions need (a
pairwise project needs two per record); `generate` asks an OpenAI-compatible server for `n` completions per
record and appends them. The model calls run outside any database transaction (style rule 4): a short
transaction reads what is missing, then each record's completions are stored in their own short transaction
as soon as all `n` samples of that record succeeded.

A record counts as done for a model when it holds at least `n` completions whose `model` is that model and
whose metadata has a `generation` entry. The check is repeated inside the storing transaction, so two runs
over the same project never fill a record twice. Each generated completion's metadata holds
`{"generation": {"model", "base_url", "sample_index", "sampling", "finish_reason", "usage", "latency_s",
"server_model"}}` — the model name and the exact sampling fields sent.

Records still waiting for completions are not hidden from the queue by this module: generate before adding
annotators (or see the report for the queue change that holds them back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.llm import ChatClient, Generation, GenerationReport, generate_resumable
from assay.services.accounts.audit import record_event
from assay.services.projects.records import ImportResult, import_records
from assay.store.db import Db
from assay.store.mappers import record_from_row
from assay.store.queries import generation as gen_q


def add_prompts(db: Db, project_id: int, records: list[Record], actor: User | None = None) -> ImportResult:
    """Add records that may lack completions (they get them from `generate`): `records.import_records` (all or
    nothing, idempotent by external id; records with no completions wait for generation) after checking that
    every record has a user message to reply to. Raises Invalid for an empty input, a repeated id or a record
    without a user message; NotFound for an unknown project."""
    for r in records:
        if not r.prompt_text:
            raise Invalid(f"record {r.external_id!r} has no user message to generate a reply to",
                          details={"record": r.external_id, "field": "messages"})
    return import_records(db, project_id, records, actor)


def missing(db: Db, project_id: int, model: str, n: int) -> list[tuple[int, Record]]:
    """(record id, record) of the project's records holding fewer than `n` generated completions of `model`,
    in id order. Gold records are included (they are records like any other)."""
    with db.read() as s:
        if not gen_q.project_exists(s, project_id):
            raise NotFound(f"no project with id {project_id}")
        out = []
        for row in gen_q.records_with_completions(s, project_id):
            have = sum(1 for c in row.completions if c.model == model and "generation" in (c.meta or {}))
            if have < n:
                out.append((row.id, record_from_row(row)))
        return out


def store_generations(db: Db, record_id: int, model: str, base_url: str, gens: list[Generation]) -> bool:
    """Append `gens` to the record as completions of `model`, unless it already holds that many generated
    completions of `model` (then nothing is stored and False is returned)."""
    with db.write() as s:
        if not gen_q.record_exists(s, record_id):
            raise NotFound(f"record {record_id} no longer exists")
        if gen_q.generated_count(s, record_id, model) >= len(gens):
            return False
        pos = gen_q.last_position(s, record_id)
        start = -1 if pos is None else pos
        for j, g in enumerate(gens):
            meta: dict[str, Any] = {"generation": {
                "model": model, "base_url": base_url, "sample_index": j, "sampling": g.sampling,
                "finish_reason": g.finish_reason, "usage": g.usage, "latency_s": round(g.latency_s, 4),
                "server_model": g.model}}
            gen_q.add_completion(s, record_id, start + 1 + j, model, g.text, meta)
        return True


def generate(db: Db, project_id: int, client: ChatClient, *, n: int = 2, concurrency: int | None = None,
             on_progress: Callable[[GenerationReport, int], None] | None = None, actor: User | None = None,
             **sampling: Any) -> GenerationReport:
    """Give every record of the project `n` completions from `client`'s model, skipping records already
    filled. `sampling` overrides the endpoint's sampling fields (temperature, max_tokens, ...).
    `on_progress(report, total)` is called after each stored record (an exception there stops the run; what
    was stored stays stored). Records whose calls failed after the client's retries are listed in
    `report.failed` by external id; rerun to retry them. `report.skipped` counts records already filled.
    Raises NotFound for an unknown project."""
    model = client.config.model
    todo = missing(db, project_id, model, n)
    by_key = {rec.external_id: rid for rid, rec in todo}
    total = len(todo)

    def store(key: str, gens: list[Generation]) -> None:
        store_generations(db, by_key[key], model, client.config.base_url, gens)

    def progress(report: GenerationReport) -> None:
        if on_progress is not None:
            on_progress(report, total)

    report = generate_resumable(client, ((rec.external_id, rec.messages) for _, rec in todo), store=store,
                                is_done=lambda key: False, n=n, concurrency=concurrency, on_progress=progress,
                                **sampling)
    with db.write() as s:
        name = gen_q.project_name(s, project_id) or str(project_id)
        report.skipped = gen_q.record_count(s, project_id) - total
        record_event(s, actor.id if actor else None, "records.generate", name, model=model, n=n,
                     generated=report.generated, failed=len(report.failed))
    return report
