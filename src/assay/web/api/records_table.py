"""JSON twins of the records table: a page of it (same URL parameters as the page), one record's judgments,
and a bulk action. Leads and admins (the services check `policies.manage_project`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from assay.schemas.gold import RecordsBulk, RecordsBulkPublic
from assay.services.projects import lineage, records_table
from assay.web.api.quality import plain
from assay.web.deps import DbDep, ProjectId, Reader, RecordId, Writer

router = APIRouter(tags=["records"])


def _raw(request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {"meta": request.query_params.getlist("meta")}
    for k, v in request.query_params.multi_items():
        if k != "meta":
            out[k] = v
    return out


@router.get("/projects/{project_id}/records-table", response_model=None)
def records_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Any:
    """One page of the records table. Query parameters as the page's URL: status (todo, in_progress, done,
    reviewed, skipped, removed), annotator (username), gold (yes/no), agreement (agreed/disagreed), meta
    (key=value, repeatable), q (text), sort (id, external_id, priority, judgments, created), dir, page, size.
    A bad value answers 422 naming the field in `details.fields`."""
    view = records_table.records_page(db, project_id, p.user, _raw(request), with_count=True)
    return {"total": view.total, "total_capped": view.total_capped, "pages": view.pages, "page": view.query.page,
            "has_next": view.has_next,
            "rows": plain(view.rows), "standings": plain(view.standings)}


@router.get("/projects/{project_id}/records/{record_id}/lineage", response_model=None)
def record_lineage(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> Any:
    """What `assay lineage --json` answers for this record: project, source, messages and completions, every
    judgment (drafts too) with its revisions and reviews, and for a record pushed from a dataset version the
    version's pipeline steps and what later versions did with it. Leads and admins."""
    return lineage.record_lineage(db, p.user, project_id, record_id)


@router.get("/projects/{project_id}/records/{record_id}/judgments", response_model=None)
def judgments(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> Any:
    """A record with all its judgments, their reviews and (gold records) the expected answers."""
    v = records_table.record_judgments(db, project_id, record_id, p.user)
    return {"record_id": v.record_id, "record": plain(v.record.to_dict()), "status": v.status, "is_gold": v.is_gold,
            "expected": plain(v.expected), "priority": v.priority, "queued": v.queued, "submitted": v.submitted,
            "k": v.k, "judgments": plain(v.judgments)}


@router.post("/projects/{project_id}/records-bulk", response_model=RecordsBulkPublic)
def bulk(project_id: ProjectId, body: RecordsBulk, p: Writer, db: DbDep) -> RecordsBulkPublic:
    """One bulk action (gold, ungold, requeue, remove, restore, priority) on `record_ids` or on every record
    matching `all_matching`; all or nothing, audit-logged."""
    r = records_table.bulk(db, project_id, p.user, body.action, record_ids=body.record_ids,
                           all_matching=body.all_matching, expected=body.expected, priority=body.priority)
    return RecordsBulkPublic(action=r.action, records=r.records, detail=r.detail)
