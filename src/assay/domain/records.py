"""Records: one unit of work and of data.

A record is a conversation (messages with roles) plus zero or more completions (one AI output each),
plus metadata. A code record also carries a `CodeTask`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class Message:
    """One turn. `role` is one of ROLES; `tool_calls` keeps raw tool-call payloads when present."""

    role: str
    content: str
    tool_calls: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = self.tool_calls
        return d


@dataclass
class Completion:
    """One AI output for the record's conversation, with the model that wrote it."""

    text: str
    model: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "text": self.text, "metadata": self.metadata}


@dataclass
class CodeTask:
    """What makes a record a code task: the problem and the tests candidates are judged by."""

    problem: str
    language: str = "python"
    entry_point: str = ""
    visible_tests: str = ""
    hidden_tests: str = ""
    reference_solution: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "language": self.language,
            "entry_point": self.entry_point,
            "visible_tests": self.visible_tests,
            "hidden_tests": self.hidden_tests,
            "reference_solution": self.reference_solution,
        }


@dataclass
class Record:
    """A record as data, before or apart from any database row.

    `external_id` is the stable id from the source (generated from a content hash when the source has
    none); `source` says where it came from (file and line, or a dataset version).
    """

    external_id: str
    messages: list[Message]
    completions: list[Completion] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    code: CodeTask | None = None
    source: str = ""
    # expected (gold) answers keyed by question name, from an import's `gold` / `expected` field; None: not gold
    expected: dict[str, Any] | None = None

    @property
    def prompt_text(self) -> str:
        """The last user message, or '' when there is none."""
        for m in reversed(self.messages):
            if m.role == "user":
                return m.content
        return ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.external_id,
            "messages": [m.to_dict() for m in self.messages],
            "completions": [c.to_dict() for c in self.completions],
            "metadata": self.metadata,
        }
        if self.code is not None:
            d["code"] = self.code.to_dict()
        if self.source:
            d["source"] = self.source
        if self.expected is not None:
            d["expected"] = self.expected
        return d
