"""Tables for model-made content that is not a human judgment: LLM-judge suggestions.

- `suggestions`: a judge model's pre-filled answer to one question of one record, with its rationale. It is
  never an annotation: it is not counted toward k, never exported, and shown to annotators only when the
  project setting `show_suggestions` is true. One row per (record, question, model); a rerun replaces it.

Generated completions need no table of their own: they are rows of `completions` whose metadata carries
`generation` (model, sampling fields, finish reason, usage, sample index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assay.store.tables import Base, utcnow


class SuggestionRow(Base):
    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(200), default="")
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rationale: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("record_id", "question", "model"),
        Index("ix_suggestions_project", "project_id", "record_id"),
    )
