"""Annotations as data: what exporters, quality code and reports consume (no database types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.domain.answers import A, answer_as
from assay.domain.questions import Question
from assay.domain.records import Record


@dataclass
class AnnotationView:
    """One annotator's submitted answers to a project's questions for one record."""

    annotator: str
    answers: dict[str, Any]
    submitted_at: datetime | None = None
    active_seconds: float = 0.0
    status: str = "submitted"
    review: str | None = None  # "accepted" | "rejected" | None
    annotation_id: int | None = None  # the stored annotation's id (None for hand-built sources)

    def answer_as(self, cls: type[A], name: str) -> A | None:
        """The answer to the question called `name` read as kind `cls` (e.g. `PairwiseAnswer`), or None."""
        return answer_as(cls, self.answers.get(name))


@dataclass
class JudgedRecord:
    """A record with every submitted annotation of one project: the unit every exporter works over.

    `record_id` is the database id (stable within one deployment); `record.external_id` the source id.
    `suggestions` holds model-made pre-answers (never mixed into `annotations`).
    """

    record_id: int
    record: Record
    annotations: list[AnnotationView] = field(default_factory=list)
    suggestions: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExportSource:
    """What an export is made from: the project's name, questions, guidelines and judged records.

    `lineage` lists, for the dataset card, where the records came from (project, dataset versions,
    imported files); `history` the pipeline history of the dataset versions the records came from (one line
    per step: rows in, kept, dropped by reason); `licenses` the sources' licences as recorded at import
    (one line per source); `export_id` names one export (every row carries it, and annotator pseudonyms are
    stable within it); `k` is the project's annotators per record ("" / 0 for hand-built sources).
    """

    project: str
    questions: list[Question]
    items: list[JudgedRecord]
    guidelines: str = ""
    lineage: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    export_id: str = ""
    k: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
