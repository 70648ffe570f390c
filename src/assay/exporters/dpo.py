"""DPO / preference export in TRL's conversational preference form (explicit prompt).

Each row: `prompt` (the conversation), `chosen` and `rejected` (one-element lists of assistant messages),
and the lineage of the judgment. Pairs come from `assay.exporters.preferences` (read its rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from assay.domain.annotations import ExportSource
from assay.exporters.preferences import Pair, PreferenceOptions, all_pairs
from assay.exporters.table import LINEAGE, LINEAGE_DOC, MESSAGES, ExportTable, assistant, conversation, row_lineage

SCHEMA = pa.schema([
    ("prompt", MESSAGES),
    ("chosen", MESSAGES),
    ("rejected", MESSAGES),
    ("record_id", pa.int64()),
    ("external_id", pa.string()),
    ("chosen_index", pa.int64()),
    ("rejected_index", pa.int64()),
    ("chosen_model", pa.string()),
    ("rejected_model", pa.string()),
    ("num_judgments", pa.int64()),
    ("agreement", pa.float64()),
    ("strength", pa.float64()),
    ("confidence", pa.float64()),
    ("lineage", LINEAGE),
])

COLUMNS = {
    "prompt": "the conversation before the judged reply: list of {role, content}",
    "chosen": "the preferred reply: [{role: assistant, content}]",
    "rejected": "the other reply: [{role: assistant, content}]",
    "record_id": "Assay record id",
    "external_id": "the record's id in its source",
    "chosen_index / rejected_index": "completion positions on the record",
    "chosen_model / rejected_model": "the models that wrote the replies",
    "num_judgments": "judgments of this pair (ties included)",
    "agreement": "share of those judgments that prefer `chosen`",
    "strength": "mean strength of the agreeing judgments (pairwise 1-3; ranking: rank distance); null when "
                "none gave one",
    "confidence": "aggregator confidence (Dawid-Skene); null under majority vote",
    "lineage": LINEAGE_DOC,
}

SNIPPET = """from datasets import load_dataset
from trl import DPOConfig, DPOTrainer

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
trainer = DPOTrainer(model=model, args=DPOConfig(output_dir="out"), train_dataset=ds,
                     processing_class=tokenizer)"""


def pair_row(source: ExportSource, p: Pair) -> dict[str, Any]:
    """One preference row (shared by the DPO and explicit reward exports), with its lineage."""
    rec = p.item.record
    return {
        "prompt": conversation(rec),
        "chosen": assistant(rec.completions[p.better]),
        "rejected": assistant(rec.completions[p.worse]),
        "record_id": p.item.record_id,
        "external_id": rec.external_id,
        "chosen_index": p.better,
        "rejected_index": p.worse,
        "chosen_model": rec.completions[p.better].model,
        "rejected_model": rec.completions[p.worse].model,
        "num_judgments": p.num_judgments,
        "agreement": p.agreement,
        "strength": p.strength,
        "confidence": p.confidence,
        "lineage": row_lineage(source, p.item, p.annotators),
    }


def dpo_rows(source: ExportSource, *, question: str | None = None, mode: str = "all_pairs",
             aggregate: str = "majority", aggregated: Mapping[Any, tuple[str, float]] | None = None,
             min_agreement: float = 0.0, min_strength: float = 0.0, min_confidence: float = 0.0,
             min_judgments: int | None = None, include_rejected: bool = False) -> ExportTable:
    """Preference rows for TRL's DPOTrainer.

    `mode` ('all_pairs' | 'best_vs_worst') applies to ranking questions; `aggregate` is 'majority' or
    'dawid_skene' (then `aggregated` maps record id → (choice, confidence), computed by the caller).
    Rows below `min_agreement`, `min_strength` (mean strength), `min_confidence` or `min_judgments` (default:
    the project's k, `source.k`) are dropped and counted. Raises Invalid when the project has no preference question or options clash.
    """
    opts = PreferenceOptions(question, mode, aggregate, aggregated, min_agreement, min_strength,
                             min_confidence, min_judgments, include_rejected)
    pairs, tally = all_pairs(source, opts, "a DPO export")
    rows = [pair_row(source, p) for p in pairs]
    counts = {"records": len(source.items), "rows": len(rows),
              "records_with_rows": len({p.item.record_id for p in pairs}), **tally.as_dict()}
    return ExportTable(
        format="dpo", rows=rows, schema=SCHEMA, counts=counts, columns=COLUMNS, options=opts.describe(),
        prompt_of=lambda r: r["prompt"], trainer="DPOTrainer (conversational preference, explicit prompt)",
        snippet=SNIPPET, annotators=set().union(*(p.annotators for p in pairs)) if pairs else set())
