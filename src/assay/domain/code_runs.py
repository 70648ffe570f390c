"""Code runs as data: one sandbox run of a candidate (or of mutants) on a code record, and what it found.

A run's `kind` says what ran:
- `visible`: one candidate against the record's visible tests;
- `custom`: one candidate against tests the trainer wrote;
- `mutation`: the trainer's tests against mutants of the reference solution (robustness score);
- `hidden`: one candidate against the hidden tests, run after a submission (never shown to annotators).

`state` moves queued → running → done, or → failed when the run could not be made (bad tests, sandbox
unavailable); a run whose tests fail is still `done` (the failure is in `result`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RUN_KINDS = ("visible", "custom", "mutation", "hidden")
TRAINER_KINDS = ("visible", "custom", "mutation")
RUN_STATES = ("queued", "running", "done", "failed")


@dataclass
class CodeRun:
    """One run. `result` holds, for test runs, {"status", "message", "passed", "total", "tests": [{"name",
    "status", "message", "output", "source"}], "wall_seconds"}; for mutation runs {"total", "killed",
    "score", "killed_by_timeout"} (plus "survived" descriptions, which only leads see: they reveal the
    reference solution). `position` is the place in the sandbox queue while waiting (0 when running or
    finished, None when unknown)."""

    id: int
    project_id: int
    record_id: int
    user_id: int | None
    batch: str
    kind: str
    candidate: int | None
    state: str
    tests: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    position: int | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def passed_all(self) -> bool:
        """True for a finished test run whose every test passed."""
        r = self.result
        return self.state == "done" and r.get("status") == "completed" and r.get("total", 0) > 0 \
            and r.get("passed") == r.get("total")


@dataclass
class CandidateOutcome:
    """A candidate's hidden-test outcome on a record (for leads and exporters)."""

    candidate: int
    model: str
    state: str  # "pending" | "queued" | "running" | "done" | "failed"
    passed: int = 0
    total: int = 0
    status: str = ""

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None


@dataclass
class RecordCodeOutcome:
    """What a lead sees for one code record: hidden pass rates, each trainer's verdicts and test score."""

    record_id: int
    external_id: str
    candidates: list[CandidateOutcome]
    reviews: list[dict[str, Any]]  # {"user": label, "verdicts": {...}, "preference": {...}|None, "mutation": {...}|None}
    limits: dict[str, Any] | None = None  # the run budget: cpu/per-test/wall seconds, the reference's timing
