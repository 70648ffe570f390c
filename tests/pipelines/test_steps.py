"""Filter, map, exact dedup, quality, decontamination, sampling, and step building rules."""

from __future__ import annotations

import pytest

from assay.errors import Invalid, Unavailable
from assay.pipelines.base import Requirement, Step
from assay.pipelines.registry import build_step, register
from tests.pipelines.helpers import batch


def test_filter_where_length_regex() -> None:
    b = batch(("short", "ok"), ("a much longer prompt here", "an answer"), ("drop me SECRET", "x"))
    out = build_step("filter", {"where": "json_extract(metadata, '$.n')::INT >= 1", "min_chars": 10,
                                "regex": "SECRET", "regex_action": "drop"}).process(b)
    assert out.table.column("id").to_pylist() == ["r0001"]
    assert out.stats.dropped == {"where": 1, "regex": 1}


def test_filter_where_cannot_read_files_or_chain_statements() -> None:
    b = batch(("a", "b"))
    with pytest.raises(Invalid, match="failed"):
        build_step("filter", {"where": "(SELECT count(*) FROM read_text('/etc/passwd')) > 0"}).process(b)
    with pytest.raises(Invalid, match="without ';'"):
        build_step("filter", {"where": "true; DROP TABLE x"})


def test_annotate_only_counts_would_drop() -> None:
    b = batch(("a", "b"), ("a longer one", "c"))
    out = build_step("filter", {"min_chars": 8, "annotate_only": True}).process(b)
    assert out.table.num_rows == 2 and out.stats.would_drop == {"too_short_chars": 1} and not out.stats.dropped


def test_map_functions_and_templates() -> None:
    b = batch(("  padded  ", " answer "))
    out = build_step("map", {"function": "strip_whitespace", "rename": {"n": "index"},
                             "set": {"tag": "row-{id}-{index}"}}).process(b)
    row = out.table.to_pylist()[0]
    assert row["messages"][0]["content"] == "padded" and row["completions"][0]["text"] == "answer"
    assert row["metadata"] == '{"index":0,"tag":"row-r0000-0"}'
    assert out.stats.counters["changed"] == 1
    with pytest.raises(Invalid, match="plain name"):
        build_step("map", {"set": {"x": "{id.__class__}"}})
    with pytest.raises(Invalid, match="no function"):
        build_step("map", {"function": "nope"})


def test_exact_dedup_is_global_and_keeps_smallest_id() -> None:
    step = build_step("exact_dedup")
    shard_a = batch(("Hello  World", "x"), ("unique", "y"), ids=["z9", "a1"])
    shard_b = batch(("hello world", "X"), ids=["b2"])
    step.plan([step.collect(shard_a), step.collect(shard_b)])  # type: ignore[attr-defined]
    out_a, out_b = step.process(shard_a), step.process(shard_b)
    assert out_a.table.column("id").to_pylist() == ["a1"]
    assert out_b.table.column("id").to_pylist() == ["b2"]
    assert out_a.stats.dropped == {"duplicate": 1}


def test_quality_measures_and_thresholds() -> None:
    good = "The cat sat on the mat and looked at the birds that were singing in the tree outside."
    bad = "buy now!!! ### ### ### ...\nbuy now!!! ### ### ### ...\nbuy now!!! ### ### ### ..."
    out = build_step("quality", {"min_stop_words": 2, "max_dup_line_frac": 0.3}).process(
        batch(("q", good), ("q", bad)))
    assert out.table.column("id").to_pylist() == ["r0000"]
    assert out.stats.dropped == {"min_stop_words": 1}
    assert out.table.column("quality__words").to_pylist() == [18.0]
    with pytest.raises(Invalid, match="unknown threshold"):
        build_step("quality", {"min_wrds": 3})


def test_decontaminate_against_gsm8k_test(shared_data) -> None:  # type: ignore[no-untyped-def]
    import json

    first = json.loads((shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[0])["question"]
    step = build_step("decontaminate", {"evals": [{"name": "gsm8k", "path": str(shared_data / "gsm8k" / "test.jsonl"),
                                                    "field": "question"}]})
    out = step.process(batch((f"Please solve: {first}", "42"), ("What is two plus two?", "4")))
    assert out.table.column("id").to_pylist() == ["r0001"]
    assert out.stats.counters["contaminated"] == 1
    annotated = build_step("decontaminate", {"evals": step.evals, "action": "annotate"}).process(
        batch((first, "")))
    assert annotated.table.column("decontaminate__match").to_pylist() == ["gsm8k:0"]


def test_sample_random_stratified_diverse_deterministic() -> None:
    b = batch(*[(f"p{i}", "r") for i in range(40)])
    import pyarrow as pa

    b = b.append_column("group", pa.array(["a" if i < 30 else "b" for i in range(40)]))
    for method, by in (("random", None), ("stratified", "group"), ("diverse", "group")):
        s1 = build_step("sample", {"n": 8, "method": method, "by": by, "seed": 3})
        s1.plan([s1.collect(b.slice(0, 20)), s1.collect(b.slice(20))])  # type: ignore[attr-defined]
        s2 = build_step("sample", {"n": 8, "method": method, "by": by, "seed": 3})
        s2.plan([s2.collect(b)])  # type: ignore[attr-defined]
        kept = s1.process(b).table
        assert kept.num_rows == 8 and kept.equals(s2.process(b).table)
        if method == "stratified":
            assert kept.column("group").to_pylist().count("b") == 2
    with pytest.raises(Invalid):
        build_step("sample", {"n": 3, "fraction": 0.1})


def test_sample_diverse_null_cluster_is_a_cluster_of_one() -> None:
    """Records without a cluster (null) each count as their own cluster, not as one big `null` cluster."""
    import pyarrow as pa

    b = batch(*[(f"p{i}", "r") for i in range(20)])
    cluster = ["c1"] * 5 + ["c2"] * 5 + [None] * 10
    b = b.append_column("near_dedup__near_dup_cluster", pa.array(cluster, pa.string()))
    for shards in ([b], [b.slice(0, 7), b.slice(7)]):
        step = build_step("sample", {"n": 12, "method": "diverse", "by": "near_dedup__near_dup_cluster"})
        step.plan([step.collect(s) for s in shards])  # type: ignore[attr-defined]
        kept = step.process(b).table.column("near_dedup__near_dup_cluster").to_pylist()
        # 2 real clusters + 10 singletons = 12 clusters: one record of each, every singleton kept
        assert len(kept) == 12
        assert kept.count(None) == 10 and kept.count("c1") == 1 and kept.count("c2") == 1
    # a smaller n still spreads over clusters: never two of one cluster while another has none
    step = build_step("sample", {"n": 4, "method": "diverse", "by": "near_dedup__near_dup_cluster"})
    step.plan([step.collect(b)])  # type: ignore[attr-defined]
    kept = step.process(b).table.column("near_dedup__near_dup_cluster").to_pylist()
    assert len(kept) == 4 and kept.count("c1") <= 1 and kept.count("c2") <= 1
    # metadata keys: a missing key is a cluster of one as well
    meta = batch(*[(f"q{i}", "r") for i in range(6)])
    import json

    metas = [json.dumps({"c": "x"} if i < 3 else {}) for i in range(6)]
    meta = meta.set_column(meta.column_names.index("metadata"), "metadata", pa.array(metas))
    step = build_step("sample", {"n": 4, "method": "diverse", "by": "metadata.c"})
    step.plan([step.collect(meta)])  # type: ignore[attr-defined]
    kept_meta = step.process(meta).table.column("metadata").to_pylist()
    assert sorted(kept_meta).count(json.dumps({"c": "x"})) == 1 and len(kept_meta) == 4


def test_sample_diverse_over_a_real_near_dedup_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The documented spec: near_dedup (annotate only) then `sample` diverse by the column it really
    writes, `near_dedup__near_dup_cluster`: one record per near-duplicate cluster, all loners kept."""
    from assay.datasets import DatasetStore
    from assay.pipelines.runner import run_pipeline
    from assay.pipelines.spec import PipelineSpec

    bases = ["the quick brown fox jumps over the lazy dog near the river bank on a sunny day",
             "seven purple elephants marched slowly across a frozen lake under pale winter stars",
             "our quarterly report shows revenue growth in every region except the northern sales area"]
    pairs = [(f"question {i}", f"{bases[i // 4]} copy {i % 4}") for i in range(12)]  # 3 clusters of 4
    pairs += [(f"loner {i}", f"completely different text about topic {i} " * 3 + f"unique{i}") for i in range(6)]
    store = DatasetStore(str(tmp_path / "store"))
    m = store.write_version("nd", [batch(*pairs)])
    spec = PipelineSpec.parse({"shards": 3, "steps": [
        {"near_dedup": {"field": "response", "threshold": 0.7, "ngram": 3, "annotate_only": True}},
        {"sample": {"n": 9, "method": "diverse", "by": "near_dedup__near_dup_cluster"}}]})
    out = store.read_table(run_pipeline(store, spec, m.ref).manifest)
    clusters = out.column("near_dedup__near_dup_cluster").to_pylist()
    assert len(clusters) == 9 and clusters.count(None) + len(set(clusters) - {None}) == 9
    real = [c for c in clusters if c is not None]
    assert len(real) == 3 and len(set(real)) == 3  # one per cluster
    assert clusters.count(None) == 6  # every record without near-duplicates is kept


def test_missing_optional_dependency_names_install_command() -> None:
    @register
    class NeedsMissing(Step):
        name = "needs_missing_pkg"
        requires = (Requirement("surely_not_installed_pkg", "surely-not-installed"),)

    with pytest.raises(Unavailable, match="uv add surely-not-installed"):
        build_step("needs_missing_pkg")


def test_unknown_step_and_params() -> None:
    with pytest.raises(Invalid, match="known steps"):
        build_step("filtr")
    with pytest.raises(Invalid, match="bad parameters"):
        build_step("filter", {"min_charz": 3})
