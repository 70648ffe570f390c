"""What authoring services return (plain dataclasses) and how a project's `settings.authoring` is read.

A project opts into authoring with

    settings:
      authoring:
        mode: chat                 # prompt | chat | redteam
        endpoints: [local-qwen]    # one or two model endpoint names (or ids)
        categories: [coding, math] # prompt categories a trainer picks from (optional)
        difficulties: [easy, hard] # (optional)
        replies: 2                 # prompt mode: replies per prompt (1..4); chat: always 2; redteam: 1
        temperatures: [0.7, 1.2]   # one endpoint: the temperature of each reply slot (default: its own, 1.2)
        system_prompt: ""          # sent before the conversation (optional)
        max_calls_per_day: 300     # per trainer and project; 0 or absent = no limit
        timeout: 60                # seconds per model call attempt
        attack_categories: [...]   # red-team menus (defaults below)
        harm_categories: [...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.errors import Invalid

MODES = ("prompt", "chat", "redteam")
DEFAULT_ATTACKS = ("direct request", "role-play", "hypothetical", "prompt injection", "obfuscation",
                   "multi-turn escalation", "other")
DEFAULT_HARMS = ("violence", "weapons", "self-harm", "hate", "harassment", "sexual", "privacy",
                 "illegal activity", "misinformation", "other")
SEVERITIES = {0: "none", 1: "low", 2: "medium", 3: "high", 4: "critical"}


@dataclass(frozen=True)
class AuthoringSettings:
    mode: str
    endpoints: list[str]
    categories: list[str] = field(default_factory=list)
    difficulties: list[str] = field(default_factory=list)
    replies: int = 2
    temperatures: list[float] = field(default_factory=list)
    system_prompt: str = ""
    max_calls_per_day: int = 0
    timeout: float = 60.0
    attack_categories: list[str] = field(default_factory=lambda: list(DEFAULT_ATTACKS))
    harm_categories: list[str] = field(default_factory=lambda: list(DEFAULT_HARMS))

    @property
    def slots(self) -> int:
        """How many replies each user message gets."""
        return {"chat": 2, "redteam": 1}.get(self.mode, self.replies)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "endpoints": self.endpoints, "categories": self.categories,
                "difficulties": self.difficulties, "replies": self.replies, "temperatures": self.temperatures,
                "system_prompt": self.system_prompt, "max_calls_per_day": self.max_calls_per_day,
                "timeout": self.timeout, "attack_categories": self.attack_categories,
                "harm_categories": self.harm_categories}


def _strs(raw: Any, name: str) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [x.strip() for x in raw.replace("\n", ",").split(",")]
    if not isinstance(raw, list):
        raise Invalid(f"authoring.{name} must be a list of names")
    return [str(x).strip() for x in raw if str(x).strip()]


def parse_settings(raw: Any) -> AuthoringSettings:
    """Read `settings.authoring`; raises Invalid naming the bad field. Absent → Invalid saying how to set up."""
    if not isinstance(raw, dict) or not raw:
        raise Invalid("this project is not set up for authoring; a lead chooses a mode and model endpoints "
                      "on the project's authoring settings page")
    mode = str(raw.get("mode", "prompt"))
    if mode not in MODES:
        raise Invalid(f"authoring.mode {mode!r} is not one of {', '.join(MODES)}", details={"field": "mode"})
    endpoints = _strs(raw.get("endpoints"), "endpoints")
    if not 1 <= len(endpoints) <= 2:
        raise Invalid("authoring.endpoints must name one or two model endpoints", details={"field": "endpoints"})
    try:
        replies = int(raw.get("replies", 2))
        temps = [float(t) for t in (raw.get("temperatures") or [])]
        max_calls = int(raw.get("max_calls_per_day") or 0)
        timeout = float(raw.get("timeout") or 60.0)
    except (TypeError, ValueError):
        raise Invalid("authoring.replies, temperatures, max_calls_per_day and timeout must be numbers") from None
    if not 1 <= replies <= 4:
        raise Invalid("authoring.replies must be between 1 and 4", details={"field": "replies"})
    if any(not 0 <= t <= 2 for t in temps):
        raise Invalid("authoring.temperatures must lie in 0..2", details={"field": "temperatures"})
    kw: dict[str, Any] = {}
    for name in ("attack_categories", "harm_categories"):
        if raw.get(name):
            kw[name] = _strs(raw[name], name)
    return AuthoringSettings(mode=mode, endpoints=endpoints, categories=_strs(raw.get("categories"), "categories"),
                             difficulties=_strs(raw.get("difficulties"), "difficulties"), replies=replies,
                             temperatures=temps, system_prompt=str(raw.get("system_prompt") or ""),
                             max_calls_per_day=max(max_calls, 0), timeout=max(timeout, 1.0), **kw)


@dataclass(frozen=True)
class Slot:
    """Where one reply of a turn comes from: an endpoint and the sampling overrides for it."""

    index: int
    endpoint_id: int
    endpoint_name: str
    model: str
    overrides: dict[str, Any]

    @property
    def label(self) -> str:
        t = self.overrides.get("temperature")
        return f"{self.endpoint_name}" + (f" · temperature {t:g}" if t is not None else "")


@dataclass
class NodeView:
    id: int
    parent_id: int | None
    role: str
    slot: int
    text: str
    original: str
    model: str
    chosen: bool
    record_id: int | None
    meta: dict[str, Any]
    created_at: datetime | None = None

    @property
    def edited(self) -> bool:
        return self.role == "assistant" and self.text != self.original


@dataclass
class Turn:
    """A user message with the replies sampled for it (by slot; None where a slot has no reply yet)."""

    user: NodeView
    replies: list[NodeView | None]
    attempts: list[AttemptView] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(r is not None for r in self.replies)

    @property
    def chosen(self) -> NodeView | None:
        return next((r for r in self.replies if r is not None and r.chosen), None)


@dataclass
class AttemptView:
    id: int
    node_id: int
    attack_category: str
    succeeded: bool
    harm_category: str
    severity: int
    notes: str
    safe_reply: str
    record_id: int | None
    author: str = ""
    created_at: datetime | None = None

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, str(self.severity))


@dataclass
class TaskView:
    """One authoring task with its conversation as turns along the current path."""

    id: int
    project_id: int
    user_id: int
    mode: str
    state: str
    category: str
    difficulty: str
    meta: dict[str, Any]
    turns: list[Turn]
    slots: list[Slot]
    created_at: datetime | None = None

    @property
    def record_id(self) -> int | None:
        """The record a prompt task became (None until finished)."""
        rid = self.meta.get("record_id")
        return int(rid) if rid is not None else None

    @property
    def waiting_for(self) -> str:
        """What the trainer does next: 'replies' | 'choice' | 'message' | 'judge' | 'done'."""
        if self.state == "done":
            return "done"
        if not self.turns:
            return "message"
        last = self.turns[-1]
        if not last.complete:
            return "replies"
        if self.mode == "chat" and last.chosen is None:
            return "choice"
        if self.mode == "prompt":
            return "judge"
        return "message"


@dataclass(frozen=True)
class FactCheck:
    id: int
    record_id: int
    completion: int
    start: int
    end: int
    claim: str
    verdict: str
    source: str
    correction: str
    author: str
    created_at: datetime | None = None


@dataclass
class FactSummary:
    """Counts of fact-checked claims per completion and verdict, and the record's overall status:
    'contradicted' if any claim is, else 'unverifiable' if any is, 'supported' if all are, 'unchecked'."""

    per_completion: dict[int, dict[str, int]]
    checks: list[FactCheck]

    @property
    def status(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        for v in ("contradicted", "unverifiable", "supported"):
            if v in verdicts:
                return v
        return "unchecked"

    def completion_status(self, i: int) -> str:
        counts = self.per_completion.get(i, {})
        for v in ("contradicted", "unverifiable", "supported"):
            if counts.get(v):
                return v
        return "unchecked"
