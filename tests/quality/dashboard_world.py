"""A small project whose dashboard figures are worked out by hand in tests/quality/test_dashboard_charts.py.

Questions: `preference` (pairwise) and `quality` (rating, one dimension `helpful` 1..3, per completion).
Records r1..r4 (normal, k = 2) and g1, g2 (gold: preference a and b). Gold policy first_n = 2, so each
person is served the two gold records first. ann1 and ann2 answer everything; ann3 answers only the gold
records (the normal ones are full by then). Submission times are then set to the fixed times in `TIMES`
(relative to `NOW`), active seconds per submission are `SECONDS`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import users
from assay.services.annotation import queue, submissions
from assay.services.projects import projects, records
from assay.services.quality import gold
from assay.store.tables import AnnotationRow, RecordRow, UserRow

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
D = datetime(2026, 12, 7, tzinfo=UTC)

QUESTIONS = [Question("preference", "pairwise"),
             Question("quality", "rating", options={"dimensions": [{"name": "helpful", "min": 1, "max": 3}]})]


def pw(choice: str) -> dict:
    return {"choice": choice} if choice == "tie" else {"choice": choice, "strength": 1}


def rating(first: int, second: int) -> dict:
    return {"scores": {"0": {"helpful": first}, "1": {"helpful": second}}}


# (preference choice, helpful score of completion 0, of completion 1) per person per record
ANSWERS = {
    "ann1": {"r1": ("a", 3, 1), "r2": ("a", 2, 2), "r3": ("b", 1, 3), "r4": ("tie", 3, 3),
             "g1": ("a", 2, 2), "g2": ("a", 2, 2)},
    "ann2": {"r1": ("a", 3, 2), "r2": ("b", 2, 1), "r3": ("b", 1, 3), "r4": ("a", 2, 3),
             "g1": ("a", 2, 2), "g2": ("b", 2, 2)},
    "ann3": {"g1": ("b", 1, 1), "g2": ("b", 1, 1)},
}
GOLD = {"g1": "a", "g2": "b"}
SECONDS = {"ann1": 120.0, "ann2": 300.0, "ann3": 30.0}
TIMES = {
    ("ann1", "g1"): D - timedelta(hours=12), ("ann1", "g2"): D + timedelta(hours=9),
    ("ann1", "r1"): D + timedelta(hours=10, minutes=5), ("ann1", "r2"): D + timedelta(hours=10, minutes=20),
    ("ann1", "r3"): D + timedelta(hours=8, minutes=59), ("ann1", "r4"): D - timedelta(days=3) + timedelta(hours=15),
    ("ann2", "g1"): D - timedelta(hours=11, minutes=30), ("ann2", "g2"): D - timedelta(hours=11),
    ("ann2", "r1"): D + timedelta(hours=10, minutes=10), ("ann2", "r2"): D + timedelta(hours=9, minutes=30),
    ("ann2", "r3"): D - timedelta(hours=1), ("ann2", "r4"): D - timedelta(days=40),
    ("ann3", "g1"): D - timedelta(hours=10), ("ann3", "g2"): D + timedelta(hours=9, minutes=15),
}


def build(db, name: str = "hand", lead_name: str = "lead", people: tuple[str, ...] = ("ann1", "ann2", "ann3")):
    """Create the project, work it as above, fix the submission times. Returns (project, lead, {name: user})."""
    lead = users.add_user(db, lead_name, "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name=name, questions=QUESTIONS, annotators_per_record=2,
                                                settings={"gold": {"first_n": 2, "min_items": 50}}), lead)
    recs = [Record(external_id=ext, messages=[Message("user", f"question {ext}")],
                   completions=[Completion(f"{ext} first", model="m1"), Completion(f"{ext} second", model="m2")])
            for ext in ("r1", "r2", "r3", "r4", "g1", "g2")]
    records.import_records(db, p.id, recs)
    for ext, choice in GOLD.items():
        gold.set_gold(db, p.id, ext, {"preference": pw(choice)}, lead)
    made = {}
    for who, real in zip(("ann1", "ann2", "ann3"), people, strict=True):
        u = users.add_user(db, real, "password123")
        projects.add_member(db, p.id, real)
        made[who] = u
        while (t := queue.claim_next(db, p.id, u.id)) is not None:
            choice, s0, s1 = ANSWERS[who][t.record.external_id]
            submissions.submit(db, p.id, t.record_id, u.id, {"preference": pw(choice), "quality": rating(s0, s1)},
                               SECONDS[who])
    with db.write() as s:
        ids = {ext: rid for rid, ext in s.execute(
            RecordRow.__table__.select().with_only_columns(RecordRow.id, RecordRow.external_id)
            .where(RecordRow.project_id == p.id))}
        for (who, ext), at in TIMES.items():
            s.execute(update(AnnotationRow).where(AnnotationRow.record_id == ids[ext],
                                                  AnnotationRow.user_id == made[who].id).values(submitted_at=at))
        done = s.execute(AnnotationRow.__table__.select().with_only_columns(AnnotationRow.user_id, AnnotationRow.record_id)
                         .where(AnnotationRow.project_id == p.id, AnnotationRow.status == "submitted")).all()
        names = dict(s.execute(UserRow.__table__.select().with_only_columns(UserRow.id, UserRow.username)).all())
    served = {(names[uid], next(e for e, i in ids.items() if i == rid)) for uid, rid in done}
    expected = {(made[w].username, e) for w, e in TIMES}
    assert served == expected, f"the queue served {sorted(served)}, the hand figures assume {sorted(expected)}"
    return p, lead, made
