"""Tables for quality control: reviews of annotations and each annotator's standing in a project.

- `reviews`: a reviewer's accept/reject of one revision of an annotation. The review that applies to an
  annotation is its latest one whose `revision` equals the annotation's current revision; a resubmitted
  annotation (new revision) is pending review again.
- `annotator_standing`: per project and person, the gold state ("ok" | "warned" | "paused"), set by the gold
  service after each gold submission and cleared by a lead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assay.store.tables import Base, utcnow


class ReviewRow(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decision: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    comment: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(20), default="")  # rejected: returned | requeued
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_reviews_project", "project_id", "created_at"),)


class StandingRow(Base):
    __tablename__ = "annotator_standing"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="ok")
    gold_n: Mapped[int] = mapped_column(Integer, default=0)
    gold_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
