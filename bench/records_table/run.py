"""Time the records table (the lead's data manager) on a 100k-record project: the full HTML page through the
real app in-process (FastAPI TestClient: routing, auth, the service's queries, the template; no network).

The project: 100,000 records made from the HH harmless-base test split (2,312 real pairs, cycled with new
ids; metadata `src` = hh/hh-copy, `copy` = n), k = 2, 30,000 of them judged by two people through the
judgment import (half agreeing), 500 gold. Cases, each timed `--repeat` times after one warm-up:

- first page      /projects/{id}/records                                   (50 rows, count of all)
- filtered page   ?status=done&agreement=disagreed&meta=src=hh             (three filters at once)
- text search     ?q=<a word in about 1 % of records>                      (substring in messages/completions)
- deep page       ?page=2000  (rows 99,951-100,000, by id)                  (offset over the (project, id) index)
- sorted deep     ?sort=priority&dir=desc&page=1000
- ... via next / via previous: the same deep pages reached by the next/previous link of the page beside
  them (`after=` / `before=` the edge row: keyset over the same index), as a lead pages through
- count: <case>   /projects/{id}/records-count?<same>: the "N records match" the page loads after its rows

Reproduce:
    uv run python bench/records_table/run.py --db sqlite
    uv run python bench/records_table/run.py --db postgresql://127.0.0.1:5432/test
The database is built once per URL/path (`--reuse` keeps a built SQLite file in --data between runs).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hh-rlhf-harmless-base" / "test.jsonl.gz"
SPEC = {"name": "bench-records", "annotators_per_record": 2,
        "questions": [{"name": "preference", "kind": "pairwise"}]}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _pairs() -> list[dict[str, Any]]:
    with gzip.open(HH, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def build(db: Any, n: int, judged: int, gold_n: int) -> int:
    from assay.domain.projects import ProjectSpec
    from assay.domain.questions import Question
    from assay.domain.records import Completion, Message, Record
    from assay.services.annotation.judgments import import_judgments
    from assay.services.projects import projects, records
    from assay.services.quality import gold_records

    spec = ProjectSpec(name=SPEC["name"], questions=[Question("preference", "pairwise")], annotators_per_record=2)
    p = projects.create_project(db, spec)
    base = _pairs()
    t0 = time.perf_counter()

    def rec(i: int) -> Record:
        row = base[i % len(base)]
        chosen, rejected = row["chosen"], row["rejected"]
        cut = chosen.rfind("\n\nAssistant:")
        prompt = chosen[:cut].replace("\n\nHuman:", "\n").strip()
        meta: dict[str, Any] = {"src": "hh" if i % 2 == 0 else "hh-copy", "copy": i // len(base)}
        if i < judged:
            a, b = ("a", "a") if i % 2 == 0 else ("a", "b")
            meta["judgments"] = [{"annotator": "u1", "answer": {"choice": a}}, {"annotator": "u2", "answer": {"choice": b}}]
        return Record(external_id=f"hh-{i:06d}", messages=[Message("user", prompt)],
                      completions=[Completion(chosen[cut + 12:].strip(), "m1"), Completion(rejected[cut + 12:].strip(), "m2")],
                      metadata=meta)

    for start in range(0, judged, 10_000):
        import_judgments(db, p.id, [rec(i) for i in range(start, min(start + 10_000, judged))], "preference",
                         source="bench")
    for start in range(judged, n, 20_000):
        records.import_records(db, p.id, [rec(i) for i in range(start, min(start + 20_000, n))])
    gold_records.set_gold(db, p.id, None, {"preference": {"choice": "a"}},
                          external_ids=[f"hh-{i:06d}" for i in range(n - gold_n, n)])
    print(f"built {n:,} records ({judged:,} judged twice, {gold_n} gold) in {time.perf_counter() - t0:.0f} s",
          flush=True)
    return p.id


def rare_word(db: Any, project_id: int) -> str:
    """A word in roughly 1 % of the records' prompts (so the search has to read far to fill a page)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for row in _pairs():
        for w in set(row["chosen"].lower().split()):
            if w.isalpha() and len(w) > 5:
                counts[w] += 1
    target = len(_pairs()) // 100
    return min(counts, key=lambda w: abs(counts[w] - target))


def _link(c: Any, pid: int, params: dict[str, Any], testid: str) -> dict[str, Any]:
    """The query of the page's next/previous link (it names the edge row: keyset paging)."""
    import html
    import re
    from urllib.parse import parse_qsl

    page = c.get(f"/projects/{pid}/records", params=params).text
    m = re.search(rf'<a href="\?([^"]*)"[^>]*data-testid="{testid}"', page)
    assert m, f"no {testid} link on {params}"
    out = dict(parse_qsl(html.unescape(m.group(1))))
    assert "after" in out or "before" in out, out
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (its public schema is reset!)")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--judged", type=int, default=30_000)
    ap.add_argument("--gold", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--data", default="", help="data folder (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="reuse a database built earlier in --data")
    args = ap.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from assay.config import load_settings
    from assay.services.accounts import auth, users
    from assay.store.db import open_db
    from assay.web.app import create_app

    data = Path(args.data or tempfile.mkdtemp(prefix="bench-records-"))
    data.mkdir(parents=True, exist_ok=True)
    url = None if args.db == "sqlite" else args.db.replace("postgresql://", "postgresql+psycopg://", 1)
    fresh = not (args.reuse and (data / "bench.json").exists())
    if fresh and url:
        eng = create_engine(url)
        with eng.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        eng.dispose()
    if fresh and not url and (data / "assay.db").exists():
        (data / "assay.db").unlink()
    settings = load_settings(data_dir=data, database_url=url)
    db = open_db(settings, migrate=True)
    if fresh:
        lead = users.add_user(db, "lead", "lead-password-1", "admin")
        pid = build(db, args.records, args.judged, args.gold)
        token, _ = auth.create_api_token(db, lead.id, "bench")
        word = rare_word(db, pid)
        (data / "bench.json").write_text(json.dumps({"pid": pid, "token": token, "word": word}))
    if url:  # fresh statistics, as autovacuum would have them on a live server
        with db.write_connection() as conn:
            conn.exec_driver_sql("ANALYZE")
    state = json.loads((data / "bench.json").read_text())
    pid, word = state["pid"], state["word"]
    c = TestClient(create_app(settings, db), headers={"Authorization": f"Bearer {state['token']}"}).__enter__()
    last = -(-args.records // 50)
    cases = {
        "first page": {},
        "filtered page": {"status": "done", "agreement": "disagreed", "meta": "src=hh-copy"},
        f"text search ({word!r})": {"q": word},
        f"deep page ({last})": {"page": last},
        "sorted deep page": {"sort": "priority", "dir": "desc", "page": last // 2},
    }
    # how a lead reaches a deep page: the next / previous link of the page beside it (keyset from its edge row)
    cases[f"deep page ({last}) via next"] = _link(c, pid, {"page": last - 1}, "page-next")
    cases[f"deep page ({last - 1}) via previous"] = _link(c, pid, {"page": last}, "page-prev")
    cases["sorted deep page via next"] = _link(c, pid, {"sort": "priority", "dir": "desc", "page": last // 2 - 1},
                                               "page-next")
    backend = "PostgreSQL" if url else "SQLite"
    print(f"{backend}, {args.records:,} records, {args.repeat} runs per case after one warm-up (ms of wall time; "
          f"cpu: median CPU of this process per request, which serves it in-process); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'case':40} {'p95':>8} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8}  rows  match")
    runs = [(name, "/records", params) for name, params in cases.items()]
    runs += [(f"count: {name}", "/records-count", params) for name, params in cases.items() if "deep" not in name]
    for name, tail, params in runs:
        r = c.get(f"/projects/{pid}{tail}", params=params)
        assert r.status_code == 200, r.text[:300]
        times, cpus = [], []
        for _ in range(args.repeat):
            t, c0 = time.perf_counter(), _cpu()
            r = c.get(f"/projects/{pid}{tail}", params=params)
            times.append((time.perf_counter() - t) * 1000)
            cpus.append((_cpu() - c0) * 1000)
            assert r.status_code == 200
        rows = r.text.count('data-testid="record-row"')
        match = r.text.split(" ", 1)[0] if tail == "/records-count" else ""
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:40} {p95:8.1f} {statistics.median(times):8.1f} {times[0]:8.1f} {times[-1]:8.1f} "
              f"{statistics.median(cpus):8.1f}  {rows:4}  {match}",
              flush=True)
    c.__exit__(None, None, None)
    db.close()


if __name__ == "__main__":
    main()
