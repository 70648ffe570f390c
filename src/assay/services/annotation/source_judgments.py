"""Source judgments: a data set's own preferences stored as judgments by a named source annotator.

A public preference set carries its verdict inside the data; the format readers keep it on the record and
`with_source_judgments` turns it into one `metadata["judgments"]` entry per record answering the project's
question. The verdicts, as the readers keep them:

- HH: `metadata["hh_chosen"]`, the index of the chosen completion;
- OASST: `metadata["ranking"]` (completion indexes best first) and each completion's `rank` (equal ranks tie);
- LLMBar: `metadata["gold"]`, the gold label as a pairwise answer (`metadata["dataset"] == "llmbar"`);
- SHP: `metadata["shp_label"]` (1: completion a, comment A, preferred; 0: b);
- UltraFeedback: each completion's `metadata["score"]` (higher is better, equal scores tie) and, for a rating
  question, its `metadata["ratings"]` (aspect → 1..5).

The answers:

- a **pairwise** question: the preferred side, `{"choice": "a" | "b" | "tie", "strength": null}` (no source
  gives a strength Assay could map to slightly/clearly/much: SHP's `score_ratio` is kept in the record's
  metadata instead); a record with more than two completions (an OASST group or an UltraFeedback row of four)
  cannot be one pairwise answer and is skipped (`more_than_two_replies`);
- a **ranking** question: the order, best first, with tie groups;
- a **rating** question (UltraFeedback raw rows only): each completion's ratings for the question's dimensions
  named like UltraFeedback's aspects (`helpfulness`, `honesty`, `instruction_following`, `truthfulness`); a
  record where some completion lacks a rating for one of them is skipped (`missing_rating`).

An UltraFeedback record with an unrated completion (no rating, or only "N/A") has no order and is skipped
(`unrated_completion`). A record skipped is still imported, without a judgment, and counted by reason.

`import_source_judgments` stores them through `judgments.import_judgments` as submitted annotations by the
placeholder user `ext-source-<annotator>` (deactivated, cannot sign in), so agreement between the source and the
trainers is computable and exports carry them with lineage. Source annotators are not trainers: they never
appear in the trainer statistics, the timesheet or pay (see `is_source_annotator`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assay.domain.answers import PairwiseAnswer, answer_as
from assay.domain.questions import Question
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid
from assay.services.annotation import judgments
from assay.store.db import Db

SOURCE = "source"
FORMATS = ("hh", "oasst", "llmbar", "ultrafeedback", "shp")
PREFIX = f"ext-{SOURCE}-"  # judgments.external_username(SOURCE, name) starts so


def is_source_annotator(username: str) -> bool:
    """True for the placeholder user of a source annotator (`ext-source-<name>`)."""
    return username.startswith(PREFIX)


@dataclass(frozen=True)
class SourceImport:
    annotator: str  # the placeholder username
    records_read: int
    records_created: int
    records_existing: int
    judgments_created: int
    skipped: dict[str, int]


def _by_score(scores: list[float]) -> list[list[int]]:
    """Completion indexes as tie groups, highest score first."""
    return [[i for i, x in enumerate(scores) if x == g] for g in sorted(set(scores), reverse=True)]


def _order(rec: Record) -> tuple[list[list[int]] | None, str]:
    """The record's source order as tie groups, best first, or None and why it has none."""
    meta, n = rec.metadata, len(rec.completions)
    if "ranking" in meta and rec.completions:
        raw = {i: c.metadata.get("rank") for i, c in enumerate(rec.completions)}
        ranks = {i: r for i, r in raw.items() if isinstance(r, int)}
        if len(ranks) == len(raw):
            return [[i for i in sorted(ranks) if ranks[i] == g] for g in sorted(set(ranks.values()))], ""
        return [[int(i)] for i in meta["ranking"]], ""
    chosen = meta.get("hh_chosen")
    if isinstance(chosen, int) and n == 2:
        return [[chosen], [1 - chosen]], ""
    gold = answer_as(PairwiseAnswer, meta.get("gold"))
    if meta.get("dataset") == "llmbar" and gold is not None and not gold.is_tie and n == 2:
        return ([[0], [1]] if gold.choice == "a" else [[1], [0]]), ""
    label = meta.get("shp_label")
    if meta.get("dataset") == "shp" and label in (0, 1) and n == 2:
        return ([[0], [1]] if label == 1 else [[1], [0]]), ""
    if meta.get("dataset") == "ultrafeedback" and n:
        scores = [c.metadata.get("score") for c in rec.completions]
        if not all(isinstance(x, (int, float)) for x in scores):
            return None, "unrated_completion"
        return _by_score([float(x) for x in scores if x is not None]), ""
    return None, "no_source_preference"


def _ratings(rec: Record, q: Question) -> tuple[dict[str, Any] | None, str]:
    """A rating answer from the completions' UltraFeedback aspect ratings, for the question's dimensions."""
    if rec.metadata.get("dataset") != "ultrafeedback":
        return None, "no_source_ratings"
    dims = [str(d.get("name")) for d in q.options.get("dimensions", [])]
    scores: dict[str, dict[str, int]] = {}
    for i, c in enumerate(rec.completions):
        have = c.metadata.get("ratings") or {}
        if any(d not in have for d in dims):
            return None, "missing_rating"
        scores[str(i)] = {d: int(have[d]) for d in dims}
    return {"scores": scores}, ""


def source_answer(rec: Record, q: Question) -> tuple[dict[str, Any] | None, str]:
    """The source's answer to question `q` for one record, or None and why it has none. Raises Invalid for a
    question kind no source answers (only pairwise, ranking and rating)."""
    kind = q.kind.value
    if kind == "rating":
        return _ratings(rec, q)
    if kind not in ("pairwise", "ranking"):
        raise Invalid(f"source judgments answer a pairwise, ranking or rating question, not a {kind} question")
    order, why = _order(rec)
    if order is None:
        return None, why
    if kind == "ranking":
        return {"order": order}, ""
    if len(rec.completions) != 2:
        return None, "more_than_two_replies"
    if len(order) == 1:
        return {"choice": "tie", "strength": None}, ""
    return {"choice": "a" if order[0] == [0] else "b", "strength": None}, ""


def with_source_judgments(records: list[Record], q: Question, annotator: str) -> tuple[list[Record], dict[str, int]]:
    """The records, each with the source's judgment as `metadata["judgments"]`, and records skipped by reason
    (they are still imported, without a judgment)."""
    out: list[Record] = []
    skipped: dict[str, int] = {}
    for rec in records:
        ans, why = source_answer(rec, q)
        if ans is None:
            skipped[why] = skipped.get(why, 0) + 1
            out.append(rec)
            continue
        out.append(replace(rec, metadata={**rec.metadata, "judgments": [{"annotator": annotator, "answer": ans}]}))
    return out, skipped


def import_source_judgments(db: Db, project_id: int, records: list[Record], question: str, *, annotator: str,
                            actor: User | None = None) -> SourceImport:
    """Import `records` into the project with the data set's own preference as a judgment by `annotator` on
    `question` (a pairwise or ranking question of the project; a rating question for UltraFeedback). Raises
    NotFound / Invalid."""
    from assay.services.projects import projects

    if not annotator or len(annotator) > 60:
        raise Invalid("name the source annotator (1 to 60 characters), e.g. --annotator hh")
    project = projects.get_project(db, project_id)
    q = next((q for q in project.questions if q.name == question), None)
    if q is None:
        raise Invalid(f"project {project.name!r} has no question {question!r}; its questions: "
                      + ", ".join(x.name for x in project.questions), details={"field": "question"})
    recs, skipped = with_source_judgments(records, q, annotator)
    r = judgments.import_judgments(db, project_id, recs, question, source=SOURCE, actor=actor)
    if r.annotations_skipped:
        skipped["invalid_answer"] = skipped.get("invalid_answer", 0) + r.annotations_skipped
    return SourceImport(judgments.external_username(SOURCE, annotator), len(records), r.records_created,
                        r.records_existing, r.annotations_created, skipped)
