"""The web edge's dependencies as `Annotated` aliases: who is calling, the database, typed ids.

A handler names what it needs in its signature and nothing else:

    @router.get("/projects/{project_id}")
    def get_project(project_id: ProjectId, p: Reader, db: DbDep) -> ProjectPublic: ...

- `Reader`: the signed-in caller (session or any API token); anonymous callers get 401 (pages: the sign-in
  page). `Writer`: the same, for state-changing routes: CSRF-checked for sessions, write-scoped for tokens.
  `Credentials`: a route dependency for the hot JSON routes that resolve the caller in their own body
  (`security.api_writer`): refuses a request with no credentials at all before its body is read.
- `DbDep`, `Ctx`: the app's database and context (resolved on the event loop: no thread hop).
- Typed ids: whole numbers 1..MAX_ID (the largest id the database holds). A bigger, negative or non-numeric
  id is refused with 422 by FastAPI's validation (JSON for `/api`, an error page otherwise, see
  `assay.web.errors`) before any handler or query runs, so no number can overflow the database driver.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request

from assay.schemas.common import MAX_COUNT, MAX_ID
from assay.services.accounts.auth import Principal
from assay.store.db import Db
from assay.web.context import AppContext, ctx
from assay.web.security import has_credentials, reader, writer


async def _db(request: Request) -> Db:
    return ctx(request).db


async def _ctx(request: Request) -> AppContext:
    return ctx(request)


Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
DbDep = Annotated[Db, Depends(_db)]
Ctx = Annotated[AppContext, Depends(_ctx)]
Credentials = Depends(has_credentials)
"""For `dependencies=[Credentials]` on routes that call `security.api_writer` in their body."""


def _id(what: str) -> Any:
    """A path id's bounds and description (FastAPI's `Path` is typed as returning Any)."""
    return Path(ge=1, le=MAX_ID, description=f"The {what}'s id.")


ProjectId = Annotated[int, _id("project")]
RecordId = Annotated[int, _id("record")]
UserId = Annotated[int, _id("user")]
TokenId = Annotated[int, _id("API token")]
InviteId = Annotated[int, _id("invite")]
AnnotationId = Annotated[int, _id("annotation")]
TaskId = Annotated[int, _id("authoring task")]
MessageId = Annotated[int, _id("message")]
AttemptId = Annotated[int, _id("red-team attempt")]
EndpointId = Annotated[int, _id("model endpoint")]
CheckId = Annotated[int, _id("fact-check")]
ReportId = Annotated[int, _id("problem report")]
JobId = Annotated[int, _id("job")]
Slot = Annotated[int, Path(ge=0, le=10_000, description="The reply slot: 0 = reply A, 1 = reply B, …")]

AfterId = Annotated[int, Query(ge=0, le=MAX_ID, description="The last id seen (0 to start).")]
"""A cursor: the last id of the previous page."""
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="An id to page back from.")]
UserQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Another person's user id.")]
IntQuery = Annotated[int, Query(ge=-MAX_COUNT - 1, le=MAX_COUNT)]
"""A whole number query parameter (a limit, a page, a bootstrap count) a database integer can hold; the
service checks (or clamps) its range."""
IndexQuery = Annotated[int, Query(ge=0, le=10_000)]
"""An index into a short list (a candidate)."""
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
"""An id in a form post."""
FormInt = Annotated[int, Form(ge=-MAX_COUNT - 1, le=MAX_COUNT)]
"""A whole number in a form post (the service checks its range)."""
