"""EXPLAIN ANALYZE of the annotation queue's claim (`queue_statements.NEXT_RECORD`) on PostgreSQL at several
project sizes: how long the claim's SELECT takes and how many record rows it reads as the project grows.

One project of each size, k=2, alone in a schema (`claim_plan`, dropped and made again for each size) of
the test database. Of every 10 records 3 are finished (two submissions, by `a` and `b`), 2 have one submission (by
`a`) and 5 are fresh; every record has one completion (the form judges completions, so the claim is the
`ready` one). Two claimers are measured: `c`, who has judged nothing, and `a`, who judged every partly-judged
record (the order puts those first, and `a` may not have them again: the worst case for any plan that walks
the order). Each figure is the median of 7 runs after 2 warm-ups.

    uv run python bench/claim_plan.py [--sizes 1000,10000,100000] [--url postgresql+psycopg://...] [--plan]
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, inspect, text

from assay.store import queue_statements as Q
from assay.store.engine import make_null_pool_engine
from assay.store.migrate import upgrade

SCHEMA = "claim_plan"
K = 2
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _schema_url(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


def _fresh_schema(url: str) -> str:
    engine = make_null_pool_engine(url)
    with engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    upgrade(_schema_url(url))
    return _schema_url(url)


def _fill(c: Connection, size: int) -> tuple[int, dict[str, int]]:
    """A project of `size` records (see the module docstring); returns its id and the users' ids."""
    users = {n: c.execute(insert(Q.users).values(username=f"{n}{size}", password_hash="x", role="annotator",
                                                 display_name=n).returning(Q.users.c.id)).scalar_one()
             for n in "abc"}
    pid = c.execute(insert(Q.projects).values(name=f"claim-{size}", title="", guidelines="",
                                              annotators_per_record=K, lease_seconds=1800, settings={})
                    .returning(Q.projects.c.id)).scalar_one()
    c.execute(text("INSERT INTO records (project_id, external_id, messages, metadata, source, priority, is_gold, "
                   "submitted_count, leased_count, queued, created_at) "
                   "SELECT :p, 'r' || i, '[]', '{}', '', 0, false, "
                   "CASE WHEN i % 10 < 3 THEN 2 WHEN i % 10 < 5 THEN 1 ELSE 0 END, 0, true, now() "
                   "FROM generate_series(0, :n - 1) AS i ORDER BY i"), {"p": pid, "n": size})
    c.execute(text("INSERT INTO completions (record_id, position, model, text, metadata) "
                   "SELECT id, 0, 'm', 'answer', '{}' FROM records WHERE project_id = :p"), {"p": pid})
    for who, least in (("a", 1), ("b", 2)):  # a judged every judged record, b the finished ones
        c.execute(text("INSERT INTO assignments (project_id, record_id, user_id, status, leased_at, expires_at, "
                       "skip_reason) SELECT :p, id, :u, 'submitted', :at, :at, '' FROM records "
                       "WHERE project_id = :p AND submitted_count >= :least"),
                  {"p": pid, "u": users[who], "at": AT, "least": least})
    if "queue_taken" in {col["name"] for col in inspect(c).get_columns("records")}:
        c.execute(text("UPDATE records SET queue_taken = CASE WHEN submitted_count + leased_count < :k "
                       "THEN submitted_count + leased_count END WHERE project_id = :p"), {"k": K, "p": pid})
    c.execute(text("ANALYZE"))
    return pid, users


def _claim_sql(c: Connection, params: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """The claim's SQL and parameters as PostgreSQL receives them (psycopg's %(name)s parameters)."""
    compiled = Q.NEXT_RECORD[True].compile(dialect=c.dialect)
    return str(compiled), dict(compiled.construct_params(params))


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *[n for child in plan.get("Plans", []) for n in _nodes(child)]]


def _explain(c: Connection, params: dict[str, int]) -> dict[str, Any]:
    """One EXPLAIN (ANALYZE, BUFFERS) of the claim, rolled back (it locks the row it finds)."""
    with c.begin_nested():
        sql, bound = _claim_sql(c, params)
        raw = c.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, bound).scalar_one()
    doc = raw[0] if isinstance(raw, list) else json.loads(raw)[0]
    nodes = _nodes(doc["Plan"])
    on_records = [n for n in nodes if n.get("Relation Name") == "records"]
    read = sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0) for n in on_records)
    return {"ms": doc["Execution Time"], "records_read": read,
            "sort": any(n["Node Type"] == "Sort" for n in nodes),
            "buffers": doc["Plan"].get("Shared Hit Blocks", 0) + doc["Plan"].get("Shared Read Blocks", 0),
            "plan": doc["Plan"]}


def measure(url: str, sizes: list[int], show_plan: bool) -> None:
    print("| records | claimer | ms (median of 7) | record rows read | buffers | sort |")
    print("|---:|---|---:|---:|---:|---|")
    for size in sizes:
        engine = make_null_pool_engine(_fresh_schema(url))
        with engine.begin() as c:
            pid, users = _fill(c, size)
        with engine.connect() as c:
            for who in "ca":
                params = {"project_id": pid, "user_id": users[who], "k": K}
                runs = [_explain(c, params) for _ in range(9)][2:]
                last = runs[-1]
                ms = statistics.median(r["ms"] for r in runs)
                print(f"| {size:,} | {who} | {ms:.3f} | {last['records_read']:,} | {last['buffers']:,} | "
                      f"{'yes' if last['sort'] else 'no'} |", flush=True)
                if show_plan:
                    print(json.dumps(last["plan"], indent=1))
            c.rollback()
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--plan", action="store_true", help="print the last plan of each measurement")
    args = ap.parse_args()
    measure(args.url, [int(s) for s in args.sizes.split(",")], args.plan)


if __name__ == "__main__":
    main()
