"""`assay.Client` against the real app through FastAPI's TestClient (an in-process httpx client): every
public method, and server errors raised as `assay.errors` classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

import assay
from assay.domain.records import Completion, Message, Record
from tests.api.conftest import PAIRWISE_SPEC, ApiEnv, annotate, pair_record


def test_me_projects_and_create_from_spec_forms(api_env: ApiEnv, tmp_path: Path) -> None:
    with api_env.sdk("lead") as c:
        assert c.me().username == "lead" and c.me().role == "lead"
        from_dict = c.create_project({**PAIRWISE_SPEC, "name": "from-dict"})
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump({**PAIRWISE_SPEC, "name": "from-yaml"}))
        from_yaml = c.create_project(path)
        from_model = c.create_project(assay.ProjectCreate(**{**PAIRWISE_SPEC, "name": "from-model"}))
        assert [p.name for p in c.list_projects()] == ["from-dict", "from-yaml", "from-model"]
        assert c.get_project("from-yaml").id == from_yaml.id
        assert c.get_project(from_dict.id).questions[0].kind == "pairwise"
        assert c.project_id(str(from_model.id)) == from_model.id
        with pytest.raises(assay.Conflict):
            c.create_project(path)
        with pytest.raises(assay.Invalid):
            c.create_project(tmp_path / "missing.yaml")
        with pytest.raises(assay.NotFound):
            c.get_project("no-such-project")


@pytest.mark.slow
def test_add_records_in_batches_and_iterate(api_env: ApiEnv, project: dict) -> None:
    with api_env.sdk("lead") as c:
        recs: list[Any] = [pair_record(i) for i in range(6, 40)]
        recs.append(assay.RecordCreate(id="rc", prompt="p", completions=[
            assay.CompletionPublic(text="x"), assay.CompletionPublic(text="y")]))
        recs.append(Record("dom", [Message("user", "hi")], [Completion("a", "m"), Completion("b", "m")]))
        res = c.add_records("prefs", recs, batch_size=7, progress=True)
        assert (res.created, res.existing) == (36, 0)
        again = c.add_records(project["id"], recs[:10], batch_size=4, progress=False)
        assert (again.created, again.existing) == (0, 10)
        pend = c.add_records("prefs", [{"id": "pending-1", "prompt": "write a poem"}], pending=True)
        assert pend.created == 1
        got = list(c.iter_records("prefs", page_size=5))
        assert len(got) == 6 + 36 + 1
        ids = [r.record_id for r in got]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert got[-1].record.id == "pending-1" and got[-1].record.completions == []
        assert [r.record.id for r in c.iter_records("prefs", after=ids[-3])] == [got[-2].record.id, "pending-1"]
        with pytest.raises(assay.Invalid) as e:
            c.add_records("prefs", [{"id": "bad", "prompt": "x", "completions": [{"text": "one"}]}])
        assert "needs at least 2 completions" in e.value.message and e.value.details["status"] == 422
        with pytest.raises(assay.Invalid):
            c.add_records("prefs", [object()])


def test_iter_annotations_follows_the_cursor(api_env: ApiEnv, project: dict) -> None:
    pid = project["id"]
    annotate(api_env, "ann", pid, 4)
    annotate(api_env, "ann2", pid, 3)
    with api_env.sdk("lead") as c:
        anns = list(c.iter_annotations("prefs", page_size=2))
        assert len(anns) == 7 and [a.id for a in anns] == sorted(a.id for a in anns)
        assert isinstance(anns[0], assay.AnnotationPublic) and anns[0].answers["preference"]["choice"] == "a"
        annotate(api_env, "ann2", pid, 1)
        new = list(c.iter_annotations("prefs", after=anns[-1].id))
        assert len(new) == 1 and new[0].annotator == "ann2"
    with api_env.sdk("ann") as c:
        assert {a.annotator for a in c.iter_annotations(pid)} == {"ann"}


@pytest.mark.slow
def test_export_downloads_files_and_loads_with_datasets(api_env: ApiEnv, project: dict, tmp_path: Path) -> None:
    annotate(api_env, "ann", project["id"], 6, choice="a")
    annotate(api_env, "ann2", project["id"], 6, choice="a")
    with api_env.sdk("lead") as c:
        res = c.export("prefs", "dpo", "parquet", out_dir=tmp_path / "dpo")
        assert res.rows == 6 and set(res.downloads) == {"train.parquet", "README.md"}
        assert (tmp_path / "dpo" / "README.md").read_text().startswith("---") or "dpo" in (tmp_path / "dpo" / "README.md").read_text().lower()
        raw = c.export("prefs", "raw", "jsonl", test_fraction=0.5)
        listed = c.list_exports("prefs")
        assert {e.id for e in listed} == {res.id, raw.id} and listed[0].id == raw.id
        files = c.download_export("prefs", raw.id, tmp_path / "raw")
        assert sorted(p.name for p in files) == sorted(listed[0].files)
        assert sum(len(p.read_text().splitlines()) for p in files if p.suffix == ".jsonl") == 12
        only = c.download_export("prefs", raw.id, tmp_path / "card", files=["README.md"])
        assert [p.name for p in only] == ["README.md"]
        with pytest.raises(assay.NotFound):
            c.download_export("prefs", raw.id, tmp_path / "x", files=["../../assay.db"])
        with pytest.raises(assay.NotFound):
            c.download_export("prefs", "dpo-20000101T000000", tmp_path / "x")
        with pytest.raises(assay.Invalid):
            c.export("prefs", "dpo", "csv")
    import datasets

    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "dpo" / "train.parquet"), split="train")
    assert ds.num_rows == 6 and {"prompt", "chosen", "rejected"} <= set(ds.column_names)
    assert ds[0]["chosen"][0]["role"] == "assistant"


@pytest.mark.slow
def test_suggestions_metrics_and_reviews(api_env: ApiEnv, project: dict) -> None:
    from assay.llm import ChatClient, EndpointConfig
    from assay.llm.fake_server import FakeLLMServer
    from assay.services.annotation import suggestions

    with FakeLLMServer() as srv, ChatClient(EndpointConfig(base_url=srv.base_url, model=srv.model)) as llm:
        suggestions.suggest(api_env.db, project["id"], llm, swap=False)
    with api_env.sdk("lead") as c:
        rid = next(c.iter_records("prefs")).record_id
        sug = c.suggestions("prefs", rid)
        assert len(sug) == 1 and isinstance(sug[0], assay.SuggestionPublic) and sug[0].rationale
        annotate(api_env, "ann", project["id"], 2)
        metrics = c.metrics("prefs")
        assert isinstance(metrics, dict) and metrics, metrics
        assert c.agreement("prefs") is not None
        queue = c.reviews("prefs")
        assert isinstance(queue, list) and queue, "two submitted annotations should wait for review"
        first = queue[0]
        ann_id = first.get("annotation_id") or first.get("id")
        assert c.review("prefs", ann_id, "accepted") is not None
        ids_after = [q.get("annotation_id") or q.get("id") for q in c.reviews("prefs")]
        assert ann_id not in ids_after


def test_datasets(api_env: ApiEnv) -> None:
    from assay.datasets import DatasetStore, records_to_table

    store = DatasetStore(api_env.settings.resolved_dataset_store)
    recs = [Record(f"d{i}", [Message("user", f"q{i}")]) for i in range(3)]
    v1 = store.write_version("demo-ds", [records_to_table(recs)])
    store.write_version("demo-ds", [records_to_table(recs[:2])], parents=[v1.ref], note="smaller")
    with api_env.sdk("lead") as c:
        assert [(d.name, d.versions, d.latest) for d in c.list_datasets()] == [("demo-ds", 2, "demo-ds@2")]
        vs = c.dataset_versions("demo-ds")
        assert [v.row_count for v in vs] == [3, 2] and vs[1].parents == ["demo-ds@1"]
        assert c.dataset_version("demo-ds").note == "smaller"
        assert c.dataset_version("demo-ds", 1).content_hash == v1.content_hash
        with pytest.raises(assay.NotFound):
            c.dataset_version("demo-ds", 9)
    with api_env.sdk("ann") as c, pytest.raises(assay.Forbidden):
        c.list_datasets()


def test_errors_map_to_assay_classes(api_env: ApiEnv, project: dict) -> None:
    with pytest.raises(assay.Unauthenticated):
        assay.Client("http://testserver", "assay_wrong", http=TestClient(api_env.app)).me()
    with api_env.sdk("ann") as c:
        with pytest.raises(assay.Forbidden):
            c.add_records(project["id"], [pair_record(99)])
        with pytest.raises(assay.NotFound):
            c.get_project(4242)
    with api_env.sdk("lead_ro") as c, pytest.raises(assay.Forbidden):
        c.create_project({**PAIRWISE_SPEC, "name": "ro"})
    def teapot(request: httpx.Request) -> httpx.Response:
        return httpx.Response(418, json={"error": {"code": "teapot", "message": "short and stout", "details": {}}})

    with pytest.raises(assay.ApiError) as e:
        assay.Client("http://x", "t", transport=httpx.MockTransport(teapot)).me()
    assert e.value.code == "teapot" and e.value.status == 418
    closing = assay.Client("http://x", "t", transport=httpx.MockTransport(teapot))
    closing.close()
    with pytest.raises(RuntimeError):
        closing._http.get("/")
    with pytest.raises(assay.Unavailable):
        assay.Client("http://x", "t", transport=httpx.MockTransport(lambda r: httpx.Response(502, text="bad gateway"))).me()
    with pytest.raises(assay.Unavailable) as e2:
        assay.Client("http://127.0.0.1:9", "t", timeout=2).me()
    assert "cannot reach" in e2.value.message



@pytest.mark.slow
def test_push_a_version_then_pull_the_judgments_back(api_env: ApiEnv) -> None:
    """The researcher's loop from Python: a version's records (a selection of them) go to a project,
    people judge them, and the judgments come back as a new version whose parent is the pushed one."""
    from assay.datasets import DatasetStore, records_to_table

    store = DatasetStore(api_env.settings.resolved_dataset_store)
    recs = [Record(f"p{i}", [Message("user", f"What is {i} + {i}?")],
                   completions=[Completion(f"{2 * i}", model="m1"), Completion(f"{2 * i + 1}", model="m2")],
                   metadata={"n": i}) for i in range(4)]
    src = store.write_version("to-judge", [records_to_table(recs)])
    with api_env.sdk("lead") as c:
        p = c.create_project({**PAIRWISE_SPEC, "name": "judged", "annotators_per_record": 1})
        c.add_member(p.id, "ann")
        pushed = c.push(src.ref, "judged", where="json_extract_string(metadata, '$.n')::INT < 3")
        assert (pushed["ref"], pushed["created"], pushed["existing"]) == ("to-judge@1", 3, 0)
        assert c.push(src.ref, p.id, where="json_extract_string(metadata, '$.n')::INT < 3")["existing"] == 3
        done = annotate(api_env, "ann", p.id, 2, choice="b")
        back = c.pull("judged", name="judged-back")
        assert back.ref == "judged-back@1" and back.parents == [src.ref] and back.row_count == 3
    from assay.datasets.schema import row_to_record

    pulled = [row_to_record(r) for t in store.iter_tables(store.resolve(back.ref)) for r in t.to_pylist()]
    assert sorted(r.external_id for r in pulled) == ["p0", "p1", "p2"]
    judged = {r.external_id: r.metadata["judgments"] for r in pulled}
    assert all(r.metadata["n"] < 3 and r.metadata["project"] == "judged" for r in pulled)
    assert sum(len(j) for j in judged.values()) == len(done) == 2
    assert all(j[0]["annotator"] == "ann" and j[0]["answers"]["preference"]["choice"] == "b"
               for j in judged.values() if j)
    with api_env.sdk("ann") as c:
        with pytest.raises(assay.Forbidden):
            c.pull(p.id)
        with pytest.raises(assay.Forbidden):
            c.push(src.ref, p.id)
