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
from assay.services.explorer import lineage as explorer_lineage
from assay.services.explorer import record as explorer_record
from assay.services.explorer import stats as explorer_stats
from assay.services.projects import projects as project_service
from assay.store.db import Db
from assay.web.context import ctx
from assay.web.deps import DbDep, FormId, IntQuery, Reader, Writer
from assay.web.pages.common import page

router = APIRouter()


def cache_wait(request: Request, ref: str, p: Principal, retry: bool = False) -> Response | None:
    """None when the version's explorer cache is ready (after a short wait); else the page that says it
    is being built (202, reloads itself) or why the build failed (500, with a link to try again)."""
    st = explorer.prepare(ctx(request).db, ref, retry=retry)
    if st.ready:
        return None
    return page(request, "explorer_building.html", p, status_code=202 if st.state == "building" else 500,
                s=st, ref=st.ref, again=str(request.url.remove_query_params("rebuild")))


def view_from(f: list[str] | None, q: str, where: str, page_no: int, per_page: int) -> explorer.View:
    """A View from URL parameters (blank conditions ignored)."""
    return explorer.View(conditions=tuple(c.strip() for c in f or [] if c.strip()), q=q.strip(), where=where.strip(),
                         page=page_no, per_page=per_page)


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
    dataset_owners.check_read(db, p.user, ref)
    view = view_from(f, q, where, page_no, per_page)
    if (wait := cache_wait(request, ref, p, rebuild)) is not None:
        return wait
    result = explorer.browse(db, ref, view)
    m = dataset_catalog.version(db, result.ref)
    template = "explorer_results.html" if request.headers.get("hx-request") else "explorer.html"
    projects = project_service.list_projects(db, p.user)
    acc = dataset_owners.access(db, p.user)
    owner = dataset_owners.owner_of(db, m.dataset)
    return page(request, template, p, m=m, result=result, view=view, projects=projects,
                owner_projects=sorted(acc.led.items(), key=lambda kv: kv[1]) if not p.user.is_admin
                else [(pr.id, pr.name) for pr in projects], may_site_wide=p.user.is_admin, owner=owner)


@router.get("/explore/{ref}/records/{record_id}")
def explore_record(request: Request, ref: str, record_id: str, p: Reader, db: DbDep, rebuild: bool = False
                   ) -> Response:
    dataset_owners.check_read(db, p.user, ref)
    if (wait := cache_wait(request, ref, p, rebuild)) is not None:
        return wait
    acc = dataset_owners.access(db, p.user)
    detail = explorer_record.record_detail(db, ref, record_id, visible=dataset_owners.visible(db, acc),
                                           project_visible=acc.may_see_project)
    return page(request, "explorer_record.html", p, r=detail, ref=detail["version"])


@router.get("/explore/{ref}/stats")
def explore_stats(request: Request, ref: str, p: Reader, db: DbDep, rebuild: bool = False) -> Response:
    dataset_owners.check_read(db, p.user, ref)
    if (wait := cache_wait(request, ref, p, rebuild)) is not None:
        return wait
    stats = explorer_stats.version_stats(db, ref)
    return page(request, "explorer_stats.html", p, s=stats, ref=stats["ref"])


@router.get("/explore/{ref}/lineage")
def explore_lineage(request: Request, ref: str, p: Reader, db: DbDep, against: str = "") -> Response:
    dataset_owners.check_read(db, p.user, ref)
    graph = explorer_lineage.lineage_graph(db, ref, dataset_owners.visible(db, dataset_owners.access(db, p.user)))
    if against:
        dataset_owners.check_read(db, p.user, against)
    diff = explorer_lineage.version_diff(db, against, graph.ref) if against else None
    return page(request, "explorer_lineage.html", p, g=graph, ref=graph.ref, diff=diff, against=against)


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
