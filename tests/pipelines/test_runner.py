"""Runs: sharding, global steps across shards, resume after SIGKILL, processes vs in-process, memory://."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from assay.datasets import DatasetStore, records_to_table
from assay.domain.records import Completion, Message, Record
from assay.pipelines.executors import LocalExecutor
from assay.pipelines.runner import run_pipeline, shard_of
from tests.pipelines import crash_run

ROOT = Path(__file__).resolve().parents[2]


def make_input(store: DatasetStore, n: int = 400) -> None:
    recs = [Record(external_id=f"id-{i:05d}", source=f"gen:{i}",
                   messages=[Message("user", f"Question number {i % 150}: contact me at u{i % 150 % 7}@mail.com")],
                   completions=[Completion(f"Answer {i % 150} is fine.", "m")]) for i in range(n)]
    store.write_version("src", [records_to_table(recs)])


def test_shard_of_is_stable() -> None:
    assert [shard_of(f"x{i}", 8) for i in range(6)] == [shard_of(f"x{i}", 8) for i in range(6)]
    assert len({shard_of(f"x{i}", 8) for i in range(200)}) == 8


@pytest.mark.slow
def test_run_dedups_across_shards_and_records_lineage(tmp_path: Path) -> None:
    store = DatasetStore(str(tmp_path / "s"))
    make_input(store)
    res = crash_run.run(store.url, str(tmp_path / "run"), 0.0)
    m = res.manifest
    assert m.ref == "out@1" and m.parents == ["src@1"] and m.row_count == 150
    stats = {s["id"]: s for s in m.steps}
    assert stats["exact_dedup"]["dropped"] == {"duplicate": 250}
    assert stats["pii"]["counters"]["email"] == 150
    assert m.pipeline is not None and m.pipeline["executor"] == "local"
    t = store.read_table(m)
    ids = t.column("id").to_pylist()
    assert len(set(ids)) == 150 and "[EMAIL]" in t.column("messages").to_pylist()[0][0]["content"]
    assert not (tmp_path / "run").exists()  # cleaned after commit
    again = crash_run.run(store.url, str(tmp_path / "run2"), 0.0)
    assert again.manifest.ref == "out@1"  # same content, same parents and spec: no copy


@pytest.mark.slow
def test_process_pool_gives_same_rows_as_in_process(tmp_path: Path) -> None:
    store = DatasetStore(str(tmp_path / "s"))
    make_input(store)
    a = run_pipeline(store, crash_run.spec(0.0), "src@1", output="a", run_dir=tmp_path / "ra")
    b = run_pipeline(store, crash_run.spec(0.0), "src@1", output="b", executor=LocalExecutor(workers=2),
                     run_dir=tmp_path / "rb")
    assert a.manifest.content_hash == b.manifest.content_hash
    assert store.read_table(a.manifest).equals(store.read_table(b.manifest))


def test_memory_store(tmp_path: Path) -> None:
    store = DatasetStore(f"memory://runs-{uuid.uuid4().hex}")
    make_input(store, 60)
    res = run_pipeline(store, crash_run.spec(0.0), "src@1", run_dir=tmp_path / "r")
    assert store.resolve("out@latest").row_count == res.manifest.row_count > 0


@pytest.mark.slow
def test_killed_run_resumes_skipping_done_shards(tmp_path: Path) -> None:
    store = DatasetStore(str(tmp_path / "s"))
    make_input(store)
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.pipelines.crash_run", store.url, str(run_dir), "0.4"],
                            cwd=ROOT, env=env)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            done = list((run_dir / "pass-0").glob("*.stats.json")) if (run_dir / "pass-0").exists() else []
            if len(done) >= 3:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert store.list_datasets() == ["src"]  # nothing half-written is visible
    n_done = len(list((run_dir / "pass-0").glob("*.stats.json")))
    assert 3 <= n_done < 8
    resumed = crash_run.run(store.url, str(run_dir), 0.0)
    assert resumed.shards_skipped == n_done and resumed.shards_done == 16 - n_done
    clean_store = DatasetStore(str(tmp_path / "clean"))
    make_input(clean_store)
    clean = crash_run.run(clean_store.url, str(tmp_path / "clean-run"), 0.0)
    assert store.read_table(resumed.manifest).equals(clean_store.read_table(clean.manifest))
    assert resumed.manifest.content_hash == clean.manifest.content_hash
