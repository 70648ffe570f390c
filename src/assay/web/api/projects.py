"""Projects, records and exports over JSON."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from assay.domain.projects import ProjectSpec
from assay.domain.records import Completion, Message, Record
from assay.schemas import (ExportCreate, ExportPublic, ImportPublic, ProjectCreate, ProjectPublic, RecordCreate,
                           UserPublic)
from assay.services import exports, policies, projects, records
from assay.services.auth import Principal
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["projects"])


@router.get("/me", response_model=UserPublic)
def me(p: Principal = Depends(reader)) -> UserPublic:
    return UserPublic.of(p.user)


@router.get("/projects", response_model=list[ProjectPublic])
def list_projects(request: Request, p: Principal = Depends(reader)) -> list[ProjectPublic]:
    db = ctx(request).db
    return [ProjectPublic.of(x, projects.progress(db, x.id, p.user.id)) for x in projects.list_projects(db, p.user)]


@router.post("/projects", response_model=ProjectPublic, status_code=201)
def create_project(request: Request, body: ProjectCreate, p: Principal = Depends(writer)) -> ProjectPublic:
    policies.create_project(p.user)
    spec = ProjectSpec.from_dict(body.model_dump())
    return ProjectPublic.of(projects.create_project(ctx(request).db, spec, p.user))


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(request: Request, project_id: int, p: Principal = Depends(reader)) -> ProjectPublic:
    db = ctx(request).db
    policies.view_project(p.user, projects.member_role(db, project_id, p.user.id))
    return ProjectPublic.of(projects.get_project(db, project_id), projects.progress(db, project_id, p.user.id))


def _record(r: RecordCreate, i: int) -> Record:
    msgs = [Message(m.role, m.content, m.tool_calls) for m in r.messages]
    if r.prompt is not None:
        msgs.append(Message("user", r.prompt))
    return Record(external_id=r.id, messages=msgs, metadata=r.metadata, source=f"request item {i}",
                  completions=[Completion(text=c.text, model=c.model, metadata=c.metadata) for c in r.completions])


@router.post("/projects/{project_id}/records", response_model=ImportPublic)
def add_records(request: Request, project_id: int, body: list[RecordCreate],
                p: Principal = Depends(writer)) -> ImportPublic:
    """Add records (idempotent by id; all-or-nothing)."""
    db = ctx(request).db
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    res = records.import_records(db, project_id, [_record(r, i) for i, r in enumerate(body)], p.user)
    return ImportPublic(created=res.created, existing=res.existing)


@router.post("/projects/{project_id}/exports", response_model=ExportPublic)
def create_export(request: Request, project_id: int, body: ExportCreate,
                  p: Principal = Depends(writer)) -> ExportPublic:
    db = ctx(request).db
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    res = exports.export_project(db, project_id, body.format, body.file_format, actor=p.user, **body.options)
    return ExportPublic(format=body.format, file_format=body.file_format, rows=res.rows,
                        files=[str(x) for x in res.paths.values()], card=str(res.card_path), counts=res.counts)
