"""Source judgments over JSON (issue 20, item 3), the twin of `assay quality import-judgments` for the formats
that carry their own verdict (`assay.services.annotation.source_judgments.FORMATS`: HH, OASST, LLMBar,
UltraFeedback, SHP):

- POST /api/v1/projects/{id}/source-judgments   the file as the raw body, like the import API (format,
  question and source annotator in the query); caller, role and project checked before a byte of it is read,
  then streamed to a server-named file (`max_upload_bytes`), read, and imported with the data set's own
  preference stored as a judgment by the source annotator; answers what was stored (201). The server file is
  removed afterwards.

Leads of the project and admins only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from assay.schemas.source_judgments import SourceJudgmentsPublic
from assay.services.annotation import source_judgments
from assay.services.projects import imports, uploads
from assay.web.context import ctx
from assay.web.deps import DbDep, ProjectId
from assay.web.uploads import RAW_BODY, receive_project_upload

router = APIRouter(tags=["quality"])
SourceFormat = Annotated[str, Query(pattern="^(" + "|".join(source_judgments.FORMATS) + ")$",
                                    description="The file's format: " + ", ".join(source_judgments.FORMATS) + ".")]


@router.post("/projects/{project_id}/source-judgments", response_model=SourceJudgmentsPublic, status_code=201,
             openapi_extra=RAW_BODY)
async def import_source_judgments(
        project_id: ProjectId, request: Request, db: DbDep, fmt: SourceFormat,
        question: Annotated[str, Query(min_length=1, max_length=200,
                                       description="The project's pairwise or ranking question "
                                       "(or rating, for ultrafeedback).")],
        annotator: Annotated[str, Query(min_length=1, max_length=60,
                                        description="The source annotator's name, e.g. hh.")],
        on_divergence: Annotated[str, Query(description="HH pairs that differ before the last reply: "
                                            "keep | skip | error.")] = "keep",
        name: Annotated[str, Query(max_length=500, description="The file's name (its suffix picks the file "
                                   "type; gzip is detected).")] = "upload") -> SourceJudgmentsPublic:
    """Upload a data set (HH, OASST, LLMBar, UltraFeedback or SHP, as `assay records import` reads it) as the
    raw body; its records are imported (existing ones kept) with the data set's own preference as a judgment
    by `annotator` on `question`. Raises 422 naming the line and field when the file cannot be read (nothing
    stored)."""
    opts = imports.ImportOptions(fmt=fmt, on_divergence=on_divergence).checked()

    p, up = await receive_project_upload(request, db, project_id, name)
    path = uploads.upload_path(ctx(request).settings, up.token, up.suffix)

    def run() -> source_judgments.SourceImport:
        try:
            records = list(imports.read_file(path, opts, display=up.name))
            return source_judgments.import_source_judgments(db, project_id, records, question,
                                                            annotator=annotator, actor=p.user)
        finally:
            path.unlink(missing_ok=True)

    got = await run_in_threadpool(run)
    return _public(got, question)


def _public(got: source_judgments.SourceImport, question: str) -> SourceJudgmentsPublic:
    return SourceJudgmentsPublic(annotator=got.annotator, question=question, records_read=got.records_read,
                                 records_created=got.records_created, records_existing=got.records_existing,
                                 judgments_created=got.judgments_created, skipped=dict(got.skipped))


