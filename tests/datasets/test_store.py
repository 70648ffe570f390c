"""Dataset store: versions, references, lineage, diff, atomic commits, local and memory:// stores."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from assay.datasets import DatasetStore, diff_versions, records_to_table, row_to_record
from assay.domain.records import CodeTask, Completion, Message, Record
from assay.errors import Invalid, NotFound


def recs(n: int, tag: str = "") -> list[Record]:
    return [Record(external_id=f"r{i:03d}", source=f"test:{i}",
                   messages=[Message("user", f"question {i}{tag}")],
                   completions=[Completion(text=f"answer {i}", model="m", metadata={"t": i})],
                   metadata={"k": i}) for i in range(n)]


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DatasetStore:
    if request.param == "local":
        return DatasetStore(str(tmp_path / "store"))
    return DatasetStore(f"memory://store-{uuid.uuid4().hex}")


def test_record_round_trip_through_rows() -> None:
    r = Record(external_id="x", messages=[Message("user", "hi", tool_calls=[{"a": 1}])],
               completions=[Completion("yo", "m1", {"s": 2})], metadata={"a": [1, 2]},
               code=CodeTask(problem="p", entry_point="f"), source="f.jsonl:1")
    t = records_to_table([r])
    back = row_to_record(t.to_pylist()[0])
    assert back == r


def test_versions_refs_and_lineage(store: DatasetStore) -> None:
    v1 = store.write_version("demo", [records_to_table(recs(5))], note="first")
    v2 = store.write_version("demo", [records_to_table(recs(3))], parents=[v1.ref])
    assert (v1.version, v2.version) == (1, 2)
    assert store.list_datasets() == ["demo"]
    assert store.resolve("demo@latest").id == v2.id
    assert store.resolve("demo").id == v2.id
    assert store.resolve("demo@1").row_count == 5
    assert store.resolve(v1.content_hash[:10]).ref == "demo@1"
    assert store.resolve(f"demo@{v2.content_hash[:8]}").ref == "demo@2"
    assert [m.ref for m in store.lineage("demo@2")] == ["demo@2", "demo@1"]
    assert store.read_table("demo@2").num_rows == 3
    with pytest.raises(NotFound):
        store.resolve("demo@9")
    with pytest.raises(NotFound):
        store.resolve("nope@1")
    with pytest.raises(Invalid):
        store.write_version("bad name", [records_to_table(recs(1))])


def test_identical_rewrite_reuses_version(store: DatasetStore) -> None:
    a = store.write_version("d", [records_to_table(recs(4))])
    b = store.write_version("d", [records_to_table(recs(2)), records_to_table(recs(4))[2:]])
    assert a.content_hash == b.content_hash and a.ref == b.ref


def test_diff_reports_added_removed_changed(store: DatasetStore) -> None:
    store.write_version("d", [records_to_table(recs(5))])
    new = recs(6)
    new[1].messages[0] = Message("user", "edited")
    new = [r for r in new if r.external_id != "r002"]
    store.write_version("d", [records_to_table(new)], parents=["d@1"])
    d = diff_versions(store, "d@1", "d@2")
    assert (d.added, d.removed, d.changed, d.unchanged) == (1, 1, 1, 3)
    assert d.added_ids == ["r005"] and d.removed_ids == ["r002"]
    assert d.changed_examples[0]["id"] == "r001" and d.changed_examples[0]["fields"] == ["messages"]


def test_crash_before_manifest_leaves_no_version(tmp_path: Path) -> None:
    store = DatasetStore(str(tmp_path))

    def boom() -> pa.Table:
        raise RuntimeError("crash mid-write")

    def parts():  # type: ignore[no-untyped-def]
        yield records_to_table(recs(3))
        yield boom()

    with pytest.raises(RuntimeError):
        store.write_version("d", parts())
    assert store.list_datasets() == []
    assert list((tmp_path / "d" / "data").iterdir())  # orphan parts exist but are invisible
