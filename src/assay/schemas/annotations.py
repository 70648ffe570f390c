"""Submitted annotations over the wire: a cursor page, and one annotation's edit history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AnnotationPublic(BaseModel):
    """One submitted annotation: who answered which record, with what, in how many active seconds."""

    id: int
    project_id: int
    record_id: int
    record_external_id: str
    annotator: str
    answers: dict[str, Any]
    active_seconds: float
    revision: int
    submitted_at: datetime | None


class AnnotationPage(BaseModel):
    items: list[AnnotationPublic]
    next_after: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")


class RevisionPublic(BaseModel):
    """One submit of an annotation."""

    number: int
    user_id: int
    username: str
    created_at: str = Field(description="ISO 8601 time of the submit.")
    answers: dict[str, Any]
    active_seconds: float
    submission_id: str | None = None


class HistoryPublic(BaseModel):
    """The submits of one annotation, oldest first."""

    project_id: int
    record_id: int
    user_id: int
    revisions: list[RevisionPublic]
