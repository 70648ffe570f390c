"""Time the review page (one item of the queue, with its position and the count of every queue view) as the
queue grows: the full HTML page through the real app in-process (FastAPI TestClient: routing, auth, the
service's queries, the template; no network).

The project: `--records` records made from the HH harmless-base test split (real pairs, cycled with new ids),
k = 2, every record judged by two people through the judgment import (every other record disagreeing), none
reviewed yet, so 2 × records annotations wait. Cases, each timed `--repeat` times after one warm-up (wall
time, and the process's CPU time per request, which a busy machine disturbs less):

- first item     /projects/{id}/review                         (pending view, counts of all three views)
- disagreement   ?show=disagreement                            (records whose two judgments differ)
- deep item      ?at=<an annotation near the end>&i=<its position>
- one annotator  ?annotator=u2

Reproduce:
    uv run python bench/review_page/run.py --records 5000
    uv run python bench/review_page/run.py --records 5000 --db postgresql://127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hh-rlhf-harmless-base" / "test.jsonl.gz"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def build(db: Any, n: int) -> int:
    from assay.domain.projects import ProjectSpec
    from assay.domain.questions import Question
    from assay.domain.records import Completion, Message, Record
    from assay.services.annotation.judgments import import_judgments
    from assay.services.projects import projects

    with gzip.open(HH, "rt", encoding="utf-8") as f:
        base = [json.loads(line) for line in f if line.strip()]
    p = projects.create_project(db, ProjectSpec(name="bench-review", questions=[Question("preference", "pairwise")],
                                                annotators_per_record=2))

    def rec(i: int) -> Record:
        row = base[i % len(base)]
        chosen, rejected = row["chosen"], row["rejected"]
        cut = chosen.rfind("\n\nAssistant:")
        a, b = ("a", "a") if i % 2 == 0 else ("a", "b")
        return Record(external_id=f"hh-{i:06d}", messages=[Message("user", chosen[:cut].strip())],
                      completions=[Completion(chosen[cut + 12:].strip(), "m1"),
                                   Completion(rejected[cut + 12:].strip(), "m2")],
                      metadata={"judgments": [{"annotator": "u1", "answer": {"choice": a, "strength": 2}},
                                              {"annotator": "u2", "answer": {"choice": b, "strength": 1}}]})

    t0 = time.perf_counter()
    for start in range(0, n, 10_000):
        import_judgments(db, p.id, [rec(i) for i in range(start, min(start + 10_000, n))], "preference",
                         source="bench")
    print(f"built {n:,} records judged twice ({2 * n:,} annotations waiting) in {time.perf_counter() - t0:.0f} s",
          flush=True)
    return p.id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (its public schema is reset!)")
    ap.add_argument("--records", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from assay.config import load_settings
    from assay.services.accounts import auth, users
    from assay.store.db import open_db
    from assay.web.app import create_app

    data = Path(tempfile.mkdtemp(prefix="bench-review-"))
    url = None if args.db == "sqlite" else args.db.replace("postgresql://", "postgresql+psycopg://", 1)
    if url:
        eng = create_engine(url)
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        eng.dispose()
    settings = load_settings(data_dir=data, database_url=url)
    db = open_db(settings, migrate=True)
    admin = users.add_user(db, "reviewer", "reviewer-password-1", "admin")
    pid = build(db, args.records)
    token, _ = auth.create_api_token(db, admin.id, "bench")
    c = TestClient(create_app(settings, db), headers={"Authorization": f"Bearer {token}"}).__enter__()
    first = c.get(f"/projects/{pid}/review").text
    total = int(re.search(r'data-testid="review-position">1 of (\d+)<', first).group(1))  # type: ignore[union-attr]
    deep = c.get(f"/api/v1/projects/{pid}/review/queue", params={"limit": 200}).json()[-1]["annotation_id"]
    cases = {"first item": f"/projects/{pid}/review",
             "disagreement": f"/projects/{pid}/review?show=disagreement",
             "deep item": f"/projects/{pid}/review?at={deep}&i=200",
             "one annotator": f"/projects/{pid}/review?annotator=u2"}
    print(f"{total:,} annotations in the pending view; {args.repeat} runs per case after a warm-up")
    for name, path in cases.items():
        assert c.get(path).status_code == 200
        ms, cpu = [], []
        for _ in range(args.repeat):
            t, t_cpu = time.perf_counter(), _cpu()
            r = c.get(path)
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((_cpu() - t_cpu) * 1000)
            assert r.status_code == 200
        ms.sort()
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(f"{name:14s} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   min {ms[0]:7.1f} ms   "
              f"CPU median {statistics.median(cpu):7.1f} ms")
    print("command: uv run python bench/review_page/run.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()))
    db.close()


if __name__ == "__main__":
    main()
