"""Claim-and-submit load against a real Assay server process (shared by bench/annotation_server and
tests/load, which imports it as `bench.annotation_server.harness` with the repository root on sys.path;
bench code never imports tests).

- `AssayServer`: uvicorn in a subprocess (`--factory bench.annotation_server.asgi:make_app`, 1..N workers) on a free
  port over a SQLite file or a PostgreSQL URL; `start`, `stop`, `kill9` (SIGKILL to the whole process group).
- `seed`: a pairwise project with k annotators per record, n records and m annotators with API tokens
  (written straight through the services; users have no password).
- `run_load`: one thread per annotator, each with its own httpx client: POST next, POST submit, until the
  queue answers 204. Connection failures (a killed server) are retried until `deadline`; only a submit
  answered 2xx counts as acknowledged.
- `check`: the invariants — every record has exactly k submitted annotations (and its counter agrees),
  nobody has two annotations on one record, every acknowledged submit is stored.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
ANSWER = {"preference": {"choice": "a", "strength": 1}, "rationale": {"text": "a is more accurate"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AssayServer:
    data_dir: Path
    database_url: str = ""
    workers: int = 1
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ, ASSAY_DATA_DIR=str(self.data_dir), PYTHONPATH=str(ROOT))
        if self.database_url:
            env["ASSAY_DATABASE_URL"] = self.database_url
        return env

    def start(self, timeout: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "bench.annotation_server.asgi:make_app", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning",
               "--no-access-log"]
        self.log = open(self.data_dir / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(cmd, env=self.env(), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer /healthz within {timeout}s")

    def kill9(self) -> None:
        """SIGKILL the server and its workers at once (no shutdown hooks run)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server and its children so far (Linux /proc)."""
        assert self.proc is not None
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [self.proc.pid] + _children(self.proc.pid)
        for pid in pids:
            try:
                f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / tick
            except (OSError, IndexError):
                continue
        return total


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for p in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in p.read_text().split():
            out.append(int(c))
            out.extend(_children(int(c)))
    return out


@dataclass
class Seeded:
    project_id: int
    k: int
    n_records: int
    tokens: dict[str, str]


def seed(db: object, n_records: int, k: int, n_annotators: int, name: str = "load") -> Seeded:
    """Create the project, records, annotators (members, no password) and their write tokens."""
    from assay.domain.projects import ProjectSpec
    from assay.domain.questions import Question
    from assay.domain.records import Completion, Message, Record
    from assay.services.accounts import auth
    from assay.services.projects import projects, records
    from assay.store.tables import MemberRow, UserRow

    spec = ProjectSpec(name=name, questions=[Question("preference", "pairwise"),
                                             Question("rationale", "text", required=False)],
                       annotators_per_record=k, lease_minutes=10)
    p = projects.create_project(db, spec)  # type: ignore[arg-type]
    recs = [Record(external_id=f"{name}-{i}", messages=[Message("user", f"Question {i}: explain item {i}.")],
                   completions=[Completion(f"Answer A to {i}. " * 20, model="model-a"),
                                Completion(f"Answer B to {i}. " * 20, model="model-b")]) for i in range(n_records)]
    records.import_records(db, p.id, recs)  # type: ignore[arg-type]
    tokens: dict[str, str] = {}
    with db.write() as s:  # type: ignore[attr-defined]
        rows = [UserRow(username=f"{name}-ann{i:03d}", password_hash="!", role="annotator") for i in range(n_annotators)]
        s.add_all(rows)
        s.flush()
        s.add_all([MemberRow(project_id=p.id, user_id=u.id, role="annotator") for u in rows])
        ids = [(u.username, u.id) for u in rows]
    for username, uid in ids:
        tokens[username], _ = auth.create_api_token(db, uid, "load")  # type: ignore[arg-type]
    return Seeded(p.id, k, n_records, tokens)


@dataclass
class LoadResult:
    acks: list[tuple[str, int]] = field(default_factory=list)  # (username, record id) answered 2xx
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connection_failures: int = 0
    wall: float = 0.0


def _worker(base: str, project_id: int, username: str, token: str, out: LoadResult, lock: threading.Lock,
            deadline: float, stop: threading.Event, interval: float | None = None, offset: float = 0.0) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    next_start = time.perf_counter() + offset
    with httpx.Client(base_url=base, headers=headers, timeout=30.0) as c:
        while time.time() < deadline and not stop.is_set():
            if interval is not None:  # paced: one next+submit cycle every `interval` seconds (a trainer's pace)
                wait = next_start - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                next_start = max(next_start + interval, time.perf_counter() - interval)  # no catch-up bursts
            try:
                t0 = time.perf_counter()
                r = c.post(f"/api/v1/projects/{project_id}/next")
                t1 = time.perf_counter()
                if r.status_code == 204:
                    return
                if r.status_code != 200:
                    with lock:
                        out.errors.append(f"next {r.status_code} {r.text[:200]}")
                    time.sleep(0.05)
                    continue
                rid = r.json()["record_id"]
                t2 = time.perf_counter()
                r = c.post(f"/api/v1/projects/{project_id}/records/{rid}/submit",
                           json={"answers": ANSWER, "active_seconds": 12.5})
                t3 = time.perf_counter()
                with lock:
                    out.next_ms.append((t1 - t0) * 1000)
                    out.submit_ms.append((t3 - t2) * 1000)
                    if 200 <= r.status_code < 300:
                        out.acks.append((username, rid))
                    else:
                        out.errors.append(f"submit {r.status_code} {r.text[:200]}")
            except httpx.TransportError:
                with lock:
                    out.connection_failures += 1
                time.sleep(0.1)


def run_load(base: str, seeded: Seeded, timeout: float = 300.0, stop: threading.Event | None = None,
             users: list[str] | None = None, rate: float | None = None) -> LoadResult:
    """Every annotator works the queue at once until it is empty (or `timeout` seconds pass).

    Without `rate` each annotator sends its next request as soon as the last one is answered (a closed
    loop: the server's maximum throughput). With `rate` (requests/s offered by all annotators together)
    each annotator starts a next+submit cycle every ``2 * annotators / rate`` seconds, staggered, so the
    latency is measured at that offered load."""
    out, lock = LoadResult(), threading.Lock()
    stop = stop or threading.Event()
    deadline = time.time() + timeout
    names = users or sorted(seeded.tokens)
    interval = 2 * len(names) / rate if rate else None
    threads = [threading.Thread(target=_worker, args=(base, seeded.project_id, n, seeded.tokens[n], out, lock,
                                                      deadline, stop, interval,
                                                      (interval or 0.0) * i / len(names)), daemon=True)
               for i, n in enumerate(names)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.wall = time.perf_counter() - t0
    return out


def check(db: object, seeded: Seeded, acks: list[tuple[str, int]], complete: bool = True) -> list[str]:
    """The invariants after a run; returns the problems found (empty when all hold). With `complete=False`
    (a run stopped by the clock before the queue was empty) a record may have fewer than k, never more."""
    from assay.store.tables import AnnotationRow, RecordRow, UserRow

    problems: list[str] = []
    with db.write() as s:  # type: ignore[attr-defined]
        per_record = dict(s.execute(select(AnnotationRow.record_id, func.count()).where(
            AnnotationRow.project_id == seeded.project_id, AnnotationRow.status == "submitted")
            .group_by(AnnotationRow.record_id)).all())
        counters = dict(s.execute(select(RecordRow.id, RecordRow.submitted_count)
                                  .where(RecordRow.project_id == seeded.project_id)).all())
        pairs = s.execute(select(AnnotationRow.record_id, UserRow.username, AnnotationRow.status)
                          .join(UserRow, UserRow.id == AnnotationRow.user_id)
                          .where(AnnotationRow.project_id == seeded.project_id)).all()
    for rid, n in counters.items():
        got = per_record.get(rid, 0)
        if got > seeded.k or (complete and got != seeded.k):
            problems.append(f"record {rid} has {got} submitted annotations, not k={seeded.k}")
        if n != got:
            problems.append(f"record {rid}: counter says {n}, table has {got}")
    seen: dict[tuple[int, str], int] = {}
    for rid, user, _status in pairs:
        seen[(rid, user)] = seen.get((rid, user), 0) + 1
    problems += [f"{u} has {n} annotations on record {r}" for (r, u), n in seen.items() if n > 1]
    stored = {(u, r) for r, u, st in pairs if st == "submitted"}
    problems += [f"acknowledged submit by {u} on record {r} is not stored" for u, r in acks if (u, r) not in stored]
    return problems


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]
