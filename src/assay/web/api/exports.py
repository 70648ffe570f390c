"""Exports over JSON: render a training format on the server, list rendered exports, download their files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import FileResponse

from assay.schemas import ExportCreate, ExportPublic, ExportSummaryPublic
from assay.services.accounts import policies
from assay.services.projects import export_files, exports, projects
from assay.web.deps import DbDep, ProjectId, Reader, Writer

router = APIRouter(tags=["exports"])
MEDIA = {".jsonl": "application/x-ndjson", ".parquet": "application/vnd.apache.parquet", ".md": "text/markdown"}


def _downloads(request: Request, project_id: int, export_id: str, names: list[str]) -> dict[str, str]:
    return {n: str(request.url_for("download_export_file", project_id=project_id, export_id=export_id,
                                   name=n).path) for n in names}


@router.post("/projects/{project_id}/exports", response_model=ExportPublic, status_code=201)
def create_export(request: Request, project_id: ProjectId, body: ExportCreate, p: Writer, db: DbDep) -> ExportPublic:
    """Render `format` (dpo | sft | reward | kto | raw) as `file_format` (jsonl | parquet) with a dataset
    card; `options` go to the format (e.g. test_fraction, min_agreement, pairs)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    res = exports.export_project(db, project_id, body.format, body.file_format, actor=p.user, **body.options)
    export_id = export_files.export_id_of(res.card_path.parent)
    names = [x.name for x in res.paths.values()] + [res.card_path.name]
    return ExportPublic(format=body.format, file_format=body.file_format, rows=res.rows,
                        files=[x.name for x in res.paths.values()], card=res.card_path.name, counts=res.counts,
                        id=export_id, downloads=_downloads(request, project_id, export_id, names))


@router.get("/projects/{project_id}/exports", response_model=list[ExportSummaryPublic])
def list_exports(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> list[ExportSummaryPublic]:
    """The project's rendered exports, newest first (leads and admins)."""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    return [ExportSummaryPublic(id=e.id, format=e.format, files=e.files, created_at=e.created_at,
                                downloads=_downloads(request, project_id, e.id, e.files))
            for e in export_files.list_exports(db, project_id)]


@router.get("/projects/{project_id}/exports/{export_id}/files/{name}", name="download_export_file",
            response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def download_export_file(project_id: ProjectId, export_id: str, name: str, p: Reader, db: DbDep) -> FileResponse:
    """One file of an export: `train.jsonl`, `test.parquet`, `README.md` (the dataset card), …"""
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    path = export_files.export_file(db, project_id, export_id, name)
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"), filename=name)
