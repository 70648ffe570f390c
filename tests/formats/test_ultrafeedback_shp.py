"""The UltraFeedback (raw and binarized) and SHP readers over fixtures in the published schemas: sniffed by
their keys, stable ids, each completion's score and ratings, and errors that name the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import Invalid
from assay.formats import load_records

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_ultrafeedback_raw_rows_keep_ratings_and_the_fine_grained_score() -> None:
    path = FIXTURES / "ultrafeedback" / "ultrafeedback.jsonl"
    recs = load_records(path)  # sniffed
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 4 and recs[0].source == "ultrafeedback.jsonl:1"
    for rec, row in zip(recs, rows):
        assert rec.messages[0].content == row["instruction"] and rec.metadata["dataset"] == "ultrafeedback"
        assert [c.model for c in rec.completions] == row["models"]
        for c, src in zip(rec.completions, row["completions"]):
            assert c.metadata["score"] == src["fine-grained_score"]  # the mean of the numeric ratings
    assert recs[2].completions[2].metadata["ratings"] == {}  # every rating "N/A": unrated
    assert "honesty" not in recs[2].completions[0].metadata["ratings"]
    assert [r.external_id for r in load_records(path)] == [r.external_id for r in recs]


def test_ultrafeedback_binarized_rows_are_shuffled_pairs_with_scores() -> None:
    recs = load_records(FIXTURES / "ultrafeedback" / "binarized.jsonl")
    rows = [json.loads(x) for x in (FIXTURES / "ultrafeedback" / "binarized.jsonl").read_text().splitlines()]
    for rec, row in zip(recs, rows):
        assert rec.external_id == row["prompt_id"] and [m.role for m in rec.messages] == ["user"]
        by_text = {c.text: c.metadata["score"] for c in rec.completions}
        assert by_text == {row["chosen"][-1]["content"]: row["score_chosen"],
                           row["rejected"][-1]["content"]: row["score_rejected"]}


def test_shp_rows_keep_label_scores_and_ids() -> None:
    recs = load_records(FIXTURES / "shp" / "shp.jsonl")
    assert [r.external_id for r in recs][:1] == ["himc90:fv1q2x3:fv1r8kz"]
    assert [r.metadata["shp_label"] for r in recs] == [1, 0, 0, 1]
    assert [c.metadata["score"] for c in recs[0].completions] == [52.0, 9.0]
    assert recs[0].metadata["domain"] == "askculinary_train" and recs[0].metadata["score_ratio"] > 5


@pytest.mark.parametrize("row, field", [
    ({"instruction": "q", "completions": [{"response": "r", "annotations": {"honesty": {"Rating": "7.5"}}}]},
     "completions[0].annotations.honesty.Rating"),
    ({"instruction": "q", "completions": []}, "completions"),
    ({"prompt": "q", "chosen": "a", "rejected": "b", "score_chosen": "high", "score_rejected": 1}, "score_chosen"),
    ({"prompt": "q", "chosen": [{"role": "user", "content": "q"}], "rejected": "b", "score_chosen": 1,
      "score_rejected": 1}, "chosen"),
])
def test_ultrafeedback_errors_name_line_and_field(tmp_path: Path, row: dict, field: str) -> None:  # type: ignore[type-arg]
    path = tmp_path / "uf.jsonl"
    path.write_text("\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(Invalid) as e:
        load_records(path, "ultrafeedback")
    assert (e.value.details["line"], e.value.details["field"]) == (2, field)


@pytest.mark.parametrize("change, field", [({"labels": "yes"}, "labels"), ({"labels": None}, "labels"),
                                           ({"human_ref_A": None}, "human_ref_A"), ({"score_B": "many"}, "score_B")])
def test_shp_errors_name_line_and_field(tmp_path: Path, change: dict, field: str) -> None:  # type: ignore[type-arg]
    row = {**json.loads((FIXTURES / "shp" / "shp.jsonl").read_text(encoding="utf-8").splitlines()[0]), **change}
    path = tmp_path / "shp.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(Invalid) as e:
        load_records(path, "shp")
    assert (e.value.details["line"], e.value.details["field"]) == (1, field)
