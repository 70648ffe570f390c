"""The exactly-k counters under random interleavings of every writer, on SQLite and PostgreSQL.

Hypothesis draws a list of operations — claim, draft, submit, skip, lease expiry (and the sweep that frees
expired slots), review accept / reject (back to the author or requeued for someone else), member removal,
judgment import and authoring — and runs them through the services one after the other on a fresh
project. After every step it checks the invariant `assay.store.slots` owns:

- each record's `leased_count` / `submitted_count` equal its assignments in status leased / submitted;
- nobody holds a record twice (one assignment and at most one annotation per person and record);
- no record goes over k, except by imported judgments (which count beyond k by design).

Authoring is driven through the store calls its service makes for the records it creates (a submitted
annotation by the author of a chat turn, a lease on a finished prompt): the real authoring service needs a
model endpoint, and the counters only see these calls.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.domain.users import User
from assay.errors import AssayError
from assay.services.accounts import users
from assay.services.annotation import judgments, queue, review
from assay.services.annotation import submissions as annotation_service
from assay.services.projects import projects, records
from assay.store import slots
from assay.store.db import Db
from assay.store.tables import AnnotationRow, AssignmentRow, RecordRow

K = 2
RECORDS = 4
PEOPLE = 4
ANSWER = {"preference": {"choice": "a", "strength": 2}}
OPS = ("claim", "claim", "draft", "submit", "submit", "skip", "expire", "sweep", "accept", "reject", "remove",
       "import", "author_submitted", "author_lease")
_runs = itertools.count()


def _record(external_id: str) -> Record:
    return Record(external_id=external_id, messages=[Message("user", f"q {external_id}")],
                  completions=[Completion("one", model="m1"), Completion("two", model="m2")])


class World:
    """One project with K judgments per record, its lead (who reviews) and PEOPLE annotators."""

    def __init__(self, db: Db, on_reject: str, lead: User, people: list[User]) -> None:
        run = next(_runs)
        self.db, self.lead, self.people = db, lead, people
        spec = ProjectSpec(name=f"slots-{run}", questions=[Question("preference", "pairwise")],
                           annotators_per_record=K, settings={"review": {"on_reject": on_reject}})
        self.project = projects.create_project(db, spec, lead)
        self.records = [_record(f"r{i}") for i in range(RECORDS)]
        records.import_records(db, self.project.id, self.records)
        for person in people:
            projects.add_member(db, self.project.id, person.username)
        self.imported: dict[int, int] = {}  # record id -> judgments imported on it
        self.made = 0

    # --- reads (the test's own SQL: it checks the store, so it does not go through it) -----------------

    def assignments(self, user: User, *statuses: str) -> list[AssignmentRow]:
        with self.db.read() as s:
            q = select(AssignmentRow).where(AssignmentRow.project_id == self.project.id,
                                            AssignmentRow.user_id == user.id).order_by(AssignmentRow.id)
            if statuses:
                q = q.where(AssignmentRow.status.in_(statuses))
            return list(s.scalars(q))

    def submitted(self) -> list[AnnotationRow]:
        with self.db.read() as s:
            return list(s.scalars(select(AnnotationRow).where(AnnotationRow.project_id == self.project.id,
                                                              AnnotationRow.status == "submitted")
                                  .order_by(AnnotationRow.id)))

    # --- operations -----------------------------------------------------------------------------------

    def run(self, op: str, who: int, pick: int) -> None:
        user = self.people[who % PEOPLE]
        pid = self.project.id
        try:
            if op == "claim":
                queue.claim_next(self.db, pid, user.id)
            elif op in ("draft", "submit", "skip"):
                held = self.assignments(user)
                if not held:
                    return
                rid = held[pick % len(held)].record_id
                if op == "draft":
                    annotation_service.save_draft(self.db, pid, rid, user.id, ANSWER, 5)
                elif op == "submit":
                    annotation_service.submit(self.db, pid, rid, user.id, ANSWER, 7)
                else:
                    queue.release(self.db, pid, rid, user.id, skip_reason="property test")
            elif op == "expire":  # the person's live leases pass their deadline (not swept yet)
                with self.db.write() as s:
                    s.execute(update(AssignmentRow).where(
                        AssignmentRow.project_id == pid, AssignmentRow.user_id == user.id,
                        AssignmentRow.status == "leased").values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
            elif op == "sweep":
                with self.db.write() as s:
                    queue.expire_stale_leases(s, pid, datetime.now(UTC))
            elif op in ("accept", "reject"):
                done = [a for a in self.submitted() if a.user_id != self.lead.id]
                if not done:
                    return
                ann = done[pick % len(done)]
                review.decide(self.db, pid, ann.id, self.lead, "rejected" if op == "reject" else "accepted",
                              "not quite: look again")
            elif op == "remove":  # leaves the project (their leases end) and is added back
                projects.remove_member(self.db, pid, user.id, self.lead)
                projects.add_member(self.db, pid, user.username)
            elif op == "import":
                rec = self.records[pick % RECORDS]
                judged = Record(external_id=rec.external_id, messages=rec.messages, completions=rec.completions,
                                metadata={"judgments": [{"annotator": f"ext{who}", "answer": {"choice": "b"}}]})
                before = self.imported_annotations()
                judgments.import_judgments(self.db, pid, [judged], "preference", source="prop", actor=self.lead)
                with self.db.read() as s:
                    rid = s.scalar(select(RecordRow.id).where(RecordRow.project_id == pid,
                                                              RecordRow.external_id == rec.external_id))
                assert rid is not None
                self.imported[rid] = self.imported.get(rid, 0) + self.imported_annotations() - before
            elif op in ("author_submitted", "author_lease"):
                self.author(user, submitted=op == "author_submitted")
        except AssayError:
            pass  # refused by a rule (Conflict, NotFound, ...): the counters must hold all the same

    def imported_annotations(self) -> int:
        with self.db.read() as s:
            return s.scalar(select(func.count()).select_from(AnnotationRow).where(
                AnnotationRow.project_id == self.project.id, AnnotationRow.status == "submitted",
                AnnotationRow.user_id.not_in([u.id for u in [*self.people, self.lead]]))) or 0

    def author(self, user: User, *, submitted: bool) -> None:
        """What authoring does when a trainer makes a record: a chat turn's record with the trainer's submitted
        choice, or a finished prompt's record leased to its author (`services.authoring.records`)."""
        self.made += 1
        ext = f"authored-{self.made}"
        records.import_records(self.db, self.project.id, [_record(ext)])
        now = datetime.now(UTC)
        with self.db.write() as s:
            rid = s.scalar(select(RecordRow.id).where(RecordRow.project_id == self.project.id,
                                                      RecordRow.external_id == ext))
            assert rid is not None
            if submitted:
                slots.add_submitted(s, project_id=self.project.id, record_id=rid, user_id=user.id, answers=ANSWER,
                                    at=now)
            else:
                slots.lease(s, project_id=self.project.id, record_id=rid, user_id=user.id, now=now,
                            expires=now + timedelta(hours=1))

    # --- the invariant --------------------------------------------------------------------------------

    def check(self, step: str) -> None:
        pid = self.project.id
        with self.db.read() as s:
            assert slots.drift(s, pid) == [], f"after {step}: counters differ from assignments"
            twice = s.execute(select(AssignmentRow.record_id, AssignmentRow.user_id).where(
                AssignmentRow.project_id == pid).group_by(AssignmentRow.record_id, AssignmentRow.user_id)
                .having(func.count() > 1)).all()
            assert twice == [], f"after {step}: a person holds a record twice: {twice}"
            twice = s.execute(select(AnnotationRow.record_id, AnnotationRow.user_id).where(
                AnnotationRow.project_id == pid).group_by(AnnotationRow.record_id, AnnotationRow.user_id)
                .having(func.count() > 1)).all()
            assert twice == [], f"after {step}: a person has two annotations on a record: {twice}"
            orphans = s.scalar(select(func.count()).select_from(AnnotationRow).where(
                AnnotationRow.project_id == pid, AnnotationRow.status == "submitted",
                ~select(AssignmentRow.id).where(AssignmentRow.record_id == AnnotationRow.record_id,
                                                AssignmentRow.user_id == AnnotationRow.user_id).exists()))
            assert orphans == 0, f"after {step}: a submitted annotation without its assignment"
            for rid, leased, submitted in s.execute(select(RecordRow.id, RecordRow.leased_count,
                                                           RecordRow.submitted_count)
                                                    .where(RecordRow.project_id == pid)):
                assert leased >= 0 and submitted >= 0, f"after {step}: record {rid} counts below zero"
                allowed = K + self.imported.get(rid, 0)
                assert leased + submitted <= allowed, (
                    f"after {step}: record {rid} has {leased} leases + {submitted} submissions > {allowed}")


operations = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, PEOPLE - 1), st.integers(0, 7)),
                      min_size=5, max_size=30)


def _people(db: Db) -> tuple[User, list[User]]:
    """The lead (who reviews) and the annotators, made once per database (password hashing is slow)."""
    lead = users.add_user(db, "lead", "password123", "lead")
    return lead, [users.add_user(db, f"u{i}", "password123") for i in range(PEOPLE)]


@pytest.mark.slow
def test_counters_hold_under_any_interleaving(db: Db) -> None:
    lead, people = _people(db)

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(ops=operations, on_reject=st.sampled_from(["return", "requeue"]))
    def interleaving(ops: list[tuple[str, int, int]], on_reject: str) -> None:
        world = World(db, on_reject, lead, people)  # a fresh project per example, in the test's database
        world.check("setup")
        for i, (op, who, pick) in enumerate(ops):
            world.run(op, who, pick)
            world.check(f"step {i} {op}(person {who}, pick {pick})")

    interleaving()


def test_the_check_sees_a_drifted_counter(db: Db) -> None:
    """The invariant check is not vacuous: a counter changed behind the slots' back is reported."""
    lead, people = _people(db)
    world = World(db, "return", lead, people)
    t = queue.claim_next(db, world.project.id, people[0].id)
    assert t is not None
    world.check("claim")
    with db.write() as s:
        s.execute(update(RecordRow).where(RecordRow.id == t.record_id).values(leased_count=0))
    with db.read() as s:
        assert [(d.record_id, d.leased_count, d.leased_rows) for d in slots.drift(s, world.project.id)] == [
            (t.record_id, 0, 1)]
