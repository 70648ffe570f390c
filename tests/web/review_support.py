"""A project asking every question kind, answered by two annotators, for the review page tests (httpx and
Playwright): answers with curly quotes and very long lines, a gold rewrite of reply A, spans with labels,
code-review verdicts, a record where the two annotators disagree, and a gold record one of them got wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.domain.projects import ProjectSpec
from assay.domain.records import CodeTask, Completion, Message, Record

LONG = "supercalifragilistic" * 30  # one 600-character word: must wrap, not run off the page
REPLY_A = "The Eiffel Tower is in Paris. It opened in 1889 and it’s 330 m tall."
REPLY_B = "It is in Lyon and opened in 1920. " + LONG
QUESTIONS: list[dict[str, Any]] = [
    {"name": "preference", "kind": "pairwise", "title": "Which reply is better?"},
    {"name": "rank", "kind": "ranking", "title": "Rank the replies", "required": False},
    {"name": "rubric", "kind": "rating", "title": "Rubric", "required": False,
     "options": {"dimensions": [{"name": "helpfulness", "min": 1, "max": 5}, {"name": "tone", "min": 1, "max": 3}]}},
    {"name": "safety", "kind": "labels", "title": "Safety", "required": False,
     "options": {"choices": ["unsafe", "biased", "private_data"], "multi": True, "per_completion": True}},
    {"name": "topic", "kind": "labels", "title": "Topic", "required": False,
     "options": {"choices": ["travel", "science", "code"]}},
    {"name": "rationale", "kind": "text", "title": "Why?", "required": False},
    {"name": "gold", "kind": "text", "title": "Best answer", "required": False,
     "options": {"prefill": "completion", "prefill_from": 0}},
    {"name": "errors", "kind": "spans", "title": "Mark errors", "required": False,
     "options": {"labels": ["hallucination", "outdated"]}},
]
CODE_QUESTIONS: list[dict[str, Any]] = [{"name": "code", "kind": "code_review", "title": "Code review"}]
REWRITE = "The Eiffel Tower is in Paris, France. It opened in 1889 and is 330 metres tall."


def full_answers(choice: str = "a") -> dict[str, Any]:
    """Every question answered (the curly apostrophe and a long line in the rationale)."""
    start = REPLY_B.index("Lyon")
    return {
        "preference": {"choice": choice, "strength": 2},
        "rank": {"order": [[1], [0, 2]]},
        "rubric": {"scores": {"0": {"helpfulness": 4, "tone": 3}, "1": {"helpfulness": 2}}},
        "safety": {"per_completion": {"0": [], "1": ["private_data"], "2": []}},
        "topic": {"labels": ["travel"]},
        "rationale": {"text": "A is right; B’s “Lyon” is wrong. " + LONG},
        "gold": {"text": REWRITE, "base": 0},
        "errors": {"spans": [{"completion": 1, "start": start, "end": start + 4, "label": "hallucination",
                              "note": "it is in Paris"},
                             {"completion": 1, "start": start + 19, "end": start + 23, "label": "outdated",
                              "note": "1889"}],
                   "none_found": False},
    }


CODE_ANSWERS = {"code": {"verdicts": {"0": "correct", "1": "buggy"}, "tests": "assert add_one(1) == 2",
                         "rationale": "B is off by one", "preference": {"choice": "a", "strength": 3}}}


def record(i: int, external_id: str = "") -> Record:
    return Record(external_id=external_id or f"rv-{i}", messages=[Message("user", f"Where is the Eiffel Tower? ({i})")],
                  completions=[Completion(REPLY_A, model="m-a"), Completion(REPLY_B, model="m-b"),
                               Completion("No idea.", model="m-c")])


def code_record() -> Record:
    return Record(external_id="code-0", messages=[Message("user", "Write add_one(x).")],
                  completions=[Completion("def add_one(x):\n    return x + 1\n", model="m-a"),
                               Completion("def add_one(x):\n    return x + 2\n", model="m-b")],
                  code=CodeTask(problem="Write add_one(x).", entry_point="add_one",
                                visible_tests="assert add_one(1) == 2"))


@dataclass
class ReviewWorld:
    project_id: int
    other_project_id: int
    code_project_id: int
    users: dict[str, Any]
    gold_record: str


def build(db: Any, n_records: int = 4, review_settings: dict[str, Any] | None = None) -> ReviewWorld:
    """Project "rv" (k=2) with `n_records` ordinary records and one gold record; ann1 and ann2 answer all of
    them (they disagree on rv-1; ann2 gets the gold record wrong); a reviewer, a lead, a second project
    with its own lead. Users' passwords are "<name>-password-1"."""
    from assay.services.accounts import users
    from assay.services.annotation import queue, submissions
    from assay.services.projects import projects, records
    from assay.services.quality import gold

    made = {name: users.add_user(db, name, f"{name}-password-1", role)
            for name, role in (("boss", "lead"), ("rev", "annotator"), ("ann1", "annotator"),
                               ("ann2", "annotator"), ("otherlead", "lead"))}
    spec = ProjectSpec.from_dict({"name": "rv", "title": "Review me", "questions": QUESTIONS,
                                  "annotators_per_record": 2,
                                  "settings": {"review": review_settings or {"mode": "all"},
                                               "gold": {"first_n": 1, "min_items": 5}}})
    p = projects.create_project(db, spec, made["boss"])
    records.import_records(db, p.id, [record(i) for i in range(n_records)] + [record(99, "rv-gold")], made["boss"])
    gold.set_gold(db, p.id, "rv-gold", {"preference": {"choice": "a", "strength": 1}})
    projects.add_member(db, p.id, "rev", "reviewer", made["boss"])
    for name in ("ann1", "ann2"):
        projects.add_member(db, p.id, name, "annotator", made["boss"])
    other = projects.create_project(db, ProjectSpec.from_dict({"name": "other", "questions": QUESTIONS[:1]}),
                                    made["otherlead"])
    for name in ("ann1", "ann2"):
        uid = made[name].id
        while (t := queue.claim_next(db, p.id, uid)) is not None:
            ext = t.record.external_id
            choice = "b" if (name == "ann2" and ext in ("rv-1", "rv-gold")) else "a"
            submissions.submit(db, p.id, t.record_id, uid, full_answers(choice), 30)
    code = projects.create_project(db, ProjectSpec.from_dict({"name": "rv-code", "questions": CODE_QUESTIONS}),
                                   made["boss"])
    records.import_records(db, code.id, [code_record()], made["boss"])
    projects.add_member(db, code.id, "rev", "reviewer", made["boss"])
    projects.add_member(db, code.id, "ann1", "annotator", made["boss"])
    t = queue.claim_next(db, code.id, made["ann1"].id)
    assert t is not None
    submissions.submit(db, code.id, t.record_id, made["ann1"].id, CODE_ANSWERS, 30)
    return ReviewWorld(p.id, other.id, code.id, made, "rv-gold")
