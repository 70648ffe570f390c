"""The annotator's queue over the wire: a served task, a draft or submit, a skip."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from assay.domain.work import Task
from assay.schemas.records import RecordPublic


class TaskPublic(BaseModel):
    """A record served to the caller, with the caller's own answers only."""

    project_id: int
    record_id: int
    record: RecordPublic
    lease_expires_at: datetime | None
    status: str
    answers: dict[str, Any]
    active_seconds: float
    revision: int
    feedback: str = Field("", description="A reviewer's comment when your annotation was sent back to you.")

    @classmethod
    def of(cls, t: Task) -> TaskPublic:
        return cls(project_id=t.project_id, record_id=t.record_id, record=RecordPublic.of(t.record, hide_metadata=True),
                   lease_expires_at=t.lease_expires_at, status=t.status, answers=t.answers,
                   active_seconds=t.active_seconds, revision=t.revision, feedback=t.feedback)


class AnswersUpdate(BaseModel):
    answers: dict[str, Any]
    active_seconds: float | None = Field(None, description="Running total of active seconds on this record.")
    submission_id: str | None = Field(None, max_length=100, description="Client-made id of this submit: a retry "
                                      "with the same id is recognised and not stored twice (or X-Submission-Id).")


class SkipCreate(BaseModel):
    reason: str = "no reason given"


class PageSubmitPublic(BaseModel):
    """The annotate page's JSON submit answer: the stored revision and where the next record is."""

    record_id: int
    status: str
    revision: int
    next: str
