"""Run limits of a code task, derived from its reference solution's measured time.

A fixed budget cannot fit every task: HumanEval+ 15 and 139 need more than 5 CPU seconds for their
hidden tests with the reference solution itself (the extra inputs run the reference next to the
candidate). So the first time a code record with a reference solution is run, the reference is run
against the hidden tests under the project's ceiling and its CPU time is stored in the record's
metadata (`code_reference_timing`, never shown to annotators). Every later run of that record uses

    cpu  = clamp(FACTOR x reference CPU + MARGIN_SECONDS, FLOOR_SECONDS, ceiling)
    per test (an in-sandbox wall-clock alarm) = 2 x cpu
    wall (the whole run) = max(FLOOR_WALL_SECONDS, 3 x cpu + 10)

`ceiling` is the project setting `code_cpu_ceiling` (CPU seconds, default DEFAULT_CEILING_SECONDS). It
is applied when a run starts, so changing it takes effect at once without measuring again. A record
without a reference solution, or not measured yet, runs under the floor (the budget every run had
before: 5 CPU-s, 10 s per test, 25 s wall). Only CPU seconds are measured: on a busy machine a run's
wall time grows with the load while its CPU time hardly does, hence the wide wall-clock factors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from assay.errors import Invalid
from assay.sandbox import Limits, Sandbox, SplitTests, run_split

FACTOR = 3.0
MARGIN_SECONDS = 2.0
FLOOR_SECONDS = 5.0
FLOOR_WALL_SECONDS = 25.0
PER_TEST_FLOOR_SECONDS = 2 * FLOOR_SECONDS
DEFAULT_CEILING_SECONDS = 60.0
MAX_CEILING_SECONDS = 600.0
SETTING = "code_cpu_ceiling"
META_KEY = "code_reference_timing"
BASE = Limits(cpu_seconds=FLOOR_SECONDS, wall_seconds=FLOOR_WALL_SECONDS, memory_bytes=512 << 20,
              max_output_bytes=256 << 10)


@dataclass(frozen=True)
class RunBudget:
    """What one run of a task may use. `reference_cpu_seconds` is the measurement it came from (None
    when the task has none), `capped` is True when the ceiling cut the derived CPU limit."""

    cpu_seconds: float
    per_test_seconds: float
    wall_seconds: float
    reference_cpu_seconds: float | None = None
    capped: bool = False

    @property
    def limits(self) -> Limits:
        """The sandbox limits of the whole run."""
        return replace(BASE, cpu_seconds=self.cpu_seconds, wall_seconds=self.wall_seconds)


def check_ceiling(value: Any) -> float:
    """A valid `code_cpu_ceiling` as a float; raises Invalid otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not FLOOR_SECONDS <= value <= MAX_CEILING_SECONDS:
        raise Invalid(f"{SETTING} must be a number of CPU seconds between {FLOOR_SECONDS:g} and "
                      f"{MAX_CEILING_SECONDS:g}")
    return float(value)


def ceiling_of(settings: dict[str, Any] | None) -> float:
    """The project's ceiling (`code_cpu_ceiling`, default DEFAULT_CEILING_SECONDS; an invalid stored
    value falls back to the default, as the project editor already refuses it)."""
    value = (settings or {}).get(SETTING)
    if value is None:
        return DEFAULT_CEILING_SECONDS
    try:
        return check_ceiling(value)
    except Invalid:
        return DEFAULT_CEILING_SECONDS


def derive(reference_cpu_seconds: float | None, ceiling: float = DEFAULT_CEILING_SECONDS) -> RunBudget:
    """The budget for a task whose reference took `reference_cpu_seconds` (None: not measured)."""
    ceiling = max(ceiling, 1.0)
    if reference_cpu_seconds is None:
        cpu, capped = min(FLOOR_SECONDS, ceiling), False
    else:
        wanted = max(FACTOR * reference_cpu_seconds + MARGIN_SECONDS, FLOOR_SECONDS)
        cpu, capped = min(wanted, ceiling), wanted > ceiling
    cpu = round(cpu, 1)
    return RunBudget(cpu_seconds=cpu, per_test_seconds=2 * cpu, wall_seconds=max(FLOOR_WALL_SECONDS, 3 * cpu + 10),
                     reference_cpu_seconds=reference_cpu_seconds, capped=capped)


def measure(sandbox: Sandbox, reference: str, hidden: SplitTests, ceiling: float) -> dict[str, Any]:
    """Run the reference solution against the hidden tests under the ceiling; the timing to store:
    `{"cpu_seconds", "wall_seconds", "status", "passed", "total", "measured_at"}`. A reference that
    does not pass is stored too (its status says so) and its CPU time still sets the budget."""
    top = RunBudget(cpu_seconds=ceiling, per_test_seconds=2 * ceiling, wall_seconds=3 * ceiling + 10)
    report = run_split(sandbox, reference, hidden, top.limits, per_test_seconds=top.per_test_seconds)
    return {"cpu_seconds": round(report.run.cpu_seconds, 3), "wall_seconds": round(report.run.wall_seconds, 3),
            "status": report.status if report.status != "completed" or report.all_passed else "failed",
            "passed": report.passed, "total": len(report.tests), "ceiling": ceiling,
            "measured_at": datetime.now(UTC).isoformat()}


def budget_for(meta: dict[str, Any] | None, settings: dict[str, Any] | None) -> RunBudget:
    """The budget of a record (its stored timing, if any) in a project (its ceiling)."""
    timing = (meta or {}).get(META_KEY)
    cpu = timing.get("cpu_seconds") if isinstance(timing, dict) else None
    measured = float(cpu) if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) else None
    return derive(measured, ceiling_of(settings))
