"""A pipeline run used by the crash test: `python -m tests.pipelines.crash_run STORE RUN_DIR`.

It registers a slow step (sleeps per shard) so the test can kill the process between shards.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pyarrow as pa

from assay.datasets.store import DatasetStore
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.registry import register
from assay.pipelines.runner import RunResult, run_pipeline
from assay.pipelines.spec import PipelineSpec


@register
class Slow(Step):
    """Annotates `slow__len` after sleeping `seconds` per batch."""

    name = "slow"

    def __init__(self, seconds: float = 0.0, **common: Any) -> None:
        super().__init__(**common)
        self.seconds = seconds

    def process(self, batch: pa.Table) -> StepOutput:
        time.sleep(self.seconds)
        return self.decide(batch, attributes={"len": [len(i) for i in batch.column("id").to_pylist()]})


SPEC = {"name": "out", "shards": 8, "steps": [{"filter": {"min_chars": 12}}, {"slow": {"seconds": 0.0}},
                                              {"exact_dedup": {}}, {"pii": {}}]}


def spec(seconds: float, shards: int = 8) -> PipelineSpec:
    d = {**SPEC, "shards": shards, "steps": [dict(s) for s in SPEC["steps"]]}
    d["steps"][1] = {"slow": {"seconds": seconds}}
    return PipelineSpec.parse(d)


def run(store: str, run_dir: str, seconds: float) -> RunResult:
    return run_pipeline(DatasetStore(store), spec(seconds), "src@1", run_dir=run_dir)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], float(sys.argv[3]))
