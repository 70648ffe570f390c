"""Reward-model exports: pairs for TRL's RewardTrainer, or pointwise scores from rating questions.

Forms:
- `explicit`: `prompt`, `chosen`, `rejected` (as the DPO export), plus `margin`;
- `implicit`: `chosen` and `rejected` are whole conversations ending in the reply, plus `margin`;
- `pointwise`: `prompt`, `completion`, `score` (overall, 0..1) and `dimensions` (mean per rubric
  dimension on its own scale), one row per rated completion.

`margin` (when `margin=True`) is the pair's mean strength: pairwise 1..3, or rank distance for rankings,
times `margin_scale`. Pairs follow the rules in `assay.exporters.preferences`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from assay.domain.annotations import ExportSource
from assay.domain.questions import QuestionKind
from assay.errors import Invalid
from assay.exporters.dpo import COLUMNS as DPO_COLUMNS
from assay.exporters.dpo import SCHEMA as DPO_SCHEMA
from assay.exporters.dpo import pair_row
from assay.exporters.preferences import PreferenceOptions, all_pairs, diverged
from assay.exporters.signals import ratings
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

FORMS = ("explicit", "implicit", "pointwise")

SNIPPET = """from datasets import load_dataset
from trl import RewardConfig, RewardTrainer

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
trainer = RewardTrainer(model=model, args=RewardConfig(output_dir="out"), train_dataset=ds,
                        processing_class=tokenizer)"""

POINTWISE_SNIPPET = """from datasets import load_dataset

ds = load_dataset("parquet", data_files={"train": "train.parquet"})["train"]
# pointwise scores: regress `score` on prompt + completion (e.g. a sequence-classification head)"""


def _pair_table(source: ExportSource, form: str, margin: bool, margin_scale: float,
                opts: PreferenceOptions) -> ExportTable:
    pairs, tally = all_pairs(source, opts, "a reward-model export")
    rows = []
    for p in pairs:
        row = pair_row(source, p)
        if form == "implicit":
            row["chosen"] = row["prompt"] + row["chosen"]
            row["rejected"] = row["prompt"] + row["rejected"]
            del row["prompt"]
        if margin:
            row["margin"] = p.strength * margin_scale if p.strength is not None else None
        rows.append(row)
    schema = DPO_SCHEMA
    columns = dict(DPO_COLUMNS)
    if form == "implicit":
        schema = schema.remove(schema.get_field_index("prompt"))
        del columns["prompt"]
        columns["chosen"] = "conversation + preferred reply: list of {role, content}"
        columns["rejected"] = "conversation + other reply: list of {role, content}"
    if margin:
        schema = schema.append(pa.field("margin", pa.float64()))
        columns["margin"] = (f"mean strength (pairwise 1-3, or rank distance) x {margin_scale}; null when no "
                             "agreeing judgment gave a strength")
    counts = {"records": len(source.items), "rows": len(rows),
              "records_with_rows": len({p.item.record_id for p in pairs}), **tally.as_dict()}
    options = {"form": form, "margin": margin, "margin_scale": margin_scale, **opts.describe()}
    return ExportTable(
        format="reward", rows=rows, schema=schema, counts=counts, columns=columns, options=options,
        prompt_of=(lambda r: r["prompt"]) if form == "explicit" else (lambda r: r["chosen"][:-1]),
        trainer=f"RewardTrainer (conversational preference, {form} prompt)", snippet=SNIPPET,
        annotators=set().union(*(p.annotators for p in pairs)) if pairs else set())


def _pointwise(source: ExportSource, question: str | None, include_rejected: bool) -> ExportTable:
    q = pick_question(source, (QuestionKind.rating,), question, "a pointwise reward export")
    if q is None:
        raise Invalid(f"project {source.project!r} has no rating question; pointwise reward data needs one "
                      "(or use form='explicit' for pairs)")
    dims = [d["name"] for d in q.options.get("dimensions", [])]
    tally = Tally("excluded_hh_divergence", "excluded_unrated")
    rows: list[dict[str, Any]] = []
    annotators: set[str] = set()
    for item in source.items:
        if diverged(item):
            tally.add("excluded_hh_divergence")
            continue
        anns = used_annotations(item, include_rejected)
        got = ratings(q, anns)
        if not got:
            tally.add("excluded_unrated")
            continue
        raters = {a.annotator for a in anns if q.name in a.answers}
        annotators.update(raters)
        for i, r in got.items():
            rows.append({
                "prompt": conversation(item.record),
                "completion": assistant(item.record.completions[i]),
                "score": r.overall,
                "dimensions": {d: r.dimensions.get(d) for d in dims} if dims else None,
                "record_id": item.record_id,
                "external_id": item.record.external_id,
                "completion_index": i,
                "model": item.record.completions[i].model,
                "num_raters": r.raters,
                "lineage": row_lineage(source, item, raters),
            })
    schema = pa.schema([
        ("prompt", MESSAGES), ("completion", MESSAGES), ("score", pa.float64()),
        ("dimensions", pa.struct([(d, pa.float64()) for d in dims]) if dims else pa.null()),
        ("record_id", pa.int64()), ("external_id", pa.string()), ("completion_index", pa.int64()),
        ("model", pa.string()), ("num_raters", pa.int64()), ("lineage", LINEAGE),
    ])
    columns = {
        "prompt": "the conversation: list of {role, content}",
        "completion": "the rated reply: [{role: assistant, content}]",
        "score": "overall score 0..1: mean over dimensions of the annotators' mean, rescaled by min/max",
        "dimensions": "mean score per rubric dimension, on its own scale: " + ", ".join(dims),
        "record_id / external_id": "Assay record id and the record's id in its source",
        "completion_index / model": "which completion, written by which model",
        "num_raters": "annotators who scored this completion",
        "lineage": LINEAGE_DOC,
    }
    counts = {"records": len(source.items), "rows": len(rows), **tally.as_dict()}
    return ExportTable(format="reward", rows=rows, schema=schema, counts=counts, columns=columns,
                       options={"form": "pointwise", "question": q.name, "include_rejected": include_rejected},
                       prompt_of=lambda r: r["prompt"], trainer="pointwise reward regression (prompt, "
                       "completion, score)", snippet=POINTWISE_SNIPPET, annotators=annotators)


def reward_rows(source: ExportSource, *, form: str = "explicit", margin: bool = True, margin_scale: float = 1.0,
                question: str | None = None, mode: str = "all_pairs", aggregate: str = "majority",
                aggregated: Mapping[Any, tuple[str, float]] | None = None, min_agreement: float = 0.0,
                min_strength: float = 0.0, min_confidence: float = 0.0, min_judgments: int | None = None,
                include_rejected: bool = False) -> ExportTable:
    """Reward-model rows in `form` 'explicit', 'implicit' or 'pointwise' (see the module docstring).

    Preference options mean what they mean for `dpo_rows`. Raises Invalid for an unknown form or when
    the project lacks the question the form needs.
    """
    if form not in FORMS:
        raise Invalid(f"reward form {form!r} is unknown; use one of {', '.join(FORMS)}")
    if form == "pointwise":
        return _pointwise(source, question, include_rejected)
    opts = PreferenceOptions(question, mode, aggregate, aggregated, min_agreement, min_strength,
                             min_confidence, min_judgments, include_rejected)
    return _pair_table(source, form, margin, margin_scale, opts)
