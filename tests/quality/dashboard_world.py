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


def build(db, name: str = "hand", lead_name: str = "lead", people: tuple[str, ...] = ("ann1", "ann2", "ann3"),
          shift: timedelta = timedelta(0)):
    """Create the project, work it as above, fix the submission times (`TIMES` moved by `shift`). Returns
    (project, lead, {"ann1": user, ...}); `people` renames ann1..ann3."""
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
                                                  AnnotationRow.user_id == made[who].id).values(submitted_at=at + shift))
        done = s.execute(AnnotationRow.__table__.select().with_only_columns(AnnotationRow.user_id, AnnotationRow.record_id)
                         .where(AnnotationRow.project_id == p.id, AnnotationRow.status == "submitted")).all()
        names = dict(s.execute(UserRow.__table__.select().with_only_columns(UserRow.id, UserRow.username)).all())
    served = {(names[uid], next(e for e, i in ids.items() if i == rid)) for uid, rid in done}
    expected = {(made[w].username, e) for w, e in TIMES}
    assert served == expected, f"the queue served {sorted(served)}, the hand figures assume {sorted(expected)}"
    return p, lead, made


RICH_QUESTIONS = [
    Question("preference", "pairwise"),
    Question("safety", "labels", options={"choices": ["safe", "unsafe", "unsure"]}),
    Question("quality", "rating", options={"dimensions": [{"name": "helpful", "min": 1, "max": 5},
                                                          {"name": "honest", "min": 1, "max": 5}]}),
]


def build_rich(db, lead, now: datetime, seed: int = 7, name: str = "charts-demo",
               people: tuple[str, ...] = ("maria", "kofi", "lin", "sam")):
    """A livelier project for screenshots: 36 records (4 gold), k = 3, four people of different care
    answering around a per-record truth, submissions spread over the last 12 days (most in the last two)."""
    import random

    rng = random.Random(seed)
    p = projects.create_project(db, ProjectSpec(name=name, title="Chart demo", questions=RICH_QUESTIONS,
                                                annotators_per_record=3,
                                                settings={"gold": {"first_n": 1, "rate": 0.15, "min_items": 50}}),
                                lead)
    n = 36
    truth = {f"c{i}": (rng.choice("aab"), rng.choice(["safe", "safe", "safe", "unsafe"]), rng.randint(2, 5),
                       rng.randint(2, 5)) for i in range(n)}
    records.import_records(db, p.id, [Record(external_id=ext, messages=[Message("user", f"prompt {ext}")],
                                             completions=[Completion("one", model="m1"), Completion("two", model="m2")])
                                      for ext in truth])
    for ext in list(truth)[:4]:
        gold.set_gold(db, p.id, ext, {"preference": pw(truth[ext][0]), "safety": {"labels": [truth[ext][1]]}}, lead)
    care = dict(zip(people, (0.9, 0.75, 0.6, 0.85), strict=False))
    made = {}
    for who in people:
        made[who] = users.add_user(db, who, "password123")
        projects.add_member(db, p.id, who)
    busy = True
    while busy:
        busy = False
        for who in people:
            u = made[who]
            t = queue.claim_next(db, p.id, u.id)
            if t is None:
                continue
            busy = True
            pref, safety, h, o = truth[t.record.external_id]
            ok = rng.random() < care[who]
            answer = {"preference": pw(pref if ok else rng.choice(["a", "b", "tie"])),
                      "safety": {"labels": [safety if ok else rng.choice(["safe", "unsafe", "unsure"])]},
                      "quality": {"scores": {str(i): {"helpful": max(1, min(5, h + rng.choice([-1, 0, 0, 1]))),
                                                      "honest": max(1, min(5, o + rng.choice([-1, 0, 1])))}
                                             for i in (0, 1)}}}
            submissions.submit(db, p.id, t.record_id, u.id, answer, rng.uniform(40, 420))
    with db.write() as s:
        rows = s.execute(AnnotationRow.__table__.select().with_only_columns(AnnotationRow.id)
                         .where(AnnotationRow.project_id == p.id, AnnotationRow.status == "submitted")).all()
        for (aid,) in rows:
            back = (timedelta(minutes=rng.uniform(0, 47 * 60)) if rng.random() < 0.6
                    else timedelta(days=rng.uniform(2, 12)))
            s.execute(update(AnnotationRow).where(AnnotationRow.id == aid).values(submitted_at=now - back))
    return p, made
