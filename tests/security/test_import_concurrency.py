"""Finding 10 of issue 18: a large SQLite import blocked annotators (a draft save took 30.07 s, the whole
busy timeout, during a 40k-record import). The import now stages its records in short write transactions
and publishes them in one short transaction (still all-or-nothing for the importer); annotators' draft
saves and submits barely wait for it while a real 40k-record import runs.

The measurement separates what the import costs from what the machine's load costs: on the shared two-core
machine (load average 4 and more) every call is slower, import or not, and a bare "p95 under 200 ms"
failed at 202-262 ms for that reason. A control group of annotators working at the same time on a database
nothing imports into carries the same load; see `test_annotators_keep_working_during_a_40k_import`."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest

from assay.config import load_settings
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import users
from assay.services.annotation import queue, submissions
from assay.services.projects import projects, records
from assay.store.db import Db, open_db

ANSWER = {"preference": {"choice": "a", "strength": 1}}
# Seconds between one annotator's calls: far more often than a person saves, yet leaving this process CPU to
# spare on a shared two-core machine (at 50 ms, four annotators' own Python work saturated it and the
# measure became the test's CPU, not the database).
RHYTHM = 0.2


def _records(prefix: str, n: int) -> list[Record]:
    return [Record(external_id=f"{prefix}{i}", messages=[Message("user", f"question {i}?")],
                   completions=[Completion(f"answer a {i}", "m1"), Completion(f"answer b {i}", "m2")],
                   source=f"{prefix}.jsonl:{i + 1}")
            for i in range(n)]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _write_jsonl(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"big{i}", "messages": [{"role": "user", "content": f"question {i}?"}],
                                "completions": [{"text": f"answer a {i}", "model": "m1"},
                                                {"text": f"answer b {i}", "model": "m2"}]}) + "\n")


class LockWaits:
    """Seconds this process's threads spend waiting for the SQLite writer lock while another process holds
    it. `Db._writer_lock` serialises this process's threads on an in-process lock, then polls a
    non-blocking `flock` on the lock file beside the database; only another process (here: the importer)
    can make that `flock` refuse. A wait runs from the first refused try to the `flock` that succeeds, and
    is added to the waiting thread's account (read and reset with `take`)."""

    def __init__(self) -> None:
        self.local = threading.local()

    def flock(self, fd: int, op: int) -> None:
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            if getattr(self.local, "since", None) is None:
                self.local.since = time.perf_counter()
            raise
        since = getattr(self.local, "since", None)
        if since is not None:
            self.local.waited = getattr(self.local, "waited", 0.0) + time.perf_counter() - since
            self.local.since = None

    def take(self) -> float:
        waited = getattr(self.local, "waited", 0.0)
        self.local.waited, self.local.since = 0.0, None
        return float(waited)


@dataclass
class Calls:
    """One group's calls: latency from when each call was due, and the part of it the calling thread spent
    waiting for a writer lock another process held."""

    latencies: list[float] = field(default_factory=list)
    lock_waits: list[float] = field(default_factory=list)

    def line(self, name: str) -> str:
        return (f"{name}: {len(self.latencies)} calls, p95 {_p95(self.latencies) * 1000:.0f} ms, max "
                f"{max(self.latencies) * 1000:.0f} ms; waiting for another process's writer lock: p95 "
                f"{_p95(self.lock_waits) * 1000:.0f} ms, max {max(self.lock_waits) * 1000:.0f} ms")


def _world(tmp_path: Path, name: str) -> tuple[Db, int, list[int]]:
    """A database under `tmp_path/name` with a project of 1000 records and four annotators in it."""
    settings = load_settings(data_dir=tmp_path / name,
                             database_url=f"sqlite:///{(tmp_path / name / 'assay.db').resolve()}")
    (tmp_path / name).mkdir()
    db = open_db(settings)
    lead = users.add_user(db, "lead", "lead-password-1", "lead")
    people = [users.add_user(db, f"ann{i}", "ann-password-1") for i in range(4)]
    p = projects.create_project(db, ProjectSpec(name="big", questions=[Question("preference", "pairwise")]), lead)
    for person in people:
        projects.add_member(db, p.id, person.username, "annotator")
    records.import_records(db, p.id, _records("warm", 1000), lead)
    return db, p.id, [person.id for person in people]


@pytest.mark.slow
def test_annotators_keep_working_during_a_40k_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real CLI (`assay records import`, a process of its own, as an importer runs it) imports 40k
    records while four annotators (threads of this process) claim, save drafts and submit in the same
    project, each on a `RHYTHM`. At the same time, in the same process and on the same rhythm, four more
    annotators do the same work in an identical project of another database that nothing imports into:
    the control group. Both groups share this machine's load (other processes on the shared cores slow
    every call, import or not: a bare "p95 under 200 ms" failed at 202-262 ms at load 4 for that reason);
    only the import's database work separates them.

    What the import may cost the annotators:
    - end to end, p95 under 200 ms (the finding's bound) — or, when the machine's load alone pushes the
      control group's p95 past 100 ms, under twice the control group's p95 over the same seconds (the two
      bounds meet at 100 ms);
    - its direct cost, the time a call waits for the writer lock the importer holds (`LockWaits`): p95
      under 100 ms, and no call waits 5 s: the finding was a draft save that waited the whole 30 s busy
      timeout. No call of either group takes 5 s.

    Figures (this machine, shared): before `records.hand_over` (a fixed 4 ms pause between staging
    transactions) at load 6.5 the imported group's p95 was 679 ms against the control group's 225 ms; with
    it, 441 / 337 ms at load 9.7 (passes) and 423 / 174 ms at load 7.9 (fails: the import took only 39 s, so
    the one publish transaction, which held the lock 0.9 s at that load and kept each annotator from about
    five calls, weighs more in the tail)."""
    waits = LockWaits()
    monkeypatch.setattr("assay.store.db.fcntl", SimpleNamespace(flock=waits.flock, LOCK_EX=fcntl.LOCK_EX,
                                                                LOCK_NB=fcntl.LOCK_NB, LOCK_UN=fcntl.LOCK_UN))
    db, project_id, people = _world(tmp_path, "imported")
    control_db, control_project, control_people = _world(tmp_path, "control")
    try:
        source = tmp_path / "big.jsonl"
        _write_jsonl(source, 40_000)
        groups = {"imported": Calls(), "control": Calls()}
        importing = threading.Event()
        done = threading.Event()
        errors: list[BaseException] = []

        def annotate(db: Db, project_id: int, user_id: int, calls: Calls) -> None:
            """A trainer on a steady rhythm: a call every `RHYTHM` seconds (three draft saves, then a submit). Each
            call's latency is counted from when it was due (not when it began), so a call stuck behind the
            import counts once for every call it kept from happening (no coordinated omission). Calls are
            counted while the import runs (a call that began before it counts if it ended after)."""
            due = time.perf_counter()

            def timed(call: Callable[[], object]) -> None:
                nonlocal due
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                started_during = importing.is_set()
                waits.take()
                call()
                end = time.perf_counter()
                waited, first = waits.take(), True
                while due <= end:  # every call that was due meanwhile waited until now
                    if started_during or importing.is_set():
                        calls.latencies.append(end - due)
                        calls.lock_waits.append(waited if first else 0.0)
                    first = False
                    due += RHYTHM

            try:
                while not done.is_set():
                    task = queue.claim_next(db, project_id, user_id)
                    assert task is not None
                    rid = task.record_id
                    for _ in range(3):
                        timed(partial(submissions.save_draft, db, project_id, rid, user_id, {"note": "typing"}, 5))
                    timed(partial(submissions.submit, db, project_id, rid, user_id, ANSWER, 9))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=annotate, args=(db, project_id, u, groups["imported"])) for u in people]
        threads += [threading.Thread(target=annotate, args=(control_db, control_project, u, groups["control"]))
                    for u in control_people]
        for t in threads:
            t.start()
        time.sleep(1.0)
        env = {**os.environ, "ASSAY_DATA_DIR": str(tmp_path / "imported"),
               "ASSAY_DATABASE_URL": db.settings.resolved_database_url}
        t0 = time.perf_counter()
        importing.set()
        run = subprocess.run([str(Path(sys.executable).parent / "assay"), "records", "import", "big", str(source)],
                             check=False, env=env, capture_output=True, text=True, timeout=600)
        importing.clear()
        took = time.perf_counter() - t0
        done.set()
        for t in threads:
            t.join(timeout=60)
        assert run.returncode == 0, run.stderr
        assert "40000 records added" in run.stdout
        assert not errors, errors
        imported, control = groups["imported"], groups["control"]
        assert len(imported.latencies) >= 80 and len(control.latencies) >= 80, \
            (len(imported.latencies), len(control.latencies))
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        p95, p95_control = _p95(imported.latencies), _p95(control.latencies)
        print(f"\n40k import took {took:.1f} s (load average {load}); during it:\n{imported.line('imported')}\n"
              f"{control.line('control ')}\np95 above the control group: {(p95 - p95_control) * 1000:+.0f} ms")
        assert max(control.lock_waits) == 0.0  # nothing else ever held the control database's lock
        assert _p95(imported.lock_waits) < 0.1, "p95 of annotators' waits for the importer's lock over 100 ms"
        assert max(imported.lock_waits) < 5.0, "an annotator's call waited 5 s or more for the importer's lock"
        assert max(imported.latencies + control.latencies) < 5.0, "an annotator's call took 5 s or more"
        bound = max(0.2, 2 * p95_control)  # 200 ms, unless the machine's load alone is past 100 ms
        assert p95 < bound, f"annotators' p95 {p95 * 1000:.0f} ms during the import, over {bound * 1000:.0f} ms"
        assert feeds_count(db, project_id) == 41_000
    finally:
        db.close()
        control_db.close()


def feeds_count(db: Db, project_id: int) -> int:
    from assay.services.projects import feeds

    n, after = 0, 0
    while True:
        page = feeds.records_page(db, project_id, after=after, limit=feeds.MAX_LIMIT)
        n += len(page)
        if len(page) < feeds.MAX_LIMIT:
            return n
        after = page[-1].record_id


def test_publish_falls_back_when_another_import_took_some_ids(db) -> None:  # type: ignore[no-untyped-def]
    """Both back ends: records staged as new whose ids another import added meanwhile are counted as
    existing (SQLite's fast path is refused by the unique constraint and rolled back to its savepoint);
    the rest are published with their completions and suggestions, once."""
    from datetime import UTC, datetime

    from assay.store.queries import import_staging as staging_q

    lead = users.add_user(db, "lead", "lead-password-1", "lead")
    p = projects.create_project(db, ProjectSpec(name="p", questions=[Question("preference", "pairwise")]), lead)
    records.import_records(db, p.id, _records("r", 2), lead)  # r0, r1 are there
    staged = _records("r", 5)  # r0..r4, staged as if r0 and r1 were new
    suggestion = [("preference", {"choice": "b", "strength": 2}, "why", "judge")]
    with db.kept_connection() as conn:
        with db.write_on(conn):
            staging_q.create(conn)
        with db.write_on(conn):
            staging_q.stage(conn, staging_q.rows(0, staged, 3, [suggestion] * 5))
        with db.write_on(conn):
            assert staging_q.publish(conn, p.id, datetime.now(UTC)) == (3, 2)
        with db.write_on(conn):
            staging_q.drop(conn)
    from assay.services.annotation import suggestions as suggestions_svc
    from assay.services.projects import feeds

    page = feeds.records_page(db, p.id, limit=10)
    assert [x.record.external_id for x in page] == ["r0", "r1", "r2", "r3", "r4"]
    assert all(len(x.record.completions) == 2 for x in page)
    assert [x.record.completions[1].text for x in page[2:]] == ["answer b 2", "answer b 3", "answer b 4"]
    for x in page:
        got = suggestions_svc.list_suggestions(db, p.id, x.record_id)
        assert len(got) == (1 if x.record.external_id in ("r2", "r3", "r4") else 0)
    assert records.import_records(db, p.id, _records("r", 6), lead) == records.ImportResult(created=1, existing=5)


def test_an_import_that_fails_leaves_nothing(db) -> None:  # type: ignore[no-untyped-def]
    from assay.errors import Invalid

    lead = users.add_user(db, "lead", "lead-password-1", "lead")
    p = projects.create_project(db, ProjectSpec(name="p", questions=[Question("preference", "pairwise")]), lead)
    bad = _records("x", 1200)
    bad[1100] = Record(external_id="x1100", messages=[Message("user", "q")], completions=[Completion("only one")],
                       source="x.jsonl:1101")
    with pytest.raises(Invalid, match="x.jsonl line 1101"):
        records.import_records(db, p.id, bad, lead)
    from assay.services.projects import feeds

    assert feeds.records_page(db, p.id, limit=10) == []
    assert records.import_records(db, p.id, _records("x", 1200), lead).created == 1200
