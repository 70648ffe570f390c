"""Per-run overhead of the bubblewrap sandbox against a bare `python3 -c pass`.

Runs the two in turn (interleaved, so load swings hit both alike) and prints median and p95 wall
time of each, the difference, and CPU seconds (the process tree's user + system time, from
RUSAGE_CHILDREN). Goal: median overhead under 25 ms.

Reproduce:  uv run python bench/sandbox/overhead.py [--runs 200]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time

from assay.sandbox import BubblewrapSandbox, Limits


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    box = BubblewrapSandbox()
    box.check()
    python = box.python
    limits = Limits()
    bare: list[float] = []
    boxed: list[float] = []
    cpu = {"bare": 0.0, "sandbox": 0.0}
    for _ in range(5):  # warm caches
        subprocess.run([python, "-c", "pass"], check=True)
        box.run({}, ["python3", "-c", "pass"], limits)
    for _ in range(args.runs):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t0)
        cpu["bare"] += _children_cpu() - c0
        c0, t0 = _children_cpu(), time.perf_counter()
        r = box.run({}, ["python3", "-c", "pass"], limits)
        boxed.append(time.perf_counter() - t0)
        cpu["sandbox"] += _children_cpu() - c0
        assert r.ok, r.stderr
    ms = 1000.0
    print(f"runs: {args.runs} each, interleaved; interpreter {python}")
    print(f"{'':24}{'median ms':>10}{'p95 ms':>10}{'CPU ms/run':>12}")
    for name, xs in (("bare python3 -c pass", bare), ("sandboxed", boxed)):
        key = "bare" if name.startswith("bare") else "sandbox"
        print(f"{name:24}{statistics.median(xs) * ms:>10.1f}{_pct(xs, 0.95) * ms:>10.1f}"
              f"{cpu[key] / args.runs * ms:>12.1f}")
    print(f"{'overhead (difference)':24}{(statistics.median(boxed) - statistics.median(bare)) * ms:>10.1f}"
          f"{(_pct(boxed, 0.95) - _pct(bare, 0.95)) * ms:>10.1f}"
          f"{(cpu['sandbox'] - cpu['bare']) / args.runs * ms:>12.1f}")
    print("goal: median overhead under 25 ms")
    print("reproduce: uv run python bench/sandbox/overhead.py --runs", args.runs)


if __name__ == "__main__":
    main()
