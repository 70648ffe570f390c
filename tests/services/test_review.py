"""Review on both databases: queue modes, accept, reject back to the author with the comment, requeue."""

from __future__ import annotations

import pytest

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Conflict, Forbidden, Invalid
from assay.services.accounts import users
from assay.services.annotation import queue, review
from assay.services.annotation import submissions as annotations
from assay.services.projects import exports, projects, records
from assay.store import slots

A = {"preference": {"choice": "a", "strength": 2}}
B = {"preference": {"choice": "b", "strength": 1}}


def setup(db, review_settings, k=2, n=2):
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="r", questions=[Question("preference", "pairwise")], annotators_per_record=k,
                       settings={"review": review_settings})
    p = projects.create_project(db, spec, lead)
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x"), Completion("y")]) for i in range(n)])
    u, v = users.add_user(db, "u", "password123"), users.add_user(db, "v", "password123")
    return p, lead, u, v


def work(db, p, u, answer_for):
    while (t := queue.claim_next(db, p.id, u.id)) is not None:
        annotations.submit(db, p.id, t.record_id, u.id, answer_for(t.record.external_id))


def test_reject_returns_to_author_with_comment(db):
    p, lead, u, v = setup(db, {"mode": "all", "on_reject": "return"})
    work(db, p, u, lambda e: A)
    work(db, p, v, lambda e: A)
    items = review.review_queue(db, p.id, lead.id)
    assert len(items) == 4 and {i.annotator for i in items} == {"u", "v"}
    assert review.review_queue(db, p.id, u.id) and all(i.annotator != "u" for i in review.review_queue(db, p.id, u.id))
    target = next(i for i in items if i.annotator == "u")
    with pytest.raises(Invalid):
        review.decide(db, p.id, target.annotation_id, lead, "rejected", "")
    with pytest.raises(Forbidden):
        review.decide(db, p.id, target.annotation_id, u, "accepted")
    review.decide(db, p.id, target.annotation_id, lead, "rejected", "A is wrong: it misreads the question")
    with pytest.raises(Conflict):
        review.decide(db, p.id, target.annotation_id, lead, "accepted")
    t = queue.claim_next(db, p.id, u.id)  # back at the front of u's queue, answers kept, comment shown
    assert t is not None and t.record_id == target.record_id and t.answers == A
    assert t.feedback == "A is wrong: it misreads the question"
    assert queue.claim_next(db, p.id, lead.id) is None  # the record's slot stays u's: never k+1
    exp = {it.record_id: it for it in exports.export_source(db, p.id).items}
    assert len(exp[target.record_id].annotations) == 1  # the returned one is a draft now
    annotations.submit(db, p.id, t.record_id, u.id, B)
    again = [i for i in review.review_queue(db, p.id, lead.id) if i.annotation_id == target.annotation_id]
    assert again and again[0].answers == B  # pending review again at the new revision
    review.decide(db, p.id, target.annotation_id, lead, "accepted")
    views = exports.export_source(db, p.id).items
    assert sum(a.review == "accepted" for it in views for a in it.annotations) == 1


def test_reject_requeues_for_someone_else(db):
    p, lead, u, v = setup(db, {"on_reject": "requeue"}, k=1, n=1)
    work(db, p, u, lambda e: A)
    (item,) = review.review_queue(db, p.id, lead.id)
    review.decide(db, p.id, item.annotation_id, lead, "rejected", "careless")
    with db.read() as s:  # u's assignment no longer counts: the record's one slot is free again
        assert slots.drift(s, p.id) == []
    assert queue.claim_next(db, p.id, u.id) is None  # never back to u
    t = queue.claim_next(db, p.id, v.id)
    assert t is not None and t.feedback == ""
    annotations.submit(db, p.id, t.record_id, v.id, B)
    (it,) = exports.export_source(db, p.id).items
    assert sorted((a.annotator, a.review) for a in it.annotations) == [("u", "rejected"), ("v", None)]


@pytest.mark.slow
def test_low_agreement_and_sample_modes(db):
    p, lead, u, v = setup(db, {"mode": "low_agreement", "threshold": 0.75}, n=2)
    work(db, p, u, lambda e: A)
    work(db, p, v, lambda e: A if e == "r0" else B)
    items = review.review_queue(db, p.id, lead.id)
    assert {i.record.external_id for i in items} == {"r1"} and items[0].agreement == 0.5
    assert review.ReviewPolicy.of({"review": {"mode": "sample", "rate": 0.0}}).mode == "sample"
    from assay.services.annotation.review import _in_sample
    share = sum(_in_sample(i, 0.3) for i in range(5000)) / 5000
    assert 0.27 < share < 0.33
