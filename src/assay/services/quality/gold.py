"""Gold tasks: records with a hidden reference answer, mixed into each person's queue.

Project settings (`project.settings["gold"]`, every key optional):

    gold:
      first_n: 3          # the first 3 records a person is served are gold (while gold is left for them)
      rate: 0.1           # afterwards each claim is gold with probability 0.1
      min_items: 5        # judge a person only after this many gold answers
      warn_below: 0.7     # accuracy under this: warned
      pause_below: 0.5    # accuracy under this: paused (their next() refuses) and the lead is told

Contracts:
- gold answers live in `records.gold_answers` ({question name: answer}) and are never sent to annotators;
  a gold record is served like any other (the API hides record metadata) and is not limited by k;
- accuracy is scored with `assay.quality.gold` (pairwise and labels questions) over a person's submitted
  gold annotations; the state only moves towards "paused" by itself — a lead resumes a paused person;
- every state change writes an audit entry (`gold.warned`, `gold.paused`, `gold.resumed`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.domain.questions import validate_answers
from assay.domain.users import User
from assay.errors import Forbidden, Invalid, NotFound
from assay.quality import GoldScore, gold_scores
from assay.quality.gold import SCORED_KINDS
from assay.services.accounts.audit import record_event
from assay.store.db import Conn, Db, Tx
from assay.store.mappers import question_from_row
from assay.store.queries import gold as gold_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q


@dataclass(frozen=True)
class GoldPolicy:
    """How gold is mixed in and how people are judged on it (see the module docstring)."""

    first_n: int = 0
    rate: float = 0.0
    min_items: int = 5
    warn_below: float = 0.7
    pause_below: float = 0.5

    @property
    def enabled(self) -> bool:
        return self.first_n > 0 or self.rate > 0

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> GoldPolicy:
        """Read `settings["gold"]`. Raises Invalid naming a bad key."""
        raw = (settings or {}).get("gold") or {}
        if not isinstance(raw, dict):
            raise Invalid("project setting 'gold' must be a mapping (first_n, rate, min_items, warn_below, "
                          "pause_below)")
        unknown = set(raw) - {"first_n", "rate", "min_items", "warn_below", "pause_below"}
        if unknown:
            raise Invalid(f"unknown gold setting(s): {', '.join(sorted(unknown))}")
        try:
            p = cls(first_n=int(raw.get("first_n", 0)), rate=float(raw.get("rate", 0.0)),
                    min_items=int(raw.get("min_items", 5)), warn_below=float(raw.get("warn_below", 0.7)),
                    pause_below=float(raw.get("pause_below", 0.5)))
        except (TypeError, ValueError):
            raise Invalid("gold settings must be numbers (first_n, min_items: integers; the rest: 0..1)")
        if not 0 <= p.rate <= 1 or p.first_n < 0 or p.min_items < 1 or not 0 <= p.pause_below <= p.warn_below <= 1:
            raise Invalid("gold settings: need 0 <= rate <= 1, first_n >= 0, min_items >= 1 and "
                          "0 <= pause_below <= warn_below <= 1")
        return p


def percent(x: float) -> str:
    """A share as a whole percentage the way every gold figure is written: 0.333 → "33 %"."""
    return f"{round(100 * x)} %"


def figure(n: int, accuracy: float | None) -> str:
    """THE way a gold standing is written, on every page and in the API: "33 % (1 of 3)" — accuracy over
    the person's scored gold answers, then how many were right of how many. "no gold answers yet" for none.
    (Labels scored by overlap can be partly right: the count then shows one decimal, "1.5 of 3".)"""
    if not n or accuracy is None:
        return "no gold answers yet"
    right = accuracy * n
    shown = f"{round(right)}" if abs(right - round(right)) < 1e-6 else f"{right:.1f}"
    return f"{percent(accuracy)} ({shown} of {n})"


@dataclass(frozen=True)
class Standing:
    """A person's gold standing in a project. `figure` and `notice` are derived from the live figures
    (`gold_n`, `gold_accuracy`) with `figure()`, never from `reason` (the text stored when the state last
    changed, which the trainer is shown), so the project page, the dashboard banner and table, the records
    table and the API always say the same thing."""

    user_id: int
    username: str
    state: str  # ok | warned | paused
    gold_n: int
    gold_accuracy: float | None
    reason: str
    updated_at: datetime | None
    figure: str = ""
    notice: str = ""


def want_gold(s: Tx | Conn, project_id: int, user_id: int, policy: GoldPolicy,
              rng: random.Random | None = None) -> bool:
    """Whether this claim should try a gold record first (the queue falls back to normal records)."""
    if not policy.enabled:
        return False
    if policy.first_n > 0 and gold_q.seen(s, project_id, user_id) < policy.first_n:
        return True
    return (rng or random).random() < policy.rate


def raise_if_paused(state: str | None, reason: str | None) -> None:
    """Raise Forbidden with the reason when a standing in this `state` is paused (None: no standing)."""
    if state == "paused":
        raise Forbidden(f"your work on this project is paused: {reason} Your lead has been told and can "
                        "resume you after talking it through.")


AnsweredGold = list[tuple[int, int, dict[str, Any] | None, dict[str, Any] | None]]
"""(record id, user id, submitted answers, gold answers) per submitted annotation of a gold record."""


def _scores(s: Tx, project_id: int, user_id: int | None = None, rows: AnsweredGold | None = None
            ) -> list[GoldScore]:
    kinds = {name: kind for name, kind in gold_q.question_kinds(s, project_id).items() if kind in SCORED_KINDS}
    answers: list[tuple[Hashable, Hashable, str, Mapping[str, Any]]] = []
    gold: dict[tuple[Hashable, str], Mapping[str, Any]] = {}
    for rid, uid, ans, ga in (gold_q.answered(s, project_id, user_id) if rows is None else rows):
        for name, g in (ga or {}).items():
            if name in kinds and isinstance(g, dict):
                gold[(rid, name)] = g
        for name, a in (ans or {}).items():
            if name in kinds and isinstance(a, dict) and (rid, name) in gold:
                answers.append((rid, uid, name, a))
    try:
        return gold_scores(answers, gold, kinds)
    except Invalid:
        return []


def overall(scores: list[GoldScore]) -> tuple[int, float | None]:
    """(gold answers scored, accuracy weighted by answers) over one person's per-question scores."""
    n = sum(g.n for g in scores)
    return n, (sum(g.score * g.n for g in scores) / n if n else None)


def trainer_view(s: Tx, project_id: int, user_id: int, block: int, now: datetime) -> tuple[int, float | None]:
    """(gold answers, accuracy) as the trainer themself may see them: over their gold annotations submitted
    before the start of `now`'s UTC day, oldest first, cut down to whole blocks of `block` annotations
    (accuracy None until the first block is complete). So no submit changes what the trainer sees (the
    figures move only when a day ends), and what they see then is an average over at least `block` gold
    records, never one record's result. Leads see the live figures (`gold_accuracy`, the dashboard)."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = gold_q.answered_before(s, project_id, user_id, day)
    rows = rows[: len(rows) // block * block]
    if not rows:
        return 0, None
    return overall(_scores(s, project_id, user_id, rows))


def after_submit(s: Tx, project_id: int, project_name: str, settings: dict[str, Any] | None,
                 user_id: int) -> None:
    """Called inside the submit transaction after the person submitted a gold record: rescore them and move
    them to warned/paused (with an audit entry) when under the project's thresholds."""
    policy = GoldPolicy.of(settings)
    n, acc = overall(_scores(s, project_id, user_id))
    row = gold_q.standing_or_new(s, project_id, user_id)
    gold_q.set_score(s, row, n, acc, datetime.now(UTC))
    if acc is None or n < policy.min_items or row.state == "paused":
        return
    new = "paused" if acc < policy.pause_below else "warned" if acc < policy.warn_below else "ok"
    if new != row.state:
        limit = policy.pause_below if new == "paused" else policy.warn_below
        reason = (f"accuracy on check items is {figure(n, acc)}; the project asks for at least {percent(limit)}."
                  if new != "ok" else "")
        record_event(s, user_id, f"gold.{new}", project_name, person=user_id, accuracy=round(acc, 4), n=n)
        gold_q.set_state(s, row, new, reason)


def rescore_in(s: Tx, project_id: int, project_name: str, settings: dict[str, Any] | None,
               user_ids: set[int]) -> None:
    """After gold records changed (marked, unmarked, expected answers edited): score these people again, so
    every standing shows its live figures (their state moves as after a submit: only towards paused)."""
    for uid in sorted(user_ids):
        after_submit(s, project_id, project_name, settings, uid)


def set_gold(db: Db, project_id: int, external_id: str, answers: dict[str, Any], actor: User | None = None) -> None:
    """Make a record gold with reference answers (validated against the project's questions, like a
    submission). Raises NotFound for an unknown record, Invalid for bad answers."""
    with db.write() as s:
        project = projects_q.get(s, project_id)
        if project is None:
            raise NotFound(f"no project with id {project_id}")
        rec = records_q.by_external_id(s, project_id, external_id)
        if rec is None:
            raise NotFound(f"no record {external_id!r} in project {project.name!r}")
        questions = [question_from_row(q) for q in project.questions if q.name in answers]
        if not questions:
            raise Invalid("gold answers must answer at least one of the project's questions: "
                          + ", ".join(q.name for q in project.questions))
        records_q.set_gold(s, rec, validate_answers(questions, answers, [c.text for c in rec.completions]))
        record_event(s, actor.id if actor else None, "gold.set", project.name, record=external_id)
        rescore_in(s, project_id, project.name, project.settings, gold_q.submitters(s, [rec.id]))


def standings(db: Db, project_id: int) -> list[Standing]:
    """Every person with a gold standing in the project, paused first."""
    with db.read() as s:
        return standings_in(s, project_id)


def standings_in(s: Tx, project_id: int) -> list[Standing]:
    """`standings` inside the caller's transaction (one source of truth: see `Standing`)."""
    order = {"paused": 0, "warned": 1, "ok": 2}
    project = projects_q.get(s, project_id, with_questions=False)
    try:
        policy = GoldPolicy.of(project.settings if project else None)
    except Invalid:
        policy = GoldPolicy()
    out = []
    for r, name in gold_q.standings(s, project_id):
        fig = figure(r.gold_n, r.gold_accuracy)
        limit = policy.pause_below if r.state == "paused" else policy.warn_below
        notice = (f"{name} is {r.state}: gold accuracy {fig}; the project asks for at least {percent(limit)}"
                  if r.state in ("paused", "warned") else "")
        out.append(Standing(r.user_id, name, r.state, r.gold_n, r.gold_accuracy, r.reason, r.updated_at, fig,
                            notice))
    return sorted(out, key=lambda x: (order.get(x.state, 3), x.username))


def gold_accuracy(db: Db, project_id: int, user_id: int | None = None) -> list[GoldScore]:
    """Per person per question accuracy on gold records (`annotator` is the user id)."""
    with db.read() as s:
        return _scores(s, project_id, user_id)


def resume(db: Db, project_id: int, user_id: int, actor: User | None = None,
           authorize: Callable[[Tx], None] | None = None) -> None:
    """A lead lets a paused (or warned) person work again; their accuracy keeps being watched. `authorize`,
    when given, runs first inside the same write transaction (the caller's permission check)."""
    with db.write() as s:
        if authorize is not None:
            authorize(s)
        row = gold_q.standing(s, project_id, user_id)
        if row is None:
            raise NotFound("this person has no gold standing in the project")
        gold_q.set_state(s, row, "ok", "", datetime.now(UTC))
        project = projects_q.get(s, project_id, with_questions=False)
        record_event(s, actor.id if actor else None, "gold.resumed", project.name if project else str(project_id),
                     person=user_id)
