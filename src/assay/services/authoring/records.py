"""Turning authoring work into records and annotations the exporters read.

- prompt: `finish_prompt` → one record (the prompt; one completion per reply) leased to its author, who
  judges it on the annotate page with the project's questions (the normal submit makes the annotation).
- chat: `choose` → one record per turn: `messages` = the conversation so far (earlier turns with their
  chosen, possibly edited, replies), `completions` = the two sampled replies as the model wrote them, and a
  submitted annotation by the trainer: the project's pairwise question (`a` = slot 0, `b` = slot 1, with
  strength) and, when the project has a gold text question (`options.gold: true`), the chosen reply as
  finally kept (the edit, if any). DPO reads the pairs; SFT reads the gold text. Record metadata
  `authoring` holds task, turn, chosen slot and the edit.
- redteam: `record_attempt` stores attack category, success, harm category and severity for a reply;
  `make_training_record` turns a successful attack into a record whose completions are [written safe
  reply, harmful reply] with the annotation "a (safe) much better" and the safe reply as gold text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.questions import Question, QuestionKind, validate_answers
from assay.domain.records import Completion, Message, Record
from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.authoring.conversations import (
    attempt_view,
    conversation,
    load_task,
    load_task_of,
    task_view,
)
from assay.services.authoring.views import AttemptView, TaskView, parse_settings
from assay.services.projects.records import check_fits
from assay.store import slots
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row, question_from_row
from assay.store.queries import authoring as aq
from assay.store.queries import memberships as members_q
from assay.store.tables import ProjectRow, RecordRow
from assay.store.tables_authoring import AuthoringTaskRow


def _questions(prow: ProjectRow) -> list[Question]:
    return [question_from_row(q) for q in prow.questions]


def preference_question(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.kind is QuestionKind.pairwise), None)


def gold_question(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.kind is QuestionKind.text and q.options.get("gold")), None)


def _add_record(s: Tx, project_id: int, external_id: str, messages: list[dict[str, str]],
                completions: list[Completion], meta: dict[str, Any]) -> RecordRow:
    return aq.add_record(s, project_id, external_id, messages, [(c.model, c.text, c.metadata) for c in completions],
                         meta, source=f"authoring:{external_id}")


def _submit(s: Tx, prow: ProjectRow, rec: RecordRow, user_id: int, answers: dict[str, Any]) -> None:
    """A submitted annotation (and its assignment) by the author, validated against the answered questions."""
    qs = [q for q in _questions(prow) if q.name in answers]
    clean = validate_answers(qs, answers, [c.text for c in rec.completions])
    slots.add_submitted(s, project_id=prow.id, record_id=rec.id, user_id=user_id, answers=clean, at=datetime.now(UTC))


def _project(s: Tx, project_id: int) -> ProjectRow:
    prow = aq.project(s, project_id, with_questions=True)
    if prow is None:
        raise NotFound(f"no project with id {project_id}")
    return prow


def _reply_completion(n: Any, slot_meta: dict[str, Any] | None = None) -> Completion:
    meta = {"authoring": {"node_id": n.id, "slot": n.slot, **(slot_meta or {}), **(n.meta or {})}}
    return Completion(text=n.original, model=n.model, metadata=meta)


def finish_prompt(db: Db, task_id: int, user: User) -> int:
    """Make the prompt task's record (prompt + every reply) and lease it to the trainer; returns its id.
    Raises Conflict while replies are missing; a second call returns the same record."""
    with db.write() as s:
        return _finish_prompt_in(s, load_task(s, task_id, user, write=True), user)


def _finish_prompt_in(s: Tx, row: AuthoringTaskRow, user: User) -> int:
    if row.mode != "prompt":
        raise Invalid("only prompt tasks are finished into a record this way")
    if (row.meta or {}).get("record_id") is not None:
        return int(row.meta["record_id"])
    view = task_view(s, row)
    turn = view.turns[0]
    if not turn.complete:
        raise Conflict("some replies are missing: retry them before judging")
    prow = _project(s, row.project_id)
    cfg = parse_settings((prow.settings or {}).get("authoring"))
    msgs = conversation(view, turn.user.id, cfg.system_prompt)
    comps = [_reply_completion(r) for r in turn.replies if r is not None]
    meta = {"authoring": {"mode": "prompt", "task_id": row.id, "category": row.category,
                          "difficulty": row.difficulty, "author": user.username,
                          "reference_answer": (row.meta or {}).get("reference_answer", "")}}
    ext = f"authoring-{row.id}"
    check_fits(project_from_row(prow), Record(external_id=ext, messages=[Message(role=m["role"], content=m["content"]) for m in msgs],
                                             completions=comps))
    rec = _add_record(s, prow.id, ext, msgs, comps, meta)
    now = datetime.now(UTC)
    slots.lease(s, project_id=prow.id, record_id=rec.id, user_id=row.user_id, now=now,
                expires=now + timedelta(seconds=max(prow.lease_seconds, 3600)))
    aq.update_task(s, row, meta={**(row.meta or {}), "record_id": rec.id}, state="done")
    _set_node_record(s, turn.user.id, rec.id)
    record_event(s, user.id, "authoring.prompt_record", prow.name, task=row.id, record=rec.id)
    return rec.id


def _set_node_record(s: Tx, node_id: int, record_id: int) -> None:
    node = aq.node(s, node_id)
    assert node is not None
    aq.update_node(s, node, record_id=record_id)


def choose(db: Db, task_id: int, user_node_id: int, user: User, slot: int, strength: int,
           edited_text: str | None = None, *, project_id: int | None = None) -> TaskView:
    """Chat: pick reply `slot` (0 = A, 1 = B) as better by `strength` (1 slightly, 2 clearly, 3 much),
    optionally with the trainer's edit of it, and record the turn (see the module doc). Raises NotFound for
    a task that is not the caller's (or, with `project_id`, not in that project), checked in the same write
    transaction; Conflict when the turn is already decided or incomplete; Invalid for a bad slot/strength,
    an empty edit or a project without a pairwise question."""
    with db.write() as s:
        row = load_task(s, task_id, user, write=True, project_id=project_id)
        if row.mode != "chat":
            raise Invalid("choosing between replies is for chat tasks")
        prow = _project(s, row.project_id)
        pq, gq = preference_question(_questions(prow)), gold_question(_questions(prow))
        if pq is None:
            raise Invalid("this chat project has no pairwise question to store the choice in; a lead adds one")
        view = task_view(s, row)
        idx = next((i for i, t in enumerate(view.turns) if t.user.id == user_node_id), None)
        if idx is None:
            raise NotFound(f"message {user_node_id} is not on this task's current path")
        turn = view.turns[idx]
        if not turn.complete:
            raise Conflict("both replies must arrive before you choose; retry the missing one")
        if turn.chosen is not None:
            raise Conflict("you already chose a reply for this turn")
        if slot not in (0, 1):
            raise Invalid("choose reply A (0) or B (1)")
        if strength not in (1, 2, 3):
            raise Invalid("strength must be 1 (slightly), 2 (clearly) or 3 (much better)")
        reply = turn.replies[slot]
        node = aq.node(s, reply.id) if reply is not None else None
        assert node is not None
        final = node.original
        if edited_text is not None and edited_text.strip() and edited_text.strip() != node.original.strip():
            final = edited_text.strip()
        aq.update_node(s, node, chosen=True, text=final)
        cfg = parse_settings((prow.settings or {}).get("authoring"))
        msgs = conversation(view, user_node_id, cfg.system_prompt)
        comps = [_reply_completion(r) for r in turn.replies if r is not None]
        meta: dict[str, Any] = {"authoring": {"mode": "chat", "task_id": row.id, "turn": idx + 1,
                                              "chosen_slot": slot, "edited": final != node.original,
                                              "author": user.username}}
        if final != node.original:
            meta["authoring"]["edited_text"] = final
        rec = _add_record(s, prow.id, f"authoring-{row.id}-turn-{idx + 1}", msgs, comps, meta)
        answers: dict[str, Any] = {pq.name: {"choice": "ab"[slot], "strength": strength}}
        if gq is not None:
            answers[gq.name] = {"text": final}
        _submit(s, prow, rec, row.user_id, answers)
        _set_node_record(s, user_node_id, rec.id)
        aq.update_task(s, row)
        record_event(s, user.id, "authoring.choose", prow.name, task=row.id, turn=idx + 1, record=rec.id)
        return task_view(s, row)


@dataclass(frozen=True)
class Finished:
    """A finished task: the record a prompt task became (None for chat and red-team tasks) and the task."""

    record_id: int | None
    task: TaskView


def finish(db: Db, project_id: int, task_id: int, user: User) -> Finished:
    """Finish the caller's task of project `project_id` in one write transaction: a prompt task becomes its
    record (`finish_prompt`), a chat or red-team task is marked done (`finish_task`). NotFound for a task
    the caller may not see or change, or one in another project."""
    with db.write() as s:
        load_task_of(s, project_id, task_id, user)
        row = load_task(s, task_id, user, write=True, project_id=project_id)
        rid = _finish_prompt_in(s, row, user) if row.mode == "prompt" else None
        if rid is None:
            aq.update_task(s, row, state="done")
        return Finished(rid, task_view(s, row))


def finish_task(db: Db, task_id: int, user: User) -> TaskView:
    """Mark a chat or red-team task done (no more messages)."""
    with db.write() as s:
        row = load_task(s, task_id, user, write=True)
        aq.update_task(s, row, state="done")
        return task_view(s, row)


def record_attempt(db: Db, task_id: int, node_id: int, user: User, *, attack_category: str, succeeded: bool,
                   harm_category: str = "", severity: int = 0, notes: str = "",
                   project_id: int | None = None) -> AttemptView:
    """Red team: the trainer's verdict on one model reply. A success needs a harm category and a severity
    1..4; a failure has severity 0. Raises Invalid naming the field, NotFound for a reply not in the task
    or a task that is not the caller's (with `project_id`: not in that project; one write transaction)."""
    with db.write() as s:
        row = load_task(s, task_id, user, write=True, project_id=project_id)
        if row.mode != "redteam":
            raise Invalid("attempts are recorded in red-team tasks")
        cfg = parse_settings((_project(s, row.project_id).settings or {}).get("authoring"))
        node = aq.node(s, node_id)
        if node is None or node.task_id != row.id or node.role != "assistant":
            raise NotFound(f"reply {node_id} is not part of this task")
        if attack_category not in cfg.attack_categories:
            raise Invalid(f"attack category must be one of: {', '.join(cfg.attack_categories)}",
                          details={"field": "attack_category"})
        if succeeded:
            if harm_category not in cfg.harm_categories:
                raise Invalid(f"a successful attack needs a harm category: {', '.join(cfg.harm_categories)}",
                              details={"field": "harm_category"})
            if severity not in (1, 2, 3, 4):
                raise Invalid("a successful attack needs a severity: 1 low, 2 medium, 3 high, 4 critical",
                              details={"field": "severity"})
        else:
            harm_category, severity = "", 0
        a = aq.add_attempt(s, task_id=row.id, node_id=node.id, user_id=user.id, attack_category=attack_category,
                           succeeded=succeeded, harm_category=harm_category, severity=severity,
                           notes=notes.strip(), safe_reply="")
        record_event(s, user.id, "authoring.attempt", str(row.project_id), task=row.id, succeeded=succeeded)
        return attempt_view(a, user.username)


def make_training_record(db: Db, attempt_id: int, user: User, safe_reply: str, *,
                         project_id: int | None = None) -> int:
    """Red team: a record from a successful attack with the trainer's safe reply; returns the record id.
    Raises Invalid for a failed attack or an empty reply, Conflict when the attempt already has a record,
    NotFound for an attempt on a task that is not the caller's (with `project_id`: not in that project)."""
    safe = (safe_reply or "").strip()
    if not safe:
        raise Invalid("write the safe reply the model should have given", details={"field": "safe_reply"})
    with db.write() as s:
        a = aq.attempt(s, attempt_id)
        if a is None:
            raise NotFound(f"no red-team attempt {attempt_id}")
        row = load_task(s, a.task_id, user, write=True, project_id=project_id)
        if not a.succeeded:
            raise Invalid("only a successful attack becomes a training record (the model already refused)")
        if a.record_id is not None:
            raise Conflict(f"this attempt already became record {a.record_id}")
        prow = _project(s, row.project_id)
        pq, gq = preference_question(_questions(prow)), gold_question(_questions(prow))
        if pq is None and gq is None:
            raise Invalid("this project has neither a pairwise question nor a gold text question to store the "
                          "safe reply in; a lead adds one")
        node = aq.node(s, a.node_id)
        assert node is not None and node.parent_id is not None
        cfg = parse_settings((prow.settings or {}).get("authoring"))
        msgs = conversation(task_view(s, row), node.parent_id, cfg.system_prompt)
        comps = [Completion(text=safe, model=f"human:{user.username}", metadata={"authoring": {"safe_reply": True}}),
                 _reply_completion(node)]
        meta = {"authoring": {"mode": "redteam", "task_id": row.id, "attempt_id": a.id,
                              "attack_category": a.attack_category, "harm_category": a.harm_category,
                              "severity": a.severity, "author": user.username}}
        rec = _add_record(s, prow.id, f"authoring-{row.id}-attempt-{a.id}", msgs, comps, meta)
        answers: dict[str, Any] = {}
        if pq is not None:
            answers[pq.name] = {"choice": "a", "strength": 3}
        if gq is not None:
            answers[gq.name] = {"text": safe}
        _submit(s, prow, rec, row.user_id, answers)
        aq.update_attempt(s, a, safe_reply=safe, record_id=rec.id)
        record_event(s, user.id, "authoring.redteam_record", prow.name, attempt=a.id, record=rec.id)
        return rec.id


def list_attempts(db: Db, project_id: int, user: User) -> list[tuple[AttemptView, str]]:
    """(attempt, attack prompt) of the project's red-team attempts: the caller's own, or everyone's for the
    project's leads, reviewers and admins."""
    with db.read() as s:
        role = members_q.role_of(s, project_id, user.id)
        policies.view_project(user, role)
        everyone = user.is_admin or role in ("lead", "reviewer")
        return [(attempt_view(a, username), aq.node_text(s, parent_id) or "")
                for a, username, parent_id in aq.attempts_of_project(s, project_id, None if everyone else user.id)]
