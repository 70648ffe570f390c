"""Raw exports: every annotation by every person, unaggregated.

- `form="annotations"`: one row per annotation (rejected reviews included, marked): record ids,
  annotator, every answer as a JSON string (answer shapes differ by question kind), submitted_at (ISO
  8601), active_seconds, status and review; with `include_record`, the conversation and completions too.
- `form="ranking"`: OpenAssistant-style ranking rows, one per ranking answer: the conversation, every
  completion with its `rank` (tie-group position, 0 = best) and the full `order` (tie groups, best first).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from assay.domain.annotations import ExportSource
from assay.domain.questions import QuestionKind
from assay.errors import Invalid
from assay.exporters.preferences import ranking_orders
from assay.exporters.table import MESSAGES, ExportTable, Tally, conversation, pick_question

FORMS = ("annotations", "ranking")

COMPLETION = pa.struct([("index", pa.int64()), ("model", pa.string()), ("text", pa.string())])
RANKED = pa.struct([("index", pa.int64()), ("model", pa.string()), ("text", pa.string()), ("rank", pa.int64())])

SNIPPET = """from datasets import load_dataset
import json

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
answers = [json.loads(a) for a in ds["answers"]]  # one dict per annotation: question name -> answer"""

RANKING_SNIPPET = """from datasets import load_dataset

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
# each row: prompt, completions [{index, model, text, rank}], order (tie groups, best first)"""


def _annotations(source: ExportSource, include_record: bool) -> ExportTable:
    rows: list[dict[str, Any]] = []
    fields = [("record_id", pa.int64()), ("external_id", pa.string()), ("annotator", pa.string()),
              ("answers", pa.string()), ("submitted_at", pa.string()), ("active_seconds", pa.float64()),
              ("status", pa.string()), ("review", pa.string())]
    if include_record:
        fields += [("prompt", MESSAGES), ("completions", pa.list_(COMPLETION))]
    for item in source.items:
        rec = item.record
        for ann in item.annotations:
            row: dict[str, Any] = {
                "record_id": item.record_id, "external_id": rec.external_id, "annotator": ann.annotator,
                "answers": json.dumps(ann.answers, ensure_ascii=False, sort_keys=True, default=str),
                "submitted_at": ann.submitted_at.isoformat() if ann.submitted_at else None,
                "active_seconds": float(ann.active_seconds), "status": ann.status, "review": ann.review,
            }
            if include_record:
                row["prompt"] = conversation(rec)
                row["completions"] = [{"index": i, "model": c.model, "text": c.text}
                                      for i, c in enumerate(rec.completions)]
            rows.append(row)
    columns = {
        "record_id / external_id": "Assay record id and the record's id in its source",
        "annotator": "who answered",
        "answers": "JSON object: question name -> answer (shapes in docs/exports.md)",
        "submitted_at": "ISO 8601 time of submission",
        "active_seconds": "time on task, counted while the page was active",
        "status / review": "annotation status; reviewer verdict (accepted, rejected or null)",
    }
    if include_record:
        columns["prompt / completions"] = "the conversation and every completion {index, model, text}"
    prompts = {i.record_id: conversation(i.record) for i in source.items}
    counts = {"records": len(source.items), "rows": len(rows),
              "records_without_annotations": sum(not i.annotations for i in source.items),
              "rejected_by_review": sum(a.review == "rejected" for i in source.items for a in i.annotations)}
    return ExportTable(format="raw", rows=rows, schema=pa.schema(fields), counts=counts, columns=columns,
                       options={"form": "annotations", "include_record": include_record},
                       prompt_of=lambda r: prompts[r["record_id"]],
                       trainer="none (raw judgments for analysis and custom aggregation)", snippet=SNIPPET,
                       annotators={a.annotator for i in source.items for a in i.annotations})


def _ranking(source: ExportSource, question: str | None) -> ExportTable:
    q = pick_question(source, (QuestionKind.ranking,), question, "a raw ranking export")
    if q is None:
        raise Invalid(f"project {source.project!r} has no ranking question; use form='annotations'")
    tally = Tally("records_unranked")
    rows: list[dict[str, Any]] = []
    annotators: set[str] = set()
    for item in source.items:
        orders = ranking_orders(q, item.annotations)
        if not orders:
            tally.add("records_unranked")
        by_who = {a.annotator: a for a in item.annotations}
        for who, pos in orders:
            groups = sorted({g for g in pos.values()})
            ann = by_who[who]
            rows.append({
                "record_id": item.record_id, "external_id": item.record.external_id, "annotator": who,
                "prompt": conversation(item.record),
                "completions": [{"index": i, "model": c.model, "text": c.text, "rank": pos.get(i)}
                                for i, c in enumerate(item.record.completions)],
                "order": [sorted(i for i, g in pos.items() if g == grp) for grp in groups],
                "submitted_at": ann.submitted_at.isoformat() if ann.submitted_at else None,
                "review": ann.review,
            })
            annotators.add(who)
    schema = pa.schema([("record_id", pa.int64()), ("external_id", pa.string()), ("annotator", pa.string()),
                        ("prompt", MESSAGES), ("completions", pa.list_(RANKED)),
                        ("order", pa.list_(pa.list_(pa.int64()))), ("submitted_at", pa.string()),
                        ("review", pa.string())])
    columns = {
        "record_id / external_id / annotator": "which record, ranked by whom",
        "prompt": "the conversation: list of {role, content}",
        "completions": "every completion {index, model, text, rank}; rank 0 is best, equal ranks are ties",
        "order": "tie groups of completion indexes, best first",
        "submitted_at / review": "ISO 8601 submission time; reviewer verdict",
    }
    counts = {"records": len(source.items), "rows": len(rows), **tally.as_dict()}
    return ExportTable(format="raw", rows=rows, schema=schema, counts=counts, columns=columns,
                       options={"form": "ranking", "question": q.name}, prompt_of=lambda r: r["prompt"],
                       trainer="none (full rankings, OpenAssistant-style)", snippet=RANKING_SNIPPET,
                       annotators=annotators)


def raw_rows(source: ExportSource, *, form: str = "annotations", include_record: bool = True,
             question: str | None = None) -> ExportTable:
    """Raw rows in `form` 'annotations' or 'ranking' (see the module docstring).

    Raises Invalid for an unknown form, or for 'ranking' when the project has no ranking question.
    """
    if form not in FORMS:
        raise Invalid(f"raw form {form!r} is unknown; use one of {', '.join(FORMS)}")
    if form == "ranking":
        return _ranking(source, question)
    return _annotations(source, include_record)
