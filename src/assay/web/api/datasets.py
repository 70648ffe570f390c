"""Dataset versions over JSON: list datasets, a dataset's versions, one version's manifest, and pull a
project's judgments back as a new version (sending a version's records to a project is
`POST /explore/{ref}/push`, which takes a selection)."""

from __future__ import annotations

from fastapi import APIRouter

from assay.datasets import Manifest
from assay.schemas import DatasetPublic, DatasetVersionPublic, PullRequest
from assay.services.accounts import policies
from assay.services.datasets import catalog as dataset_catalog
from assay.services.datasets import handoff as datasets
from assay.services.datasets import owners as dataset_owners
from assay.services.projects import projects as project_service
from assay.web.deps import DbDep, ProjectId, Reader, Writer

router = APIRouter(tags=["datasets"])


def _version(m: Manifest) -> DatasetVersionPublic:
    return DatasetVersionPublic(ref=m.ref, dataset=m.dataset, version=m.version, id=m.id, parents=m.parents,
                                pipeline=m.pipeline, steps=m.steps, row_count=m.row_count,
                                content_hash=m.content_hash, created_at=m.created_at, columns=m.schema,
                                files=m.files, note=m.note)


@router.get("/datasets", response_model=list[DatasetPublic])
def list_datasets(p: Reader, db: DbDep) -> list[DatasetPublic]:
    """The datasets the caller may see (site-wide ones, and those of projects they lead; admins: all)."""
    every = dataset_catalog.list_datasets(db)
    mine = set(dataset_owners.readable(db, p.user, [name for name, _ in every]))
    return [DatasetPublic(name=name, versions=len(vs), latest=vs[-1].ref) for name, vs in every if name in mine]


@router.get("/datasets/{name}/versions", response_model=list[DatasetVersionPublic])
def list_versions(name: str, p: Reader, db: DbDep) -> list[DatasetVersionPublic]:
    """Every version of a dataset, oldest first."""
    dataset_owners.check_read(db, p.user, name)
    return [_version(m) for m in dataset_catalog.versions(db, name)]


@router.get("/datasets/{name}/versions/{selector}", response_model=DatasetVersionPublic)
def get_version(name: str, selector: str, p: Reader, db: DbDep) -> DatasetVersionPublic:
    """One version: `selector` is a number, `latest` or a content-hash prefix."""
    dataset_owners.check_read(db, p.user, name)
    return _version(dataset_catalog.version(db, f"{name}@{selector}"))


@router.get("/datasets/{name}/versions/{selector}/lineage", response_model=list[DatasetVersionPublic])
def get_lineage(name: str, selector: str, p: Reader, db: DbDep) -> list[DatasetVersionPublic]:
    """The version and those of its ancestors the caller may see."""
    dataset_owners.check_read(db, p.user, name)
    ms = dataset_catalog.lineage(db, f"{name}@{selector}")
    seen = set(dataset_owners.readable(db, p.user, {m.dataset for m in ms}))
    return [_version(m) for i, m in enumerate(ms) if i == 0 or m.dataset in seen]


@router.post("/projects/{project_id}/pull", response_model=DatasetVersionPublic)
def pull(project_id: ProjectId, body: PullRequest, p: Writer, db: DbDep) -> DatasetVersionPublic:
    """Write the project's records with their submitted judgments (and reviews) as a new dataset version
    whose parents are the versions the records were pushed from. For admins and the project's leads; a new
    dataset is owned by the project."""
    policies.read_datasets(p.user)
    policies.manage_project(p.user, project_service.member_role(db, project_id, p.user.id))
    return _version(datasets.pull_to_store(db, project_id, body.name, p.user))

