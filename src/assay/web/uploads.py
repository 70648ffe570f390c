"""A raw-body file upload to a project over the JSON API (`POST .../imports`, `POST .../source-judgments`):
the caller's role in the project is checked before a byte of the body is read, then the body streams to a
server-named file (`uploads.receive_upload`, refused past `max_upload_bytes`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.projects import projects, uploads
from assay.store.db import Db
from assay.web.context import ctx
from assay.web.security import api_writer

# OpenAPI for a route whose body is the file itself.
RAW_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}}


async def receive_project_upload(request: Request, db: Db, project_id: int,
                                 name: str) -> tuple[Principal, uploads.Upload]:
    """The caller (a lead of the project or an admin, checked first) and the streamed body's server file."""

    def allowed() -> Principal:
        caller = api_writer(request)
        policies.manage_project(caller.user, projects.member_role(db, project_id, caller.user.id))
        return caller

    p = await run_in_threadpool(allowed)
    settings = ctx(request).settings
    up = await uploads.receive_upload(settings, name, request.stream(), settings.max_upload_bytes)
    return p, up
