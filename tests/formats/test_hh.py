"""Anthropic HH: the real harmless-base test split, turn parsing and the three divergence modes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from assay.errors import Invalid
from assay.formats import ReadStats, load_records, read_records

DIVERGENT_LINES = [1255, 1689, 1951, 1953, 2037]


@pytest.fixture(scope="module")
def hh_path(shared_data: Path) -> Path:
    return shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"


@pytest.fixture(scope="module")
def hh_records(hh_path: Path) -> list:
    return load_records(hh_path)


def test_count_ids_and_sources(hh_records: list) -> None:
    assert len(hh_records) == 2312
    assert len({r.external_id for r in hh_records}) == 2312
    assert hh_records[0].source == "test.jsonl.gz:1"
    assert hh_records[-1].source == "test.jsonl.gz:2312"
    assert all(len(r.completions) == 2 for r in hh_records)


def test_known_record_prompt_split(hh_records: list, hh_path: Path) -> None:
    r = hh_records[0]
    assert [m.role for m in r.messages] == ["user", "assistant", "user", "assistant", "user"]
    assert r.messages[0].content == "what are some pranks with a pen i can do?"
    assert r.messages[1].content == "Are you looking for practical joke ideas?"
    assert r.messages[2].content == "yep"
    assert r.messages[4].content == "okay some of these do not have anything to do with pens"
    with gzip.open(hh_path, "rt", encoding="utf-8") as f:
        source = json.loads(f.readline())
    chosen = r.completions[r.metadata["hh_chosen"]]
    rejected = r.completions[1 - r.metadata["hh_chosen"]]
    assert chosen.text == source["chosen"].rsplit("\n\nAssistant:", 1)[1].strip()
    assert rejected.text == source["rejected"].rsplit("\n\nAssistant:", 1)[1].strip()
    assert chosen.text.startswith("No, sorry!")


@pytest.mark.slow
def test_completion_order_is_neutral_and_deterministic(hh_records: list, hh_path: Path) -> None:
    models = {c.model for r in hh_records for c in r.completions}
    assert models == {"hh-rlhf"}
    firsts = [r.metadata["hh_chosen"] for r in hh_records]
    assert 0.4 < sum(firsts) / len(firsts) < 0.6  # the chosen reply is A about half the time
    again = load_records(hh_path)
    assert [r.metadata["hh_chosen"] for r in again] == firsts
    for r in hh_records:
        assert not any("chosen" in k or "rejected" in k for c in r.completions for k in c.metadata)


def test_divergent_lines_keep(hh_records: list) -> None:
    divergent = [int(r.source.split(":")[1]) for r in hh_records if "hh_divergence" in r.metadata]
    assert divergent == DIVERGENT_LINES
    r = hh_records[1255 - 1]
    d = r.metadata["hh_divergence"]
    assert d["turn"] == 3
    # the chosen side has an extra assistant turn before its last reply; the rejected side has none
    assert [t["role"] for t in d["chosen_turns"]] == ["assistant"]
    assert d["rejected_turns"] == []
    assert [m.role for m in r.messages] == ["user", "assistant", "user", "assistant"]
    r = hh_records[1951 - 1]
    assert r.metadata["hh_divergence"]["turn"] == 1
    assert [t["role"] for t in r.metadata["hh_divergence"]["rejected_turns"]] == ["assistant"]


def test_divergent_lines_skip(hh_path: Path) -> None:
    stats = ReadStats()
    records = load_records(hh_path, on_divergence="skip", stats=stats)
    assert len(records) == 2312 - 5
    assert stats.counts["hh_divergent_skipped"] == 5
    assert stats.rows == 2312
    assert not {f"test.jsonl.gz:{n}" for n in DIVERGENT_LINES} & {r.source for r in records}


def test_divergent_lines_error(hh_path: Path) -> None:
    with pytest.raises(Invalid) as e:
        load_records(hh_path, on_divergence="error")
    assert e.value.details["line"] == DIVERGENT_LINES[0]
    assert "line 1255" in e.value.message and "on_divergence" in e.value.message


def test_bad_divergence_mode(hh_path: Path) -> None:
    with pytest.raises(Invalid, match="on_divergence"):
        next(read_records(hh_path, on_divergence="drop"))


def test_hand_written_pair_and_bad_transcript(tmp_path: Path) -> None:
    path = tmp_path / "hh.jsonl"
    good = {
        "chosen": "\n\nHuman: Hi\n\nAssistant: Hello!",
        "rejected": "\n\nHuman: Hi\n\nAssistant: Go away.",
    }
    bad = {"chosen": "\n\nHuman: Hi\n\nHuman: again", "rejected": "\n\nHuman: Hi\n\nAssistant: ok"}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(Invalid) as e:
        load_records(path, "hh")
    assert e.value.details == {
        "file": str(path),
        "line": 2,
        "unit": "line",
        "field": "chosen",
        "reason": "the transcript must end with an Assistant turn",
    }
    first = next(read_records(path))
    assert [m.content for m in first.messages] == ["Hi"]
    assert {c.text for c in first.completions} == {"Hello!", "Go away."}
