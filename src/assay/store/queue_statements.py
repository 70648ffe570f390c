"""Prebuilt Core statements for the annotation hot path: claiming a record, submitting answers and checking
an API token or session.

They are built once, at import, with bind parameters, and run on a bare `Connection` (`Db.connection`),
so a request pays for no statement construction, no ORM identity map and no unit-of-work flush: each one
costs about 50–80 µs of Python on SQLite, against 250–400 µs for the same ORM query. SQLAlchemy's
compiled cache keeps one compiled form per statement and dialect. `FOR UPDATE [SKIP LOCKED]` renders on
PostgreSQL only (SQLite transactions are already exclusive).

This module owns only the SQL; the statements that change `records.leased_count` / `submitted_count` (and with
them `records.queue_taken`, the claim's order key) are run by `assay.store.slots` alone (the one owner of the
exactly-k counters); the rules (leases, gold, review) live
in `assay.services.annotation`. UPDATE statements here have their SET columns given by the parameters
of each call (`conn.execute(SET_RECORD_COUNTS, {"rid": …, "submitted_count": …})`), so the column types
(JSON, timestamps) apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import (
    JSON,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction

from assay.store.tables import (
    AnnotationRow,
    ApiTokenRow,
    AssignmentRow,
    CompletionRow,
    MemberRow,
    ProjectRow,
    QuestionRow,
    RecordRow,
    SessionRow,
    UserRow,
)
from assay.store.tables_quality import ReviewRow, StandingRow
from assay.store.tables_workspace import AnnotationRevisionRow

(projects, members, questions, records, completions, assignments, annots, reviews, standing, revisions, tokens,
 sessions, users) = (cast(Table, row.__table__) for row in (
    ProjectRow, MemberRow, QuestionRow, RecordRow, CompletionRow, AssignmentRow, AnnotationRow, ReviewRow,
    StandingRow, AnnotationRevisionRow, ApiTokenRow, SessionRow, UserRow))

# --- JSON rows inside a row: one round trip for a record and its completions, or a project and its
# questions. The same statement renders json_agg / json_build_object on PostgreSQL and json_group_array /
# json_object on SQLite. Objects carry their position; callers sort by it (neither dialect promises the
# order of an aggregate without ORDER BY, and SQLite 3.40 has no ORDER BY inside one).


class json_array_agg(GenericFunction[object]):
    """A JSON array of one JSON object per row (None over no rows)."""

    type = JSON()
    inherit_cache = True


class json_obj(GenericFunction[object]):
    """A JSON object from alternating literal keys and values."""

    inherit_cache = True


class as_json(GenericFunction[object]):
    """A JSON column's value as JSON (SQLite stores it as text, which json_object would quote)."""

    inherit_cache = True


# construct -> dialect -> SQL around the construct's arguments
_RENDERED = {json_array_agg: {"postgresql": "json_agg({})", "sqlite": "json_group_array(json({}))"},
             json_obj: {"postgresql": "json_build_object({})", "sqlite": "json_object({})"},
             as_json: {"postgresql": "{}", "sqlite": "json({})"}}


def _render_as(construct: type[GenericFunction[object]], dialect: str, template: str) -> None:
    @compiles(construct, dialect)
    def _render(element: GenericFunction[object], compiler: SQLCompiler, **kw: object) -> str:
        return template.format(compiler.process(element.clauses, **kw))


for _construct, _templates in _RENDERED.items():
    for _dialect, _template in _templates.items():
        _render_as(_construct, _dialect, _template)


def _rows_json(table: Table, columns: dict[str, ColumnElement[object]], *where: ColumnElement[bool]) -> ColumnElement[object]:
    """A scalar subquery: the rows of `table` matching `where` as a JSON array of {key: column} objects."""
    pairs: list[ColumnElement[object]] = []
    for key, col in columns.items():
        pairs += [literal_column(f"'{key}'"), col]
    return select(json_array_agg(json_obj(*pairs))).select_from(table).where(*where).scalar_subquery()


_member = and_(members.c.project_id == projects.c.id, members.c.user_id == bindparam("user_id"))
_standing = and_(standing.c.project_id == projects.c.id, standing.c.user_id == bindparam("user_id"))

# --- the caller ----------------------------------------------------------------------------------------

USER_COLUMNS = (users.c.id.label("user_id"), users.c.username, users.c.role, users.c.display_name,
                users.c.is_active)

TOKEN = (select(tokens.c.id, tokens.c.revoked_at, tokens.c.last_used_at, tokens.c.scope, *USER_COLUMNS)
         .select_from(tokens.outerjoin(users, users.c.id == tokens.c.user_id))
         .where(tokens.c.token_hash == bindparam("token_hash")))
TOUCH_TOKEN = update(tokens).where(tokens.c.id == bindparam("tid"))

SESSION = (select(sessions.c.id, sessions.c.csrf_token, sessions.c.created_at, sessions.c.last_seen_at,
                  *USER_COLUMNS)
           .select_from(sessions.outerjoin(users, users.c.id == sessions.c.user_id))
           .where(sessions.c.id == bindparam("sid")))
TOUCH_SESSION = update(sessions).where(sessions.c.id == bindparam("sid"))

# --- claim ---------------------------------------------------------------------------------------------


def claim_context(judging_kinds: Iterable[str]) -> Select[tuple[object, ...]]:
    """One row for a claim: the project's k, lease time and settings, the caller's member role and gold
    standing, whether the form judges completions (a question of one of `judging_kinds`), and the id of
    the caller's live lease in the project (the oldest), if any. Parameters: project_id, user_id, now."""
    needs = exists().where(questions.c.project_id == projects.c.id, questions.c.kind.in_(sorted(judging_kinds)))
    live = (select(assignments.c.id)
            .where(assignments.c.project_id == projects.c.id, assignments.c.user_id == bindparam("user_id"),
                   assignments.c.status == "leased", assignments.c.expires_at > bindparam("now"))
            .order_by(assignments.c.id).limit(1).scalar_subquery())
    return (select(projects.c.annotators_per_record, projects.c.lease_seconds, projects.c.settings,
                   members.c.role, standing.c.state.label("standing_state"),
                   standing.c.reason.label("standing_reason"), needs.label("needs"), live.label("live_id"))
            .select_from(projects.outerjoin(members, _member).outerjoin(standing, _standing))
            .where(projects.c.id == bindparam("project_id")))


# a record's completions: [{"text", "model", "meta", "position"}] in any order (see `mappers.completions_from_json`)
COMPLETIONS_JSON = _rows_json(completions, {"text": completions.c.text, "model": completions.c.model,
                                            "meta": as_json(completions.c.metadata),
                                            "position": completions.c.position},
                              completions.c.record_id == records.c.id).label("completions")
RECORD_COLUMNS = (records.c.id, records.c.external_id, records.c.messages, records.c.metadata.label("meta"), records.c.code,
                  records.c.source, records.c.is_gold, records.c.submitted_count, records.c.leased_count,
                  COMPLETIONS_JSON)

_taken = records.c.submitted_count + records.c.leased_count
_had = exists().where(assignments.c.record_id == records.c.id, assignments.c.user_id == bindparam("user_id"))
_has_completions = exists().where(completions.c.record_id == records.c.id)


def _candidates(*, gold: bool, ready: bool, skip_locked: bool = True,
                indexed: bool = True) -> Select[tuple[object, ...]]:
    """The claim's SELECT … LIMIT 1 FOR UPDATE. `indexed`: in the order of `ix_records_claim`, read from its
    top (records with room only; the cost does not grow with the open records); otherwise over every open
    record by its counters, sorted (the fallback, which does not trust `queue_taken`)."""
    q = select(*RECORD_COLUMNS).where(records.c.project_id == bindparam("project_id"), records.c.queued.is_(True),
                                      ~_had)
    if ready:  # records still waiting for generated completions are not served to a form that judges them
        q = q.where(_has_completions)
    if gold:  # gold records are not limited by k; one at random
        return q.where(records.c.is_gold.is_(True)).order_by(func.random()).limit(1).with_for_update(of=records)
    # `taken < k` is the exactly-k rule, checked on the row itself (and again on its newest version once
    # locked), whatever `queue_taken` says
    q = q.where(records.c.is_gold.is_(False), _taken < bindparam("k"))
    if indexed:
        q = q.where(records.c.queue_taken.is_not(None)).order_by(
            records.c.priority.desc(), records.c.queue_taken.desc(), records.c.id)
    else:  # `submitted_count < k` is implied but can use ix_records_queue to skip the finished records
        q = q.where(records.c.submitted_count < bindparam("k")).order_by(
            records.c.priority.desc(), _taken.desc(), records.c.id)
    return q.limit(1).with_for_update(skip_locked=skip_locked, of=records)


# the best free record for the caller, by the claim's index: [ready?] -> statement (parameters: project_id,
# user_id, k); concurrent claims skip each other's locked records
NEXT_RECORD = {ready: _candidates(gold=False, ready=ready) for ready in (False, True)}
# the same by the counters over every open record, waiting for records other transactions hold locked
# instead of skipping them: run when NEXT_RECORD finds nothing (PostgreSQL: every record with room may be
# locked at that moment although some will have room; both: a `queue_taken` gone stale costs order, never
# a record)
NEXT_RECORD_WAITING = {ready: _candidates(gold=False, ready=ready, skip_locked=False, indexed=False)
                       for ready in (False, True)}
# the same without waiting, for a transaction that already holds other records' locks (a lease sweep freed
# their slots): waiting then could deadlock with another claim doing the same
NEXT_RECORD_BY_COUNTERS = {ready: _candidates(gold=False, ready=ready, indexed=False) for ready in (False, True)}
# a random gold record the caller never had: [ready?] -> statement (parameters: project_id, user_id)
NEXT_GOLD = {ready: _candidates(gold=True, ready=ready) for ready in (False, True)}

GOLD_SEEN = (select(func.count()).select_from(assignments.join(records, records.c.id == assignments.c.record_id))
             .where(assignments.c.project_id == bindparam("project_id"),
                    assignments.c.user_id == bindparam("user_id"), records.c.is_gold.is_(True)))

# the record's project's k, inside a statement on the record
_k = select(projects.c.annotators_per_record).where(projects.c.id == records.c.project_id).scalar_subquery()


def _open_taken(taken: ColumnElement[int]) -> ColumnElement[int | None]:
    """`records.queue_taken` for a record whose counters will add up to `taken`: `taken` below k, else NULL."""
    return case((taken < _k, taken), else_=null())


TAKE_SLOT = (update(records).where(records.c.id == bindparam("rid"))
             .values(leased_count=records.c.leased_count + 1, queue_taken=_open_taken(_taken + 1)))
NEW_ASSIGNMENT = insert(assignments)

EXPIRE_LEASES = (update(assignments)
                 .where(assignments.c.project_id == bindparam("pid"), assignments.c.status == "leased",
                        assignments.c.expires_at <= bindparam("now"))
                 .values(status="expired").returning(assignments.c.record_id))
FREE_SLOT = (update(records).where(records.c.id == bindparam("rid"), records.c.leased_count > 0)
             .values(leased_count=records.c.leased_count - 1, queue_taken=_open_taken(_taken - 1)))
# a member's live leases end at once (member removal): parameters pid, uid, now; returns the record ids
END_LEASES_OF = (update(assignments)
                 .where(assignments.c.project_id == bindparam("pid"), assignments.c.user_id == bindparam("uid"),
                        assignments.c.status == "leased")
                 .values(status="expired", expires_at=bindparam("now")).returning(assignments.c.record_id))
# one more submission counted, regardless of k (imported judgments, authored records)
COUNT_SUBMISSION = (update(records).where(records.c.id == bindparam("rid"))
                    .values(submitted_count=records.c.submitted_count + 1, queue_taken=_open_taken(_taken + 1)))
# a submission no longer counted (review reject + requeue)
UNCOUNT_SUBMISSION = (update(records).where(records.c.id == bindparam("rid"), records.c.submitted_count > 0)
                      .values(submitted_count=records.c.submitted_count - 1, queue_taken=_open_taken(_taken - 1)))
# a submission turned back into its author's lease (review reject + return): the slot stays theirs
SUBMISSION_TO_LEASE = (update(records).where(records.c.id == bindparam("rid"), records.c.submitted_count > 0)
                       .values(submitted_count=records.c.submitted_count - 1,
                               leased_count=records.c.leased_count + 1, queue_taken=_open_taken(_taken)))
# every record of a project keyed again from its counters (its k changed): parameter pid
RESET_QUEUE_TAKEN = (update(records).where(records.c.project_id == bindparam("pid"))
                     .values(queue_taken=_open_taken(_taken)))

# --- submit --------------------------------------------------------------------------------------------

# the project's questions: [{"name", "kind", "title", "help", "required", "options", "position"}] in any order
QUESTIONS_JSON = _rows_json(questions, {"name": questions.c.name, "kind": questions.c.kind,
                                        "title": questions.c.title, "help": questions.c.help,
                                        "required": questions.c.required, "options": as_json(questions.c.options),
                                        "position": questions.c.position},
                            questions.c.project_id == projects.c.id).label("questions")

SUBMIT_CONTEXT = (select(projects.c.name, projects.c.annotators_per_record, projects.c.settings, members.c.role,
                         QUESTIONS_JSON)
                  .select_from(projects.outerjoin(members, _member))
                  .where(projects.c.id == bindparam("project_id")))

SEEN_SUBMISSION = (select(revisions.c.record_id)
                   .where(revisions.c.user_id == bindparam("user_id"),
                          revisions.c.submission_id == bindparam("submission_id")).limit(1))

# the caller's assignment on a record and their annotation on it (annotation columns NULL when none)
LEASE_AND_ANNOTATION = (
    select(assignments.c.id.label("assignment_id"), assignments.c.status.label("lease_status"),
           assignments.c.expires_at, annots.c.id.label("annotation_id"), annots.c.status,
           annots.c.active_seconds, annots.c.revision)
    .select_from(assignments.outerjoin(annots, and_(annots.c.record_id == assignments.c.record_id,
                                                         annots.c.user_id == assignments.c.user_id)))
    .where(assignments.c.record_id == bindparam("record_id"), assignments.c.user_id == bindparam("user_id"),
           assignments.c.project_id == bindparam("project_id")))

LOCK_RECORD = select(*RECORD_COLUMNS).where(records.c.id == bindparam("record_id")).with_for_update(of=records)
LOCK_RECORD_ROW = select(records.c.id).where(records.c.id == bindparam("record_id")).with_for_update(of=records)
RECORD_EXISTS = select(records.c.id).where(records.c.id == bindparam("record_id"))

# the decision that locks a trainer's submitted revision; reviews of gold records' annotations never do (the
# trainer must not learn that a record was a check item, nor how it was judged)
REVIEW_OF_REVISION = (select(reviews.c.decision)
                      .join(annots, annots.c.id == reviews.c.annotation_id)
                      .join(records, records.c.id == annots.c.record_id)
                      .where(reviews.c.annotation_id == bindparam("annotation_id"),
                             reviews.c.revision == bindparam("revision"), records.c.is_gold.is_(False))
                      .order_by(reviews.c.id.desc()).limit(1))

SET_RECORD = update(records).where(records.c.id == bindparam("rid"))
SET_ASSIGNMENT = update(assignments).where(assignments.c.id == bindparam("aid"))
NEW_ANNOTATION = insert(annots).returning(annots.c.id)
SET_ANNOTATION = update(annots).where(annots.c.id == bindparam("aid"))
LAST_REVISION = select(func.max(revisions.c.number)).where(revisions.c.annotation_id == bindparam("annotation_id"))
NEW_REVISION = insert(revisions)
