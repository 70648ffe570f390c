"""JSON twins of the code-review pages: the code view, starting and reading runs, hidden runs and outcomes.

The wire models live here (they are specific to code tasks); the SDK can import them from
`assay.web.api.code` or mirror them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from assay.domain.code_runs import CodeRun, RecordCodeOutcome
from assay.services.accounts.auth import Principal
from assay.services.code import hidden as code_hidden
from assay.services.code import runs as code_runs
from assay.web.context import ctx
from assay.web.pages.code import code_runner
from assay.web.security import reader, writer

router = APIRouter(tags=["code"])


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


class CodeRunCreate(BaseModel):
    kind: str = Field("visible", description="visible (the record's visible tests) | custom (your `tests`)")
    candidate: int | None = Field(None, description="One candidate's index; omit for every candidate.")
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

    @classmethod
    def of(cls, o: RecordCodeOutcome) -> RecordCodeOutcomePublic:
        return cls(record_id=o.record_id, external_id=o.external_id, reviews=o.reviews,
                   candidates=[CandidateOutcomePublic(candidate=c.candidate, model=c.model, state=c.state,
                                                      passed=c.passed, total=c.total, pass_rate=c.pass_rate,
                                                      status=c.status) for c in o.candidates])


@router.get("/projects/{project_id}/records/{record_id}/code", response_model=CodeViewPublic)
def get_code(request: Request, project_id: int, record_id: int, p: Principal = Depends(reader)) -> CodeViewPublic:
    v = code_runs.code_view(ctx(request).db, project_id, record_id, p.user, code_runner(request))
    return CodeViewPublic(record_id=v.record_id, problem=v.problem, language=v.language, entry_point=v.entry_point,
                          visible_tests=v.visible_tests, candidates=v.candidates, has_reference=v.has_reference,
                          runs=[CodeRunPublic.of(r) for r in v.runs])


@router.post("/projects/{project_id}/records/{record_id}/code/runs", response_model=list[CodeRunPublic],
             status_code=202)
def start_runs(request: Request, project_id: int, record_id: int, body: CodeRunCreate,
               p: Principal = Depends(writer)) -> list[CodeRunPublic]:
    runs = code_runs.start_runs(ctx(request).db, code_runner(request), project_id, record_id, p.user, body.kind,
                                body.candidate, body.tests)
    return [CodeRunPublic.of(r) for r in runs]


@router.get("/projects/{project_id}/records/{record_id}/code/runs", response_model=list[CodeRunPublic])
def list_runs(request: Request, project_id: int, record_id: int, batch: str | None = None,
              p: Principal = Depends(reader)) -> list[CodeRunPublic]:
    runs = code_runs.get_runs(ctx(request).db, code_runner(request), project_id, record_id, p.user, batch=batch)
    return [CodeRunPublic.of(r) for r in runs]


@router.get("/projects/{project_id}/records/{record_id}/code/hidden", response_model=list[CodeRunPublic])
def hidden_runs(request: Request, project_id: int, record_id: int,
                p: Principal = Depends(reader)) -> list[CodeRunPublic]:
    """Hidden-test runs with per-test results (leads and admins only)."""
    return [CodeRunPublic.of(r) for r in code_hidden.hidden_runs(ctx(request).db, project_id, record_id, p.user)]


@router.get("/projects/{project_id}/code/outcomes", response_model=list[RecordCodeOutcomePublic])
def outcomes(request: Request, project_id: int, p: Principal = Depends(reader)) -> list[RecordCodeOutcomePublic]:
    """Per record: hidden pass rate per candidate and each submitted review (leads and admins only)."""
    db = ctx(request).db
    code_hidden.sweep(db, code_runner(request))
    return [RecordCodeOutcomePublic.of(o) for o in code_hidden.outcomes(db, project_id, p.user)]
