"""The Ray executor gives byte-identical output rows to the local executor (one Ray start per module)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.datasets import DatasetStore
from assay.pipelines.executors import LocalExecutor, RayExecutor
from assay.pipelines.runner import run_pipeline
from tests.pipelines import crash_run
from tests.pipelines.test_runner import make_input

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_local():  # type: ignore[no-untyped-def]
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_and_local_give_identical_rows(ray_local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    store = DatasetStore(str(tmp_path / "s"))
    make_input(store)
    spec = crash_run.spec(0.0, shards=3)
    local = run_pipeline(store, spec, "src@1", output="via-local", executor=LocalExecutor(),
                         run_dir=tmp_path / "rl")
    spec2 = crash_run.spec(0.0, shards=3)
    on_ray = run_pipeline(store, spec2, "src@1", output="via-ray", executor=RayExecutor(),
                          run_dir=tmp_path / "rr")
    assert on_ray.manifest.pipeline is not None and on_ray.manifest.pipeline["executor"] == "ray"
    assert local.manifest.content_hash == on_ray.manifest.content_hash
    assert local.manifest.row_count == on_ray.manifest.row_count > 0
    for fa, fb in zip(local.manifest.files, on_ray.manifest.files, strict=True):
        ta = pq.read_table(store.full_path(fa))
        tb = pq.read_table(store.full_path(fb))
        assert ta.equals(tb)
        assert ta.to_pylist() == tb.to_pylist()
