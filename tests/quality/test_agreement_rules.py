"""Agreement rules on Tulu 1's human evaluation (issue 20, item 5): every pair of raters within a record (the
product's raw agreement) beside Tulu's own rule, the first two votes per record. For chatgpt vs tulu_65B Tulu
reports 0.5556; all pairs give 0.5608. The records: 996, of which 97 have two votes and 24 three."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import require_file

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.formats import read_records
from assay.quality import ReliabilityData, observed_agreement
from assay.quality.agreement import first_two_agreement
from assay.services.accounts import users
from assay.services.annotation import judgments
from assay.services.projects import projects
from assay.services.quality import metrics


def _tulu(shared_data: Path) -> list:  # type: ignore[type-arg]
    return list(read_records(require_file(shared_data / "tulu1-human-eval" / "eval_annotations_tulu_1.jsonl"),
                             fmt="tulu"))


def _triples(recs: list, models: set[str] | None = None) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [(r.external_id, j["annotator"], j["answer"]["choice"]) for r in recs
            if models is None or {c.model for c in r.completions} == models for j in r.metadata["judgments"]]


def test_first_two_votes_beside_all_pairs_on_tulu(shared_data: Path) -> None:
    recs = _tulu(shared_data)
    assert len(recs) == 996
    votes = Counter(len(r.metadata["judgments"]) for r in recs)
    assert (votes[2], votes[3]) == (97, 24)  # docs/quality.md says so
    pair = _triples(recs, {"chatgpt", "tulu_65B"})
    first_two, units = first_two_agreement(pair)
    all_pairs = observed_agreement(ReliabilityData.from_triples(pair))
    assert units == 63
    assert round(first_two, 4) == 0.5556  # Tulu 1's own figure
    assert round(all_pairs, 4) == 0.5608
    # the rule by hand: the first two votes of each record in file order
    by_unit: dict[str, list[str]] = {}
    for unit, _, choice in pair:
        by_unit.setdefault(unit, []).append(choice)
    twos = [v[:2] for v in by_unit.values() if len(v) >= 2]
    assert first_two == sum(a == b for a, b in twos) / len(twos)
    assert math.isnan(first_two_agreement([("u", "x", "a")])[0])


@pytest.mark.slow
def test_the_app_reports_both_rules(db, shared_data: Path) -> None:
    recs = _tulu(shared_data)
    lead = users.add_user(db, "lead-tulu", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="tulu", questions=[Question("preference", "pairwise")]), lead)
    judgments.import_judgments(db, p.id, recs, "preference", source="tulu", actor=lead)
    (qa,) = metrics.agreement(db, p.id)
    triples = _triples(recs)
    assert qa.raw == pytest.approx(observed_agreement(ReliabilityData.from_triples(triples)), abs=1e-12)
    assert qa.raw_first_two == pytest.approx(first_two_agreement(triples)[0], abs=1e-12)
    assert qa.raw_first_two != qa.raw
