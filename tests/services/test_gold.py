"""Gold tasks on both databases: mixed in, hidden, outside k, scored, warn → pause, lead resumes."""

from __future__ import annotations

import pytest

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Forbidden
from assay.schemas import TaskPublic
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import exports, projects, records
from assay.services.quality import dashboard, gold
from assay.store.tables import AuditRow

A = {"preference": {"choice": "a", "strength": 2}}
B = {"preference": {"choice": "b", "strength": 2}}


def make(db, gold_settings, n=6, n_gold=4, k=2):
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="g", questions=[Question("preference", "pairwise")], annotators_per_record=k,
                       settings={"gold": gold_settings})
    p = projects.create_project(db, spec, lead)
    recs = [Record(external_id=f"r{i}", messages=[Message("user", f"q{i}")],
                   completions=[Completion("x"), Completion("y")]) for i in range(n + n_gold)]
    records.import_records(db, p.id, recs)
    for i in range(n, n + n_gold):
        gold.set_gold(db, p.id, f"r{i}", A, lead)
    return p, lead


def served(db, p, u, answer):
    seen = []
    while (t := queue.claim_next(db, p.id, u.id)) is not None:
        seen.append(t)
        annotations.submit(db, p.id, t.record_id, u.id, answer)
    return seen


def test_first_n_are_gold_hidden_and_outside_k(db):
    p, _ = make(db, {"first_n": 2, "rate": 0.0, "min_items": 10})
    people = [users.add_user(db, f"u{i}", "password123") for i in range(3)]
    gold_ext = {f"r{i}" for i in range(6, 10)}
    for u in people:
        seen = served(db, p, u, A)
        exts = [t.record.external_id for t in seen]
        assert set(exts[:2]) <= gold_ext and not set(exts[2:]) & gold_ext  # first two gold, then none
        body = TaskPublic.of(seen[0]).model_dump_json()
        assert "gold" not in body.lower() and "strength" not in body  # nothing tells it apart
    # three people each saw two gold records although k=2: gold is not limited by k
    prog = dashboard.progress(db, p.id)
    assert prog.records == 6 and prog.done == 6 and prog.gold_records == 4
    src = exports.export_source(db, p.id)
    assert {it.record.external_id for it in src.items} == {f"r{i}" for i in range(6)}
    assert all(len(it.annotations) == 2 for it in src.items)


def test_low_accuracy_warns_then_pauses_and_lead_resumes(db):
    p, lead = make(db, {"first_n": 4, "rate": 0.0, "min_items": 2, "warn_below": 0.8, "pause_below": 0.6}, n_gold=4)
    u = users.add_user(db, "sloppy", "password123")
    answers = [A, B, B]  # 1/1 ok, 1/2 = 0.5 → paused at the second
    states = []
    for ans in answers:
        t = queue.claim_next(db, p.id, u.id)
        assert t is not None
        annotations.submit(db, p.id, t.record_id, u.id, ans)
        st = {s.username: s for s in gold.standings(db, p.id)}.get("sloppy")
        states.append(st.state if st else None)
        if states[-1] == "paused":
            break
    assert states == ["ok", "paused"]
    with pytest.raises(Forbidden, match="paused"):
        queue.claim_next(db, p.id, u.id)
    board = dashboard.dashboard(db, p.id)
    assert any("sloppy" in n and "paused" in n for n in board.notices)
    with db.write() as s:
        assert s.query(AuditRow).filter(AuditRow.action == "gold.paused").count() == 1
    mine, note = dashboard.my_stats(db, p.id, u.id)
    # the trainer's own figure waits for a whole block of a past day (issue 18, finding 4); the lead sees 0.5
    assert mine.gold_accuracy is None and "paused" in note
    assert [st.gold_accuracy for st in gold.standings(db, p.id)] == [0.5]
    gold.resume(db, p.id, u.id, lead)
    assert queue.claim_next(db, p.id, u.id) is not None


def test_warned_between_thresholds(db):
    p, _ = make(db, {"first_n": 3, "rate": 0.0, "min_items": 3, "warn_below": 0.9, "pause_below": 0.5}, n_gold=3)
    u = users.add_user(db, "meh", "password123")
    for ans in (A, A, B):
        t = queue.claim_next(db, p.id, u.id)
        annotations.submit(db, p.id, t.record_id, u.id, ans)
    (st,) = gold.standings(db, p.id)
    assert st.state == "warned" and abs(st.gold_accuracy - 2 / 3) < 1e-9
    assert queue.claim_next(db, p.id, u.id) is not None  # warned people keep working


def test_rate_one_serves_all_gold_first_rate_zero_none(db):
    p, _ = make(db, {"rate": 1.0}, n=3, n_gold=2)
    u, v = users.add_user(db, "u", "password123"), users.add_user(db, "v", "password123")
    exts = [t.record.external_id for t in served(db, p, u, A)]
    assert set(exts[:2]) == {"r3", "r4"} and len(exts) == 5
    with db.write() as s:
        from assay.store.tables import ProjectRow
        s.get(ProjectRow, p.id).settings = {"gold": {"rate": 0.0}}
    assert not {t.record.external_id for t in served(db, p, v, A)} & {"r3", "r4"}


def test_bad_gold_settings_are_refused(db):
    from assay.errors import Invalid
    with pytest.raises(Invalid, match="rate"):
        gold.GoldPolicy.of({"gold": {"rate": 2}})
    with pytest.raises(Invalid, match="unknown"):
        gold.GoldPolicy.of({"gold": {"firstn": 2}})
