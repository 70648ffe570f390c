"""A small dataset store for explorer tests: 300 real HH records, a cleaned child made by a real pipeline
run (PII annotated, short responses dropped, exact dedup), and a judged child with pulled judgments."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assay.datasets import DatasetStore, records_to_table
from assay.domain.records import Record
from assay.formats.reader import load_records
from assay.pipelines.runner import run_pipeline
from assay.pipelines.spec import PipelineSpec
from tests.web.conftest import live_server  # noqa: F401 - the live server fixture (browser and page: tests/conftest.py)

CHOICES = ["a", "a", "b"]


PII_TEXT = [" You can mail me at jane.doe@example.com.", " Call me on (415) 555-0132 tonight.",
            " Write to ops@example.org or call (212) 555-0175."]


def with_pii(r: Record, i: int) -> Record:
    """Plant an email and/or a phone number in the first user turn of a few records (i >= 40, so the
    judged ones stay as they are; only records with two or more user turns, so the last prompt and the
    response, which the cleaning pipeline filters and dedups on, do not change)."""
    users = [k for k, m in enumerate(r.messages) if m.role == "user"]
    if i < 40 or i % 20 != 5 or len(users) < 2:
        return r
    msgs = list(r.messages)
    first = msgs[users[0]]
    msgs[users[0]] = replace(first, content=first.content + PII_TEXT[i % 3])
    return replace(r, messages=msgs)


def make_store(root: Path, shared_data: Path) -> DatasetStore:
    store = DatasetStore(str(root))
    recs = load_records(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")[:300]
    recs = [replace(r, metadata={**r.metadata, "split": "test" if i % 3 else "dev"}) for i, r in enumerate(recs)]
    recs = [with_pii(r, i) for i, r in enumerate(recs)]
    raw = store.write_version("hh", [records_to_table(recs)], note="first 300 of HH harmless-base test")
    spec = PipelineSpec.parse({"name": "hh-clean", "shards": 2, "steps": [
        {"pii": {"action": "annotate"}},
        {"filter": {"field": "response", "min_words": 4}},
        {"exact_dedup": {"field": "prompt"}}]})
    clean = run_pipeline(store, spec, raw.ref).manifest
    judged = []
    for i, r in enumerate(load_records(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")[:40]):
        js = [] if i % 4 == 0 else [
            {"annotator": f"ann{k}", "answers": {"pref": {"choice": CHOICES[(i + k) % 3] if i % 2 else "a"},
                                                  "safety": {"labels": ["unsafe" if i % 5 == 0 else "safe"]}},
             "review": None} for k in range(3)]
        judged.append(replace(r, metadata={**r.metadata, "judgments": js, "project": "p"}))
    store.write_version("hh-judged", [records_to_table(judged)], parents=[clean.ref],
                        pipeline={"pulled_from_project": "p"})
    return store


@pytest.fixture(scope="session")
def explorer_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> DatasetStore:
    return make_store(tmp_path_factory.mktemp("explorer") / "store", shared_data)


@pytest.fixture
def xdb(db, explorer_store, monkeypatch):  # type: ignore[no-untyped-def]
    """A Db whose settings point at the explorer store (cache under the test's data dir). Pages wait up
    to 60 s for the background cache build here (2 s in production), so a busy CI machine never sees the
    "building" page by accident; tests of that page set `explorer.WAIT_SECONDS` themselves."""
    from assay.services.explorer import browse as explorer

    monkeypatch.setattr(explorer, "WAIT_SECONDS", 60.0)
    db.settings.dataset_store = explorer_store.url
    yield db


def metadata(row: dict) -> dict:  # type: ignore[type-arg]
    return json.loads(row["metadata"] or "{}")
