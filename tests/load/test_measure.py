"""The annotation bench's measurements (bench/annotation_server/measure.py): a process tree's CPU counts
children that already exited, its memory counts every live process, and the PostgreSQL server is found."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "annotation_server"))

import measure

# A parent that burns 0.3 s of CPU in a child, waits for it (so the child is reaped and its CPU moves into
# the parent's children_* times), then starts a second child that fills 50 MB and sleeps.
PARENT = """
import subprocess, sys, time
burn = "import time\\nwhile time.process_time() < 0.3: pass"
subprocess.run([sys.executable, "-c", burn], check=True)
hold = subprocess.Popen([sys.executable, "-c", "b = b'x' * (50 * 2**20); print('held', flush=True); import time; time.sleep(60)"])
print("ready", flush=True)
time.sleep(60)
"""


def test_spread_is_median_min_max() -> None:
    assert measure.spread([3.0, 1.0, 2.0, 10.0]) == (2.5, 1.0, 10.0)
    assert measure.spread([4.2]) == (4.2, 4.2, 4.2)


def test_tree_cpu_counts_a_reaped_child_and_tree_rss_a_live_one() -> None:
    proc = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert {proc.stdout.readline().strip(), proc.stdout.readline().strip()} == {"ready", "held"}
        me = psutil.Process(proc.pid).cpu_times()
        assert me.children_user + me.children_system >= 0.25  # the burner, already reaped
        assert measure.tree_cpu_seconds(proc.pid) >= 0.3
        own = psutil.Process(proc.pid).memory_info().rss
        assert measure.tree_rss_bytes(proc.pid) >= own + 50 * 2**20
        peak = measure.PeakRss(proc.pid, interval=0.05)
        time.sleep(0.2)
        assert peak.stop() >= own + 50 * 2**20
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()


@pytest.mark.postgres  # fails under CI=true when PostgreSQL is missing (tests/conftest.py)
def test_postmaster_is_the_postgres_process_without_a_postgres_parent() -> None:
    pid = measure.postmaster_pid()
    p = psutil.Process(pid)
    assert "postgres" in " ".join(p.cmdline())
    assert "postgres" not in psutil.Process(p.ppid()).name()
    assert len(p.children()) >= 2  # checkpointer, WAL writer, ... and backends
    assert measure.tree_cpu_seconds(pid) > 0
