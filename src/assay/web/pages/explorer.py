"""The dataset explorer pages: versions, records (search + filters in the URL), one record, statistics,
lineage and diff; export or push the current selection. Admins and leads only, each dataset only to those
who may see it (`assay.services.datasets.owners`).
JSON twins: `assay.web.api.explorer`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from assay.errors import Invalid
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.datasets import catalog as dataset_catalog
from assay.services.datasets import owners as dataset_owners
from assay.services.explorer import browse as explorer
from assay.services.explorer import views
from assay.services.explorer.cache import CacheStatus
from assay.services.projects import projects as project_service
from assay.store.db import Db
from assay.web.deps import DbDep, FormId, IntQuery, Reader, Writer
from assay.web.pages.common import page

router = APIRouter()


def building(request: Request, st: CacheStatus, p: Principal) -> Response:
    """The page that says the version's explorer cache is being built (202, reloads itself) or why the
    build failed (500, with a link to try again)."""
    return page(request, "explorer_building.html", p, status_code=202 if st.state == "building" else 500,
                s=st, ref=st.ref, again=str(request.url.remove_query_params("rebuild")))


def view_from(f: list[str] | None, q: str, where: str, page_no: int, per_page: int) -> explorer.View:
    """A View from URL parameters (blank conditions ignored)."""
    return views.Selection(tuple(f or ()), q, where, page_no, per_page).view()


@router.get("/explore")
def explore_home(request: Request, p: Reader, db: DbDep) -> Response:
    every = dataset_catalog.list_datasets(db)
    mine = set(dataset_owners.readable(db, p.user, [name for name, _ in every]))
    return page(request, "explorer_list.html", p, datasets=[(n, vs) for n, vs in every if n in mine])


@router.get("/explore/{ref}")
def explore_version(request: Request, ref: str, p: Reader, db: DbDep,
                    f: Annotated[list[str] | None, Query()] = None, q: str = "", where: str = "",
                    page_no: Annotated[int, Query(alias="page", ge=-2**31, le=2**31 - 1)] = 1,
                    per_page: IntQuery = 25, rebuild: bool = False) -> Response:
    policies.read_datasets(p.user)
    v = views.version_page(db, p.user, ref, views.Selection(tuple(f or ()), q, where, page_no, per_page),
                           retry=rebuild)
    if v.result is None:
        return building(request, v.status, p)
    template = "explorer_results.html" if request.headers.get("hx-request") else "explorer.html"
    return page(request, template, p, m=v.manifest, result=v.result, view=v.view, projects=list(v.projects),
                owner_projects=list(v.owner_projects), may_site_wide=p.user.is_admin, owner=v.owner)


@router.get("/explore/{ref}/records/{record_id}")
def explore_record(request: Request, ref: str, record_id: str, p: Reader, db: DbDep, rebuild: bool = False
                   ) -> Response:
    policies.read_datasets(p.user)
    v = views.record_view(db, p.user, ref, record_id, retry=rebuild)
    if v.detail is None:
        return building(request, v.status, p)
    return page(request, "explorer_record.html", p, r=v.detail, ref=v.detail["version"])


@router.get("/explore/{ref}/stats")
def explore_stats(request: Request, ref: str, p: Reader, db: DbDep, rebuild: bool = False) -> Response:
    policies.read_datasets(p.user)
    v = views.stats_view(db, p.user, ref, retry=rebuild)
    if v.stats is None:
        return building(request, v.status, p)
    return page(request, "explorer_stats.html", p, s=v.stats, ref=v.stats["ref"])


@router.get("/explore/{ref}/lineage")
def explore_lineage(request: Request, ref: str, p: Reader, db: DbDep, against: str = "") -> Response:
    policies.read_datasets(p.user)
    v = views.lineage_view(db, p.user, ref, against)
    return page(request, "explorer_lineage.html", p, g=v.graph, ref=v.graph.ref, diff=v.diff, against=against)


@router.post("/explore/{ref}/export")
def explore_export(ref: str, p: Writer, db: DbDep, f: Annotated[list[str] | None, Form()] = None,
                   q: str = Form(""), where: str = Form(""), name: str = Form(""),
                   format: str = Form("version"), owner: str = Form("source")) -> Response:
    """Write the selection as a new version and open it, or send it as a JSONL / Parquet file. `owner` is
    the project id that owns a new dataset, "" for site-wide (admins), or "source" (the source's owner)."""
    source = dataset_owners.check_read(db, p.user, ref)
    view = view_from(f, q, where, 1, 25)
    if format != "version":
        return selection_file(db, ref, view, format)
    if owner == "source":
        project_id = dataset_owners.owner_of(db, source)
    elif owner.strip().isdigit():
        project_id = int(owner)
    elif not owner.strip():
        project_id = None
    else:
        raise Invalid("owner must be a project id, empty (site-wide) or 'source'")
    target = name.strip() or source
    dataset_owners.claim_write(db, p.user, target, project_id)
    result = explorer.export_selection(db, ref, view, name=target)
    assert result.manifest is not None
    return RedirectResponse(f"/explore/{result.manifest.ref}", status_code=303)


def selection_file(db: Db, ref: str, view: explorer.View, fmt: str) -> Response:
    """The selection written to <exports>/explorer/ and sent as a download (jsonl or parquet)."""
    if fmt not in ("jsonl", "parquet"):
        raise Invalid(f"format {fmt!r}: use version, jsonl or parquet")
    path = Path(db.settings.exports_dir) / "explorer" / f"{ref.replace('@', '-')}-{uuid.uuid4().hex[:8]}.{fmt}"
    res = explorer.export_selection(db, ref, view, path=str(path))
    return FileResponse(res.path, filename=path.name, media_type="application/octet-stream")


@router.post("/explore/{ref}/push")
def explore_push(ref: str, project_id: FormId, p: Writer, db: DbDep,
                 f: Annotated[list[str] | None, Form()] = None, q: str = Form(""), where: str = Form("")
                 ) -> Response:
    """Send the selection to a project the caller leads, then show the project."""
    dataset_owners.check_read(db, p.user, ref)
    policies.manage_project(p.user, project_service.member_role(db, project_id, p.user.id))
    _, res = explorer.push_selection(db, ref, view_from(f, q, where, 1, 25), project_id, p.user)
    if res.total == 0:
        raise Invalid("the selection is empty: nothing was sent; loosen the filters")
    return RedirectResponse(f"/projects/{project_id}", status_code=303)
