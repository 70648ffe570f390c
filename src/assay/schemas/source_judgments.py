"""Source judgments over the wire: what importing a data set's own preferences stored."""

from __future__ import annotations

from pydantic import BaseModel


class SourceJudgmentsPublic(BaseModel):
    """An import of a data set's own preferences (HH chosen/rejected, OASST ranks, LLMBar gold labels,
    UltraFeedback ratings, SHP labels) as judgments by the source annotator `annotator` (the placeholder user
    `ext-source-<name>`, which never counts as a trainer): records read, created and already there, judgments
    stored, and records skipped by reason."""

    annotator: str
    question: str
    records_read: int
    records_created: int
    records_existing: int
    judgments_created: int
    skipped: dict[str, int]
