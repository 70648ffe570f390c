"""Model endpoints (`model_endpoints`). Functions take a session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables import MemberRow, ProjectRow
from assay.store.tables_authoring import ModelEndpointRow


def get(s: Session, endpoint_id: int) -> ModelEndpointRow | None:
    return s.get(ModelEndpointRow, endpoint_id)


def by_name(s: Session, name: str) -> ModelEndpointRow | None:
    return s.scalar(select(ModelEndpointRow).where(ModelEndpointRow.name == name))


def by_name_or_id(s: Session, name_or_id: str) -> ModelEndpointRow | None:
    """By name, else (for a string of digits) by id."""
    row = by_name(s, name_or_id)
    if row is None and name_or_id.isdigit():
        row = get(s, int(name_or_id))
    return row


def id_of_name(s: Session, name: str) -> int | None:
    return s.scalar(select(ModelEndpointRow.id).where(ModelEndpointRow.name == name))


def all_by_name(s: Session) -> list[ModelEndpointRow]:
    return list(s.scalars(select(ModelEndpointRow).order_by(ModelEndpointRow.name)))


def add(s: Session, **fields: Any) -> ModelEndpointRow:
    """Insert an endpoint (fields of `ModelEndpointRow`) and flush."""
    row = ModelEndpointRow(**fields)
    s.add(row)
    s.flush()
    return row


def update(s: Session, row: ModelEndpointRow, **fields: Any) -> None:
    """Set fields of `row` and flush."""
    for k, v in fields.items():
        setattr(row, k, v)
    s.flush()


def delete(s: Session, row: ModelEndpointRow) -> None:
    s.delete(row)
    s.flush()



def project_name(s: Session, project_id: int) -> str | None:
    return s.scalar(select(ProjectRow.name).where(ProjectRow.id == project_id))


def projects_led_by(s: Session, user_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the projects `user_id` leads, or of every project for None, by name."""
    q = select(ProjectRow.id, ProjectRow.name).order_by(ProjectRow.name)
    if user_id is not None:
        q = q.join(MemberRow, MemberRow.project_id == ProjectRow.id).where(
            MemberRow.user_id == user_id, MemberRow.role == "lead")
    return [(int(i), str(n)) for i, n in s.execute(q)]
