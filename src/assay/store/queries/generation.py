"""What generating completions for a project's records reads and writes. Functions take a session and never
commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from assay.store.tables import CompletionRow, ProjectRow, RecordRow


def project_exists(s: Session, project_id: int) -> bool:
    return s.get(ProjectRow, project_id) is not None


def project_name(s: Session, project_id: int) -> str | None:
    return s.scalar(select(ProjectRow.name).where(ProjectRow.id == project_id))


def record_count(s: Session, project_id: int) -> int:
    return int(s.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.project_id == project_id)) or 0)


def records_with_completions(s: Session, project_id: int) -> list[RecordRow]:
    """The project's records in id order, with their completions."""
    return list(s.scalars(select(RecordRow).where(RecordRow.project_id == project_id)
                          .options(selectinload(RecordRow.completions)).order_by(RecordRow.id)))


def record_exists(s: Session, record_id: int) -> bool:
    return s.get(RecordRow, record_id) is not None


def generated_count(s: Session, record_id: int, model: str) -> int:
    """How many of the record's completions of `model` were generated (carry `generation` metadata)."""
    rows = s.scalars(select(CompletionRow.meta).where(CompletionRow.record_id == record_id,
                                                      CompletionRow.model == model))
    return sum(1 for meta in rows if isinstance(meta, dict) and "generation" in meta)


def last_position(s: Session, record_id: int) -> int | None:
    """The highest completion position of the record, or None when it has none."""
    return s.scalar(select(func.max(CompletionRow.position)).where(CompletionRow.record_id == record_id))


def add_completion(s: Session, record_id: int, position: int, model: str, text: str, meta: dict[str, Any]) -> None:
    s.add(CompletionRow(record_id=record_id, position=position, model=model, text=text, meta=meta))
    s.flush()
