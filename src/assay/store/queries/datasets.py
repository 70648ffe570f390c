"""Dataset owners (`dataset_owners`) and the projects a person leads, for dataset access checks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assay.store.tables import MemberRow, ProjectRow
from assay.store.tables_datasets import DatasetOwnerRow


def owners(s: Session, names: list[str] | None = None) -> dict[str, int | None]:
    """dataset name → owning project id (None: site-wide) for the datasets that have an owner row (only
    `names` when given)."""
    q = select(DatasetOwnerRow.name, DatasetOwnerRow.project_id)
    if names is not None:
        q = q.where(DatasetOwnerRow.name.in_(names))
    return {name: pid for name, pid in s.execute(q)}


def claim(s: Session, name: str, project_id: int | None, user_id: int | None) -> tuple[bool, int | None]:
    """Give `name` an owner row unless it has one. Returns (created, the owner's project id afterwards):
    when another transaction claimed the name first, the row it wrote wins (a savepoint keeps this
    transaction usable)."""
    row = s.get(DatasetOwnerRow, name)
    if row is not None:
        return False, row.project_id
    try:
        with s.begin_nested():
            s.add(DatasetOwnerRow(name=name, project_id=project_id, created_by=user_id))
    except IntegrityError:
        row = s.get(DatasetOwnerRow, name)
        return False, row.project_id if row is not None else None
    return True, project_id


def led_projects(s: Session, user_id: int) -> dict[int, str]:
    """project id → name of every project the person is a lead of."""
    return {pid: name for pid, name in s.execute(
        select(ProjectRow.id, ProjectRow.name).join(MemberRow, MemberRow.project_id == ProjectRow.id)
        .where(MemberRow.user_id == user_id, MemberRow.role == "lead"))}
