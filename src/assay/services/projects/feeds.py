"""Cursor-paged reads for programs: a project's records and its submitted annotations, in id order.

A page holds at most `limit` items with ids greater than `after`; the next page starts after the last id
returned. Ids only grow, so a client that stores the last id it saw can come back later and read only what
was added since (annotations are listed once submitted; a resubmitted annotation keeps its id, so clients
that need revisions re-read by record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.domain.records import Record
from assay.errors import Invalid, NotFound
from assay.store.db import Db, Tx
from assay.store.mappers import record_from_row
from assay.store.queries import feeds as feeds_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

MAX_LIMIT = 5000


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored in a project: its database id, gold flag and the record itself."""

    record_id: int
    is_gold: bool
    submitted_count: int
    record: Record


@dataclass(frozen=True)
class SubmittedAnnotation:
    """One submitted annotation with who made it and which record it answers."""

    id: int
    project_id: int
    record_id: int
    record_external_id: str
    annotator: str
    answers: dict[str, Any]
    active_seconds: float
    revision: int
    submitted_at: datetime | None


def _check(s: Tx, project_id: int, after: int, limit: int) -> None:
    if limit < 1 or limit > MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if after < 0:
        raise Invalid(f"after must be an id (0 or more), got {after}")
    if projects_q.get(s, project_id, with_questions=False) is None:
        raise NotFound(f"no project with id {project_id}")


def records_page(db: Db, project_id: int, *, after: int = 0, limit: int = 500) -> list[StoredRecord]:
    """Up to `limit` records of the project with id > `after`, by id. Raises Invalid for a bad limit or
    cursor, NotFound for an unknown project."""
    with db.read() as s:
        _check(s, project_id, after, limit)
        return [StoredRecord(record_id=r.id, is_gold=r.is_gold, submitted_count=r.submitted_count,
                             record=record_from_row(r)) for r in records_q.page(s, project_id, after, limit)]


def annotations_page(db: Db, project_id: int, *, after: int = 0, limit: int = 500,
                     user_id: int | None = None) -> list[SubmittedAnnotation]:
    """Up to `limit` submitted annotations of the project with id > `after`, by id; only `user_id`'s own
    when given. Drafts are never listed. Raises Invalid for a bad limit or cursor, NotFound for an unknown
    project."""
    with db.read() as s:
        _check(s, project_id, after, limit)
        return [SubmittedAnnotation(id=a.id, project_id=a.project_id, record_id=a.record_id,
                                    record_external_id=ext, annotator=username, answers=dict(a.answers or {}),
                                    active_seconds=a.active_seconds, revision=a.revision,
                                    submitted_at=a.submitted_at)
                for a, username, ext in feeds_q.submitted_page(s, project_id, after, limit, user_id)]
