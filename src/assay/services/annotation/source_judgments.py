"""Source judgments: a data set's own preferences stored as judgments by a named source annotator.

A public preference set carries its verdict inside the data: HH's `chosen`/`rejected` (the reader keeps it as
`metadata["hh_chosen"]`, the index of the chosen completion) and OpenAssistant's ranks (the reader keeps
`metadata["ranking"]`, completion indexes best first, and each completion's `rank`). `with_source_judgments`
turns that verdict into one `metadata["judgments"]` entry per record, answering the project's question:

- a **pairwise** question: HH's chosen side (`{"choice": "a" | "b", "strength": null}` — HH never asked for a
  strength); an OASST group of exactly two replies the same way; a larger OASST group cannot be one pairwise
  answer and is skipped (counted);
- a **ranking** question: the order (OASST: tie groups by equal `rank`; HH: chosen first).

`import_source_judgments` stores them through `judgments.import_judgments` as submitted annotations by the
placeholder user `ext-source-<annotator>` (deactivated, cannot sign in), so agreement between the source and the
trainers is computable and exports carry them with lineage. Source annotators are not trainers: they never
appear in the trainer statistics, the timesheet or pay (see `is_source_annotator`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Invalid
from assay.services.annotation import judgments
from assay.store.db import Db

SOURCE = "source"
FORMATS = ("hh", "oasst")
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


def _order(rec: Record) -> list[list[int]] | None:
    """The record's source order as tie groups, best first (None when the record carries none)."""
    if "ranking" in rec.metadata and rec.completions:
        raw = {i: c.metadata.get("rank") for i, c in enumerate(rec.completions)}
        ranks = {i: r for i, r in raw.items() if isinstance(r, int)}
        if len(ranks) == len(raw):
            return [[i for i in sorted(ranks) if ranks[i] == g] for g in sorted(set(ranks.values()))]
        return [[int(i)] for i in rec.metadata["ranking"]]
    chosen = rec.metadata.get("hh_chosen")
    if isinstance(chosen, int) and len(rec.completions) == 2:
        return [[chosen], [1 - chosen]]
    return None


def source_answer(rec: Record, kind: str) -> tuple[dict[str, Any] | None, str]:
    """The source's answer to a question of `kind` for one record, or None and why it has none."""
    order = _order(rec)
    if order is None:
        return None, "no_source_preference"
    if kind == "ranking":
        return {"order": order}, ""
    if kind == "pairwise":
        if len(rec.completions) != 2:
            return None, "more_than_two_replies"
        if len(order) == 1:
            return {"choice": "tie", "strength": None}, ""
        return {"choice": "a" if order[0] == [0] else "b", "strength": None}, ""
    raise Invalid(f"source judgments answer a pairwise or ranking question, not a {kind} question")


def with_source_judgments(records: list[Record], kind: str, annotator: str) -> tuple[list[Record], dict[str, int]]:
    """The records, each with the source's judgment as `metadata["judgments"]`, and records skipped by reason
    (they are still imported, without a judgment)."""
    out: list[Record] = []
    skipped: dict[str, int] = {}
    for rec in records:
        ans, why = source_answer(rec, kind)
        if ans is None:
            skipped[why] = skipped.get(why, 0) + 1
            out.append(rec)
            continue
        out.append(replace(rec, metadata={**rec.metadata, "judgments": [{"annotator": annotator, "answer": ans}]}))
    return out, skipped


def import_source_judgments(db: Db, project_id: int, records: list[Record], question: str, *, annotator: str,
                            actor: User | None = None) -> SourceImport:
    """Import `records` into the project with the data set's own preference as a judgment by `annotator` on
    `question` (a pairwise or ranking question of the project). Raises NotFound / Invalid."""
    from assay.services.projects import projects

    if not annotator or len(annotator) > 60:
        raise Invalid("name the source annotator (1 to 60 characters), e.g. --annotator hh")
    project = projects.get_project(db, project_id)
    q = next((q for q in project.questions if q.name == question), None)
    if q is None:
        raise Invalid(f"project {project.name!r} has no question {question!r}; its questions: "
                      + ", ".join(x.name for x in project.questions), details={"field": "question"})
    recs, skipped = with_source_judgments(records, q.kind.value, annotator)
    r = judgments.import_judgments(db, project_id, recs, question, source=SOURCE, actor=actor)
    if r.annotations_skipped:
        skipped["invalid_answer"] = skipped.get("invalid_answer", 0) + r.annotations_skipped
    return SourceImport(judgments.external_username(SOURCE, annotator), len(records), r.records_created,
                        r.records_existing, r.annotations_created, skipped)
