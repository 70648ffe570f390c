"""A project's records: add (with completions and pre-filled suggestions), find, page, count."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from assay.domain.records import Record
from assay.store.tables import AssignmentRow, CompletionRow, RecordRow
from assay.store.tables_generation import SuggestionRow

# (question, answer, rationale, model) of a suggestion a record brings with it
Prefilled = tuple[str, dict[str, Any], str, str]


def existing_external_ids(s: Session, project_id: int, external_ids: list[str]) -> set[str]:
    """Those of `external_ids` the project already holds (looked up 500 at a time)."""
    found: set[str] = set()
    for i in range(0, len(external_ids), 500):
        found.update(s.scalars(select(RecordRow.external_id).where(
            RecordRow.project_id == project_id, RecordRow.external_id.in_(external_ids[i:i + 500]))))
    return found


def add(s: Session, project_id: int, record: Record, priority: int = 0,
        suggestions: Iterable[Prefilled] = ()) -> None:
    """Insert a record with its completions, and its suggestions (flushing first for the record's id
    only when there are any)."""
    row = RecordRow(project_id=project_id, external_id=record.external_id,
                    messages=[m.to_dict() for m in record.messages], meta=record.metadata,
                    code=record.code.to_dict() if record.code else None, source=record.source[:500],
                    priority=priority)
    row.completions = [CompletionRow(position=i, model=c.model, text=c.text, meta=c.metadata)
                       for i, c in enumerate(record.completions)]
    s.add(row)
    prefilled = list(suggestions)
    if prefilled:
        s.flush()
        s.add_all(SuggestionRow(project_id=project_id, record_id=row.id, question=name, model=model, answer=answer,
                                rationale=rationale, meta={"from": "metadata"})
                  for name, answer, rationale, model in prefilled)


def get(s: Session, record_id: int) -> RecordRow | None:
    """The record with its completions, or None."""
    return s.get(RecordRow, record_id, options=[selectinload(RecordRow.completions)])


def by_external_id(s: Session, project_id: int, external_id: str) -> RecordRow | None:
    """The project's record with this external id (completions loaded), or None."""
    return s.scalar(select(RecordRow).where(RecordRow.project_id == project_id, RecordRow.external_id == external_id)
                    .options(selectinload(RecordRow.completions)))


def page(s: Session, project_id: int, after: int, limit: int) -> list[RecordRow]:
    """Up to `limit` records (completions loaded) with id > `after`, by id."""
    return list(s.scalars(select(RecordRow).where(RecordRow.project_id == project_id, RecordRow.id > after)
                          .options(selectinload(RecordRow.completions)).order_by(RecordRow.id).limit(limit)))


def all_of(s: Session, project_id: int, *, include_gold: bool = True) -> list[RecordRow]:
    """Every record of the project (completions loaded), by id; gold records only when `include_gold`."""
    q = (select(RecordRow).where(RecordRow.project_id == project_id)
         .options(selectinload(RecordRow.completions)).order_by(RecordRow.id))
    if not include_gold:
        q = q.where(RecordRow.is_gold.is_(False))
    return list(s.scalars(q))


def set_gold(s: Session, row: RecordRow, answers: dict[str, Any]) -> None:
    """Make the record gold with these (validated) reference answers."""
    row.gold_answers = answers
    row.is_gold = True
    s.flush()


def progress_counts(s: Session, project_id: int, k: int, now: datetime, *, include_gold: bool
                    ) -> tuple[int, int, int]:
    """(records, done: k submitted, in progress: fewer than k submitted but some, or a live lease)."""
    base: list[ColumnElement[bool]] = [RecordRow.project_id == project_id]
    if not include_gold:
        base.append(RecordRow.is_gold.is_(False))
    total = s.scalar(select(func.count()).select_from(RecordRow).where(*base)) or 0
    done = s.scalar(select(func.count()).select_from(RecordRow).where(*base, RecordRow.submitted_count >= k)) or 0
    leased = select(AssignmentRow.record_id).where(
        AssignmentRow.project_id == project_id, AssignmentRow.status == "leased", AssignmentRow.expires_at > now)
    busy = s.scalar(select(func.count()).select_from(RecordRow).where(
        *base, RecordRow.submitted_count < k, (RecordRow.submitted_count > 0) | RecordRow.id.in_(leased))) or 0
    return total, done, busy


def gold_count(s: Session, project_id: int) -> int:
    return s.scalar(select(func.count()).select_from(RecordRow).where(
        RecordRow.project_id == project_id, RecordRow.is_gold.is_(True))) or 0
