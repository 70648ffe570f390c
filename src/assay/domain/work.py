"""Work in progress: a leased record with the annotator's current answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.domain.records import Record


@dataclass
class Task:
    """What the annotate page shows one annotator: the record, their lease and their own answers only."""

    project_id: int
    record_id: int
    record: Record
    lease_expires_at: datetime | None
    status: str  # "leased" | "draft" | "submitted"
    answers: dict[str, Any] = field(default_factory=dict)
    active_seconds: float = 0.0
    revision: int = 0
    feedback: str = ""  # a reviewer's comment when the annotation was sent back to its author
