"""Code review over the wire: the code view of a record, sandbox runs, hidden-test outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from assay.domain.code_runs import CodeRun, RecordCodeOutcome
from assay.schemas.common import Position


class CodeRunPublic(BaseModel):
    id: int
    batch: str
    kind: str = Field(description="visible | custom | mutation | hidden")
    candidate: int | None
    state: str = Field(description="queued | running | done | failed")
    position: int | None = Field(None, description="Place in the sandbox queue while queued.")
    result: dict[str, Any]
    created_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def of(cls, r: CodeRun) -> CodeRunPublic:
        return cls(id=r.id, batch=r.batch, kind=r.kind, candidate=r.candidate, state=r.state, position=r.position,
                   result=r.result, created_at=r.created_at, finished_at=r.finished_at)


class CodeViewPublic(BaseModel):
    """A code record as its annotator may see it: no hidden tests, no reference solution."""

    record_id: int
    problem: str
    language: str
    entry_point: str
    visible_tests: str
    candidates: list[dict[str, str]]
    has_reference: bool
    runs: list[CodeRunPublic]
    test_idiom: str = Field("", description="How tests are written in this language (console.assert, assert in main, ...).")
    unavailable: str = Field("", description="Why this language cannot run on this server (its toolchain is "
                                             "missing), or empty.")


class CodeRunCreate(BaseModel):
    kind: str = Field("visible", description="visible (the record's visible tests) | custom (your `tests`)")
    candidate: Position | None = Field(None, description="One candidate's index; omit for every candidate.")
    tests: str = Field("", description="Your tests (asserts, test_ functions or check(candidate)) for kind custom.")


class CandidateOutcomePublic(BaseModel):
    candidate: int
    model: str
    state: str
    passed: int
    total: int
    pass_rate: float | None
    status: str


class RecordCodeOutcomePublic(BaseModel):
    record_id: int
    external_id: str
    candidates: list[CandidateOutcomePublic]
    reviews: list[dict[str, Any]]
    limits: dict[str, Any] | None = None
    """The record's run budget (docs/code-tasks.md): `cpu_seconds`, `per_test_seconds`, `wall_seconds`,
    `reference_cpu_seconds` (null until the reference is timed on the record's first run), `capped` (the
    project's `code_cpu_ceiling` cut it) and `reference_status` (how the timed reference run ended)."""

    @classmethod
    def of(cls, o: RecordCodeOutcome) -> RecordCodeOutcomePublic:
        return cls(record_id=o.record_id, external_id=o.external_id, reviews=o.reviews, limits=o.limits,
                   candidates=[CandidateOutcomePublic(candidate=c.candidate, model=c.model, state=c.state,
                                                      passed=c.passed, total=c.total, pass_rate=c.pass_rate,
                                                      status=c.status) for c in o.candidates])
