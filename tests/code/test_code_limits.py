"""Code limits from the reference: the budget rule, the project ceiling setting, and the service storing
the reference's measured time on a record's first run and using it for every later run."""

from __future__ import annotations

import threading

import pytest

from assay.sandbox import Limits, RunResult
from assay.services.code import hidden as code_hidden
from assay.services.code import limits as code_limits
from assay.services.code import runs as code_runs
from assay.services.code.limits import DEFAULT_CEILING_SECONDS, FLOOR_SECONDS, budget_for, ceiling_of, derive
from assay.services.projects.spec_check import check_text
from assay.store.queries import projects as projects_q
from tests.code.conftest import start_code_runner, wait_for


def test_budget_rule() -> None:
    assert derive(None).cpu_seconds == FLOOR_SECONDS and derive(None).reference_cpu_seconds is None
    assert derive(0.05).cpu_seconds == FLOOR_SECONDS  # floor
    assert derive(9.0).cpu_seconds == 29.0 and not derive(9.0).capped  # 3 x 9 + 2
    capped = derive(9.0, ceiling=20)
    assert capped.cpu_seconds == 20 and capped.capped
    for b in (derive(None), derive(9.0), capped):
        assert b.per_test_seconds == 2 * b.cpu_seconds and b.wall_seconds >= 3 * b.cpu_seconds
        assert b.limits.cpu_seconds == b.cpu_seconds and b.limits.wall_seconds == b.wall_seconds


def test_ceiling_setting() -> None:
    assert ceiling_of({}) == DEFAULT_CEILING_SECONDS and ceiling_of({"code_cpu_ceiling": 30}) == 30.0
    assert ceiling_of({"code_cpu_ceiling": "lots"}) == DEFAULT_CEILING_SECONDS
    timing = {"code_reference_timing": {"cpu_seconds": 12.0}}
    assert budget_for(timing, {"code_cpu_ceiling": 30}).cpu_seconds == 30
    assert budget_for(timing, None).cpu_seconds == 38.0
    assert budget_for({"code_reference_timing": "junk"}, None).cpu_seconds == FLOOR_SECONDS


def _spec(setting: str) -> str:
    return f"name: p\nquestions:\n  - name: q\n    kind: labels\n    options: {{choices: [a, b]}}\nsettings:\n  {setting}\n"


def test_project_editor_checks_the_ceiling() -> None:
    assert check_text(_spec("code_cpu_ceiling: 120")).ok
    bad = check_text(_spec("code_cpu_ceiling: 0.5"))
    assert not bad.ok and "code_cpu_ceiling" in bad.message() and "line 7" in bad.message()
    assert not check_text(_spec("code_cpu_ceiling: true")).ok
    assert not any("code_cpu_ceiling" in w.message for w in check_text(_spec("code_cpu_ceiling: 9")).warnings)


class _Timed:
    """A sandbox double: every run "uses" `cpu` CPU seconds; the limits of each run are kept."""

    def __init__(self, cpu: float) -> None:
        self.cpu, self.lock = cpu, threading.Lock()
        self.calls: list[Limits] = []

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        with self.lock:
            self.calls.append(limits)
        return RunResult(exit_code=0, signal=None, timed_out=False, killed_reason=None, stdout=b"", stderr=b"",
                         stdout_truncated=False, stderr_truncated=False, wall_seconds=self.cpu,
                         cpu_seconds=self.cpu)


@pytest.mark.slow  # times the reference in the sandbox (1 s): CI runs it
def test_first_run_measures_the_reference_and_later_runs_use_it(db, code_demo) -> None:  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    box = _Timed(9.0)
    runner = start_code_runner(db, sandbox=box)
    try:
        rid = _record_with_reference(db, pid)

        def finish(batch: str):  # type: ignore[no-untyped-def]
            return wait_for(lambda: all(r.finished for r in got) and got if (got := code_runs.get_runs(
                db, runner, pid, rid, demo.admin, batch=batch)) else None)

        first = code_runs.start_runs(db, runner, pid, rid, demo.admin, "visible", candidate=0)
        done = finish(first[0].batch)
        # the measurement (under the default ceiling), then the run under 3 x 9 + 2 CPU-s
        assert [c.cpu_seconds for c in box.calls] == [DEFAULT_CEILING_SECONDS, 29.0]
        assert done[0].result["limits"]["cpu_seconds"] == 29.0
        with db.read() as s:
            timing = code_runs.code_q.record_with_completions(s, rid).meta[code_limits.META_KEY]  # type: ignore[union-attr]
        assert timing["cpu_seconds"] == 9.0 and timing["ceiling"] == DEFAULT_CEILING_SECONDS

        box.calls.clear()
        finish(code_runs.start_runs(db, runner, pid, rid, demo.admin, "visible", candidate=0)[0].batch)
        assert [c.cpu_seconds for c in box.calls] == [29.0]  # stored: not measured again

        with db.write() as s:  # the lead lowers the project's ceiling: it applies at once
            row = projects_q.get(s, pid, with_questions=False)
            assert row is not None
            row.settings = {**(row.settings or {}), "code_cpu_ceiling": 12}
        box.calls.clear()
        finish(code_runs.start_runs(db, runner, pid, rid, demo.admin, "visible", candidate=0)[0].batch)
        assert [c.cpu_seconds for c in box.calls] == [12.0]
        shown = next(o for o in code_hidden.outcomes(db, pid, demo.admin) if o.record_id == rid).limits
        assert shown is not None and (shown["cpu_seconds"], shown["reference_cpu_seconds"], shown["capped"]) == (
            12.0, 9.0, True)
    finally:
        assert runner.jobs.stop(60) == []


def _record_with_reference(db, pid: int) -> int:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return next(r.id for r in code_runs.code_q.project_records(s, pid, 50)
                    if r.code and str(r.code.get("reference_solution", "")).strip())


def test_runs_starting_together_time_the_reference_once(db, code_demo) -> None:  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    box = _Timed(2.0)
    runner = start_code_runner(db, sandbox=box)
    try:
        rid = _record_with_reference(db, pid)
        started = code_runs.start_runs(db, runner, pid, rid, demo.admin, "visible")  # every candidate at once
        assert len(started) >= 2
        wait_for(lambda: all(r.finished for r in code_runs.get_runs(db, runner, pid, rid, demo.admin,
                                                                     batch=started[0].batch)))
        cpu = sorted(c.cpu_seconds for c in box.calls)
        assert cpu == [8.0] * len(started) + [DEFAULT_CEILING_SECONDS], cpu  # one timing run, then 3 x 2 + 2
    finally:
        assert runner.jobs.stop(60) == []


def test_a_mutation_run_gets_the_measured_budget(db, code_demo) -> None:  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    box = _Timed(3.0)
    runner = start_code_runner(db, sandbox=box, max_concurrent=1)
    try:
        rid = _record_with_reference(db, pid)
        tests = "assert has_close_elements([], 1.0) is False\n"
        started = code_runs.start_runs(db, runner, pid, rid, demo.admin, "custom", candidate=0, tests=tests)
        assert sorted(r.kind for r in started) == ["custom", "mutation"]
        wait_for(lambda: all(r.finished for r in code_runs.get_runs(db, runner, pid, rid, demo.admin,
                                                                     batch=started[0].batch)), timeout=120)
        cpu = [c.cpu_seconds for c in box.calls]
        assert cpu.count(DEFAULT_CEILING_SECONDS) == 1, cpu  # timed once, by whichever run came first
        assert len(cpu) >= 3 and set(cpu) - {DEFAULT_CEILING_SECONDS} == {11.0}, cpu  # custom + mutation runs: 3 x 3 + 2
    finally:
        assert runner.jobs.stop(60) == []
