"""The SDK over real HTTP: uvicorn serving the app on 127.0.0.1, no in-process shortcut."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import assay
from tests.api.conftest import PAIRWISE_SPEC, ApiEnv, annotate, pair_record
from tests.web.conftest import free_port


@pytest.mark.slow
def test_sdk_against_uvicorn_on_loopback(api_env: ApiEnv, tmp_path: Path) -> None:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api_env.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        with assay.Client(f"http://127.0.0.1:{port}", api_env.tokens["lead"]) as c:
            p = c.create_project(PAIRWISE_SPEC)
            assert c.add_records(p.id, [pair_record(i) for i in range(5)], batch_size=2).created == 5
            from assay.services.projects import projects

            projects.add_member(api_env.db, p.id, "ann")
            annotate(api_env, "ann", p.id, 3)
            assert len(list(c.iter_annotations(p.name, page_size=2))) == 3
            res = c.export(p.name, "sft", "jsonl", out_dir=tmp_path / "sft")
            assert (tmp_path / "sft" / "README.md").is_file() and (tmp_path / "sft" / "train.jsonl").is_file()
            lines = (tmp_path / "sft" / "train.jsonl").read_text(encoding="utf-8").splitlines()
            assert res.id and res.rows == len(lines) > 0  # one SFT row per judged record
    finally:
        server.should_exit = True
        thread.join(timeout=10)
