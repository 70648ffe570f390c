"""Fact-check claims match the completion ignoring quote style, case and whitespace (issue 19, item 8), and the
stored check keeps exact offsets into the original text."""

from __future__ import annotations

import pytest

from assay.domain.projects import ProjectSpec
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.services.authoring.factcheck import add_fact_check, find_claim, list_fact_checks

REPLY = "The Eiffel Tower\u2019s height is  330\u00a0m \u2014 \u201cofficially\u201d, since 2022.\nIt\u2019s in PARIS."


@pytest.mark.parametrize(("claim", "expected"), [
    ("The Eiffel Tower\u2019s height", "The Eiffel Tower\u2019s height"),               # exact
    ("the eiffel tower's HEIGHT is 330 m", "The Eiffel Tower\u2019s height is  330\u00a0m"),
    ('330 m - "officially"', "330\u00a0m \u2014 \u201cofficially\u201d"),
    ("  it's in paris.  ", "It\u2019s in PARIS."),
    ("since 2022. it's", "since 2022.\nIt\u2019s"),                               # a newline is whitespace
])
def test_claim_found_with_original_offsets(claim: str, expected: str) -> None:
    span = find_claim(REPLY, claim)
    assert span is not None, claim
    start, end = span
    assert REPLY[start:end] == expected


@pytest.mark.parametrize("claim", ["", "   ", "Eiffel Towers", "height is 331 m", "\u2019"])
def test_claim_not_found(claim: str) -> None:
    found = find_claim(REPLY, claim)
    if claim.strip() == "\u2019":  # a lone quote does occur (as itself)
        assert found is not None and REPLY[found[0]:found[1]] == "\u2019"
    else:
        assert found is None


def test_first_occurrence_and_length_changing_case() -> None:
    text = "\u0130stanbul is big. ISTANBUL is old. \u2018Big\u2019 indeed."
    start, end = find_claim(text, "istanbul is old")  # type: ignore[misc]
    assert text[start:end] == "ISTANBUL is old"
    start, end = find_claim(text, "'big' INDEED")  # type: ignore[misc]
    assert text[start:end] == "\u2018Big\u2019 indeed"
    start, end = find_claim(text, "i\u0307stanbul is big")  # type: ignore[misc]  # İ lower-cases to two characters
    assert text[start:end] == "\u0130stanbul is big"


def test_service_stores_exact_offsets(db) -> None:  # type: ignore[no-untyped-def]
    from assay.services.accounts import users
    from assay.services.projects import projects, records

    lead = users.add_user(db, "fc-lead", "fc-lead-password-1", "lead")
    spec = ProjectSpec.from_dict({"name": "fc", "questions": [{"name": "preference", "kind": "pairwise"}]})
    p = projects.create_project(db, spec, lead)
    records.import_records(db, p.id, [Record(external_id="r1", messages=[Message("user", "How tall?")],
                                             completions=[Completion(text="short", model="m"),
                                                          Completion(text=REPLY, model="m")])], lead)
    from assay.services.annotation import queue

    task = queue.claim_next(db, p.id, lead.id)  # the record's id, as the annotate page gets it
    assert task is not None
    rid = task.record_id
    fc = add_fact_check(db, p.id, rid, lead, completion=1, verdict="contradicted", source="https://example.org",
                        correction="324 m", claim="the eiffel tower's height is 330 m")
    assert REPLY[fc.start:fc.end] == fc.claim == "The Eiffel Tower\u2019s height is  330\u00a0m"
    stored = list_fact_checks(db, p.id, lead, rid)
    assert [(c.start, c.end, c.claim) for c in stored] == [(fc.start, fc.end, fc.claim)]
    with pytest.raises(Invalid) as e:
        add_fact_check(db, p.id, rid, lead, completion=1, verdict="unverifiable", claim="height is 331 m")
    assert e.value.details == {"field": "claim"}
