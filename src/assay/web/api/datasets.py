"""Dataset versions over JSON: list datasets, a dataset's versions, one version's manifest, and pull a
project's judgments back as a new version (sending a version's records to a project is
`POST /explore/{ref}/push`, which takes a selection)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from assay.datasets import Manifest
from assay.domain.users import Role, User
from assay.errors import Forbidden
from assay.schemas import DatasetPublic, DatasetVersionPublic
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.datasets import catalog as dataset_catalog
from assay.services.datasets import handoff as datasets
from assay.services.projects import projects as project_service
from assay.web.context import ctx
from assay.web.security import reader, writer

router = APIRouter(tags=["datasets"])


def read_datasets(user: User) -> None:
    """Policy: datasets are site-wide, so only admins and leads read them."""
    if user.role not in (Role.admin, Role.lead):
        raise Forbidden("only admins and leads may read datasets")


def _version(m: Manifest) -> DatasetVersionPublic:
    return DatasetVersionPublic(ref=m.ref, dataset=m.dataset, version=m.version, id=m.id, parents=m.parents,
                                pipeline=m.pipeline, steps=m.steps, row_count=m.row_count,
                                content_hash=m.content_hash, created_at=m.created_at, columns=m.schema,
                                files=m.files, note=m.note)


@router.get("/datasets", response_model=list[DatasetPublic])
def list_datasets(request: Request, p: Principal = Depends(reader)) -> list[DatasetPublic]:
    read_datasets(p.user)
    return [DatasetPublic(name=name, versions=len(vs), latest=vs[-1].ref)
            for name, vs in dataset_catalog.list_datasets(ctx(request).db)]


@router.get("/datasets/{name}/versions", response_model=list[DatasetVersionPublic])
def list_versions(request: Request, name: str, p: Principal = Depends(reader)) -> list[DatasetVersionPublic]:
    """Every version of a dataset, oldest first."""
    read_datasets(p.user)
    return [_version(m) for m in dataset_catalog.versions(ctx(request).db, name)]


@router.get("/datasets/{name}/versions/{selector}", response_model=DatasetVersionPublic)
def get_version(request: Request, name: str, selector: str, p: Principal = Depends(reader)) -> DatasetVersionPublic:
    """One version: `selector` is a number, `latest` or a content-hash prefix."""
    read_datasets(p.user)
    return _version(dataset_catalog.version(ctx(request).db, f"{name}@{selector}"))


@router.get("/datasets/{name}/versions/{selector}/lineage", response_model=list[DatasetVersionPublic])
def get_lineage(request: Request, name: str, selector: str,
                p: Principal = Depends(reader)) -> list[DatasetVersionPublic]:
    """The version and all its ancestors."""
    read_datasets(p.user)
    return [_version(m) for m in dataset_catalog.lineage(ctx(request).db, f"{name}@{selector}")]


class PullRequest(BaseModel):
    name: str | None = Field(None, description="Dataset to write the version into (default <project>-judgments).")


@router.post("/projects/{project_id}/pull", response_model=DatasetVersionPublic)
def pull(request: Request, project_id: int, body: PullRequest, p: Principal = Depends(writer)) -> DatasetVersionPublic:
    """Write the project's records with their submitted judgments (and reviews) as a new dataset version
    whose parents are the versions the records were pushed from. For admins and the project's leads."""
    read_datasets(p.user)
    db = ctx(request).db
    policies.manage_project(p.user, project_service.member_role(db, project_id, p.user.id))
    return _version(datasets.pull_to_store(db, project_id, body.name))

