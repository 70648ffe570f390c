"""Records over JSON: bulk add (idempotent by external id, all-or-nothing), cursor-paged listing, and the
judge suggestions on one record."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query

from assay.domain.records import Completion, Message, Record
from assay.schemas import (
    ImportPublic,
    RecordCreate,
    RecordPage,
    RecordPublic,
    StoredRecordPublic,
    SuggestionPublic,
)
from assay.services.accounts import policies
from assay.services.annotation import suggestions
from assay.services.authoring import generation
from assay.services.projects import feeds, projects, records
from assay.web.deps import AfterId, DbDep, ProjectId, Reader, RecordId, Writer

router = APIRouter(tags=["records"])


def to_record(r: RecordCreate, i: int) -> Record:
    """The domain record of one request item (`prompt` becomes a final user message)."""
    msgs = [Message(m.role, m.content, m.tool_calls) for m in r.messages]
    if r.prompt is not None:
        msgs.append(Message("user", r.prompt))
    return Record(external_id=r.id, messages=msgs, metadata=r.metadata, source=f"request item {i}",
                  completions=[Completion(text=c.text, model=c.model, metadata=c.metadata) for c in r.completions])


@router.post("/projects/{project_id}/records", response_model=ImportPublic)
def add_records(project_id: ProjectId, body: list[RecordCreate], p: Writer, db: DbDep,
                pending: Annotated[bool, Query(description="Accept records that still lack the completions the "
                                               "questions need (they get them from `assay generate`).")] = False,
                ) -> ImportPublic:
    """Add records (idempotent by id: ids already in the project are left as they are; all-or-nothing)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    items = [to_record(r, i) for i, r in enumerate(body)]
    if pending:
        res = generation.add_prompts(db, project_id, items, p.user)
    else:
        res = records.import_records(db, project_id, items, p.user)
    return ImportPublic(created=res.created, existing=res.existing)


@router.get("/projects/{project_id}/records", response_model=RecordPage)
def list_records(project_id: ProjectId, p: Reader, db: DbDep, after: AfterId = 0,
                 limit: Annotated[int, Query(ge=1, le=feeds.MAX_LIMIT,
                                             description=f"Page size, 1..{feeds.MAX_LIMIT}.")] = 500) -> RecordPage:
    """The project's records in id order, with their metadata (leads and admins)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    page = feeds.records_page(db, project_id, after=after, limit=limit)
    items = [StoredRecordPublic(record_id=x.record_id, is_gold=x.is_gold, submitted_count=x.submitted_count,
                                record=RecordPublic.of(x.record)) for x in page]
    return RecordPage(items=items, next_after=page[-1].record_id if len(page) == limit else None)


@router.get("/projects/{project_id}/records/{record_id}/suggestions", response_model=list[SuggestionPublic])
def list_suggestions(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep) -> list[SuggestionPublic]:
    """Judge suggestions on one record. Leads and admins always; annotators only for a record in their
    queue and only when the project's setting `show_suggestions` is true (otherwise an empty list)."""
    view = suggestions.for_member(db, project_id, record_id, p.user, partial(policies.view_project, p.user))
    return [SuggestionPublic(id=x.id, record_id=x.record_id, question=x.question, model=x.model, answer=x.answer,
                             rationale=x.rationale, created_at=x.created_at)
            for x in view.items]
