"""What every exporter returns: rows plus what the writers and the dataset card need to know about them.

Messages are always `{"role": str, "content": str}` (TRL's conversational form); tool-call payloads are
not carried into training formats (the raw export keeps every answer, the record stays in Assay).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.questions import Question, QuestionKind
from assay.domain.records import Completion, Record
from assay.errors import Invalid

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
#: Every training row's `lineage` column: where the record came from, which stored judgments made the row
#: (annotation ids and pseudonymous annotators, stable within one export) and which export wrote it.
LINEAGE = pa.struct([("source", pa.string()), ("record_id", pa.int64()),
                     ("annotation_ids", pa.list_(pa.int64())), ("annotators", pa.list_(pa.string())),
                     ("export_id", pa.string())])
LINEAGE_DOC = ("{source: the record's source ('dataset@N#id', 'file:line' or 'project#id'), record_id, "
               "annotation_ids: the stored judgments behind the row, annotators: pseudonyms (stable within "
               "this export), export_id}; `assay lineage` walks it back")


def record_source(source: ExportSource, item: JudgedRecord) -> str:
    """Where the record came from: its stored source ('dataset@N#id' when pushed from a dataset version,
    'file:line' when imported from a file), else '<project>#<external id>'."""
    return item.record.source or f"{source.project}#{item.record.external_id}"


def pseudonym(export_id: str, annotator: str) -> str:
    """A stable pseudonym for `annotator` within one export (different exports give different ones)."""
    return "t-" + hashlib.sha256(f"{export_id}\x00{annotator}".encode()).hexdigest()[:10]


def row_lineage(source: ExportSource, item: JudgedRecord, annotators: Iterable[str]) -> dict[str, Any]:
    """The `lineage` value of a row made from `item` by the judgments of `annotators` (usernames)."""
    who = set(annotators)
    used = [a for a in item.annotations if a.annotator in who]
    ids = sorted(a.annotation_id for a in used if a.annotation_id is not None)
    return {"source": record_source(source, item), "record_id": item.record_id, "annotation_ids": ids,
            "annotators": sorted(pseudonym(source.export_id, w) for w in who),
            "export_id": source.export_id}


def conversation(record: Record) -> list[dict[str, str]]:
    """The record's conversation as TRL messages (role and content only)."""
    return [{"role": m.role, "content": m.content} for m in record.messages]


def assistant(completion: Completion | str) -> list[dict[str, str]]:
    """One completion (or a written answer) as a one-element list of assistant messages."""
    text = completion.text if isinstance(completion, Completion) else completion
    return [{"role": "assistant", "content": text}]


def prompt_key(messages: list[dict[str, str]]) -> str:
    """A canonical text for a prompt, used to split train/test so one prompt never lands on both sides."""
    return json.dumps([[m["role"], m["content"]] for m in messages], ensure_ascii=False)


@dataclass
class ExportTable:
    """Rows of one training format and the facts the writers and the dataset card need.

    `counts` holds what was kept and what was excluded, by reason (e.g. `excluded_tie`); `columns`
    describes each column for the card; `prompt_of(row)` gives the prompt messages a row was made from
    (the train/test split hashes it); `trainer` and `snippet` tell users how to load the data.
    """

    format: str
    rows: list[dict[str, Any]]
    schema: pa.Schema
    counts: dict[str, int]
    columns: dict[str, str]
    options: dict[str, Any]
    prompt_of: Callable[[dict[str, Any]], list[dict[str, str]]]
    trainer: str = ""
    snippet: str = ""
    annotators: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)  # printed by the CLI and in the card


def used_annotations(item: JudgedRecord, include_rejected: bool) -> list[AnnotationView]:
    """The annotations an export may use: submitted ones, minus those a reviewer rejected (unless asked)."""
    return [
        a for a in item.annotations
        if a.status == "submitted" and (include_rejected or a.review != "rejected")
    ]


def pick_question(source: ExportSource, kinds: tuple[QuestionKind, ...], name: str | None,
                  purpose: str) -> Question | None:
    """The question an export reads: the one named `name`, else the first of `kinds`, else None.

    Raises Invalid when `name` is given but no such question of a suitable kind exists.
    """
    if name is not None:
        for q in source.questions:
            if q.name == name:
                if q.kind not in kinds:
                    allowed = ", ".join(k.value for k in kinds)
                    raise Invalid(f"question {name!r} is a {q.kind.value} question; {purpose} needs one of: "
                                  f"{allowed}")
                return q
        known = ", ".join(q.name for q in source.questions) or "none"
        raise Invalid(f"project {source.project!r} has no question {name!r} (its questions: {known})")
    for q in source.questions:
        if q.kind in kinds:
            return q
    return None


class Tally:
    """Counts by reason, always listing the reasons an exporter can report (zeros included)."""

    def __init__(self, *reasons: str) -> None:
        self.counter: Counter[str] = Counter({r: 0 for r in reasons})

    def add(self, reason: str, n: int = 1) -> None:
        self.counter[reason] += n

    def as_dict(self) -> dict[str, int]:
        return dict(self.counter)
