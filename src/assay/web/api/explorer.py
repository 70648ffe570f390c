"""JSON twins of the explorer pages (`/api/v1/explore/...`), backed by the same service calls.
Admins and leads only, like `/api/v1/datasets`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from assay.schemas import (
    CacheStatePublic,
    ExportRequest,
    LineagePublic,
    PushPublic,
    PushRequest,
    SelectionExportPublic,
)
from assay.services.accounts import policies
from assay.services.datasets import owners as dataset_owners
from assay.services.explorer import browse as explorer
from assay.services.explorer import views
from assay.services.explorer.cache import CacheStatus
from assay.services.projects import projects as project_service
from assay.web.deps import DbDep, IntQuery, Reader, Writer
from assay.web.pages.explorer import selection_file, view_from

router = APIRouter(tags=["explorer"])


def not_ready(st: CacheStatus) -> JSONResponse:
    """The answer while the version's explorer cache is not ready: 202 `{"ref", "state": "building",
    "seconds"}` with Retry-After, or 500 with the error when the build failed (the twin of the page's
    "building" state)."""
    code = 500 if st.state == "failed" else 202  # building, or not started yet: come back shortly
    return JSONResponse(st.to_dict(), status_code=code, headers={"Retry-After": "1"} if code == 202 else None)


@router.get("/explore/{ref}/cache", response_model=CacheStatePublic)
def cache(ref: str, p: Reader, db: DbDep) -> CacheStatePublic:
    """The state of the version's explorer cache (`ready`, `building`, `failed`); starts the build."""
    policies.read_datasets(p.user)
    return CacheStatePublic.model_validate(views.cache_state(db, p.user, ref).to_dict())


@router.get("/explore/{ref}/records", response_model=None)
def records(ref: str, p: Reader, db: DbDep, f: Annotated[list[str] | None, Query()] = None, q: str = "",
            where: str = "", page: IntQuery = 1, per_page: IntQuery = 25) -> dict[str, Any] | JSONResponse:
    """A page of the records the view selects (same parameters as the page: `f` repeated, `q`, `where`)."""
    policies.read_datasets(p.user)
    v = views.records(db, p.user, ref, views.Selection(tuple(f or ()), q, where, page, per_page))
    return not_ready(v.status) if v.result is None else v.result.to_dict()


@router.get("/explore/{ref}/records/{record_id}", response_model=None)
def record(ref: str, record_id: str, p: Reader, db: DbDep) -> dict[str, Any] | JSONResponse:
    """Everything known about one record."""
    policies.read_datasets(p.user)
    v = views.record_view(db, p.user, ref, record_id)
    return not_ready(v.status) if v.detail is None else v.detail


@router.get("/explore/{ref}/stats", response_model=None)
def stats(ref: str, p: Reader, db: DbDep) -> dict[str, Any] | JSONResponse:
    """Column statistics, charts' data and the pipeline run report."""
    policies.read_datasets(p.user)
    v = views.stats_view(db, p.user, ref)
    return not_ready(v.status) if v.stats is None else v.stats


@router.get("/explore/{ref}/lineage", response_model=LineagePublic, response_model_exclude_unset=True)
def lineage(ref: str, p: Reader, db: DbDep, against: str = "") -> LineagePublic:
    """The ancestry graph (with layout) and, with `against=<ref>`, the diff from that version to this one
    (no `diff` key without `against`)."""
    policies.read_datasets(p.user)
    v = views.lineage_view(db, p.user, ref, against)
    if v.diff is None:
        return LineagePublic(graph=v.graph.to_dict())
    return LineagePublic(graph=v.graph.to_dict(), diff=v.diff.to_dict())


@router.post("/explore/{ref}/export", response_model=None,
             responses={200: {"model": SelectionExportPublic, "description": "format=version: the new version"}})
def export(ref: str, body: ExportRequest, p: Writer, db: DbDep) -> SelectionExportPublic | Response:
    """Write the selection as a new version (returns its ref) or send it as a JSONL / Parquet file."""
    dataset_owners.check_read(db, p.user, ref)
    view = view_from(body.conditions, body.q, body.where, 1, 25)
    if body.format == "version":
        target = body.name.strip() or dataset_owners.check_read(db, p.user, ref)
        owner = body.project_id if body.project_id is not None else dataset_owners.owner_of_ref(db, ref)
        dataset_owners.claim_write(db, p.user, target, owner)
        res = explorer.export_selection(db, ref, view, name=target)
        assert res.manifest is not None
        return SelectionExportPublic(ref=res.manifest.ref, rows=res.rows, pipeline=res.spec)
    return selection_file(db, ref, view, body.format)


@router.post("/explore/{ref}/push", response_model=PushPublic)
def push(ref: str, body: PushRequest, p: Writer, db: DbDep) -> PushPublic:
    """Add the selection's records to a project the caller leads."""
    dataset_owners.check_read(db, p.user, ref)
    policies.manage_project(p.user, project_service.member_role(db, body.project_id, p.user.id))
    m, res = explorer.push_selection(db, ref, view_from(body.conditions, body.q, body.where, 1, 25),
                                     body.project_id, p.user)
    return PushPublic(ref=m.ref, project_id=body.project_id, created=res.created, existing=res.existing)


