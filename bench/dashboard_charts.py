"""How long the dashboard's chart figures take on a large project (no database: synthetic judgments).

Three people answer every record: a pairwise question and a rating question (one dimension, two
completions). For each size: wall and CPU seconds of reading the question parts once, of the agreement
chart (α and Fleiss κ with 1000-resample bootstrap intervals per part), of the confusion matrix and of the
rating distribution — the work `dashboard_page` adds on top of loading the judgments. Best of 3.

Reproduce: UV_PYTHON_DOWNLOADS=never uv run python bench/dashboard_charts.py [records ...]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any

from assay.services.quality import charts
from assay.services.quality.metrics import Judgments


def judgments(n: int, seed: int = 1) -> Judgments:
    rng = random.Random(seed)
    answers = [(rid, who, {"p": {"choice": rng.choice("ab")},
                           "r": {"scores": {"0": {"h": rng.randint(1, 5)}, "1": {"h": rng.randint(1, 5)}}}})
               for rid in range(n) for who in ("a1", "a2", "a3")]
    return Judgments("bench", {"p": "pairwise", "r": "rating"},
                     {"p": {}, "r": {"dimensions": [{"name": "h", "min": 1, "max": 5}]}}, {}, {}, {}, answers)


def best(fn: Callable[[], Any], runs: int = 3) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def main(sizes: list[int]) -> None:
    print(f"{'records':>8} {'step':<12} {'wall s':>8} {'cpu s':>8}")
    for n in sizes:
        j = judgments(n)
        parts = charts.parts_of(j)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("parts", lambda: charts.parts_of(j)),
            ("agreement", lambda: charts.agreement(j, parts)),
            ("confusion", lambda: charts.confusion(j, parts=parts)),
            ("ratings", lambda: charts.ratings(j)),
        ]
        for name, fn in steps:
            wall, cpu = best(fn)
            print(f"{n:>8} {name:<12} {wall:>8.3f} {cpu:>8.3f}")
    print("command: UV_PYTHON_DOWNLOADS=never uv run python bench/dashboard_charts.py " + " ".join(map(str, sizes)))


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [1000, 10000])
