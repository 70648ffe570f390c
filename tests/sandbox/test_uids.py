"""Each concurrent sandbox run gets a host uid of its own, so one run's process limit is not another's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from assay.sandbox import BubblewrapSandbox, Limits, uids
from tests.conftest import missing

pytestmark = pytest.mark.sandbox

# a fork bomb held at its limit: 19 children that sleep, then it reports how many it made
BOMB = """
import os, sys, time
made = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            time.sleep(6)
            os._exit(0)
        made += 1
except OSError:
    pass
print("bomb made", made, flush=True)
time.sleep(5)
"""
# a well-behaved run that needs ten processes
TEN = """
import os
kids = []
for _ in range(10):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
print("made 10")
"""


def test_a_fork_bomb_in_one_run_leaves_another_runs_forks_alone(sandbox: BubblewrapSandbox) -> None:
    """With one host uid for every run, kernels before 5.14 counted all runs' processes under one
    RLIMIT_NPROC (the uid's), so with the bomb at its limit the other run's `fork` failed. Kernels from 5.14
    count per user namespace as well (this machine's 6.18 passes this test with the shared uid too); the
    pool makes it hold on every kernel, which `test_concurrent_runs_run_as_different_host_uids` checks."""
    if os.geteuid() != 0:
        missing("the uid pool is used when Assay runs as root (as in CI); otherwise every run is the caller's uid")
    limits = Limits(max_processes=20, wall_seconds=20)
    bomb: list[object] = []
    runner = threading.Thread(target=lambda: bomb.append(
        sandbox.run({"main.py": BOMB}, ["python3", "main.py"], limits)))
    runner.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(_pool_processes()) < 15:  # the bomb is at its limit
            time.sleep(0.05)
        assert len(_pool_processes()) >= 15
        calm = sandbox.run({"main.py": TEN}, ["python3", "main.py"], limits)
        assert calm.ok, calm.stderr
        assert calm.stdout.strip() == b"made 10"
    finally:
        runner.join()
    out = getattr(bomb[0], "stdout", b"").decode()
    assert "bomb made" in out and int(out.split("bomb made")[1].split()[0]) < 20  # the bomb was contained


def test_concurrent_runs_run_as_different_host_uids(sandbox: BubblewrapSandbox) -> None:
    if os.geteuid() != 0:
        missing("the uid pool is used when Assay runs as root (as in CI); otherwise every run is the caller's uid")
    seen: set[int] = set()
    runs = [threading.Thread(target=sandbox.run, args=({"main.py": "import time; time.sleep(3)"},
                                                          ["python3", "main.py"], Limits(wall_seconds=20)))
            for _ in range(3)]
    for r in runs:
        r.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(seen) < 3:
        seen |= {os.stat(f"/proc/{pid}").st_uid for pid in _pool_processes() if os.path.exists(f"/proc/{pid}")}
        time.sleep(0.05)
    for r in runs:
        r.join()
    assert len(seen) == 3 and seen <= set(uids.pool())
    assert _pool_processes() == []  # nothing of the runs is left under their uids


def _pool_processes() -> list[int]:
    pool = set(uids.pool())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid in pool:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def test_concurrent_leases_get_different_uids_and_give_them_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uids, "POOL_SIZE", 3)
    held: list[int] = []
    with uids.leased_uid() as a, uids.leased_uid() as b, uids.leased_uid() as c:
        held = [a, b, c]
        assert sorted(held) == list(uids.pool())
        got: list[int] = []
        waiter = threading.Thread(target=lambda: got.append(_lease_once()))
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive() and got == []  # every uid is taken: the fourth run waits
    waiter.join(timeout=5)
    assert len(got) == 1 and got[0] in held


def _lease_once() -> int:
    with uids.leased_uid() as uid:
        return uid


def test_a_uid_held_by_another_process_is_not_given_and_comes_back_when_it_dies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = uids.POOL_BASE + 7
    holder = ("import time; from assay.sandbox import uids; uids.POOL_SIZE = 1\n"
              "with uids.leased_uid() as u:\n print(u, flush=True); time.sleep(60)")
    child = subprocess.Popen(
        [sys.executable, "-c", holder],
        env={**os.environ, "ASSAY_SANDBOX_UID_BASE": str(base)}, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert int(child.stdout.readline()) == base
        monkeypatch.setattr(uids, "POOL_BASE", base)
        monkeypatch.setattr(uids, "POOL_SIZE", 2)
        for _ in range(5):
            assert _lease_once() == base + 1  # never the other process's
    finally:
        child.kill()
        child.wait()
    monkeypatch.setattr(uids, "POOL_SIZE", 1)
    assert _lease_once() == base  # the kernel dropped the dead process's lock


def test_the_lock_folder_is_roots_alone() -> None:
    folder = uids.lock_dir()
    mode = folder.stat().st_mode & 0o777
    assert mode == 0o700, oct(mode)
    assert folder.stat().st_uid == os.geteuid()


def test_a_run_still_sees_uid_65534_inside(sandbox: BubblewrapSandbox) -> None:
    """A run still sees uid 65534 inside, whatever host uid it was given."""
    r = sandbox.run({"main.py": "import os; print(os.getuid(), os.getgid())"}, ["python3", "main.py"],
                    Limits(wall_seconds=10))
    assert r.ok and r.stdout.strip() == b"65534 65534"
