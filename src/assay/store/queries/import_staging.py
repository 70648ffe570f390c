"""Staging an import: records go first into temporary tables of one kept connection, a chunk per short
write transaction, then into the project in one `publish` transaction of three INSERT … SELECT statements.

Why: on SQLite writers are serialised, and writing 40k records with their completions through the ORM
held the one writer lock for tens of seconds (annotators' draft saves waited out the busy timeout).
Staging takes the lock a few milliseconds per chunk; publishing copies rows inside the database (no
Python per row) in well under a second. The import stays all-or-nothing: until `publish` commits, nothing
is in the project's tables, and temporary tables vanish with their connection, so a killed import leaves
nothing behind (no cleanup, no half-published state).

Temporary tables exist on SQLite and PostgreSQL alike (per connection); `drop` removes them before the
connection goes back to the pool. Functions take the kept connection, never commit (`Db.write_on` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from assay.domain.records import Record
from assay.store.tables import CompletionRow, RecordRow
from assay.store.tables_generation import SuggestionRow

# (question, answer, rationale, model) of a suggestion a record brings with it
Prefilled = tuple[str, dict[str, Any], str, str]

_meta = MetaData()
STAGE_RECORDS = Table(
    "assay_stage_records", _meta,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("external_id", String(200), nullable=False),
    Column("messages", JSON), Column("meta", JSON), Column("code", JSON),
    Column("source", String(500)), Column("priority", Integer),
    Column("fresh", Boolean, nullable=False, default=False),
    # a gold record's expected answers (an import's `gold` / `expected` field); SQL NULL: not gold
    Column("is_gold", Boolean, nullable=False, default=False), Column("gold", JSON(none_as_null=True)),
    prefixes=["TEMPORARY"])
STAGE_COMPLETIONS = Table(
    "assay_stage_completions", _meta,
    Column("seq", Integer, nullable=False), Column("position", Integer), Column("model", String(200)),
    Column("text", Text), Column("meta", JSON),
    prefixes=["TEMPORARY"])
STAGE_SUGGESTIONS = Table(
    "assay_stage_suggestions", _meta,
    Column("seq", Integer, nullable=False), Column("question", String(80)), Column("model", String(200)),
    Column("answer", JSON), Column("rationale", Text),
    prefixes=["TEMPORARY"])
_TABLES = (STAGE_RECORDS, STAGE_COMPLETIONS, STAGE_SUGGESTIONS)


def create(conn: Connection) -> None:
    """Create the (empty) staging tables on this connection; leftovers of an earlier import on a pooled
    connection are dropped first."""
    drop(conn)
    for t in _TABLES:
        t.create(conn)


def drop(conn: Connection) -> None:
    for t in reversed(_TABLES):
        conn.execute(text(f"DROP TABLE IF EXISTS {t.name}"))


def hold_checkpoints(conn: Connection, hold: bool) -> None:
    """SQLite: while held, commits on this connection leave the WAL to grow instead of copying it back into
    the database file (an automatic checkpoint runs inside COMMIT, so inside the writer lock, and after a
    publish it would copy every published page while everyone else waits). Release it (and the connection
    checkpoints like any other again) before the connection goes back to the pool. No-op elsewhere."""
    if conn.dialect.name == "sqlite":  # on the driver connection: a statement would open a transaction
        _driver(conn).execute(f"PRAGMA wal_autocheckpoint={0 if hold else 1000}")


def checkpoint(conn: Connection) -> None:
    """SQLite: copy the WAL back into the database file as far as readers allow, outside any transaction
    and outside the writer lock (a passive checkpoint never blocks writers). No-op elsewhere."""
    if conn.dialect.name == "sqlite":
        _driver(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _driver(conn: Connection) -> Any:
    """The sqlite3 connection under `conn` (statements on it open no SQLAlchemy transaction)."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection is closed")
    return raw


def rows(start: int, records: Sequence[Record], priority: int,
         prefilled: Sequence[Sequence[Prefilled]]) -> StagedRows:
    """The staging rows of records numbered from `start` (their order among the staged records), with
    their completions and suggestions (`prefilled[i]` belongs to `records[i]`). Built before the write
    transaction, so the transaction only inserts."""
    return StagedRows(
        records=[{"seq": start + i, "external_id": r.external_id, "messages": [m.to_dict() for m in r.messages],
                  "meta": r.metadata, "code": r.code.to_dict() if r.code else None, "source": r.source[:500],
                  "priority": priority, "fresh": True, "is_gold": r.expected is not None, "gold": r.expected}
                 for i, r in enumerate(records)],
        completions=[{"seq": start + i, "position": j, "model": c.model, "text": c.text, "meta": c.metadata}
                     for i, r in enumerate(records) for j, c in enumerate(r.completions)],
        suggestions=[{"seq": start + i, "question": q, "model": model, "answer": answer, "rationale": rationale}
                     for i, items in enumerate(prefilled) for q, answer, rationale, model in items])


@dataclass(frozen=True)
class StagedRows:
    records: list[dict[str, Any]]
    completions: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]


def stage(conn: Connection, batch: StagedRows) -> None:
    """Insert one batch of staging rows (see `rows`)."""
    for table, values in ((STAGE_RECORDS, batch.records), (STAGE_COMPLETIONS, batch.completions),
                          (STAGE_SUGGESTIONS, batch.suggestions)):
        if values:
            conn.execute(insert(table), values)


def publish(conn: Connection, project_id: int, now: datetime) -> tuple[int, int]:
    """Inside one write transaction: copy every staged record whose external id the project does not hold
    (with its completions and suggestions) into the project. Returns (created, staged but already there).

    The caller stages only records that were not in the project when it looked, so on SQLite (writers
    serialised, ids assigned here) the records take ids after the highest one and their completions point
    at them directly, with no per-row lookup; should another import have added some of the same ids
    meanwhile, the unique constraint refuses that, the savepoint rolls it back, and the general path (as on
    PostgreSQL) checks each record and joins completions through the project's external ids."""
    if conn.dialect.name == "sqlite":
        try:
            with conn.begin_nested():
                return _publish_with_ids(conn, project_id, now)
        except IntegrityError:
            pass
    return _publish_by_lookup(conn, project_id, now)


_RECORD_COLUMNS = ["project_id", "external_id", "messages", "metadata", "code", "source", "priority", "is_gold",
                   "gold_answers", "submitted_count", "leased_count", "created_at"]


def _record_values(project_id: int, now: datetime) -> list[Any]:
    st, records = STAGE_RECORDS, cast(Table, RecordRow.__table__)
    return [literal(project_id), st.c.external_id, st.c.messages, st.c.meta, st.c.code, st.c.source,
            st.c.priority, st.c.is_gold, st.c.gold, literal(0), literal(0), literal(now, records.c.created_at.type)]


def _publish_with_ids(conn: Connection, project_id: int, now: datetime) -> tuple[int, int]:
    records = cast(Table, RecordRow.__table__)
    st, c, g = STAGE_RECORDS, STAGE_COMPLETIONS, STAGE_SUGGESTIONS
    base = (conn.scalar(select(func.max(records.c.id))) or 0) + 1
    created = conn.execute(insert(records).from_select(
        ["id", *_RECORD_COLUMNS], select(st.c.seq + base, *_record_values(project_id, now)))).rowcount
    conn.execute(insert(cast(Table, CompletionRow.__table__)).from_select(
        ["record_id", "position", "model", "text", "metadata"],
        select(c.c.seq + base, c.c.position, c.c.model, c.c.text, c.c.meta)))
    conn.execute(insert(cast(Table, SuggestionRow.__table__)).from_select(
        _SUGGESTION_COLUMNS, select(literal(project_id), g.c.seq + base, *_suggestion_values(now))))
    return int(created), 0


_SUGGESTION_COLUMNS = ["project_id", "record_id", "question", "model", "answer", "rationale", "metadata",
                       "created_at"]


def _suggestion_values(now: datetime) -> list[Any]:
    g, suggestions = STAGE_SUGGESTIONS, cast(Table, SuggestionRow.__table__)
    return [g.c.question, g.c.model, g.c.answer, g.c.rationale, literal({"from": "metadata"}, JSON()),
            literal(now, suggestions.c.created_at.type)]


def _publish_by_lookup(conn: Connection, project_id: int, now: datetime) -> tuple[int, int]:
    records = cast(Table, RecordRow.__table__)
    st, c, g = STAGE_RECORDS, STAGE_COMPLETIONS, STAGE_SUGGESTIONS
    held = exists().where(records.c.project_id == project_id, records.c.external_id == st.c.external_id)
    conn.execute(update(st).values(fresh=~held))
    created = conn.scalar(select(func.count()).select_from(st).where(st.c.fresh.is_(True))) or 0
    total = conn.scalar(select(func.count()).select_from(st)) or 0
    if created:
        conn.execute(insert(records).from_select(
            _RECORD_COLUMNS, select(*_record_values(project_id, now)).where(st.c.fresh.is_(True)).order_by(st.c.seq)))
        joined = st.join(records, and_(records.c.project_id == project_id,
                                       records.c.external_id == st.c.external_id))
        conn.execute(insert(cast(Table, CompletionRow.__table__)).from_select(
            ["record_id", "position", "model", "text", "metadata"],
            select(records.c.id, c.c.position, c.c.model, c.c.text, c.c.meta)
            .select_from(joined.join(c, c.c.seq == st.c.seq)).where(st.c.fresh.is_(True))))
        conn.execute(insert(cast(Table, SuggestionRow.__table__)).from_select(
            _SUGGESTION_COLUMNS, select(literal(project_id), records.c.id, *_suggestion_values(now))
            .select_from(joined.join(g, g.c.seq == st.c.seq)).where(st.c.fresh.is_(True))))
    return int(created), int(total) - int(created)


def chunks(n: int, size: int) -> Iterable[tuple[int, int]]:
    """(start, stop) of consecutive slices of `size` covering range(n)."""
    return ((i, min(i + size, n)) for i in range(0, n, size))
