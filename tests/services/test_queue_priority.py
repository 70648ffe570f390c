"""Queue order (issue 4): priority first, then breadth-first (records that already have judgments before
fresh ones), then oldest; on SQLite and PostgreSQL."""

from __future__ import annotations

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects, records

ANSWER = {"preference": {"choice": "a", "strength": 2}}


def _recs(prefix: str, n: int) -> list[Record]:
    return [Record(external_id=f"{prefix}{i}", messages=[Message("user", f"{prefix} {i}")],
                   completions=[Completion("a"), Completion("b")]) for i in range(n)]


def _project(db, k: int = 2):  # type: ignore[no-untyped-def]
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="prio", questions=[Question("preference", "pairwise")], annotators_per_record=k)
    return projects.create_project(db, spec, lead)


def _external_id(db, project_id: int, record_id: int) -> str:  # type: ignore[no-untyped-def]
    return records.get_record(db, project_id, record_id).external_id


def test_higher_priority_is_served_first_whatever_the_import_order(db) -> None:  # type: ignore[no-untyped-def]
    p = _project(db, k=1)
    records.import_records(db, p.id, _recs("low", 2), priority=0)  # imported first (older ids)
    records.import_records(db, p.id, _recs("high", 2), priority=10)
    records.import_records(db, p.id, _recs("mid", 2), priority=5)
    a = users.add_user(db, "a", "password123")
    served = []
    while (t := queue.claim_next(db, p.id, a.id)) is not None:
        served.append(_external_id(db, p.id, t.record_id))
        annotations.submit(db, p.id, t.record_id, a.id, ANSWER)
    assert served == ["high0", "high1", "mid0", "mid1", "low0", "low1"]


def test_within_a_priority_records_with_judgments_come_before_fresh_ones(db) -> None:  # type: ignore[no-untyped-def]
    p = _project(db, k=2)
    records.import_records(db, p.id, _recs("r", 3))
    a, b = users.add_user(db, "a", "password123"), users.add_user(db, "b", "password123")
    # a judges r0 and r1; b must then be served those (breadth-first) before opening r2
    for _ in range(2):
        t = queue.claim_next(db, p.id, a.id)
        assert t is not None
        annotations.submit(db, p.id, t.record_id, a.id, ANSWER)
    # a new record with a lower id cannot exist, so import a higher-priority one to check priority still wins
    records.import_records(db, p.id, _recs("urgent", 1), priority=3)
    served = []
    while (t := queue.claim_next(db, p.id, b.id)) is not None:
        served.append(_external_id(db, p.id, t.record_id))
        annotations.submit(db, p.id, t.record_id, b.id, ANSWER)
    assert served == ["urgent0", "r0", "r1", "r2"]
