"""The hand-built sources hold answers the real form would accept (so exporter tests use real shapes)."""

from __future__ import annotations

import pytest
import tests.exporters.exporter_sources as s

from assay.domain.annotations import ExportSource
from assay.domain.questions import validate_answers


@pytest.mark.parametrize("make", [s.pairwise_source, s.ranking_source, s.rating_source])
def test_answers_validate(make: object) -> None:
    src: ExportSource = make()  # type: ignore[operator]
    for it in src.items:
        texts = [c.text for c in it.record.completions]
        for a in it.annotations:
            validate_answers(src.questions, a.answers, texts)
