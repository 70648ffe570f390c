"""The records table (data manager), a record's judgments side by side, its lineage (source, judgments with
revisions and reviews, pipeline steps), the gold form and bulk actions.

Leads and admins only (the services check `policies.manage_project`). Filters live in the URL; htmx swaps
the table fragment (`#records-table`) without a full reload and pushes the URL. A bad filter value answers
400 with the table's inline error (never a 500); records_table.js lets htmx swap that answer in.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from assay.errors import Invalid
from assay.services.projects import lineage, projects, records_table
from assay.web.deps import DbDep, ProjectId, Reader, RecordId, Writer
from assay.web.forms import answers_from_pairs
from assay.web.pages.answer_summary import summarize
from assay.web.pages.common import page

router = APIRouter()
FILTER_KEYS = ("status", "annotator", "gold", "agreement", "q", "sort", "dir", "page", "size", "after", "before")


def _raw(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Query or form pairs as the table's raw parameters (`meta` repeats; the rest take the last value)."""
    out: dict[str, Any] = {"meta": []}
    for k, v in items:
        if k == "meta":
            out["meta"].append(v)
        elif k in FILTER_KEYS:
            out[k] = v
    return out


def _table(request: Request, p: Any, db: Any, project_id: int, raw: dict[str, Any], flash: str = "") -> Response:
    hx = bool(request.headers.get("hx-request")) and request.headers.get("hx-target") == "records-table"
    template = "records_table_body.html" if hx else "records_table.html"
    try:
        view = records_table.records_page(db, project_id, p.user, raw)
    except Invalid as e:
        if "fields" not in e.details:
            raise
        fallback = records_table.records_page(db, project_id, p.user, {})
        return page(request, template, p, status_code=400, view=fallback, error=e.message,
                    bad=e.details["fields"], typed=raw, urlencode=urlencode, flash=flash, **_consts())
    return page(request, template, p, view=view, error="", bad={}, typed=raw, urlencode=urlencode, flash=flash, **_consts())


def _consts() -> dict[str, Any]:
    return {"status_labels": records_table.STATUS_LABELS, "page_sizes": records_table.PAGE_SIZES}


@router.get("/projects/{project_id}/records")
def records_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    return _table(request, p, db, project_id, _raw(list(request.query_params.multi_items())))


@router.get("/projects/{project_id}/records-count")
def records_count(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    """How many records match the URL's filter, as a fragment ("1,234 records match · 25 pages"): the table
    asks for it after showing its rows (counting reads every match)."""
    try:
        total, capped, q = records_table.records_count(db, project_id, p.user,
                                                       _raw(list(request.query_params.multi_items())))
    except Invalid as e:
        if "fields" not in e.details:
            raise
        return Response("", media_type="text/html")
    pages = max(1, -(-total // q.size))
    text = (f"{total:,}{'+' if capped else ''} record{'s' if total != 1 else ''}{' match' if q.filtered else ''}"
            f" · {pages:,}{'+' if capped else ''} page{'s' if pages != 1 else ''}")
    return Response(html.escape(text), media_type="text/html")


@router.get("/projects/{project_id}/gold")
def gold_list(project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    """The gold list is the records table filtered to gold records."""
    records_table.records_page(db, project_id, p.user, {})  # the lead check, before saying where to go
    return RedirectResponse(f"/projects/{project_id}/records?gold=yes", status_code=303)


@router.get("/projects/{project_id}/records/{record_id}/judgments")
def judgments_page(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> Response:
    view = records_table.record_judgments(db, project_id, record_id, p.user)
    return page(request, "record_judgments.html", p, view=view, summarize=summarize, **_consts(), back=request.headers.get(
        "referer", "") if "/records" in request.headers.get("referer", "") else "")


@router.get("/projects/{project_id}/records/{record_id}/lineage")
def lineage_page(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> Response:
    """What `assay lineage` shows for this record: its source, every judgment with its revisions and
    reviews, the dataset version's pipeline steps (leads and admins; `lineage.record_lineage`)."""
    walk = lineage.record_lineage(db, p.user, project_id, record_id)
    return page(request, "record_lineage.html", p, w=walk, project=projects.get_project(db, project_id),
                nav_active="records")


@router.get("/projects/{project_id}/gold/form")
def gold_form(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    """The gold form (the trainers' question components) for the selected records, as a fragment."""
    ids = _ids(request.query_params.getlist("ids"))
    scope_all = request.query_params.get("scope") == "all"
    view = records_table.gold_form(db, project_id, p.user, ids)
    return page(request, "records_table_gold_form.html", p, view=view, rec=view.record, scope_all=scope_all, ids=ids,
                filters=_raw(list(request.query_params.multi_items())))


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 10 or not 1 <= int(part) <= 2**31 - 1:
                raise Invalid(f"record ids are whole numbers from 1 (got {part[:20]!r})", details={"field": "ids"})
            out.append(int(part))
    return out


def _expected(form: FormData) -> dict[str, Any]:
    raw = str(form.get("expected_json") or "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as e:
            raise Invalid(f"expected answers are not valid JSON: {e.msg}", details={"field": "expected"}) from e
        if not isinstance(parsed, dict):
            raise Invalid("expected answers must be an object keyed by question name", details={"field": "expected"})
        return parsed
    return answers_from_pairs(form.multi_items())


@router.post("/projects/{project_id}/records/bulk")
async def bulk(request: Request, project_id: ProjectId, p: Writer, db: DbDep) -> Response:
    """One bulk action on the selected rows (`ids`) or on all matching the filter (`scope=all` plus the
    filter's fields). An htmx post gets the table again with a message; a plain post is redirected back."""
    form = await request.form()
    items = [(k, str(v)) for k, v in form.multi_items()]
    filters = _raw([(k[2:], v) for k, v in items if k.startswith("f.")])
    action = str(form.get("action") or "")
    prio_raw = str(form.get("priority") or "").strip()
    priority = None
    if action == "priority":
        try:
            priority = int(prio_raw)
        except ValueError:
            raise Invalid("priority must be a whole number", details={"field": "priority"}) from None
    scope_all = form.get("scope") == "all"
    result = records_table.bulk(db, project_id, p.user, action,
                                record_ids=[] if scope_all else _ids([str(v) for v in form.getlist("ids")]),
                                all_matching=filters if scope_all else None,
                                expected=_expected(form) if action == "gold" else None, priority=priority)
    message = f"{records_table.ACTION_LABELS[result.action]}: {result.records} record(s)" + (
        f" ({result.detail})" if result.detail else "")
    if request.headers.get("hx-request"):
        return _table(request, p, db, project_id, filters, flash=message)
    query = [(k, v) for k, v in [(k[2:], v) for k, v in items if k.startswith("f.")] if v]
    return RedirectResponse(f"/projects/{project_id}/records?{urlencode(query)}", status_code=303)
