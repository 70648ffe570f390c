"""KTO export in TRL's conversational unpaired-preference form: `prompt`, `completion`, `label` (bool).

Each (record, completion) collects labels from the enabled `sources`:
- `preference`: the winner of the record's best-vs-worst pairs is desirable, the loser undesirable
  (pairwise majority, or the best and worst tie groups of the rankings; filters as for DPO);
- `rating`: overall score (0..1) >= `desirable_at` is desirable, <= `undesirable_at` undesirable;
- `verdict`: code-review majority 'correct' is desirable, 'buggy' or 'fails_to_run' undesirable;
- `flag`: flagged by at least `min_flags` annotators (labels or contradicted spans) is undesirable,
  and overrides every other source.
A completion that gets both labels (and no flag) is excluded as `excluded_conflict`; one with none
gives no row. Records with `hh_divergence` are excluded.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pyarrow as pa

from assay.domain.annotations import ExportSource, JudgedRecord
from assay.domain.questions import QuestionKind
from assay.errors import Invalid
from assay.exporters.preferences import PREFERENCE_KINDS, PreferenceOptions, diverged, record_pairs
from assay.exporters.signals import flag_counts, ratings, verdicts
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

SOURCES = ("preference", "rating", "verdict", "flag")

SCHEMA = pa.schema([
    ("prompt", MESSAGES),
    ("completion", MESSAGES),
    ("label", pa.bool_()),
    ("record_id", pa.int64()),
    ("external_id", pa.string()),
    ("completion_index", pa.int64()),
    ("model", pa.string()),
    ("sources", pa.list_(pa.string())),
    ("lineage", LINEAGE),
])

COLUMNS = {
    "prompt": "the conversation: list of {role, content}",
    "completion": "the reply: [{role: assistant, content}]",
    "label": "true = desirable, false = undesirable",
    "record_id / external_id": "Assay record id and the record's id in its source",
    "completion_index / model": "which completion, written by which model",
    "sources": "the signals behind the label: preference, rating, verdict, flag",
    "lineage": LINEAGE_DOC + " (the record's used judgments)",
}

SNIPPET = """from datasets import load_dataset
from trl import KTOConfig, KTOTrainer

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
trainer = KTOTrainer(model=model, args=KTOConfig(output_dir="out"), train_dataset=ds,
                     processing_class=tokenizer)"""


def _labels(source: ExportSource, item: JudgedRecord, sources: set[str], opts: PreferenceOptions,
            desirable_at: float, undesirable_at: float, min_flags: int, flag_labels: Collection[str] | None,
            span_labels: Collection[str] | None, tally: Tally) -> dict[int, dict[str, bool]]:
    out: dict[int, dict[str, bool]] = {}
    anns = used_annotations(item, opts.include_rejected)
    pq = pick_question(source, PREFERENCE_KINDS, opts.question, "a KTO export")
    if "preference" in sources and pq is not None:
        for p in record_pairs(item, pq, opts, tally):
            out.setdefault(p.better, {})["preference"] = True
            out.setdefault(p.worse, {})["preference"] = False
    for q in source.questions:
        if "rating" in sources and q.kind is QuestionKind.rating:
            for i, r in ratings(q, anns).items():
                if r.overall >= desirable_at:
                    out.setdefault(i, {})["rating"] = True
                elif r.overall <= undesirable_at:
                    out.setdefault(i, {})["rating"] = False
        if "verdict" in sources and q.kind is QuestionKind.code_review:
            for i, v in verdicts(q, anns).items():
                out.setdefault(i, {})["verdict"] = v == "correct"
    if "flag" in sources:
        flags = flag_counts(source.questions, anns, len(item.record.completions), flag_labels, span_labels)
        for i, n in flags.items():
            if n >= min_flags:
                out.setdefault(i, {})["flag"] = False
    return out


def kto_rows(source: ExportSource, *, sources: Collection[str] = SOURCES, question: str | None = None,
             desirable_at: float = 0.75, undesirable_at: float = 0.25, min_flags: int = 1,
             flag_labels: Collection[str] | None = None, span_labels: Collection[str] | None = None,
             min_agreement: float = 0.0, min_strength: float = 0.0, min_judgments: int | None = None,
             include_rejected: bool = False) -> ExportTable:
    """Unpaired rows for TRL's KTOTrainer, one per labelled (record, completion) (see the module rules).

    Raises Invalid for an unknown source or thresholds out of order.
    """
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise Invalid(f"KTO sources {sorted(unknown)} are unknown; use any of {', '.join(SOURCES)}")
    if not undesirable_at < desirable_at:
        raise Invalid(f"undesirable_at ({undesirable_at}) must be below desirable_at ({desirable_at})")
    opts = PreferenceOptions(question=question, mode="best_vs_worst", min_agreement=min_agreement,
                             min_strength=min_strength, min_judgments=min_judgments,
                             include_rejected=include_rejected).resolve(source)
    tally = Tally("excluded_hh_divergence", "excluded_conflict", "excluded_tie", "excluded_split",
                  "excluded_low_agreement", "excluded_low_strength", "excluded_few_judgments")
    rows: list[dict[str, Any]] = []
    annotators: set[str] = set()
    for item in source.items:
        if diverged(item):
            tally.add("excluded_hh_divergence")
            continue
        labels = _labels(source, item, set(sources), opts, desirable_at, undesirable_at, min_flags,
                         flag_labels, span_labels, tally)
        for i, by_source in sorted(labels.items()):
            if "flag" in by_source:
                label, why = False, sorted(s for s, v in by_source.items() if not v)
            elif len(set(by_source.values())) > 1:
                tally.add("excluded_conflict")
                continue
            else:
                label, why = next(iter(by_source.values())), sorted(by_source)
            rec = item.record
            rows.append({"prompt": conversation(rec), "completion": assistant(rec.completions[i]),
                         "label": label, "record_id": item.record_id, "external_id": rec.external_id,
                         "completion_index": i, "model": rec.completions[i].model, "sources": why,
                         "lineage": row_lineage(source, item, (a.annotator for a in
                                                               used_annotations(item, include_rejected)))})
        if labels:
            annotators.update(a.annotator for a in used_annotations(item, include_rejected))
    counts = {"records": len(source.items), "rows": len(rows),
              "desirable": sum(r["label"] for r in rows), "undesirable": sum(not r["label"] for r in rows),
              **{k: v for k, v in tally.as_dict().items()}}
    options = {"sources": sorted(sources), "question": question, "desirable_at": desirable_at,
               "undesirable_at": undesirable_at, "min_flags": min_flags,
               "flag_labels": sorted(flag_labels) if flag_labels is not None else None,
               "span_labels": sorted(span_labels) if span_labels is not None else None,
               "min_agreement": min_agreement, "min_strength": min_strength, "min_judgments": opts.min_judgments,
               "include_rejected": include_rejected}
    return ExportTable(format="kto", rows=rows, schema=SCHEMA, counts=counts, columns=COLUMNS,
                       options=options, prompt_of=lambda r: r["prompt"],
                       trainer="KTOTrainer (conversational unpaired preference)", snippet=SNIPPET,
                       annotators=annotators)
