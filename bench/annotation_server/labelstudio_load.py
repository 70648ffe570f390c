"""The same claim-and-submit load against Label Studio under uWSGI (its production server).

N annotators (`loadgen.py`, the generator Assay is measured with; legacy API tokens) each loop `GET /api/projects/{id}/next` →
`POST /api/tasks/{task}/annotations?project={id}` until `next` answers 404, over the same records as
`assay_load.py`, with overlap 2 (`maximum_annotations=2`). Afterwards the project is exported and the
annotations per task are counted (overlap respected = every task has exactly 2, nobody twice on a task).

Label Studio lives in its own venv, never in Assay's:

    python3 -m venv /work/peers/label-studio
    /work/peers/label-studio/bin/pip install label-studio==1.23.2 uwsgi
    uv run python bench/annotation_server/labelstudio_load.py --records 150 --annotators 20

Settings follow /work/shared/notes/peer-benchmarks.md and Label Studio's deploy/uwsgi.ini: 2 × cores
processes, 1 thread each, master, lazy-apps, thunder-lock, DJANGO_SETTINGS_MODULE=core.settings.label_studio,
COLLECT_ANALYTICS=false, SENTRY_DSN= (no analytics threads), DEBUG=false, LOG_LEVEL=WARNING. The database
(PostgreSQL `labelstudio_bench` on 127.0.0.1, or a SQLite file) is made from a template that `label-studio
init` migrates once (about 2–3 minutes the first time; later runs copy the template).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import measure
from bench.annotation_server.harness import free_port, percentile

HERE = Path(__file__).resolve().parent
LS_VENV = Path(os.environ.get("LABEL_STUDIO_VENV", "/work/peers/label-studio"))
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN = "admin@bench.local", "bench-admin-pass-123", "benchadmintoken0123456789"
LABEL_CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
  <Pairwise name="preference" toName="answer1,answer2"/>
  <TextArea name="rationale" toName="prompt"/>
</View>"""
RESULT = [{"from_name": "preference", "to_name": "answer1", "type": "pairwise", "value": {"selected": "left"}},
          {"from_name": "rationale", "to_name": "prompt", "type": "textarea",
           "value": {"text": ["a is more accurate"]}}]


def tasks(n: int) -> list[dict[str, dict[str, str]]]:
    """The records of `bench.annotation_server.harness.seed`, as Label Studio tasks."""
    return [{"data": {"prompt": f"Question {i}: explain item {i}.", "answer1": f"Answer A to {i}. " * 20,
                      "answer2": f"Answer B to {i}. " * 20}} for i in range(n)]


def _psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db, "-qc", sql],
                   check=True, capture_output=True)


def _pg_exists(name: str) -> bool:
    out = subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", "postgres", "-tAc",
                          f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True, check=False)
    return out.stdout.strip() == "1"


@dataclass
class LabelStudio:
    """A Label Studio instance: its environment, database and uWSGI server."""

    backend: str = "postgres"  # | "sqlite"
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ls-bench-")))
    port: int = field(default_factory=free_port)
    processes: int = 2 * (os.cpu_count() or 1)
    proc: subprocess.Popen[bytes] | None = None
    db_name: str = "labelstudio_bench"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def package_dir(self) -> Path:
        found = list((LS_VENV / "lib").glob("python3*/site-packages/label_studio"))
        if not found:
            raise SystemExit(f"Label Studio is not installed in {LS_VENV}; see this file's docstring")
        return found[0]

    def env(self, db_name: str | None = None, sqlite_file: Path | None = None) -> dict[str, str]:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="core.settings.label_studio", COLLECT_ANALYTICS="false",
                   SENTRY_DSN="", FRONTEND_SENTRY_DSN="", LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
                   LOG_LEVEL="WARNING", DEBUG="false", LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
                   SECRET_KEY="bench-secret-key-not-for-production", PATH=f"{LS_VENV / 'bin'}:{os.environ['PATH']}")
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONPATH", None)
        if self.backend == "postgres":
            env.update(DJANGO_DB="default", POSTGRE_NAME=db_name or self.db_name, POSTGRE_USER=PG["user"],
                       POSTGRE_PASSWORD="", POSTGRE_HOST=PG["host"], POSTGRE_PORT=PG["port"])
        else:
            env.update(DJANGO_DB="sqlite", DATABASE_NAME=str(sqlite_file or self.data_dir / "label_studio.sqlite3"))
        return env

    def _init(self, env: dict[str, str]) -> None:
        subprocess.run([str(LS_VENV / "bin" / "label-studio"), "init", "bench", "--username", ADMIN_EMAIL,
                        "--password", ADMIN_PASSWORD, "--user-token", ADMIN_TOKEN, "--agree-fix-sqlite",
                        "--no-browser"], env=env, check=True, capture_output=True, cwd=self.data_dir)

    def prepare_database(self) -> None:
        """A fresh database copied from a migrated template (made with `label-studio init` when missing)."""
        if self.backend == "postgres":
            template = "labelstudio_template"
            if not _pg_exists(template):
                _psql(f"CREATE DATABASE {template}")
                self._init(self.env(template))
            _psql(f"DROP DATABASE IF EXISTS {self.db_name}")
            _psql(f"CREATE DATABASE {self.db_name} TEMPLATE {template}")
        else:
            template_file = Path(tempfile.gettempdir()) / "labelstudio_template.sqlite3"
            if not template_file.exists():
                self._init(self.env(sqlite_file=template_file))
            shutil.copy(template_file, self.data_dir / "label_studio.sqlite3")

    def create_annotators(self, n: int) -> dict[str, str]:
        out = subprocess.run([str(LS_VENV / "bin" / "python"), str(HERE / "labelstudio_setup.py"), "ann", str(n)],
                             env=self.env(), check=True, capture_output=True, text=True)
        return dict(json.loads(out.stdout.strip().splitlines()[-1])["tokens"])

    def start(self, timeout: float = 180.0) -> None:
        """uWSGI with deploy/uwsgi.ini's settings (all processes started up front, not `cheaper`)."""
        ini = self.data_dir / "uwsgi.ini"
        ini.write_text(f"""[uwsgi]
chdir = {self.package_dir}
http = 127.0.0.1:{self.port}
module = core.wsgi:application
master = true
single-interpreter = true
processes = {self.processes}
threads = 1
vacuum = true
die-on-term = true
buffer-size = 65535
http-timeout = 300
need-app = true
env = APP_WEBSERVER=uwsgi
ignore-sigpipe = true
ignore-write-errors = true
disable-write-exception = true
harakiri = 120
post-buffering = 4096
disable-logging = true
log-5xx = true
enable-threads = true
thunder-lock = true
lazy-apps = true
max-requests = 5000
reload-on-rss = 2048
worker-reload-mercy = 300
""")
        self.log = open(self.data_dir / "uwsgi.log", "ab")  # noqa: SIM115 - kept open while uWSGI runs
        self.proc = subprocess.Popen([str(LS_VENV / "bin" / "uwsgi"), "--ini", str(ini)], env=self.env(),
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.rss = measure.PeakRss(self.proc.pid)  # the whole tree's resident memory, from the start
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uwsgi exited with {self.proc.returncode}; see {self.log.name}")
            ready = (self.data_dir / "uwsgi.log").read_text(errors="replace").count("WSGI app 0 (mountpoint='') ready")
            try:  # every worker has loaded the app (lazy-apps) and the router answers
                if ready >= self.processes and httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"Label Studio did not answer /health within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the uWSGI master, its HTTP router and its workers (live or reaped),
        from their start."""
        assert self.proc is not None
        return measure.tree_cpu_seconds(self.proc.pid)


def installed_versions() -> dict[str, str]:
    """The versions of Label Studio and uWSGI in its venv (read from their dist-info directories)."""
    out: dict[str, str] = {}
    for name in ("label_studio", "uwsgi", "django"):
        found = sorted((LS_VENV / "lib").glob(f"python3*/site-packages/{name}-*.dist-info"), key=lambda d: d.name.lower())
        if not found:
            found = sorted(d for d in (LS_VENV / "lib").glob("python3*/site-packages/*.dist-info")
                           if d.name.lower().startswith(name.lower() + "-"))
        if found:
            out[name] = found[-1].name.removesuffix(".dist-info").split("-", 1)[1]
    return out


def flows(project_id: int, tokens: dict[str, str]) -> dict[str, loadgen.Flow]:
    """Each annotator's next → submit over Label Studio's API for `loadgen` (the generator Assay is measured
    with). uWSGI's HTTP router closes each connection after the response, so the client says
    `Connection: close` and connects again for the next request."""

    def parse_next(status: int, body: bytes) -> int | None:
        if status == 404:  # nothing more for this person
            return None
        if status != 200:
            raise loadgen.Retry(body[:200].decode(errors="replace"))
        return int(json.loads(body)["id"])

    def submit(task_id: int) -> tuple[str, str, dict[str, object]]:
        return ("POST", f"/api/tasks/{task_id}/annotations?project={project_id}",
                {"result": RESULT, "lead_time": 12.5, "project": project_id})

    return {name: loadgen.Flow("GET", f"/api/projects/{project_id}/next", parse_next, submit,
                               {"Authorization": f"Token {token}"}, keep_alive=False)
            for name, token in tokens.items()}


def overlap_check(client: httpx.Client, project_id: int, n_tasks: int, k: int) -> dict[str, int]:
    """Count annotations per task in Label Studio's export: tasks with exactly k, fewer, more; people twice."""
    r = client.get(f"/api/projects/{project_id}/export", params={"exportType": "JSON"}, timeout=300)
    r.raise_for_status()
    exported = r.json()
    counts = {"tasks": len(exported), "exactly_k": 0, "under_k": 0, "over_k": 0, "same_person_twice": 0,
              "annotations": 0}
    for t in exported:
        anns = [a for a in t.get("annotations", []) if not a.get("was_cancelled")]
        counts["annotations"] += len(anns)
        n = len(anns)
        counts["exactly_k" if n == k else "under_k" if n < k else "over_k"] += 1
        people = [a.get("completed_by") for a in anns]
        counts["same_person_twice"] += len(people) - len(set(people))
    counts["under_k"] += max(n_tasks - len(exported), 0)
    return counts


def run(n_records: int, n_annotators: int, backend: str = "postgres", timeout: float = 1800.0,
        seconds: float | None = None, postmaster: int | None = None) -> dict[str, object]:
    """Set Label Studio up, drive the load with `loadgen` (as Assay), check overlap. Returns the figures.

    `seconds` stops the load after that long (a fixed-length window: tasks may then have fewer than 2, never
    more). CPU: `cpu_s` is uWSGI's whole process tree from its start (interpreter, Django imports in each
    lazy-app worker, the warm-up requests) to the end of the load, less what creating the project and
    importing the tasks cost; `startup_cpu_s` is the part before the project was created. `postmaster`:
    the PostgreSQL server's pid, whose whole tree's CPU over the load (a backend per request here) is
    `db_cpu_s`; `cpu_ms_per_request` is (`cpu_s` + `db_cpu_s`) per request."""
    ls = LabelStudio(backend=backend)
    ls.prepare_database()
    tokens = ls.create_annotators(n_annotators)
    ls.start()
    try:
        startup = ls.cpu_seconds()
        admin = httpx.Client(base_url=ls.url, headers={"Authorization": f"Token {ADMIN_TOKEN}", "Connection": "close"},
                             timeout=300)
        p = admin.post("/api/projects", json={"title": "bench", "label_config": LABEL_CONFIG,
                                              "maximum_annotations": 2, "overlap_cohort_percentage": 100})
        p.raise_for_status()
        pid = p.json()["id"]
        admin.post(f"/api/projects/{pid}/import", json=tasks(n_records)).raise_for_status()
        setup = ls.cpu_seconds() - startup  # creating the project and importing: not part of the load
        warm = [threading.Thread(target=lambda t=t: httpx.get(f"{ls.url}/api/projects/{pid}",
                                                              headers={"Authorization": f"Token {t}"}, timeout=60))
                for t in list(tokens.values())[: 4 * ls.processes]]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        db0 = measure.tree_cpu_seconds(postmaster) if backend == "postgres" and postmaster else 0.0
        out = loadgen.run(ls.url, flows(pid, tokens), timeout=seconds or timeout)
        cpu = ls.cpu_seconds() - setup
        db_cpu = measure.tree_cpu_seconds(postmaster) - db0 if backend == "postgres" and postmaster else 0.0
        peak = ls.rss.stop()
        overlap = overlap_check(admin, pid, n_records, 2)
    finally:
        ls.stop()
    n = len(out.next_ms) + len(out.submit_ms)
    return {"server": f"label-studio uwsgi x{ls.processes}", "db": backend, "requests": n, "wall_s": out.wall,
            "rps": n / out.wall if out.wall else 0.0, "cpu_s": cpu, "startup_cpu_s": startup, "db_cpu_s": db_cpu,
            "cpu_ms_per_request": 1000 * (cpu + db_cpu) / max(n, 1), "db_cpu_ms_per_request": 1000 * db_cpu / max(n, 1),
            "peak_rss_mb": peak / 2**20,
            "next_p50": percentile(out.next_ms, 50), "next_p95": percentile(out.next_ms, 95),
            "submit_p50": percentile(out.submit_ms, 50), "submit_p95": percentile(out.submit_ms, 95),
            "errors": len(out.errors), "acks": len(out.acks), "expected": 2 * n_records,
            "queue_emptied": overlap["exactly_k"] == n_records, **overlap, "first_errors": out.errors[:3]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=150)
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--seconds", type=float, default=None,
                    help="stop the load after this many seconds (default: when the queue is empty)")
    a = ap.parse_args()
    print("command:", "uv run python bench/annotation_server/labelstudio_load.py " + shlex.join(sys.argv[1:]))
    print("versions:", installed_versions())
    pm = measure.postmaster_pid(f"host={PG['host']} port={PG['port']} user={PG['user']} dbname=postgres") if a.db == "postgres" else None
    res = run(a.records, a.annotators, a.db, seconds=a.seconds, postmaster=pm)
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items()), flush=True)


if __name__ == "__main__":
    main()
