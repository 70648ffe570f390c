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


def _both_choices(db, project_id: int, user_id: int, k: int) -> tuple[int | None, int | None]:  # type: ignore[no-untyped-def]
    """The record the claim's index picks for the person and the one the counters pick (rolled back)."""
    from assay.store import queue_statements as Q

    params = {"project_id": project_id, "user_id": user_id, "k": k}
    with db.write_connection() as conn:
        picks = [conn.execute(stmt[True], params).first() for stmt in (Q.NEXT_RECORD, Q.NEXT_RECORD_WAITING)]
        conn.rollback()
    return picks[0].id if picks[0] else None, picks[1].id if picks[1] else None


def test_the_claim_index_serves_the_counters_order(db) -> None:  # type: ignore[no-untyped-def]
    """Priorities, leases and submissions in a tangle, and k raised halfway: at every step the claim's index
    (`records.queue_taken`, kept by the slots) picks the very record the counters' order picks, and the
    served order is priority, then the records most taken (leases count), then oldest."""
    from assay.services.projects import files
    from assay.store import slots

    p = _project(db, k=2)
    for batch, priority in enumerate((0, 4, 0, 4, 9)):
        records.import_records(db, p.id, _recs(f"b{batch}p{priority}-", 3), priority=priority)
    people = [users.add_user(db, f"t{i}", "password123") for i in range(4)]
    holding: dict[int, int] = {}  # person -> the record they hold a lease on
    k = 2
    for step in range(40):
        who = people[(step * 3) % len(people)]
        index_pick, counters_pick = _both_choices(db, p.id, who.id, k)
        assert index_pick == counters_pick, f"step {step}"
        t = queue.claim_next(db, p.id, who.id)
        assert (t.record_id if t else None) == holding.pop(who.id, index_pick), f"step {step}"
        if t is not None and step % 3 == 0:  # every third claim stays a lease until the person's next turn
            holding[who.id] = t.record_id
        elif t is not None:
            annotations.submit(db, p.id, t.record_id, who.id, ANSWER)
        if step == 20:  # a third judgment per record: the finished records have room again
            k = 3
            files.update_project(db, p.id, ProjectSpec(name="prio", questions=[Question("preference", "pairwise")],
                                                       annotators_per_record=k))
        with db.read() as s:
            assert slots.drift(s, p.id) == [], f"step {step}"
