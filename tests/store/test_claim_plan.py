"""The claim reads records in the order of its index and stops at the first it may serve: on PostgreSQL its
plan sorts nothing and reads a handful of record rows however many records are open (20,000 here), with the
planner's own plan for the values and with the generic plan a prepared statement ends up with; SQLite's plan
searches the same index and sorts nothing either."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import Connection, insert, text

from assay.store import queue_statements as Q
from assay.store import slots
from assay.store.db import Db

SIZE = 20_000
K = 2


def _fill(c: Connection) -> tuple[int, int]:
    """A project of SIZE records at k=2: of every 10, 3 finished, 2 half-judged, 5 fresh, each with one
    completion. Returns the project's id and that of a person who judged nothing."""
    judge, fresh = (c.execute(insert(Q.users).values(username=n, password_hash="x").returning(Q.users.c.id))
                    .scalar_one() for n in ("judge", "fresh"))
    pid = c.execute(insert(Q.projects).values(name="plan", annotators_per_record=K, settings={})
                    .returning(Q.projects.c.id)).scalar_one()
    c.execute(text("INSERT INTO records (project_id, external_id, messages, metadata, source, priority, is_gold, "
                   "submitted_count, leased_count, queued, created_at) SELECT :p, 'r' || i, '[]', '{}', '', 0, "
                   "false, CASE WHEN i % 10 < 3 THEN 2 WHEN i % 10 < 5 THEN 1 ELSE 0 END, 0, true, now() "
                   "FROM generate_series(1, :n) AS i"), {"p": pid, "n": SIZE})
    c.execute(text("INSERT INTO completions (record_id, position, model, text, metadata) "
                   "SELECT id, 0, 'm', 'answer', '{}' FROM records WHERE project_id = :p"), {"p": pid})
    c.execute(text("INSERT INTO assignments (project_id, record_id, user_id, status, leased_at, expires_at, "
                   "skip_reason) SELECT :p, id, :u, 'submitted', now(), now(), '' FROM records "
                   "WHERE project_id = :p AND submitted_count > 0"), {"p": pid, "u": judge})
    slots.reset_queue_taken(c, pid)
    return pid, fresh


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *[n for child in plan.get("Plans", []) for n in _nodes(child)]]


def _explain(c: Connection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with c.begin_nested():  # the claim locks the record it finds
        raw = c.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).scalar_one()
    return _nodes((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"])


def _numbered(sql: str) -> tuple[str, list[str]]:
    """psycopg's %(name)s parameters as PREPARE's $1, $2, …, and the names in that order."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m[1] not in names:
            names.append(m[1])
        return f"${names.index(m[1]) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), names


def _records_read(nodes: list[dict[str, Any]]) -> int:
    return sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
               for n in nodes if n.get("Relation Name") == "records")


@pytest.mark.postgres
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_the_claim_reads_a_handful_of_records_and_sorts_none(db: Db) -> None:
    with db.engine.connect() as c:
        pid, user = _fill(c)
        c.commit()
        c.exec_driver_sql("ANALYZE")
        compiled = Q.NEXT_RECORD[True].compile(dialect=c.dialect)
        params = dict(compiled.construct_params({"project_id": pid, "user_id": user, "k": K}))

        custom = _explain(c, str(compiled), params)
        numbered, names = _numbered(str(compiled))
        c.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        c.exec_driver_sql("PREPARE claim AS " + numbered)
        generic = _explain(c, f"EXECUTE claim({', '.join(str(params[n]) for n in names)})")
        c.rollback()

    for plan in (custom, generic):
        assert not [n for n in plan if n["Node Type"] in ("Sort", "Incremental Sort")]
        assert any(n.get("Index Name") == "ix_records_claim" for n in plan)
        assert _records_read(plan) <= 5  # the first half-judged record (the order's best) is served


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_sqlite_claims_through_the_index_without_sorting(db: Db) -> None:
    for ready in (False, True):
        compiled = Q.NEXT_RECORD[ready].compile(dialect=db.engine.dialect)
        params = compiled.construct_params({"project_id": 1, "user_id": 1, "k": K})
        with db.engine.connect() as c:
            plan = " / ".join(str(row[3]) for row in c.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(params[n] for n in compiled.positiontup or ())))
        assert "USING INDEX ix_records_claim" in plan and "TEMP B-TREE" not in plan, plan
