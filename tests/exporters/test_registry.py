"""export(): JSONL and Parquet round trips, loading with `datasets` into TRL's column types, splits, card."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import tests.exporters.exporter_sources as s
from tests.conftest import require_module

from assay.domain.annotations import ExportSource
from assay.errors import Invalid
from assay.exporters import EXPORTERS, build, export
from assay.exporters.writers import holdout_share

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def datasets() -> Any:
    """The `datasets` library (dev group), imported only by the tests that load with it: it takes seconds."""
    return require_module("datasets")


def _messages(d: Any) -> Any:
    return d.List({"role": d.Value("string"), "content": d.Value("string")})


def _trl(*columns: str, **features: str) -> Any:
    """The `datasets` features TRL's trainer reads: `columns` are message lists, `features` named Values."""
    return lambda d: {**{c: _messages(d) for c in columns}, **{k: d.Value(v) for k, v in features.items()}}


# format, options, source, the columns TRL's trainer reads and their `datasets` feature types (given `datasets`)
CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("dpo", {}, s.pairwise_source, _trl("prompt", "chosen", "rejected")),
    ("dpo", {"mode": "best_vs_worst"}, s.ranking_source, _trl("prompt", "chosen", "rejected")),
    ("sft", {}, s.rating_source, _trl("messages")),
    ("reward", {}, s.pairwise_source, _trl("prompt", "chosen", "rejected", margin="float64")),
    ("reward", {"form": "implicit"}, s.ranking_source, _trl("chosen", "rejected")),
    ("reward", {"form": "pointwise"}, s.rating_source, _trl("prompt", "completion", score="float64")),
    ("kto", {}, s.rating_source, _trl("prompt", "completion", label="bool")),
    ("raw", {}, s.pairwise_source, _trl("prompt", answers="string")),
    ("raw", {"form": "ranking"}, s.ranking_source,
     lambda d: {"order": d.List(d.List(d.Value("int64")))}),
]


def _ids(case: tuple[str, dict[str, Any], Any, Any]) -> str:
    return case[0] + "-" + "-".join(str(v) for v in case[1].values())


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.slow
def test_parquet_loads_with_datasets_in_trl_types(case: Any, tmp_path: Path, datasets: Any) -> None:
    fmt, options, make, features = case
    expected = features(datasets)
    src = make()
    result = export(src, fmt, tmp_path / "out", file_format="parquet", **options)
    table = build(src, fmt, **options)
    assert result.rows == len(table.rows) > 0
    ds = datasets.load_dataset("parquet", data_files={"train": str(result.paths["train"])},
                               cache_dir=str(tmp_path / "cache"))["train"]
    for col, feature in expected.items():
        assert ds.features[col] == feature, col
    assert ds.to_list() == table.rows  # nested columns come back as lists of dicts, not JSON strings
    assert result.card_path.read_text(encoding="utf-8").startswith("---\nconfigs:")


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_jsonl_round_trip(case: Any, tmp_path: Path) -> None:
    fmt, options, make, _ = case
    src = make()
    result = export(src, fmt, tmp_path, **options)
    lines = result.paths["train"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == build(src, fmt, **options).rows


def test_parquet_schema_is_nested_not_strings(tmp_path: Path) -> None:
    result = export(s.pairwise_source(), "dpo", tmp_path, file_format="parquet")
    schema = pq.read_schema(result.paths["train"])
    assert str(schema.field("prompt").type) == "list<element: struct<role: string, content: string>>"


def test_folder_loads_by_its_card(tmp_path: Path, datasets: Any) -> None:
    export(s.pairwise_source(), "dpo", tmp_path / "dpo", file_format="parquet", test_fraction=0.5)
    dd = datasets.load_dataset(str(tmp_path / "dpo"), cache_dir=str(tmp_path / "cache"))
    assert sum(len(d) for d in dd.values()) == 2


def _many_prompts() -> ExportSource:
    items = []
    for n in range(40):
        for k in range(2):  # two records share each prompt
            rec = s.record(f"p{n}-{k}", f"question {n}", "good", "bad")
            items.append(s.item(n * 2 + k, rec, s.ann("ann", pref=s.pick("a"))))
    return ExportSource("many", [s.PAIRWISE], items)


def test_split_by_prompt_hash_is_stable_and_never_straddles(tmp_path: Path) -> None:
    src = _many_prompts()
    r1 = export(src, "dpo", tmp_path / "a", test_fraction=0.25)
    r2 = export(src, "sft", tmp_path / "b", test_fraction=0.25)

    def prompts(p: Path) -> set[str]:
        return {json.loads(x)["external_id"].split("-")[0] for x in p.read_text().splitlines()}

    train, test = prompts(r1.paths["train"]), prompts(r1.paths["test"])
    assert train and test and not train & test
    assert prompts(r2.paths["test"]) == test  # the same prompts are held out by every format
    assert r1.counts["rows_train"] + r1.counts["rows_test"] == 80
    assert 0 < r1.counts["rows_test"] < 80
    assert holdout_share([{"role": "user", "content": "x"}], "salt") != holdout_share([{"role": "user", "content": "x"}])


def test_card_states_source_counts_agreement_filters_lineage(tmp_path: Path) -> None:
    src = s.pairwise_source()
    src.lineage = ["dataset hh-harmless v3 (sha256:abc)", "project pairs"]
    r = export(src, "dpo", tmp_path, file_format="parquet", agreement={"krippendorff_alpha": 0.4242},
               min_agreement=0.7)
    card = r.card_path.read_text(encoding="utf-8")
    for needle in ("# pairs — dpo export", "| rows | 1 |", "| excluded tie | 2 |", "| excluded split | 1 |",
                   "| excluded hh divergence | 1 |", "| excluded low agreement | 1 |",
                   "| krippendorff_alpha | 0.4242 |", "| min_agreement | 0.7 |",
                   "- dataset hh-harmless v3 (sha256:abc)", "| trainers whose judgments went in | 1 |",
                   "`chosen`", "DPOTrainer", 'load_dataset("parquet"'):
        assert needle in card, needle
    jsonl_card = export(src, "dpo", tmp_path / "j").card_path.read_text(encoding="utf-8")
    assert 'load_dataset("json", data_files={"train": "train.jsonl"})' in jsonl_card


def test_registry_errors(tmp_path: Path) -> None:
    assert set(EXPORTERS) == {"dpo", "sft", "reward", "kto", "raw", "label-studio"}
    src = s.pairwise_source()
    with pytest.raises(Invalid, match="unknown; use one of dpo"):
        export(src, "ppo", tmp_path)
    with pytest.raises(Invalid, match="file format"):
        export(src, "dpo", tmp_path, file_format="csv")
    with pytest.raises(Invalid, match="takes no option min_agrement"):
        export(src, "dpo", tmp_path, min_agrement=0.5)
    with pytest.raises(Invalid, match="test_fraction"):
        export(src, "dpo", tmp_path, test_fraction=1.0)
