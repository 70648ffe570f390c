"""Runs of one trainer cannot starve another's: positions through the service, with a blocking fake
sandbox (no bubblewrap needed; the real sandbox is exercised in test_code_runs)."""

from __future__ import annotations

import threading

from assay.sandbox import Limits, RunResult
from assay.services.annotation import queue
from assay.services.code import runs as code_runs
from tests.code.conftest import start_code_runner, wait_for


class GateSandbox:
    """Blocks every run until `gate` is set, then reports nothing (the run counts as crashed)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = 0

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        self.started += 1
        self.gate.wait(30)
        return RunResult(exit_code=0, signal=None, timed_out=False, killed_reason=None, stdout=b"", stderr=b"",
                         stdout_truncated=False, stderr_truncated=False, wall_seconds=0.0, cpu_seconds=0.0)


def test_second_trainer_is_served_next(db, code_demo):  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    sandbox = GateSandbox()
    runner = start_code_runner(db, sandbox=sandbox, max_concurrent=1)
    try:
        t1 = queue.claim_next(db, pid, demo.annotator1.id)
        t2 = queue.claim_next(db, pid, demo.annotator2.id)
        assert t1 is not None and t2 is not None and t1.record_id != t2.record_id
        first = code_runs.start_runs(db, runner, pid, t1.record_id, demo.annotator1, "visible")
        second = code_runs.start_runs(db, runner, pid, t1.record_id, demo.annotator1, "visible")
        wait_for(lambda: sandbox.started == 1)
        other = code_runs.start_runs(db, runner, pid, t2.record_id, demo.annotator2, "visible", candidate=0)
        mine = code_runs.get_runs(db, runner, pid, t1.record_id, demo.annotator1)
        theirs = code_runs.get_runs(db, runner, pid, t2.record_id, demo.annotator2)
        positions = sorted(r.position for r in mine if r.state == "queued")
        # annotator1 has 3 runs waiting, annotator2 one: annotator2 goes next, not last
        assert positions == [2, 3, 4]
        assert theirs[0].id == other[0].id and theirs[0].position == 1
        assert len(first) == len(second) == 2
    finally:
        sandbox.gate.set()
    def all_finished():  # type: ignore[no-untyped-def]
        runs = code_runs.get_runs(db, runner, pid, t1.record_id, demo.annotator1)
        return runs if all(r.finished for r in runs) else None
    done = wait_for(all_finished, 30)
    assert len(done) == 4
    assert runner.jobs.stop(30) == []
    assert all(r.result.get("status") == "crashed" for r in done)  # no report came back from the fake
