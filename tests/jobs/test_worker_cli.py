"""`assay worker` claims queued jobs from the jobs table in a process of its own and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assay.config import load_settings
from assay.datasets import DatasetStore, records_to_table
from assay.domain.records import Completion, Message, Record
from assay.services.explorer import browse as explorer
from assay.services.explorer import cache as explorer_cache
from assay.store.db import open_db


@pytest.mark.slow  # starts `assay worker` in a subprocess
def test_worker_builds_a_queued_cache_and_stops_on_sigterm(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    db = open_db(settings)
    try:
        store = DatasetStore(settings.resolved_dataset_store)
        recs = [Record(external_id=f"r{i}", messages=[Message(role="user", content=f"question {i}")],
                       completions=[Completion(text=f"answer {i}", model="m")]) for i in range(5)]
        m = store.write_version("tiny", [records_to_table(recs)])
        root = explorer.cache_root(db)
        assert explorer_cache.start_build(db, store, m, root).state == "building"  # queued: no runner here
        worker = subprocess.Popen([str(Path(sys.executable).parent / "assay"), "--data-dir", str(tmp_path / "d"),
                                   "worker", "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            deadline = time.monotonic() + 60
            while not explorer_cache.status(db, m, root).ready:
                assert worker.poll() is None, worker.communicate()
                assert time.monotonic() < deadline, "the worker did not build the cache within 60 s"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        assert ("worker running (1 thread claiming code.run, explorer.cache, project.export, records.import, "
                "records.import_check)") in " ".join(out.split())  # the console may wrap the line
        assert "worker stopped" in out and "still running" not in out
    finally:
        db.close()
