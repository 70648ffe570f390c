"""Executors: how shard tasks run. Every executor implements the `Executor` protocol: a `name` (recorded in
the output version's manifest) and `map(fn, tasks) -> iterator of results`; callers type against the protocol.

`LocalExecutor(workers=1)`: in this process when `workers` is 1 (the default; see docs/pipelines.md for
the measurement on 2 cores), else a `concurrent.futures.ProcessPoolExecutor` of `workers` processes.
`RayExecutor(address=None)`: Ray Data over the same shard tasks (`ray.data.from_items(...).map(...)`), so
outputs are byte-identical to the local executor. With `address` it joins an existing cluster
(`ray.init(address=...)`); then the run directory must be on storage every node can read and write.
Locally it starts Ray with `include_dashboard=False` and `RAY_AUTH_MODE=disabled`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar, runtime_checkable

from assay.errors import Invalid, Unavailable
from assay.pipelines.base import Requirement

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Runs shard tasks for `assay.pipelines.runner.run_pipeline`.

    Contract: `map(fn, tasks)` calls `fn` once on each task (wherever and in whatever order the executor
    likes; `fn` and the tasks are picklable) and yields the results, in any order; it returns nothing for
    no tasks, and an exception `fn` raises reaches the caller. `name` is a short label stored in the
    manifest of the version the run makes ("local", "ray"). Outputs do not depend on the executor: the
    runner reads every result back from the shard files, in shard order.
    """

    name: str

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]:
        """Apply `fn` to every task; yield the results (any order)."""
        ...


class LocalExecutor:
    """Shard tasks in this process (workers=1) or in a process pool."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise Invalid(f"local executor: workers must be at least 1, got {workers}")
        self.workers = workers

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]:
        """In order, in this process (one worker or one task); else as the pool finishes them."""
        if self.workers == 1 or len(tasks) <= 1:
            for t in tasks:
                yield fn(t)
            return
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks))) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            for f in as_completed(futures):
                yield f.result()


class RayExecutor:
    """Shard tasks as a Ray Data dataset of task items mapped by the shard function."""

    name = "ray"
    requirement = Requirement("ray", "ray[data]", extra="ray")

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        if self.requirement.missing():
            raise Unavailable(f"the ray executor needs Ray: {self.requirement.install_hint()}")
        self.address, self.num_cpus = address, num_cpus

    def _init(self) -> None:
        import ray

        if ray.is_initialized():
            return
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
        else:
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)

    def map(self, fn: Callable[[T], R], tasks: list[T]) -> Iterator[R]:
        """All tasks as one Ray Data dataset (a block per task); results in task order."""
        if not tasks:
            return iter(())
        self._init()
        import cloudpickle
        import ray.data

        blobs = [{"i": i, "task": cloudpickle.dumps(t)} for i, t in enumerate(tasks)]

        def call(item: dict[str, Any]) -> dict[str, Any]:
            import pickle

            return {"i": item["i"], "result": pickle.dumps(fn(pickle.loads(item["task"])))}

        ds = ray.data.from_items(blobs, override_num_blocks=len(blobs)).map(call)
        import pickle

        rows = sorted(ds.take_all(), key=lambda r: r["i"])
        return iter([pickle.loads(r["result"]) for r in rows])


def make_executor(name: str, *, workers: int = 1, address: str | None = None) -> Executor:
    """An executor by name (`local` or `ray`). Raises Invalid for other names."""
    if name == "local":
        return LocalExecutor(workers=workers)
    if name == "ray":
        return RayExecutor(address=address, num_cpus=workers if workers > 1 else None)
    raise Invalid(f"unknown executor {name!r}; use local or ray")
