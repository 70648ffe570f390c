"""The crowd-kit half of bench/aggregation/run.py; runs inside the crowd-kit venv, never imports assay.

Usage: <crowd-kit python> crowdkit_side.py LABELS.csv REPEATS  → prints one JSON object:
{method: {"labels": {task: label}, "wall": [seconds...], "cpu": [seconds...]}} for MajorityVote,
DawidSkene and OneCoinDawidSkene with their default settings, timing fit_predict on a ready DataFrame.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd
from crowdkit.aggregation import DawidSkene, MajorityVote, OneCoinDawidSkene


def main() -> None:
    warnings.simplefilter("ignore")
    data = pd.read_csv(sys.argv[1], dtype={"task": str, "worker": str, "label": int})
    repeats = int(sys.argv[2])
    out = {}
    for name, make in [
        ("MajorityVote", MajorityVote),
        ("DawidSkene", DawidSkene),
        ("OneCoinDawidSkene", OneCoinDawidSkene),
    ]:
        walls, cpus = [], []
        labels = None
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            labels = make().fit_predict(data)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        out[name] = {"labels": {str(k): int(v) for k, v in labels.items()}, "wall": walls, "cpu": cpus}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
