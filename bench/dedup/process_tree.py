"""Whole-process measurement of one benchmark command: what a tool costs from `exec` to exit.

`measure(cmd)` starts `cmd` (stdout to a temporary file, so a large JSON answer never blocks a pipe) and
reports:

* `cpu_s`: user + system CPU of the process and of every descendant it waited for, from ``os.wait4`` —
  interpreter start, imports, JIT loading and worker processes included;
* `peak_tree_rss_mb`: the largest sum of RSS over the process and all its live descendants, sampled every
  `interval` seconds with psutil (a short spike between two samples can be missed; pages shared by forked
  workers count once per process, so this overstates a forking tool a little);
* `peak_tree_pss_mb`: the same sum of PSS (``/proc/PID/smaps_rollup``; shared pages split between sharers);
* `max_process_rss_mb`: ``ru_maxrss`` from ``wait4``: the largest single process of the tree (what a
  per-process measurement would show);
* `wall_s` and `load_before`: the 1-minute load average just before the start.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from typing import Any

import psutil


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], interval: float = 0.02) -> tuple[dict[str, Any], str]:
    """(figures, stdout) of one run of `cmd`. Raises SystemExit with its stderr tail if it fails."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = {"rss": 0, "pss": 0}
        done = threading.Event()

        def sample() -> None:
            root = psutil.Process(proc.pid)
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.Error:
                    break
                rss = pss = 0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        continue
                    pss += _pss_kb(p.pid) * 1024
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)  # rusage of the child and every descendant it waited for
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.read()[-4000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_tree_rss_mb": peak["rss"] / 2**20,
            "peak_tree_pss_mb": peak["pss"] / 2**20, "max_process_rss_mb": ru.ru_maxrss / 1024,
            "load_before": load}, stdout
