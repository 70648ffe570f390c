"""Records over the wire: a record in Assay's own form (add), as stored (list), imports and judge suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from assay.domain.records import Record


class MessagePublic(BaseModel):
    role: str
    content: str
    tool_calls: list[dict[str, Any]] | None = None


class CompletionPublic(BaseModel):
    model: str = ""
    text: str
    metadata: dict[str, Any] = {}


class RecordCreate(BaseModel):
    """A record in Assay's own form: `messages` or `prompt`, plus completions and metadata."""

    id: str
    messages: list[MessagePublic] = []
    prompt: str | None = None
    completions: list[CompletionPublic] = []
    metadata: dict[str, Any] = {}
    expected: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Expected (gold) answers keyed by question name: the record is imported as "
        "gold (checked against the project's questions; trainers never see them).")


class RecordPublic(BaseModel):
    id: str
    messages: list[MessagePublic]
    completions: list[CompletionPublic]
    metadata: dict[str, Any] = {}

    @classmethod
    def of(cls, r: Record, *, hide_metadata: bool = False) -> RecordPublic:
        return cls(id=r.external_id, messages=[MessagePublic(**m.to_dict()) for m in r.messages],
                   completions=[CompletionPublic(model=c.model, text=c.text) for c in r.completions],
                   metadata={} if hide_metadata else r.metadata)


class StoredRecordPublic(BaseModel):
    """A record as stored in a project: `record_id` is the server's id, `record.id` the external id."""

    record_id: int
    is_gold: bool = False
    submitted_count: int = 0
    record: RecordPublic


class RecordPage(BaseModel):
    items: list[StoredRecordPublic]
    next_after: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")


class ImportPublic(BaseModel):
    created: int
    existing: int


class SuggestionPublic(BaseModel):
    """A judge model's suggested answer (never an annotation): `answer` has the question's answer shape."""

    id: int
    record_id: int
    question: str
    model: str
    answer: dict[str, Any]
    rationale: str
    created_at: datetime
