"""Claim-and-submit load against Assay served by uvicorn (1 and 2 worker processes), SQLite or PostgreSQL.

Prints requests per second, p50/p95 latency of `next` and `submit`, server CPU seconds and the invariant
check, for each worker count, plus the command that reproduces the run.

    uv run python bench/annotation_server/assay_load.py --records 200 --annotators 20 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_assay

(The PostgreSQL database must exist: `createdb -h 127.0.0.1 -U postgres bench_assay`; its schema is reset.)
Label Studio on the same load: see README.md in this folder (not automated yet).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import reset_postgres
from tests.load.harness import AssayServer, check, percentile, run_load, seed


def one(workers: int, n_records: int, n_annotators: int, url: str) -> dict[str, float]:
    from assay.config import load_settings
    from assay.services.db import open_db
    from assay.store.migrate import upgrade

    data = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    if url:
        reset_postgres(url)
    settings = load_settings(data_dir=data, database_url=url)
    upgrade(settings.resolved_database_url)
    db = open_db(settings, migrate=False)
    seeded = seed(db, n_records, 2, n_annotators, name=f"bench{workers}w")
    server = AssayServer(data, url, workers=workers)
    server.start()
    try:
        cpu0 = server.cpu_seconds()
        r = run_load(server.url, seeded, timeout=900)
        cpu = server.cpu_seconds() - cpu0
    finally:
        server.stop()
    problems = check(db, seeded, r.acks)
    db.close()
    n = len(r.next_ms) + len(r.submit_ms)
    return {"workers": workers, "requests": n, "wall_s": r.wall, "rps": n / r.wall, "cpu_s": cpu,
            "cpu_ms_per_request": 1000 * cpu / max(n, 1),
            "next_p50": percentile(r.next_ms, 50), "next_p95": percentile(r.next_ms, 95),
            "submit_p50": percentile(r.submit_ms, 50), "submit_p95": percentile(r.submit_ms, 95),
            "errors": len(r.errors), "problems": len(problems)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--database-url", default="", help="PostgreSQL URL (default: a SQLite file)")
    a = ap.parse_args()
    print("command:", "uv run python bench/annotation_server/assay_load.py " + shlex.join(sys.argv[1:]))
    for w in (int(x) for x in a.workers.split(",")):
        res = one(w, a.records, a.annotators, a.database_url)
        print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items()), flush=True)


if __name__ == "__main__":
    main()
