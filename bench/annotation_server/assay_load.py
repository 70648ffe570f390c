"""Claim-and-submit load against Assay served by `assay serve --workers N`, SQLite or PostgreSQL.

Prints requests per second, p50/p95 latency of `next` and `submit`, CPU seconds of the server's whole process
tree from its start and of the PostgreSQL server during the load, the peak resident memory of the server's
process tree, and the invariant check (exactly k per record, nobody twice, every acknowledged submit stored;
at most k when `--seconds` stops the load first), for each worker count, plus the command that reproduces
the run. `compare.py` runs this and Label Studio in alternating windows.

    uv run python bench/annotation_server/assay_load.py --records 200 --annotators 20 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_assay

(The PostgreSQL database is dropped and created again by the bench: give it one of its own.)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import measure
from bench.annotation_server.harness import ANSWER, AssayServer, Seeded, check, percentile, run_load, seed


def reset_database(url: str) -> None:
    """Drop and recreate the PostgreSQL database named in `url` (the bench owns it)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    server = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def postmaster(url: str) -> int:
    """The pid of the PostgreSQL server behind `url` (a SQLAlchemy URL; the server runs on this machine)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return measure.postmaster_pid(u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False))


class ServeCommand(AssayServer):
    """`assay serve --workers N` in a subprocess (its own session, so stop/kill reach every worker)."""

    def start(self, timeout: float = 120.0) -> None:
        cmd = [str(Path(sys.executable).parent / "assay"), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir), "--workers", str(self.workers)]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        self.log = open(self.data_dir / f"server-{self.port}.log", "ab")  # noqa: SIM115 - open while it runs
        env = dict(os.environ, ASSAY_LOG_LEVEL="warning")
        env.pop("ASSAY_DATABASE_URL", None)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.rss = measure.PeakRss(self.proc.pid)  # the whole tree's resident memory, from the start
        deadline, ready = time.time() + timeout, 0
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:  # every worker answers (several requests, so each process has imported the app)
                ready = ready + 1 if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200 else 0
                if ready >= 4 * self.workers:
                    return
            except httpx.HTTPError:
                ready = 0
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer /healthz within {timeout}s")


def flows(seeded: Seeded) -> dict[str, loadgen.Flow]:
    """Each annotator's next → submit over Assay's JSON API (`POST …/next`, 204 when the queue is empty)."""
    pid = seeded.project_id

    def parse_next(status: int, body: bytes) -> int | None:
        if status == 204:
            return None
        if status != 200:
            raise loadgen.Retry(body[:200].decode(errors="replace"))
        return int(json.loads(body)["record_id"])

    def submit(rid: int) -> tuple[str, str, dict[str, object]]:
        return "POST", f"/api/v1/projects/{pid}/records/{rid}/submit", {"answers": ANSWER, "active_seconds": 12.5}

    return {name: loadgen.Flow("POST", f"/api/v1/projects/{pid}/next", parse_next, submit,
                               {"Authorization": f"Bearer {token}"}) for name, token in seeded.tokens.items()}


def one(workers: int, n_records: int, n_annotators: int, url: str, rate: float | None = None,
        client: str = "asyncio", seconds: float | None = None, postmaster: int | None = None) -> dict[str, object]:
    """One run on a fresh database and project; `rate` (requests/s offered in all) paces the annotators
    instead of a closed loop; `seconds` stops the load after that long (a fixed-length window; the queue need
    not be empty, so the check is then "at most k"). `client`: "asyncio" (`loadgen`, the generator both servers
    are measured with) or "threads" (the correctness tests' httpx threads). `postmaster`: the PostgreSQL
    server's pid, whose whole process tree's CPU over the load is reported as `db_cpu_s`.

    CPU: `cpu_s` is the server's whole process tree from its start (interpreter, imports, app, the health
    checks that wait for it) to the end of the load, `startup_cpu_s` the part before the load;
    `cpu_ms_per_request` is (`cpu_s` + `db_cpu_s`) per request."""
    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.store.migrate import upgrade

    data = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    if url:
        reset_database(url)
    settings = load_settings(data_dir=data, database_url=url)
    upgrade(settings.resolved_database_url)
    db = open_db(settings, migrate=False)
    seeded = seed(db, n_records, 2, n_annotators, name=f"bench{workers}w")
    server = ServeCommand(data, url, workers=workers)
    server.start()
    try:
        assert server.proc is not None
        startup = measure.tree_cpu_seconds(server.proc.pid)
        db0 = measure.tree_cpu_seconds(postmaster) if url and postmaster else 0.0
        timeout = seconds or 900
        if client == "threads":
            r = run_load(server.url, seeded, timeout=timeout, rate=rate)
        else:
            r = loadgen.run(server.url, flows(seeded), timeout=timeout, rate=rate)  # type: ignore[assignment]
        cpu = measure.tree_cpu_seconds(server.proc.pid)
        db_cpu = measure.tree_cpu_seconds(postmaster) - db0 if url and postmaster else 0.0
        peak = server.rss.stop()
    finally:
        server.stop()
    problems = check(db, seeded, r.acks, complete=seconds is None)
    db.close()
    n = len(r.next_ms) + len(r.submit_ms)
    return {"server": f"assay serve --workers {workers}" + (f" paced {rate:.0f} req/s" if rate else ""),
            "db": "postgres" if url else "sqlite", "requests": n, "wall_s": r.wall, "rps": n / r.wall,
            "cpu_s": cpu, "startup_cpu_s": startup, "db_cpu_s": db_cpu,
            "cpu_ms_per_request": 1000 * (cpu + db_cpu) / max(n, 1), "db_cpu_ms_per_request": 1000 * db_cpu / max(n, 1),
            "peak_rss_mb": peak / 2**20,
            "next_p50": percentile(r.next_ms, 50), "next_p95": percentile(r.next_ms, 95),
            "submit_p50": percentile(r.submit_ms, 50), "submit_p95": percentile(r.submit_ms, 95),
            "errors": len(r.errors), "acks": len(r.acks), "expected": seeded.k * n_records,
            "queue_emptied": len(r.acks) == seeded.k * n_records,
            "problems": len(problems), "first_errors": r.errors[:3]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--database-url", default="", help="PostgreSQL URL (default: a SQLite file)")
    ap.add_argument("--rate", type=float, default=None,
                    help="offered requests/s in all (paced annotators); default: a closed loop")
    ap.add_argument("--client", choices=["asyncio", "threads"], default="asyncio",
                    help="load generator: asyncio (bench/annotation_server/loadgen.py, also used for Label Studio) "
                         "or threads (one httpx client per thread, as the correctness tests)")
    ap.add_argument("--seconds", type=float, default=None,
                    help="stop the load after this many seconds (default: when the queue is empty)")
    a = ap.parse_args()
    print("command:", "uv run python bench/annotation_server/assay_load.py " + shlex.join(sys.argv[1:]))
    pm = postmaster(a.database_url) if a.database_url else None
    for w in (int(x) for x in a.workers.split(",")):
        res = one(w, a.records, a.annotators, a.database_url, a.rate, a.client, a.seconds, pm)
        print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items()), flush=True)


if __name__ == "__main__":
    main()
