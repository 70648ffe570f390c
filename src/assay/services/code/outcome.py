"""The hidden-test outcome summary kept in a code record's metadata (`code_outcome`, see
`assay.services.code.hidden`): refreshed in the transaction that finishes each hidden run."""

from __future__ import annotations

from datetime import UTC, datetime

from assay.store.db import Tx
from assay.store.queries import code as code_q
from assay.store.tables_code import CodeRunRow


def after_hidden_run(s: Tx, row: CodeRunRow) -> None:
    """Refresh the record's `code_outcome` with the finished hidden run `row`.

    The record is read FOR UPDATE (PostgreSQL): the hidden runs of a record's candidates finish in
    parallel, and without the lock two of them would both read the old metadata and the later commit
    would drop the other's result (SQLite transactions are already one at a time)."""
    rec = code_q.lock_record(s, row.record_id)
    if rec is None:
        return
    meta = dict(rec.meta or {})
    outcome = dict(meta.get("code_outcome") or {})
    hidden = dict(outcome.get("hidden") or {})
    r = row.result or {}
    total, passed = int(r.get("total", 0)), int(r.get("passed", 0))
    hidden[str(row.candidate)] = {"passed": passed, "total": total,
                                  "pass_rate": round(passed / total, 4) if total else None,
                                  "status": r.get("status", "") if row.state == "done" else "failed",
                                  "state": row.state}
    outcome["hidden"] = hidden
    outcome["checked_at"] = datetime.now(UTC).isoformat()
    meta["code_outcome"] = outcome
    code_q.set_record_meta(s, rec, meta)
