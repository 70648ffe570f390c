"""JSON twins of the explorer pages (`/api/v1/explore/...`), backed by the same service calls.
Admins and leads only, like `/api/v1/datasets`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.explorer import browse as explorer
from assay.services.explorer import lineage as explorer_lineage
from assay.services.explorer import record as explorer_record
from assay.services.explorer import stats as explorer_stats
from assay.services.projects import projects as project_service
from assay.web.api.datasets import read_datasets
from assay.web.context import ctx
from assay.web.pages.explorer import selection_file, view_from
from assay.web.security import reader, writer

router = APIRouter(tags=["explorer"])


def not_ready(request: Request, ref: str) -> JSONResponse | None:
    """None when the version's explorer cache is ready (after a short wait; the build runs in the
    background); else 202 `{"ref", "state": "building", "seconds"}` with Retry-After, or 500 with the
    error when the build failed (the twin of the page's "building" state)."""
    st = explorer.prepare(ctx(request).db, ref)
    if st.ready:
        return None
    code = 202 if st.state == "building" else 500
    return JSONResponse(st.to_dict(), status_code=code, headers={"Retry-After": "1"} if code == 202 else None)


@router.get("/explore/{ref}/cache")
def cache(request: Request, ref: str, p: Principal = Depends(reader)) -> dict[str, Any]:
    """The state of the version's explorer cache (`ready`, `building`, `failed`); starts the build."""
    read_datasets(p.user)
    return explorer.prepare(ctx(request).db, ref, wait=0).to_dict()


class Selection(BaseModel):
    """A view of a version: filter conditions, raw SQL `where`, search words."""

    conditions: list[str] = Field(default_factory=list, description="e.g. ['language__lang=en', 'chars<2000']")
    q: str = ""
    where: str = ""


class ExportRequest(Selection):
    format: str = Field("version", description="version (a new dataset version), jsonl or parquet (a download)")
    name: str = Field("", description="the new version's dataset name (default: the source dataset)")


class PushRequest(Selection):
    project_id: int


@router.get("/explore/{ref}/records", response_model=None)
def records(request: Request, ref: str, f: list[str] = Query([]), q: str = "", where: str = "",
            page: int = 1, per_page: int = 25, p: Principal = Depends(reader)) -> dict[str, Any] | JSONResponse:
    """A page of the records the view selects (same parameters as the page: `f` repeated, `q`, `where`)."""
    read_datasets(p.user)
    if (wait := not_ready(request, ref)) is not None:
        return wait
    return explorer.browse(ctx(request).db, ref, view_from(f, q, where, page, per_page)).to_dict()


@router.get("/explore/{ref}/records/{record_id}", response_model=None)
def record(request: Request, ref: str, record_id: str, p: Principal = Depends(reader)) -> dict[str, Any] | JSONResponse:
    """Everything known about one record."""
    read_datasets(p.user)
    if (wait := not_ready(request, ref)) is not None:
        return wait
    return explorer_record.record_detail(ctx(request).db, ref, record_id)


@router.get("/explore/{ref}/stats", response_model=None)
def stats(request: Request, ref: str, p: Principal = Depends(reader)) -> dict[str, Any] | JSONResponse:
    """Column statistics, charts' data and the pipeline run report."""
    read_datasets(p.user)
    if (wait := not_ready(request, ref)) is not None:
        return wait
    return explorer_stats.version_stats(ctx(request).db, ref)


@router.get("/explore/{ref}/lineage")
def lineage(request: Request, ref: str, against: str = "", p: Principal = Depends(reader)) -> dict[str, Any]:
    """The ancestry graph (with layout) and, with `against=<ref>`, the diff from that version to this one."""
    read_datasets(p.user)
    db = ctx(request).db
    g = explorer_lineage.lineage_graph(db, ref)
    out: dict[str, Any] = {"graph": g.to_dict()}
    if against:
        out["diff"] = explorer_lineage.version_diff(db, against, g.ref).to_dict()
    return out


@router.post("/explore/{ref}/export", response_model=None)
def export(request: Request, ref: str, body: ExportRequest, p: Principal = Depends(writer)) -> Any:
    """Write the selection as a new version (returns its ref) or send it as a JSONL / Parquet file."""
    read_datasets(p.user)
    db = ctx(request).db
    view = view_from(body.conditions, body.q, body.where, 1, 25)
    if body.format == "version":
        res = explorer.export_selection(db, ref, view, name=body.name)
        assert res.manifest is not None
        return {"ref": res.manifest.ref, "rows": res.rows, "pipeline": res.spec}
    return selection_file(db, ref, view, body.format)


@router.post("/explore/{ref}/push")
def push(request: Request, ref: str, body: PushRequest, p: Principal = Depends(writer)) -> dict[str, Any]:
    """Add the selection's records to a project the caller leads."""
    read_datasets(p.user)
    db = ctx(request).db
    policies.manage_project(p.user, project_service.member_role(db, body.project_id, p.user.id))
    m, res = explorer.push_selection(db, ref, view_from(body.conditions, body.q, body.where, 1, 25),
                                     body.project_id, p.user)
    return {"ref": m.ref, "project_id": body.project_id, "created": res.created, "existing": res.existing}


