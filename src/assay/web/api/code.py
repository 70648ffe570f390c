"""JSON twins of the code-review pages: the code view, starting and reading runs, hidden runs and outcomes.
The wire models are `assay.schemas.code`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assay.schemas import CodeRunCreate, CodeRunPublic, CodeViewPublic, RecordCodeOutcomePublic
from assay.services.code import hidden as code_hidden
from assay.services.code import runs as code_runs
from assay.web.deps import DbDep, ProjectId, Reader, RecordId, Writer
from assay.web.pages.code import code_runner

router = APIRouter(tags=["code"])


@router.get("/projects/{project_id}/records/{record_id}/code", response_model=CodeViewPublic)
def get_code(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> CodeViewPublic:
    v = code_runs.code_view(db, project_id, record_id, p.user, code_runner(request))
    return CodeViewPublic(record_id=v.record_id, problem=v.problem, language=v.language, entry_point=v.entry_point,
                          visible_tests=v.visible_tests, candidates=v.candidates, has_reference=v.has_reference,
                          runs=[CodeRunPublic.of(r) for r in v.runs], test_idiom=str(v.lang.get("test_idiom", "")),
                          unavailable=str(v.lang.get("unavailable", "")))


@router.post("/projects/{project_id}/records/{record_id}/code/runs", response_model=list[CodeRunPublic],
             status_code=202)
def start_runs(request: Request, project_id: ProjectId, record_id: RecordId, body: CodeRunCreate, p: Writer,
               db: DbDep) -> list[CodeRunPublic]:
    runs = code_runs.start_runs(db, code_runner(request), project_id, record_id, p.user, body.kind,
                                body.candidate, body.tests)
    return [CodeRunPublic.of(r) for r in runs]


@router.get("/projects/{project_id}/records/{record_id}/code/runs", response_model=list[CodeRunPublic])
def list_runs(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep,
              batch: str | None = None) -> list[CodeRunPublic]:
    runs = code_runs.get_runs(db, code_runner(request), project_id, record_id, p.user, batch=batch)
    return [CodeRunPublic.of(r) for r in runs]


@router.get("/projects/{project_id}/records/{record_id}/code/hidden", response_model=list[CodeRunPublic])
def hidden_runs(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> list[CodeRunPublic]:
    """Hidden-test runs with per-test results (leads and admins only)."""
    return [CodeRunPublic.of(r) for r in code_hidden.hidden_runs(db, project_id, record_id, p.user)]


@router.get("/projects/{project_id}/code/outcomes", response_model=list[RecordCodeOutcomePublic])
def outcomes(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> list[RecordCodeOutcomePublic]:
    """Per record: hidden pass rate per candidate and each submitted review (leads and admins only)."""
    return [RecordCodeOutcomePublic.of(o)
            for o in code_hidden.outcomes_view(db, code_runner(request), project_id, p.user).rows]
