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
