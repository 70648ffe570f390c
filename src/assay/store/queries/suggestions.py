"""Queries on LLM-judge suggestions (their own table; never counted toward k).

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.store.tables_generation import SuggestionRow


def suggested_pairs(s: Session, project_id: int, model: str) -> set[tuple[int, str]]:
    """(record id, question) pairs of the project that already have a suggestion from `model`."""
    return {(rid, q) for rid, q in s.execute(select(SuggestionRow.record_id, SuggestionRow.question).where(
        SuggestionRow.project_id == project_id, SuggestionRow.model == model))}


def put(s: Session, *, project_id: int, record_id: int, question: str, model: str, answer: dict[str, Any],
        rationale: str, meta: dict[str, Any]) -> None:
    """Store the model's suggestion for (record, question), replacing the one it made before."""
    row = s.scalar(select(SuggestionRow).where(SuggestionRow.record_id == record_id,
                                               SuggestionRow.question == question, SuggestionRow.model == model))
    if row is None:
        row = SuggestionRow(project_id=project_id, record_id=record_id, question=question, model=model)
        s.add(row)
    row.answer = answer
    row.rationale = rationale
    row.meta = meta


def of_record(s: Session, record_id: int) -> list[SuggestionRow]:
    """Every suggestion on the record, by question, newest first per question."""
    return list(s.scalars(select(SuggestionRow).where(SuggestionRow.record_id == record_id)
                          .order_by(SuggestionRow.question, SuggestionRow.created_at.desc(), SuggestionRow.id.desc())))
