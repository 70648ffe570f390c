"""How fast `assay.formats.read_records` turns the shared real data into records, against plain JSON parsing.

For each file: wall seconds and CPU seconds of `load_records`, records per second, and the ratio to just
decoding the same file's JSON (the floor any reader pays). Best of 3 runs each, measured in one process.

Reproduce: UV_PYTHON_DOWNLOADS=never uv run python bench/formats_read.py
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Sized
from pathlib import Path

from assay.formats import load_records

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = [
    "hh-rlhf-harmless-base/test.jsonl.gz",
    "oasst-en-100-trees/en_100_tree.jsonl",
    "humaneval/HumanEval.jsonl.gz",
    "humaneval-plus/HumanEvalPlus.jsonl.gz",
    "mbpp-sanitized/sanitized-mbpp.json",
    "pandalm-testset/testset-v1.json",
    "tulu1-human-eval/eval_annotations_tulu_1.jsonl",
    "llmbar/Natural/dataset.json",
]


def plain_json(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if path.name.endswith(".json"):
        return len(json.loads(text))
    return sum(1 for line in text.splitlines() if json.loads(line))


def best(fn: Callable[[Path], int | Sized], path: Path) -> tuple[float, float, int]:
    runs = []
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        n = fn(path)
        runs.append((time.perf_counter() - w, time.process_time() - c, n if isinstance(n, int) else len(n)))
    return min(runs)


def main() -> None:
    print(f"{'file':48} {'records':>8} {'wall s':>8} {'cpu s':>7} {'rec/s':>9} {'x json':>7}")
    for name in FILES:
        path = DATA / name
        wall, cpu, n = best(load_records, path)
        base, _, _ = best(plain_json, path)
        print(f"{name:48} {n:8d} {wall:8.3f} {cpu:7.3f} {n / wall:9.0f} {wall / base:7.1f}")
    print("\nreproduce: UV_PYTHON_DOWNLOADS=never uv run python bench/formats_read.py")


if __name__ == "__main__":
    main()
