"""A small world for the records table and gold tests: people, two projects, records, judgments, and a
TestClient per person (bearer tokens work on pages and the API alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

GOLD_CONFIG = {"first_n": 1, "min_items": 2, "warn_below": 0.7}
PEOPLE = [("admin", "admin"), ("lead", "lead"), ("lead2", "lead"), ("rev", "reviewer"), ("ann1", "annotator"),
          ("ann2", "annotator")]


@dataclass
class RecordsWorld:
    app: Any
    db: Any
    users: dict[str, Any]
    tokens: dict[str, str]
    project_id: int
    other_project_id: int
    ids: dict[str, int]  # external id -> record id
    clients: dict[str, TestClient] = field(default_factory=dict)

    def client(self, who: str) -> TestClient:
        if who not in self.clients:
            self.clients[who] = TestClient(self.app, headers={"Authorization": f"Bearer {self.tokens[who]}"},
                                           raise_server_exceptions=True)
        return self.clients[who]

    def judge_next(self, who: str, choice: str) -> str:
        """`who` claims the next record through the real queue and submits `choice`. Returns its external id
        (the queue serves by id here, and a half-judged record first)."""
        from assay.services.annotation import queue, submissions

        uid = self.users[who].id
        t = queue.claim_next(self.db, self.project_id, uid)
        assert t is not None, f"nothing left for {who}"
        submissions.submit(self.db, self.project_id, t.record_id, uid, {"preference": {"choice": choice, "strength": 2}})
        return str(t.record.external_id)


def pair(i: int) -> Any:
    from assay.domain.records import Completion, Message, Record

    return Record(external_id=f"r{i:02d}", messages=[Message("user", f"What is {i} + {i}? word{i} {'apple' if i % 3 == 0 else 'pear'}")],
                  completions=[Completion(f"{2 * i}", model="m1"), Completion(f"{2 * i + 1}", model="m2")],
                  metadata={"src": "hh" if i % 2 == 0 else "oasst", "n": i})


def make_world(settings: Any, n: int = 30, gold: dict[str, Any] | None = None) -> RecordsWorld:
    from assay.domain.projects import ProjectSpec
    from assay.domain.questions import Question
    from assay.services.accounts import auth, users
    from assay.services.projects import projects, records
    from assay.store.db import open_db
    from assay.web.app import create_app

    db = open_db(settings, migrate=False)
    people = {name: users.add_user(db, name, f"{name}-password-1", role) for name, role in PEOPLE}
    tokens = {name: auth.create_api_token(db, u.id, "test")[0] for name, u in people.items()}
    spec = ProjectSpec(name="prefs", questions=[Question("preference", "pairwise", title="Which is better?"),
                                                Question("rationale", "text", required=False)],
                       annotators_per_record=2, settings={"gold": gold or GOLD_CONFIG})
    p = projects.create_project(db, spec, people["lead"])
    for who, role in (("ann1", "annotator"), ("ann2", "annotator"), ("rev", "reviewer")):
        projects.add_member(db, p.id, who, role)
    q = projects.create_project(db, ProjectSpec(name="other", questions=[Question("preference", "pairwise")]),
                                people["lead2"])
    records.import_records(db, p.id, [pair(i) for i in range(n)])
    records.import_records(db, q.id, [pair(i) for i in range(3)])
    from assay.services.projects import records_table

    view = records_table.records_page(db, p.id, people["lead"], {"size": "200"})
    ids = {r.external_id: r.record_id for r in view.rows}
    return RecordsWorld(create_app(settings, db), db, people, tokens, p.id, q.id, ids)
