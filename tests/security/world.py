"""A small world for security tests: two projects, every kind of person, answers, a gold record.

Built once per test session into a SQLite file (argon2 hashing is the slow part); each test gets a fresh
copy, so requests that change state never leak into the next test.

People (username: site role, membership):
  admin: admin, member of nothing          lead1: lead, lead of P
  rev1: reviewer, reviewer in P            ann1: annotator in P (has a draft on `lease_record`)
  ann2: annotator in P (submitted `shared_record` with a secret rationale)
  out1: annotator, member of Q only        victim: annotator in P (target of admin actions)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.config import Settings, load_settings
from assay.domain.projects import ProjectSpec
from assay.domain.records import Completion, Message, Record

PASSWORD = "correct-horse-battery"
ANN1_SECRET = "ANN1-PRIVATE-RATIONALE-7731"
ANN2_SECRET = "ANN2-PRIVATE-RATIONALE-4410"
GOLD_SECRET = "GOLD-ANSWER-RATIONALE-9052"
OTHER_PROJECT_SECRET = "Q-PROJECT-PROMPT-5521"
ENDPOINT_KEY = "sk-ENDPOINT-KEY-NEVER-SHOWN-8812"
REVIEW_SECRET = "REVIEW-COMMENT-FOR-ANN2-3307"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror="alert(1)">'
ROLES = ("admin", "lead", "reviewer", "annotator", "outsider", "anon")
USER_OF_ROLE = {"admin": "admin", "lead": "lead1", "reviewer": "rev1", "annotator": "ann1", "outsider": "out1"}


@dataclass
class World:
    """Ids and secrets of the world; `sessions` / `csrf` / `tokens` are per role name."""

    path: Path
    project_id: int = 0
    other_project_id: int = 0
    shared_record: int = 0  # ann1 and ann2 both submitted it (k=2)
    lease_record: int = 0  # ann1's live lease with a draft
    ann2_lease_record: int = 0  # ann2's live lease
    other_record: int = 0  # in project Q, leased by out1
    free_record: int = 0  # in P, nobody has it
    gold_record: int = 0
    user_ids: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    write_tokens: dict[str, str] = field(default_factory=dict)
    read_tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)  # each role's own write token id
    invite_id: int = 0
    invite_token: str = ""
    endpoint_id: int = 0
    task_id: int = 0  # ann1's authoring task in P (prompt mode)
    report_id: int = 0  # ann2's problem report (with a private note)
    export_id: str = ""
    export_job_id: int = 0  # lead1's finished export job in P
    export_file: str = ""
    dataset: str = ""  # site-wide (made from the CLI)
    dataset_version: str = ""
    other_dataset: str = ""  # owned by project Q (version 1)
    annotation_ids: dict[str, int] = field(default_factory=dict)


def _spec(name: str) -> ProjectSpec:
    return ProjectSpec.from_dict({
        "name": name, "title": f"Project {name}", "annotators_per_record": 2, "lease_minutes": 60,
        "guidelines": "Pick the better one.",
        "questions": [{"name": "preference", "kind": "pairwise", "title": "Which is better?"},
                      {"name": "rationale", "kind": "text", "title": "Why?", "required": False,
                       "options": {"min_length": 0}}]})


def _records(prefix: str, n: int, prompt: str = "") -> list[Record]:
    return [Record(external_id=f"{prefix}-{i}",
                   messages=[Message("user", prompt or f"Question {i}: {HOSTILE}")],
                   completions=[Completion(text=f"Answer A{i} {HOSTILE}", model="m1"),
                                Completion(text=f"Answer B{i} **bold** {HOSTILE}", model="m2")],
                   metadata={"note": HOSTILE}) for i in range(n)]


def answers(secret: str) -> dict[str, Any]:
    return {"preference": {"choice": "a", "strength": 2}, "rationale": {"text": secret}}


def settings_for(path: Path) -> Settings:
    return load_settings(data_dir=path, database_url=f"sqlite:///{(path / 'assay.db').resolve()}")


def build_world(path: Path) -> World:
    """Create the database under `path` and fill it. Passwords are hashed with cheap argon2 parameters
    (the hash records its parameters, so verification works as in production, only faster)."""
    from argon2 import PasswordHasher

    import assay.services.accounts.passwords as pw

    saved, pw._hasher = pw._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        return _build(path)
    finally:
        pw._hasher = saved


def _build(path: Path) -> World:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select, update

    from assay.services.accounts import auth, invites, users
    from assay.services.accounts.passwords import new_token, token_digest
    from assay.services.annotation import queue
    from assay.services.annotation import submissions as annotations
    from assay.services.projects import projects, records
    from assay.store.db import open_db
    from assay.store.tables import AnnotationRow, AssignmentRow, RecordRow, SessionRow

    path.mkdir(parents=True, exist_ok=True)
    db = open_db(settings_for(path))
    w = World(path=path)
    people = [("admin", "admin"), ("lead1", "lead"), ("rev1", "reviewer"), ("ann1", "annotator"),
              ("ann2", "annotator"), ("out1", "annotator"), ("victim", "annotator")]
    made = {name: users.add_user(db, name, PASSWORD, role) for name, role in people}
    w.user_ids = {n: u.id for n, u in made.items()}
    p = projects.create_project(db, _spec("proj-p"), made["lead1"])
    q = projects.create_project(db, _spec("proj-q"), made["admin"])
    w.project_id, w.other_project_id = p.id, q.id
    for name, role in [("rev1", "reviewer"), ("ann1", "annotator"), ("ann2", "annotator"), ("victim", "annotator")]:
        projects.add_member(db, p.id, name, role)
    projects.add_member(db, q.id, "out1", "annotator")
    records.import_records(db, p.id, _records("p", 6))
    records.import_records(db, q.id, _records("q", 2, prompt=OTHER_PROJECT_SECRET))
    with db.write() as s:
        rows = list(s.scalars(select(RecordRow).where(RecordRow.project_id == p.id).order_by(RecordRow.id)))
        gold = rows[-1]
        s.execute(update(RecordRow).where(RecordRow.id == gold.id).values(
            is_gold=True, gold_answers=answers(GOLD_SECRET)))
        w.gold_record = gold.id
    uid = w.user_ids
    t1 = queue.claim_next(db, p.id, uid["ann1"])
    t2 = queue.claim_next(db, p.id, uid["ann2"])
    assert t1 and t2
    if t1.record_id != t2.record_id:  # make both judge the same record
        queue.release(db, p.id, t2.record_id, uid["ann2"], skip_reason="setup")
    w.shared_record = t1.record_id
    annotations.submit(db, p.id, t1.record_id, uid["ann1"], answers(ANN1_SECRET), 12.0)
    if t1.record_id != t2.record_id:
        with db.write() as s:  # hand the shared record to ann2 directly
            now = datetime.now(UTC)
            s.add(AssignmentRow(project_id=p.id, record_id=t1.record_id, user_id=uid["ann2"], status="leased",
                                leased_at=now, expires_at=now + timedelta(hours=1)))
            s.execute(update(RecordRow).where(RecordRow.id == t1.record_id).values(
                leased_count=RecordRow.leased_count + 1))
    annotations.submit(db, p.id, t1.record_id, uid["ann2"], answers(ANN2_SECRET), 10.0)
    t3 = queue.claim_next(db, p.id, uid["ann1"])
    assert t3 is not None
    w.lease_record = t3.record_id
    annotations.save_draft(db, p.id, t3.record_id, uid["ann1"], answers(ANN1_SECRET + "-draft"), 3.0)
    t4 = queue.claim_next(db, p.id, uid["ann2"])
    assert t4 is not None
    if t4.record_id == t3.record_id:  # give ann2 a lease on a record ann1 does not hold
        queue.release(db, p.id, t4.record_id, uid["ann2"], skip_reason="setup")
        t4 = queue.claim_next(db, p.id, uid["ann2"])
        assert t4 is not None and t4.record_id != t3.record_id
    w.ann2_lease_record = t4.record_id
    annotations.save_draft(db, p.id, t4.record_id, uid["ann2"], answers(ANN2_SECRET + "-draft"), 3.0)
    t5 = queue.claim_next(db, q.id, uid["out1"])
    assert t5 is not None
    w.other_record = t5.record_id
    with db.write() as s:
        taken = {w.shared_record, w.lease_record, w.ann2_lease_record, w.gold_record}
        w.free_record = next(r.id for r in s.scalars(select(RecordRow).where(RecordRow.project_id == p.id))
                             if r.id not in taken)
        for name in ("ann1", "ann2"):
            w.annotation_ids[name] = s.scalar(select(AnnotationRow.id).where(
                AnnotationRow.record_id == w.shared_record, AnnotationRow.user_id == uid[name])) or 0
    for role, name in USER_OF_ROLE.items():
        tok, csrf = new_token(), new_token(24)
        with db.write() as s:
            s.add(SessionRow(id=token_digest(tok), user_id=uid[name], csrf_token=csrf))
        w.sessions[role], w.csrf[role] = tok, csrf
        raw, t = auth.create_api_token(db, uid[name], f"{role}-write", "write")
        w.write_tokens[role], w.token_ids[role] = raw, t.id
        w.read_tokens[role] = auth.create_api_token(db, uid[name], f"{role}-read", "read")[0]
    from assay.services.projects import export_files, exports

    res = exports.export_project(db, p.id, "raw", "jsonl", actor=made["lead1"])
    w.export_id = export_files.export_id_of(res.card_path.parent)
    from assay.jobs import JobRunner
    from assay.services.projects import export_jobs

    runner = JobRunner(db)
    export_jobs.register(runner)
    w.export_job_id = export_jobs.start_export(db, runner, made["lead1"], p.id, "raw")
    job = export_jobs.wait_for(db, made["lead1"], p.id, w.export_job_id, 60)
    assert job.done, job
    w.export_file = next(iter(res.paths.values())).name
    w.dataset, w.dataset_version = _dataset(db)
    w.other_dataset = _project_dataset(db, w.other_project_id)
    from assay.services.authoring import conversations as authoring
    from assay.services.authoring import endpoints

    ep = endpoints.save_endpoint(db, made["admin"], name="local", base_url="http://127.0.0.1:9/v1", model="m",
                                 api_key=ENDPOINT_KEY)
    w.endpoint_id = ep.id
    authoring.update_settings(db, p.id, made["lead1"], {"mode": "prompt", "endpoints": ["local"]})
    w.task_id = authoring.start_task(db, p.id, made["ann1"], "Write a haiku about " + ANN1_SECRET).id
    try:
        from assay.services.annotation import problem_reports as authoring_reports

        w.report_id = authoring_reports.report_problem(db, p.id, made["ann2"], "other", "see " + ANN2_SECRET,
                                                       record_id=w.ann2_lease_record).id
    except ImportError:  # problem reports not there yet
        pass
    w.invite_token, inv = invites.create_invite(db, "annotator", uid["admin"], 24)
    w.invite_id = inv.id
    _add_review(db, w)
    db.close()
    return w


def _add_review(db: Any, w: World) -> None:
    """A reviewer's comment on ann2's annotation (ann1 must never see it)."""
    try:
        from assay.store.tables_quality import ReviewRow, StandingRow
    except ImportError:  # the review feature is not there yet
        return
    with db.write() as s:
        s.add(StandingRow(project_id=w.project_id, user_id=w.user_ids["ann2"], state="paused", gold_n=3,
                          gold_accuracy=0.0, reason="failed gold"))
        s.add(ReviewRow(project_id=w.project_id, annotation_id=w.annotation_ids["ann2"], revision=1,
                        reviewer_id=w.user_ids["rev1"], decision="reject", comment=REVIEW_SECRET,
                        action="rejected"))


def _dataset(db: Any) -> tuple[str, str]:
    from assay.datasets.schema import records_to_table
    from assay.datasets.store import open_store

    m = open_store(db.settings.resolved_dataset_store).write_version(
        "secdata", [records_to_table(_records("ds", 3))], note="security tests")
    return "secdata", str(m.version)


def _project_dataset(db: Any, project_id: int) -> str:
    """A dataset owned by project `project_id` (as a pull by its lead makes one)."""
    from assay.datasets.schema import records_to_table
    from assay.datasets.store import open_store
    from assay.services.datasets import owners

    owners.claim_write(db, None, "qdata", project_id)
    open_store(db.settings.resolved_dataset_store).write_version(
        "qdata", [records_to_table(_records("qd", 2, prompt=OTHER_PROJECT_SECRET))], note="project Q's data")
    return "qdata"


def copy_world(w: World, dest: Path) -> World:
    """A fresh copy of the world's data folder under `dest` (same ids, sessions and tokens)."""
    shutil.copytree(w.path, dest)
    return World(**{**w.__dict__, "path": dest})
