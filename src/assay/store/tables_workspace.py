"""Tables of the trainers' workspace: the history of submitted annotations.

- `annotation_revisions`: one row per accepted submit or resubmit of an annotation (who, when, the answers
  as stored, the active seconds so far). `submission_id` is the client-made id of the submit (the page's
  `X-Submission-Id`); it is unique per person, so a retried submit with the same id is recognised and never
  recorded twice. Rows are written only inside the submit transaction (`assay.services.annotation.submissions.submit`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assay.store.tables import Base, utcnow


class AnnotationRevisionRow(Base):
    __tablename__ = "annotation_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first submit, then 2, 3 … per annotation
    annotation_revision: Mapped[int] = mapped_column(Integer, default=0)  # annotations.revision after it
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    submission_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        UniqueConstraint("user_id", "submission_id", name="uq_annotation_revisions_submission"),
        Index("ix_annotation_revisions_annotation", "annotation_id", "number"),
        Index("ix_annotation_revisions_user", "project_id", "user_id", "created_at"),
    )
