"""Real data: Anthropic HH harmless-base test split, read by assay.formats, judged as HH judged it, to DPO."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import require_file
from tests.exporters.exporter_sources import PAIRWISE, ann, item, pick

from assay.domain.annotations import ExportSource
from assay.exporters.dpo import dpo_rows
from assay.formats import load_records


@pytest.mark.slow
def test_hh_to_dpo_excludes_divergent_pairs_and_keeps_the_chosen_side(shared_data: Path) -> None:
    path = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    records = load_records(path, "hh", on_divergence="keep")
    assert len(records) == 2312
    items = [item(n, rec, ann("hh", pref=pick("a" if rec.metadata["hh_chosen"] == 0 else "b", 2)))
             for n, rec in enumerate(records, start=1)]
    t = dpo_rows(ExportSource("hh", [PAIRWISE], items))
    assert t.counts["excluded_hh_divergence"] == 5
    assert t.counts["rows"] == 2312 - 5
    by_id = {it.record_id: it.record for it in items}
    for row in t.rows:
        rec = by_id[row["record_id"]]
        assert row["chosen"][0]["content"] == rec.completions[rec.metadata["hh_chosen"]].text
        assert row["prompt"][-1]["role"] == "user"
