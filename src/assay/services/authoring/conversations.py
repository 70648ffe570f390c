"""Authoring with a live model: trainers write prompts, chat turn by turn, red-team; the conversation is a tree.

Flow (every mode): `start_task` stores the trainer's first message (so nothing typed is lost even when the
model is down), then the browser asks for each reply slot with `ReplyStream` (text deltas as they come;
the reply is stored only once it is complete). A failed slot stores nothing and can be asked again.
- prompt: `authoring_records.finish_prompt` turns prompt + replies into a record leased to the trainer,
  who judges it on the normal annotate page with the project's questions.
- chat: `authoring_records.choose` picks the better of two replies (strength, optional edit), writes the
  turn's pairwise record + annotation, and `add_message` continues from the chosen reply.
- redteam: one reply per message; `authoring_records.record_attempt` / `make_training_record`.

Model calls run outside any transaction (style rule 4). Permission: the task's owner works on it; members
of the project who may annotate may start tasks; leads and admins may view every task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound, Unavailable
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.authoring import endpoints
from assay.services.authoring.endpoints import ModelEndpoint
from assay.services.authoring.views import (
    AttemptView,
    AuthoringSettings,
    NodeView,
    Slot,
    TaskView,
    Turn,
    parse_settings,
)
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import authoring as aq
from assay.store.queries import endpoints as endpoints_q
from assay.store.queries import memberships as members_q
from assay.store.tables import ProjectRow
from assay.store.tables_authoring import (
    AuthoringNodeRow,
    AuthoringTaskRow,
    ModelEndpointRow,
    RedteamAttemptRow,
)

MAX_MESSAGE = 50_000
SECOND_TEMPERATURE = 1.2


def _project(s: Tx, project_id: int) -> ProjectRow:
    row = aq.project(s, project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return row


def project_settings(db: Db, project_id: int) -> AuthoringSettings:
    """The project's authoring settings; Invalid when it is not set up for authoring."""
    with db.read() as s:
        return parse_settings((_project(s, project_id).settings or {}).get("authoring"))


@dataclass(frozen=True)
class SettingsView:
    """The authoring settings page: the project, its current settings (None when not set up or unreadable)
    and the endpoints usable in it; after a refused save, `error` says why (the stored settings unchanged)."""

    project: Project
    current: AuthoringSettings | None
    endpoints: tuple[ModelEndpoint, ...]
    error: Invalid | None = None


def _settings_view(s: Tx, row: ProjectRow, user: User, error: Invalid | None = None) -> SettingsView:
    try:
        current: AuthoringSettings | None = parse_settings((row.settings or {}).get("authoring"))
    except Invalid:
        current = None
    return SettingsView(project_from_row(row), current, tuple(endpoints.list_in(s, user, project_id=row.id)), error)


def settings_view(db: Db, project_id: int, user: User, authorize: Callable[[str | None], None]) -> SettingsView:
    """`authorize(member_role)` (e.g. `functools.partial(policies.manage_project, user)`), then the
    `SettingsView`, in one read transaction. NotFound for an unknown project."""
    with db.read() as s:
        authorize(members_q.role_of(s, project_id, user.id))
        return _settings_view(s, _project(s, project_id), user)


def settings_of(db: Db, project_id: int, user: User, authorize: Callable[[str | None], None]) -> AuthoringSettings:
    """`authorize(member_role)`, then the project's authoring settings, in one read transaction. NotFound
    for an unknown project, Invalid when it is not set up for authoring."""
    with db.read() as s:
        authorize(members_q.role_of(s, project_id, user.id))
        return parse_settings((_project(s, project_id).settings or {}).get("authoring"))


def _store_settings(s: Tx, row: ProjectRow, actor: User, parsed: AuthoringSettings) -> None:
    """Check the endpoints (Invalid), then write the settings and the audit entry."""
    for name in parsed.endpoints:
        if endpoints.usable_in(s, name, row.id) is None:  # site-wide or this project's own only
            raise Invalid(f"model endpoint {name!r} does not exist for this project; a lead adds it on the "
                          "model endpoints page", details={"field": "endpoints"})
    aq.set_project_settings(s, row, {**(row.settings or {}), "authoring": parsed.to_dict()})
    record_event(s, actor.id, "authoring.settings", row.name, mode=parsed.mode, endpoints=parsed.endpoints)


def update_settings(db: Db, project_id: int, actor: User, raw: dict[str, Any]) -> AuthoringSettings:
    """Lead: validate and store `settings.authoring` (endpoints must exist). Returns the stored settings."""
    parsed = parse_settings(raw)
    with db.write() as s:
        row = _project(s, project_id)
        policies.manage_project(actor, members_q.role_of(s, project_id, actor.id))
        _store_settings(s, row, actor, parsed)
    return parsed


def save_settings(db: Db, project_id: int, actor: User, raw: dict[str, Any],
                  authorize: Callable[[str | None], None]) -> SettingsView:
    """The settings form's save, in one write transaction: `authorize(member_role)` first (e.g.
    `functools.partial(policies.manage_project, actor)`: raises), NotFound for an unknown project, then
    validate and store `settings.authoring`. Returns the page's view: the stored settings, or, when the form
    is refused (Invalid: a bad value, an endpoint the project may not use), the settings unchanged and
    `error` set; nothing is stored then."""
    with db.write() as s:
        authorize(members_q.role_of(s, project_id, actor.id))
        row = _project(s, project_id)
        try:  # every check runs before the one write, so a refused form has changed nothing
            _store_settings(s, row, actor, parse_settings(raw))
        except Invalid as e:
            return _settings_view(s, row, actor, e)
        return _settings_view(s, row, actor)


def _endpoint_row(s: Tx, name: str) -> ModelEndpointRow:
    row = endpoints_q.by_name_or_id(s, name)
    if row is None:
        raise Invalid(f"model endpoint {name!r} does not exist; a lead adds it on the model endpoints page",
                      details={"field": "endpoints"})
    return row


def _slots(s: Tx, cfg: AuthoringSettings) -> list[Slot]:
    rows = [_endpoint_row(s, n) for n in cfg.endpoints]
    out = []
    for i in range(cfg.slots):
        row = rows[i % len(rows)]
        own = (row.sampling or {}).get("temperature", 0.7)
        overrides: dict[str, Any] = {}
        if i < len(cfg.temperatures):
            overrides["temperature"] = cfg.temperatures[i]
        elif len(rows) == 1 and i > 0:
            overrides["temperature"] = round(min(2.0, SECOND_TEMPERATURE + 0.2 * (i - 1)), 2)
        elif own is not None:
            overrides["temperature"] = float(own)
        out.append(Slot(index=i, endpoint_id=row.id, endpoint_name=row.name, model=row.model, overrides=overrides))
    return out


def _node(r: AuthoringNodeRow) -> NodeView:
    return NodeView(id=r.id, parent_id=r.parent_id, role=r.role, slot=r.slot, text=r.text, original=r.original,
                    model=r.model, chosen=r.chosen, record_id=r.record_id, meta=dict(r.meta or {}),
                    created_at=r.created_at)


def attempt_view(r: RedteamAttemptRow, author: str = "") -> AttemptView:
    return AttemptView(id=r.id, node_id=r.node_id, attack_category=r.attack_category, succeeded=r.succeeded,
                       harm_category=r.harm_category, severity=r.severity, notes=r.notes, safe_reply=r.safe_reply,
                       record_id=r.record_id, author=author, created_at=r.created_at)


def load_task(s: Tx, task_id: int, user: User, *, write: bool = False,
              project_id: int | None = None) -> AuthoringTaskRow:
    """The task row if `user` may see it (owner, project lead/reviewer, admin) — or change it (owner only,
    or admin) — and, with `project_id` (the URL's project), if it belongs to that project. Raises NotFound
    otherwise, never revealing others' tasks."""
    row = aq.task(s, task_id)
    if row is None:
        raise NotFound(f"no authoring task {task_id}")
    if not (row.user_id == user.id or user.is_admin
            or (not write and members_q.role_of(s, row.project_id, user.id) in ("lead", "reviewer"))):
        raise NotFound(f"no authoring task {task_id} of yours")
    if project_id is not None and row.project_id != project_id:
        raise NotFound(f"no authoring task {task_id} in this project")
    return row


def load_task_of(s: Tx, project_id: int, task_id: int, user: User) -> AuthoringTaskRow:
    """`load_task` (may see) of a task in project `project_id`; NotFound for a task in another project."""
    return load_task(s, task_id, user, project_id=project_id)


def path_turns(s: Tx, task: AuthoringTaskRow, slots: int) -> list[Turn]:
    """The turns along the current path: each user node whose parent is the previous turn's chosen reply (or,
    in prompt/red-team tasks, its latest reply)."""
    nodes = aq.nodes_of_task(s, task.id)
    children: dict[int | None, list[AuthoringNodeRow]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    attempts: dict[int, list[AttemptView]] = {}
    for a in aq.attempts_of_task(s, task.id):
        attempts.setdefault(a.node_id, []).append(attempt_view(a))
    turns: list[Turn] = []
    parent: int | None = None
    while True:
        users = [n for n in children.get(parent, []) if n.role == "user"]
        if not users:
            return turns
        u = users[-1]
        replies: list[NodeView | None] = [None] * slots
        for r in children.get(u.id, []):
            if r.role == "assistant" and 0 <= r.slot < slots:
                replies[r.slot] = _node(r)
        turn = Turn(user=_node(u), replies=replies,
                    attempts=[a for r in replies if r is not None for a in attempts.get(r.id, [])])
        turns.append(turn)
        nxt = turn.chosen or (replies[-1] if task.mode != "chat" and turn.complete else None)
        if nxt is None:
            return turns
        parent = nxt.id


def task_view(s: Tx, row: AuthoringTaskRow) -> TaskView:
    """The task as the pages show it: its current path of turns and its reply slots."""
    cfg = parse_settings((_project(s, row.project_id).settings or {}).get("authoring"))
    cfg_mode = AuthoringSettings(**{**cfg.__dict__, "mode": row.mode})
    return TaskView(id=row.id, project_id=row.project_id, user_id=row.user_id, mode=row.mode, state=row.state,
                    category=row.category, difficulty=row.difficulty, meta=dict(row.meta or {}),
                    turns=path_turns(s, row, cfg_mode.slots), slots=_slots(s, cfg_mode), created_at=row.created_at)


def get_task(db: Db, task_id: int, user: User, *, project_id: int | None = None) -> TaskView:
    """The task as `user` may see it (see `load_task`; `project_id`: refused unless in that project)."""
    with db.read() as s:
        return task_view(s, load_task(s, task_id, user, project_id=project_id))


def list_tasks(db: Db, project_id: int, user: User, *, everyone: bool = False) -> list[TaskView]:
    """The caller's tasks in the project, newest first (`everyone`: all trainers' — leads/reviewers only)."""
    with db.read() as s:
        role = members_q.role_of(s, project_id, user.id)
        policies.view_project(user, role)
        if everyone:
            policies.review(user, role)
        return [task_view(s, r) for r in aq.tasks_of_project(s, project_id, None if everyone else user.id)]


def _text(content: str) -> str:
    text = (content or "").strip()
    if not text:
        raise Invalid("write a message first (it is empty)", details={"field": "content"})
    if len(text) > MAX_MESSAGE:
        raise Invalid(f"the message is {len(text)} characters; the limit is {MAX_MESSAGE}",
                      details={"field": "content"})
    return text


def _pick(value: str, allowed: list[str], what: str, required: bool) -> str:
    """`value` if it is one of `allowed` (any value when none are defined; '' when not `required`)."""
    value = (value or "").strip()
    if allowed and value not in allowed and (required or value):
        raise Invalid(f"choose a {what} from: {', '.join(allowed)}", details={"field": what})
    return value


def start_task(db: Db, project_id: int, user: User, content: str, *, category: str = "", difficulty: str = "",
               reference_answer: str = "") -> TaskView:
    """Open a task in the project's mode with the trainer's first message stored. Raises Invalid for an
    empty message, an unknown category/difficulty, or a project not set up for authoring."""
    text = _text(content)
    with db.write() as s:
        prow = _project(s, project_id)
        policies.annotate(user, members_q.role_of(s, project_id, user.id))
        cfg = parse_settings((prow.settings or {}).get("authoring"))
        row = aq.add_task(s, project_id=project_id, user_id=user.id, mode=cfg.mode, state="open",
                               category=_pick(category, cfg.categories, "category", cfg.mode == "prompt"),
                               difficulty=_pick(difficulty, cfg.difficulties, "difficulty", cfg.mode == "prompt"),
                               meta={"reference_answer": reference_answer.strip()} if reference_answer.strip()
                               else {})
        aq.add_node(s, task_id=row.id, parent_id=None, role="user", text=text, original=text, meta={})
        record_event(s, user.id, "authoring.start", prow.name, task=row.id, mode=cfg.mode)
        return task_view(s, row)


def add_message(db: Db, task_id: int, user: User, content: str, *, project_id: int | None = None) -> TaskView:
    """Continue a chat or red-team task with the trainer's next message, in one write transaction with the
    ownership check (NotFound for a task that is not the caller's, or, with `project_id`, not in that
    project). Raises Conflict when the last turn still waits for replies (or, in a chat, for the trainer's
    choice), or the task is done."""
    text = _text(content)
    with db.write() as s:
        row = load_task(s, task_id, user, write=True, project_id=project_id)
        view = task_view(s, row)
        if row.mode == "prompt":
            raise Conflict("a prompt task has one prompt; start a new task for another prompt")
        if view.waiting_for != "message":
            why = {"replies": "the model has not answered your last message yet: retry the missing reply",
                   "choice": "choose the better reply first, then write your next message",
                   "done": "this task is finished; start a new one"}.get(view.waiting_for, view.waiting_for)
            raise Conflict(why)
        last = view.turns[-1]
        parent = last.chosen or last.replies[-1]
        assert parent is not None
        aq.add_node(s, task_id=row.id, parent_id=parent.id, role="user", text=text, original=text, meta={})
        aq.update_task(s, row)
        return task_view(s, row)


def conversation(view: TaskView, upto_user_node: int, system_prompt: str = "") -> list[dict[str, str]]:
    """The messages sent to the model for a reply to user node `upto_user_node`: the system prompt, then the
    path (each turn's user message and its chosen — possibly edited — reply). Raises NotFound when the node
    is not a user message on the task's current path."""
    msgs = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for t in view.turns:
        msgs.append({"role": "user", "content": t.user.text})
        if t.user.id == upto_user_node:
            return msgs
        nxt = t.chosen or t.replies[-1]
        if nxt is None:
            break
        msgs.append({"role": "assistant", "content": nxt.text})
    raise NotFound(f"message {upto_user_node} is not on this task's current path")


def calls_today(s: Tx, project_id: int, user_id: int) -> int:
    """Model replies stored for the trainer in the project over the last 24 hours."""
    return aq.replies_since(s, project_id, user_id, datetime.now(UTC) - timedelta(days=1))


class ReplyStream:
    """One reply slot of one user message, streamed from the model and stored when complete.

    Iterate it for text deltas. After the iteration ends, `node` holds the stored reply. If the slot already
    has a reply, the iteration yields that reply's text at once (no model call). Construction checks the
    task, the slot and the project's call limit (Invalid / Conflict / NotFound / Unavailable); iteration
    raises Unavailable or Invalid from the model server (nothing is stored then). With `project_id` (the
    URL's project) a task of another project is NotFound, checked in the same read transaction.
    """

    def __init__(self, db: Db, task_id: int, user_node_id: int, slot: int, user: User, *,
                 project_id: int | None = None) -> None:
        self.db, self.user = db, user
        self.node: NodeView | None = None
        with db.read() as s:
            row = load_task(s, task_id, user, write=True, project_id=project_id)
            if row.state == "done":
                raise Conflict("this task is finished; start a new one")
            cfg = parse_settings((_project(s, row.project_id).settings or {}).get("authoring"))
            view = task_view(s, row)
            turn = next((t for t in view.turns if t.user.id == user_node_id), None)
            if turn is None:
                raise NotFound(f"message {user_node_id} is not on this task's current path")
            if not 0 <= slot < len(view.slots):
                raise Invalid(f"reply slot must be between 0 and {len(view.slots) - 1}")
            self.existing = turn.replies[slot]
            if self.existing is None and cfg.max_calls_per_day:
                used = calls_today(s, row.project_id, row.user_id)
                if used >= cfg.max_calls_per_day:
                    raise Unavailable(f"you have used this project's limit of {cfg.max_calls_per_day} model "
                                      "replies in the last 24 hours; ask the lead to raise it or come back later",
                                      details={"limit": cfg.max_calls_per_day})
            self.task_id, self.user_node_id, self.slot = task_id, user_node_id, view.slots[slot]
            self.messages = conversation(view, user_node_id, cfg.system_prompt)
            self.timeout = cfg.timeout

    def __iter__(self) -> Iterator[str]:
        if self.existing is not None:
            self.node = self.existing
            yield self.existing.text
            return
        client = endpoints.client_for(self.db, self.slot.endpoint_id, timeout=self.timeout, max_retries=2)
        parts: list[str] = []
        started = datetime.now(UTC)
        try:
            for delta in client.stream(self.messages, **self.slot.overrides):
                parts.append(delta)
                yield delta
        finally:
            client.close()
        text = "".join(parts)
        if not text.strip():
            raise Unavailable(f"model endpoint {self.slot.endpoint_name!r} sent an empty reply; retry it")
        seconds = (datetime.now(UTC) - started).total_seconds()
        self.node = store_reply(self.db, self.task_id, self.user_node_id, self.slot, text, seconds)


def store_reply(db: Db, task_id: int, user_node_id: int, slot: Slot, text: str, seconds: float) -> NodeView:
    """Store a complete reply in its slot (if two requests raced, the first stored reply wins)."""
    with db.write() as s:
        have = aq.reply_in_slot(s, user_node_id, slot.index)
        if have is not None:
            return _node(have)
        row = aq.add_node(s, task_id=task_id, parent_id=user_node_id, role="assistant", slot=slot.index,
                               text=text, original=text, model=slot.model, endpoint_id=slot.endpoint_id,
                               meta={"endpoint": slot.endpoint_name, "sampling": slot.overrides,
                                     "latency_s": round(seconds, 3)})
        task = aq.task(s, task_id)
        if task is not None:
            aq.update_task(s, task)
        return _node(row)


def author_names(db: Db, user_ids: set[int]) -> dict[int, str]:
    with db.read() as s:
        return aq.usernames(s, user_ids)
