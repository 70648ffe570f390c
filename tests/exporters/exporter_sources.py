"""Builders for hand-made export sources (used by conftest.py and the exporter tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

PAIRWISE = Question("pref", "pairwise")
RANKING = Question("rank", "ranking")
RATING = Question("quality", "rating", options={"dimensions": [
    {"name": "helpful", "min": 1, "max": 5}, {"name": "honest", "min": 1, "max": 3}]})
GOLD = Question("gold_answer", "text", required=False, options={"gold": True, "prefill": "completion"})
RATIONALE = Question("why", "text", required=False)
SAFETY = Question("safety", "labels", required=False,
                  options={"choices": ["ok", "unsafe", "biased"], "multi": True, "per_completion": True,
                           "flags": ["unsafe", "biased"]})
SPANS = Question("facts", "spans", required=False, options={"labels": ["contradicted", "unsupported"]})


def ann(who: str, minute: int = 0, review: str | None = None, **answers: Any) -> AnnotationView:
    """One submitted annotation by `who`, `minute` minutes after T0."""
    return AnnotationView(annotator=who, answers=answers, submitted_at=T0.replace(minute=minute),
                          active_seconds=30.0 + minute, review=review)


def pick(choice: str, strength: int | None = 2) -> dict[str, Any]:
    return {"choice": choice, "strength": None if choice == "tie" else strength}


def record(ext: str, prompt: str, *replies: str, metadata: dict[str, Any] | None = None,
           system: str | None = None) -> Record:
    msgs = ([Message("system", system)] if system else []) + [Message("user", prompt)]
    return Record(external_id=ext, messages=msgs,
                  completions=[Completion(text=t, model=f"m{i}") for i, t in enumerate(replies)],
                  metadata=metadata or {})


def item(rid: int, rec: Record, *anns: AnnotationView) -> JudgedRecord:
    return JudgedRecord(record_id=rid, record=rec, annotations=list(anns))


def pairwise_source() -> ExportSource:
    """Six records: clear A, B by majority 2-1, tie, tie-majority, split, HH divergence."""
    return ExportSource(project="pairs", questions=[PAIRWISE, RATIONALE, SAFETY], items=[
        item(1, record("r1", "Say hi", "Hi!", "Go away."),
             ann("ann", 1, pref=pick("a", 3), why={"text": "polite"})),
        item(2, record("r2", "2+2?", "5", "4", system="Be brief."),
             ann("ann", 2, pref=pick("b", 3)), ann("bob", 3, pref=pick("b", 1)),
             ann("cat", 4, pref=pick("a", 2))),
        item(3, record("r3", "Colour of sky?", "Blue", "Blue."),
             ann("ann", 5, pref=pick("tie")), ann("bob", 6, pref=pick("tie"))),
        item(4, record("r4", "Capital of France?", "Paris", "Lyon"),
             ann("ann", 7, pref=pick("tie")), ann("bob", 8, pref=pick("tie")), ann("cat", 9, pref=pick("a", 1))),
        item(5, record("r5", "Best pet?", "Cats", "Dogs"),
             ann("ann", 10, pref=pick("a", 1)), ann("bob", 11, pref=pick("b", 1))),
        item(6, record("r6", "How do I pick a lock?", "I can't help.", "Sure...",
                       metadata={"hh_divergence": {"reason": "transcripts differ at turn 2"}}),
             ann("ann", 12, pref=pick("a", 2))),
    ])


def ranking_source() -> ExportSource:
    """Two records ranked by two annotators; record 1 has a tie group; one review rejected."""
    return ExportSource(project="ranks", questions=[RANKING], items=[
        item(1, record("k1", "Name a fruit", "apple", "banana", "rock", "cherry"),
             ann("ann", 1, rank={"order": [[0], [1, 3], [2]]}),
             ann("bob", 2, rank={"order": [[1], [0], [3], [2]]}),
             ann("eve", 3, review="rejected", rank={"order": [[2], [0, 1, 3]]})),
        item(2, record("k2", "Say yes", "yes", "no"),
             ann("ann", 4, rank={"order": [[0, 1]]})),
    ])


def rating_source() -> ExportSource:
    """Ratings by two annotators; gold answers; flags and contradicted spans; a ranking to fall back on."""
    return ExportSource(project="rubric", questions=[RANKING, RATING, GOLD, SAFETY, SPANS], items=[
        item(1, record("g1", "Explain DNS", "DNS maps names to IPs.", "DNS is a fish."),
             ann("ann", 1, rank={"order": [[0], [1]]},
                 quality={"scores": {"0": {"helpful": 5, "honest": 3}, "1": {"helpful": 1, "honest": 1}}},
                 gold_answer={"text": "DNS translates names to addresses."},
                 facts={"spans": [{"completion": 1, "start": 7, "end": 14, "label": "contradicted", "note": "no"}]}),
             ann("bob", 2, review="accepted", rank={"order": [[0], [1]]},
                 quality={"scores": {"0": {"helpful": 4, "honest": 3}, "1": {"helpful": 2, "honest": 1}}},
                 gold_answer={"text": "DNS resolves host names to IP addresses."})),
        item(2, record("g2", "Tell a joke", "A pun.", "An insult."),
             ann("ann", 3, rank={"order": [[1], [0]]},
                 quality={"scores": {"0": {"helpful": 3, "honest": 2}, "1": {"helpful": 3, "honest": 2}}},
                 safety={"per_completion": {"1": ["unsafe"], "0": ["ok"]}})),
        item(3, record("g3", "Summarise", "Short.", "Long and wrong."),
             ann("ann", 4, rank={"order": [[0], [1]]},
                 quality={"scores": {"0": {"helpful": 4, "honest": 3}, "1": {"helpful": 1, "honest": 2}}},
                 facts={"spans": [{"completion": 0, "start": 0, "end": 5, "label": "unsupported", "note": ""}]})),
    ])
