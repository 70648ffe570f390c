"""Time one REST call adding N records (default 5,000, two completions each) to a project, through the real
app in-process (FastAPI TestClient: routing, validation, auth and the service; no network), then the same
call again (every id already there: the idempotent path).

Reproduce: uv run python bench/api_records.py --n 5000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from assay.config import load_settings
    from assay.services.accounts import auth, users
    from assay.store.db import open_db
    from assay.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        db = open_db(settings)
        lead = users.add_user(db, "lead", "lead-password-1", "lead")
        token, _ = auth.create_api_token(db, lead.id, "bench")
        c = TestClient(create_app(settings, db), headers={"Authorization": f"Bearer {token}"})
        pid = c.post("/api/v1/projects", json={"name": "bench", "questions": [
            {"name": "preference", "kind": "pairwise"}]}).json()["id"]
        body = [{"id": f"r{i}", "prompt": f"Question number {i}: explain something " * 3,
                 "completions": [{"model": "a", "text": f"answer A {i} " * 20}, {"model": "b", "text": f"answer B {i} " * 20}],
                 "metadata": {"i": i}} for i in range(args.n)]
        times = {}
        for label in ("create", "again (all existing)"):
            w0, c0 = time.perf_counter(), _cpu()
            r = c.post(f"/api/v1/projects/{pid}/records", json=body)
            times[label] = (time.perf_counter() - w0, _cpu() - c0, r.json())
        db.close()
    for label, (wall, cpu, res) in times.items():
        print(f"{label:22s} {args.n} records: {wall:6.2f} s wall, {cpu:6.2f} CPU s, "
              f"{args.n / wall:7.0f} records/s  → {res}")
    print(f"ratio create / again: {times['create'][0] / times['again (all existing)'][0]:.1f}x")
    print("reproduce: uv run python bench/api_records.py --n", args.n)


if __name__ == "__main__":
    main()
