"""SFT export in TRL's conversational language-modeling form: `messages` = conversation + reply.

The reply is, in order of preference:
1. the gold answer (a trainer's rewrite): the `text` question named by `gold` (export option), else by the
   project setting `sft_gold_question`, else the first `text` question with option `{"gold": true}`, else the
   first `text` question prefilled from a response (`prefill: completion`, the workspace's gold answer with
   a diff); when several annotators wrote one, the one a reviewer accepted wins, then the latest submitted.
   Text answers to other questions are not used: the table's `warnings` says which and how many;
2. otherwise (when `use_completions`) the record's preferred completion: the unique best of the
   rankings, or the pairwise majority winner (see `assay.exporters.preferences`). With
   `drop_flagged`, a completion flagged by at least `min_flags` annotators (labels, or contradicted spans)
   drops the record. Records with `hh_divergence` are never answered by a completion.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import pyarrow as pa

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.answers import TextAnswer
from assay.domain.questions import Question, QuestionKind
from assay.errors import Invalid
from assay.exporters.preferences import PREFERENCE_KINDS, best_completion, diverged
from assay.exporters.signals import flag_counts
from assay.exporters.table import (
    LINEAGE,
    LINEAGE_DOC,
    MESSAGES,
    ExportTable,
    Tally,
    assistant,
    conversation,
    pick_question,
    row_lineage,
    used_annotations,
)

SCHEMA = pa.schema([
    ("messages", MESSAGES),
    ("record_id", pa.int64()),
    ("external_id", pa.string()),
    ("source", pa.string()),
    ("completion_index", pa.int64()),
    ("model", pa.string()),
    ("annotator", pa.string()),
    ("num_judgments", pa.int64()),
    ("lineage", LINEAGE),
])

COLUMNS = {
    "messages": "conversation followed by the assistant reply: list of {role, content}",
    "record_id / external_id": "Assay record id and the record's id in its source",
    "source": "where the reply came from: 'gold' (a written answer), 'ranking' or 'pairwise'",
    "completion_index / model": "the chosen completion and its model (null for gold answers)",
    "annotator": "who wrote the gold answer (null otherwise)",
    "num_judgments": "annotations that informed the choice",
    "lineage": LINEAGE_DOC + " (the gold answer's writer, or the judgments that chose the completion)",
}

SNIPPET = """from datasets import load_dataset
from trl import SFTConfig, SFTTrainer

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"), train_dataset=ds)"""

REASONS = ("excluded_hh_divergence", "excluded_unjudged", "excluded_tie", "excluded_split",
           "excluded_flagged")


def gold_question(source: ExportSource, name: str | None) -> Question | None:
    """The gold-answer question: the one named (option, else the project setting `sft_gold_question`), else
    the first `text` question with option gold=true, else the first prefilled from a response."""
    name = name if name is not None else source.settings.get("sft_gold_question")
    if name is not None:
        return pick_question(source, (QuestionKind.text,), str(name), "a gold answer")
    texts = [q for q in source.questions if q.kind is QuestionKind.text]
    return (next((q for q in texts if q.options.get("gold")), None)
            or next((q for q in texts if q.options.get("prefill") == "completion"), None))


def unused_text(source: ExportSource, used: Question | None, include_rejected: bool) -> list[str]:
    """A warning per text question (other than `used`) with written answers the SFT export leaves out."""
    out = []
    for q in source.questions:
        if q.kind is not QuestionKind.text or (used is not None and q.name == used.name):
            continue
        n = sum(1 for it in source.items for a in used_annotations(it, include_rejected)
                if (t := a.answer_as(TextAnswer, q.name)) is not None and t.text.strip())
        if n:
            out.append(f"{n} written answers to the text question {q.name!r} are not used: SFT takes replies from "
                       f"{used.name!r} only" if used is not None else
                       f"{n} written answers to the text question {q.name!r} are not used: name it with "
                       f"gold={q.name!r} (or the project setting sft_gold_question) to train on them")
    return out


def _gold(q: Question, anns: list[AnnotationView]) -> tuple[str, str] | None:
    written = [(a, t.text) for a in anns if (t := a.answer_as(TextAnswer, q.name)) is not None and t.text.strip()]
    if not written:
        return None
    best, text = max(written, key=lambda w: (w[0].review == "accepted", w[0].submitted_at or datetime.min))
    return text, best.annotator


def _row(src: ExportSource, item: JudgedRecord, reply: str, source: str, index: int | None,
         annotator: str | None, anns: list[AnnotationView]) -> dict[str, Any]:
    return {
        "messages": conversation(item.record) + assistant(reply),
        "record_id": item.record_id,
        "external_id": item.record.external_id,
        "source": source,
        "completion_index": index,
        "model": item.record.completions[index].model if index is not None else None,
        "annotator": annotator,
        "num_judgments": len(anns),
        "lineage": row_lineage(src, item, [annotator] if annotator is not None else
                               (a.annotator for a in anns)),
    }


def sft_rows(source: ExportSource, *, gold: str | None = None, question: str | None = None,
             use_completions: bool = True, drop_flagged: bool = False, min_flags: int = 1,
             flag_labels: Collection[str] | None = None, span_labels: Collection[str] | None = None,
             include_rejected: bool = False) -> ExportTable:
    """SFT rows for TRL's SFTTrainer, one per record that has a reply (see the module rules).

    `gold` names the gold text question, `question` the preference question (defaults: the first
    suitable one). Raises Invalid when a named question does not exist or has the wrong kind.
    """
    gq = gold_question(source, gold)
    pq = pick_question(source, PREFERENCE_KINDS, question, "an SFT export") if use_completions else None
    if gq is None and pq is None:
        raise Invalid(f"project {source.project!r} has no gold text question (a text question with option "
                      "gold: true) and no pairwise, ranking or code-review question to pick a reply from")
    tally = Tally(*REASONS)
    rows: list[dict[str, Any]] = []
    annotators: set[str] = set()
    for item in source.items:
        anns = used_annotations(item, include_rejected)
        got = _gold(gq, anns) if gq is not None else None
        if got is not None:
            rows.append(_row(source, item, got[0], "gold", None, got[1], anns))
            annotators.add(got[1])
            continue
        if pq is None:
            tally.add("excluded_unjudged")
            continue
        if diverged(item):
            tally.add("excluded_hh_divergence")
            continue
        best = best_completion(item, pq, include_rejected)
        if isinstance(best, str):
            tally.add(best)
            continue
        if drop_flagged:
            flags = flag_counts(source.questions, anns, len(item.record.completions), flag_labels, span_labels)
            if flags.get(best, 0) >= min_flags:
                tally.add("excluded_flagged")
                continue
        kind = "ranking" if pq.kind is QuestionKind.ranking else "pairwise"
        rows.append(_row(source, item, item.record.completions[best].text, kind, best, None, anns))
        annotators.update(a.annotator for a in anns)
    counts = {"records": len(source.items), "rows": len(rows),
              "rows_gold": sum(r["source"] == "gold" for r in rows), **tally.as_dict()}
    options = {"gold": gq.name if gq else None, "question": pq.name if pq else None,
               "use_completions": use_completions, "drop_flagged": drop_flagged, "min_flags": min_flags,
               "flag_labels": sorted(flag_labels) if flag_labels is not None else None,
               "span_labels": sorted(span_labels) if span_labels is not None else None,
               "include_rejected": include_rejected}
    return ExportTable(format="sft", rows=rows, schema=SCHEMA, counts=counts, columns=COLUMNS,
                       options=options, prompt_of=lambda r: r["messages"][:-1],
                       trainer="SFTTrainer (conversational language modeling)", snippet=SNIPPET,
                       annotators=annotators, warnings=unused_text(source, gq, include_rejected))
