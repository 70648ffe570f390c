"""The Executor protocol: the shipped executors implement it, and any executor that does gives the same
output version as the local one (the runner depends on the protocol only, not on result order)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from assay.datasets import DatasetStore
from assay.errors import Invalid
from assay.pipelines.executors import Executor, LocalExecutor, RayExecutor, make_executor
from assay.pipelines.runner import run_pipeline
from tests.pipelines import crash_run
from tests.pipelines.test_runner import make_input

T = TypeVar("T")
R = TypeVar("R")


class BackwardsExecutor:
    """In this process, last task first: results reach the runner in the opposite order to the local one."""

    name = "backwards"

    def __init__(self) -> None:
        self.calls = 0

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]:
        for t in reversed(tasks):
            self.calls += 1
            yield fn(t)


def test_shipped_executors_implement_the_protocol() -> None:
    assert isinstance(LocalExecutor(), Executor)
    assert isinstance(make_executor("local", workers=2), Executor)
    assert isinstance(RayExecutor(), Executor)  # construction only checks Ray is importable
    assert isinstance(BackwardsExecutor(), Executor)
    assert not isinstance(object(), Executor)
    with pytest.raises(Invalid, match="unknown executor 'spark'"):
        make_executor("spark")


def test_any_executor_gives_the_local_output(tmp_path: Path) -> None:
    store = DatasetStore(str(tmp_path / "s"))
    make_input(store)
    local = run_pipeline(store, crash_run.spec(0.0, shards=3), "src@1", output="a", run_dir=tmp_path / "ra")
    other = BackwardsExecutor()
    mine: Executor = other
    res = run_pipeline(store, crash_run.spec(0.0, shards=3), "src@1", output="b", executor=mine,
                       run_dir=tmp_path / "rb")
    assert other.calls == res.shards_done > 0
    assert res.manifest.pipeline is not None and res.manifest.pipeline["executor"] == "backwards"
    assert res.manifest.content_hash == local.manifest.content_hash
    assert store.read_table(res.manifest).equals(store.read_table(local.manifest))
