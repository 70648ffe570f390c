"""Does a real Label Studio 1.23 take Assay's Label Studio export? Imports it and reads it back.

1. reads tests/fixtures/label_studio/export_1_23.json with Assay's reader (the questions of its label config);
2. renders those records and judgments with Assay's Label Studio exporter (`label_studio_rows`, pure) and
   the matching label config (`label_config`);
3. starts Label Studio (as scripts/label_studio_fixture.py does), creates a project with that config and
   imports the tasks with their annotations (`POST /api/projects/{id}/import`);
4. exports the project (`GET /api/projects/{id}/export?exportType=JSON`) and reads it with Assay's reader;
5. prints how many tasks and annotations Label Studio holds and whether every record's answers (as a
   multiset: Label Studio attributes imported annotations to the importing user) equal the originals.

    uv run python scripts/label_studio_roundtrip.py --data-dir ~/.cache/assay-peers/label-studio-data

Exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.questions import Question
from assay.exporters.label_studio import label_config, label_studio_rows
from assay.formats import label_studio

HERE = Path(__file__).resolve().parent
QUESTIONS = [
    Question("preference", "pairwise"),
    Question("spans", "spans", required=False, options={"labels": ["harmful", "evasive"]}),
    Question("safety", "labels", options={"choices": ["safe", "unsafe", "refusal"], "multi": True}),
    Question("helpfulness", "rating", options={"dimensions": [{"name": "overall", "min": 1, "max": 5}]}),
    Question("rationale", "text", required=False),
]


def _fixture_module() -> Any:
    spec = importlib.util.spec_from_file_location("label_studio_fixture", HERE / "label_studio_fixture.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def answers_multiset(records: list[Any]) -> dict[str, Counter[str]]:
    return {r.external_id: Counter(json.dumps(j["answers"], sort_keys=True) for j in r.metadata.get("judgments", []))
            for r in records}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label-studio", type=Path, default=Path.home() / ".cache/assay-peers/label-studio")
    ap.add_argument("--fixture", type=Path, default=HERE.parent / "tests/fixtures/label_studio/export_1_23.json")
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    fx = _fixture_module()
    first = label_studio.read(args.fixture, QUESTIONS)
    items = []
    for i, rec in enumerate(first.records, 1):
        anns = [AnnotationView(j["annotator"], j["answers"], datetime.fromisoformat(j["submitted_at"]),
                               float(j.get("active_seconds", 0.0))) for j in rec.metadata.get("judgments", [])]
        items.append(JudgedRecord(i, rec, anns))
    source = ExportSource("roundtrip", QUESTIONS, items)
    tasks = label_studio_rows(source).rows
    config = label_config(source, max(len(r.completions) for r in first.records))
    ls_bin = args.label_studio / "bin"
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ls-roundtrip-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    port = fx.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**__import__("os").environ, "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "",
           "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true"}
    log = data_dir / "roundtrip-server.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [str(ls_bin / "label-studio"), "start", "--no-browser", "--port", str(port), "--host", base,
             "--data-dir", str(data_dir), "--username", fx.ADMIN[0], "--password", fx.ADMIN[1],
             "--user-token", fx.ADMIN[2], "--enable-legacy-api-token"], env=env, stdout=logf, stderr=subprocess.STDOUT)
    try:
        fx.wait_up(base, proc, log)
        api = fx.Api(base, fx.ADMIN[2])
        pid = api.call("POST", "/api/projects", {"title": "Assay export round trip", "label_config": config})["id"]
        imported = api.call("POST", f"/api/projects/{pid}/import", tasks)
        exported = api.call("GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # Label Studio gives every imported annotation to the importing user (its import maps `completed_by` only
    # by the e-mail of a member of its organization; Assay keeps the annotator in `created_username`, which
    # Label Studio drops). The check compares answers, so each annotation is read as its own annotator.
    by_importer = Counter(a["completed_by"] for t in exported for a in t["annotations"])
    for t in exported:
        for k, a in enumerate(t["annotations"]):
            a["completed_by"] = {"id": a["completed_by"], "email": f"annotation-{a['id']}-{k}"}
    out = Path(tempfile.mkdtemp()) / "back.json"
    out.write_text(json.dumps(exported))
    back = label_studio.read(out, QUESTIONS)
    n_ann = sum(len(t["annotations"]) for t in exported)
    want, got = answers_multiset(first.records), answers_multiset(back.records)
    same = sum(want[k] == got.get(k) for k in want)
    print(f"Label Studio import answered {imported.get('task_count')} tasks, {imported.get('annotation_count')} "
          f"annotations; its export holds {len(exported)} tasks, {n_ann} annotations")
    print(f"annotations by Label Studio user: {dict(by_importer)} (the importer)")
    print(f"records whose answers came back equal: {same} of {len(want)}; skipped results: {len(back.skipped)}")
    print("reproduce: uv run python scripts/label_studio_roundtrip.py --data-dir ~/.cache/assay-peers/label-studio-data")
    return 0 if same == len(want) and n_ann == first.judgments and not back.skipped else 1


if __name__ == "__main__":
    sys.exit(main())
