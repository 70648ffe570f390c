"""`assay demo --no-serve`, `assay db upgrade` and `assay export` from the command line."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.site.demo import ensure_demo
from assay.store.db import open_db
from assay.store.migrate import current_revision, head_revision

runner = CliRunner()


def test_demo_sets_up_and_is_idempotent(tmp_path):  # type: ignore[no-untyped-def]
    env = {"ASSAY_DATA_DIR": str(tmp_path / "d")}
    for _ in range(2):
        r = runner.invoke(app, ["demo", "--no-serve"], env=env)
        assert r.exit_code == 0, r.output
        assert "annotator1" in r.output and "demo-pairwise" in r.output
    assert (tmp_path / "d" / "assay.db").exists()
    r = runner.invoke(app, ["projects", "ls"], env=env)
    assert "demo-pairwise" in r.output and "12" in r.output


@pytest.mark.postgres
def test_db_upgrade_on_postgres():  # type: ignore[no-untyped-def]
    from tests.conftest import PG_URL, reset_postgres

    reset_postgres(PG_URL)
    r = runner.invoke(app, ["db", "upgrade"], env={"ASSAY_DATABASE_URL": PG_URL})
    assert r.exit_code == 0, r.output
    assert current_revision(PG_URL) == head_revision()


@pytest.mark.slow
def test_export_dpo_and_raw(settings, tmp_path):  # type: ignore[no-untyped-def]
    db = open_db(settings, migrate=False)
    demo = ensure_demo(db)
    pid = demo.project.id
    a1, a2 = users.find_user(db, "annotator1"), users.find_user(db, "annotator2")
    plan = [("a", "a"), ("b", "a"), ("tie", "tie")]  # agree on A, split, tie
    rids = []
    for c1, c2 in plan:
        t1 = queue.claim_next(db, pid, a1.id)
        t2 = queue.claim_next(db, pid, a2.id)
        assert t1.record_id == t2.record_id  # breadth-first: the second person finishes the started record
        rids.append(t1.record_id)
        for who, c in ((a1, c1), (a2, c2)):
            ans = {"preference": {"choice": c, "strength": None if c == "tie" else 2}}
            annotations.submit(db, pid, t1.record_id, who.id, ans, 30)
    db.close()
    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url}
    out = tmp_path / "dpo"
    r = runner.invoke(app, ["export", "demo-pairwise", "--format", "dpo", "--out", str(out)], env=env)
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert [row["record_id"] for row in rows] == [rids[0]]  # the split and the tie are excluded
    assert rows[0]["num_judgments"] == 2 and rows[0]["agreement"] == 1.0
    assert (out / "README.md").read_text().startswith("---")
    r = runner.invoke(app, ["export", "demo-pairwise", "--format", "dpo", "--file-format", "parquet",
                            "--out", str(tmp_path / "pq")], env=env)
    assert r.exit_code == 0, r.output
    table = pq.read_table(tmp_path / "pq" / "train.parquet")
    assert table.num_rows == 1 and table.column("chosen").type.value_type.names == ["role", "content"]
    r = runner.invoke(app, ["export", "demo-pairwise", "--format", "raw", "--out", str(tmp_path / "raw")], env=env)
    assert r.exit_code == 0, r.output
    raw = [json.loads(x) for x in (tmp_path / "raw" / "train.jsonl").read_text().splitlines()]
    assert len(raw) == 6
    assert {r_["annotator"] for r_ in raw} == {"annotator1", "annotator2"}
    assert all(r_["active_seconds"] == 30 and r_["submitted_at"] for r_ in raw)
