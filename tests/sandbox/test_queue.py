"""The fair, bounded run queue (a fake sandbox: these tests are about scheduling, not isolation)."""

from __future__ import annotations

import threading
import time

import pytest

from assay.errors import Unavailable
from assay.sandbox import Limits, QueuedSandbox, RunQueue, RunResult


class CountingSandbox:
    """Records how many runs overlap and in which order they started."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.started: list[str] = []

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.started.append(files.get("who", ""))
        time.sleep(self.seconds)
        with self.lock:
            self.active -= 1
        return RunResult(exit_code=0, signal=None, timed_out=False, killed_reason=None, stdout=b"", stderr=b"",
                         stdout_truncated=False, stderr_truncated=False, wall_seconds=self.seconds, cpu_seconds=0.0)


def test_positions_follow_round_robin_over_users():
    q = RunQueue(max_concurrent=1)
    running = q.enqueue("alice")
    a = [q.enqueue("alice") for _ in range(3)]
    b = q.enqueue("bob")
    c = q.enqueue("carol")
    assert q.position(running) == 0
    assert [q.position(t) for t in (b, c, *a)] == [1, 2, 3, 4, 5]
    order = []
    current = running
    for _ in range(5):
        q.release(current)
        current = next(t for t in (b, c, *a) if t.granted.is_set() and t not in order)
        order.append(current)
    assert [t.user for t in order] == ["bob", "carol", "alice", "alice", "alice"]


def test_a_busy_user_does_not_starve_a_late_one():
    """A user who arrives behind another user's backlog of 20 runs is next in line, not 21st. Checked on the
    queue's own order (no sleeps to race): the late ticket's position right after it queues, and that it is
    granted before the backlog is through."""
    q = RunQueue(max_concurrent=2)
    box = CountingSandbox(seconds=0.05)
    threads = [threading.Thread(target=q.run, args=("heavy", box, {"who": f"heavy{i}"}, ["x"], Limits()))
               for i in range(20)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(box.started) < 2 and time.monotonic() < deadline:  # both slots taken by the heavy user
        time.sleep(0.005)
    late = q.enqueue("light")
    position = q.position(late)
    q.wait(late, timeout=30)
    heavy_started_before_light = len(box.started)
    q.release(late)
    for t in threads:
        t.join()
    assert position <= 1, f"the late user was queued at position {position} behind the heavy user's backlog"
    assert heavy_started_before_light < 20
    assert box.peak <= 2
    assert len(box.started) == 20


def test_concurrency_never_exceeds_the_bound_across_threads():
    q = RunQueue(max_concurrent=3)
    box = CountingSandbox(seconds=0.01)
    queued = [QueuedSandbox(box, q, user=f"u{i % 4}") for i in range(4)]
    threads = [threading.Thread(target=queued[i % 4].run, args=({}, ["x"], Limits())) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box.peak == 3
    assert len(box.started) == 40
    assert q.stats() == {"running": 0, "waiting": 0, "users_waiting": 0}


def test_waiting_reports_positions_and_times_out():
    q = RunQueue(max_concurrent=1)
    holder = q.enqueue("alice")
    seen: list[int] = []
    with pytest.raises(Unavailable, match="queue is busy"), q.slot("bob", timeout=0.2, on_position=seen.append):
        pass
    assert seen == [1]
    assert q.stats()["waiting"] == 0  # the timed-out ticket was withdrawn
    q.release(holder)
    with q.slot("bob", timeout=1) as t:
        assert q.position(t) == 0
