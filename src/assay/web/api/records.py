"""Records over JSON: bulk add (idempotent by external id, all-or-nothing, the body streamed to disk and read one
record at a time), cursor-paged listing, and the judge suggestions on one record."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.formats import DEFAULT_MAX_LINE_BYTES
from assay.formats.stream import iter_array_items
from assay.schemas import (
    ImportPublic,
    RecordCreate,
    RecordPage,
    RecordPublic,
    StoredRecordPublic,
    SuggestionPublic,
)
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.annotation import suggestions
from assay.services.authoring import generation
from assay.services.projects import feeds, imports, projects, uploads
from assay.store.db import Db
from assay.web.context import ctx
from assay.web.deps import AfterId, DbDep, ProjectId, Reader, RecordId
from assay.web.security import api_writer

router = APIRouter(tags=["records"])


def to_record(r: RecordCreate, i: int) -> Record:
    """The domain record of one request item (`prompt` becomes a final user message)."""
    msgs = [Message(m.role, m.content, m.tool_calls) for m in r.messages]
    if r.prompt is not None:
        msgs.append(Message("user", r.prompt))
    return Record(external_id=r.id, messages=msgs, metadata=r.metadata, source=f"request item {i}",
                  completions=[Completion(text=c.text, model=c.model, metadata=c.metadata) for c in r.completions],
                  expected=r.expected)


# The body is documented here but read by the route itself, streamed (FastAPI would read and parse it whole).
_BODY_DOC = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "array", "title": "Body", "items": {"$ref": "#/components/schemas/RecordCreate"}}}}}}


def document_streamed_bodies(app: FastAPI) -> None:
    """Put the models of bodies that routes read themselves (see `_BODY_DOC`) into the OpenAPI document's
    components, where FastAPI puts only the models of parameters it reads."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            defs = TypeAdapter(RecordCreate).json_schema(ref_template="#/components/schemas/{model}")
            found = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, sub in defs.pop("$defs", {}).items():
                found.setdefault(name, sub)
            found.setdefault("RecordCreate", defs)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@router.post("/projects/{project_id}/records", response_model=ImportPublic, openapi_extra=_BODY_DOC)
async def add_records(project_id: ProjectId, request: Request, db: DbDep,
                      pending: Annotated[bool, Query(description="Accept records that still lack the completions "
                                                     "the questions need (they get them from `assay generate`).")
                                         ] = False) -> ImportPublic:
    """Add records (idempotent by id: ids already in the project are left as they are; all-or-nothing)."""
    def allowed() -> Principal:  # the caller, CSRF header and role: all before a byte of the body is read
        caller = api_writer(request)
        policies.manage_project(caller.user, projects.member_role(db, project_id, caller.user.id))
        return caller

    p = await run_in_threadpool(allowed)
    settings = ctx(request).settings
    up = await uploads.receive_upload(settings, "request.json", request.stream(), settings.max_import_bytes)
    path = uploads.upload_path(settings, up.token, up.suffix)
    try:
        return await run_in_threadpool(_import_body, db, project_id, path, p, pending)
    finally:
        path.unlink(missing_ok=True)


def _import_body(db: Db, project_id: int, path: Path, p: Principal, pending: bool) -> ImportPublic:
    """Import the streamed body's records one array element at a time (`pending`: via add_prompts)."""
    items = request_records(path)
    if pending:
        res = generation.add_prompts(db, project_id, list(items), p.user)
        return ImportPublic(created=res.created, existing=res.existing)
    got = imports.import_stream(db, project_id, items, p.user)
    return ImportPublic(created=got.created, existing=got.existing)


def request_records(path: Path) -> Iterator[Record]:
    """The records of a JSON array body saved at `path`, validated one element at a time. Raises Invalid
    naming the item (and the line it starts on) and the field."""
    with path.open("rb") as f:
        for number, line, value in iter_array_items(f, "request body", DEFAULT_MAX_LINE_BYTES):
            i = number - 1
            try:
                item = RecordCreate.model_validate(value)
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(x) for x in first.get("loc", ())) or "(item)"
                # `errors` keeps the shape of every other body validation error (docs/api.md)
                errors = [{"loc": ["body", i, *x.get("loc", ())], "msg": x.get("msg", "invalid")} for x in e.errors()]
                raise Invalid(f"request item {i} (line {line}), field {where}: {first.get('msg', 'invalid')}",
                              details={"item": i, "line": line, "field": where, "errors": errors}) from None
            yield to_record(item, i)


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
