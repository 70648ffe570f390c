"""Anthropic HH-RLHF: `{"chosen", "rejected"}` full transcripts in ``\\n\\nHuman: …\\n\\nAssistant: …`` form.

A transcript is split on the turn markers ``\\n\\nHuman:`` and ``\\n\\nAssistant:`` (a "Human:" inside a turn,
not preceded by a blank line, stays text); each turn's text is stripped of surrounding whitespace. The shared
prefix becomes the conversation; the two last assistant turns become the two completions, in an order
shuffled deterministically by record id, both with the neutral model name ``hh-rlhf``. The source's
preference is kept only in ``metadata["hh_chosen"]`` (index of the chosen completion).

Divergent pairs (the transcripts differ before the last assistant turn; 5 in the harmless-base test split)
follow `on_divergence`: "keep" (the chosen transcript's prefix is the conversation and
``metadata["hh_divergence"] = {"turn": k, "chosen_turns": [...], "rejected_turns": [...]}`` gives the first
differing turn index and each side's prefix turns from there on), "skip" (dropped, counted as
``hh_divergent_skipped``) or "error" (raises `Invalid` naming the line).
"""

from __future__ import annotations

import re
from typing import Any

from assay.domain.records import Completion, Message, Record
from assay.formats.checks import Options, Where, content_id, req_str, stable_order

TURN = re.compile(r"\n\n(Human|Assistant):")
ROLE = {"Human": "user", "Assistant": "assistant"}
MODEL = "hh-rlhf"
DIVERGENCE_MODES = ("keep", "skip", "error")


def parse_transcript(text: str, where: Where, field: str) -> list[Message]:
    """The turns of one HH transcript; Invalid unless it starts with a Human turn and ends with an
    Assistant turn."""
    if text.startswith(("Human:", "Assistant:")):
        text = "\n\n" + text
    parts = TURN.split(text)
    if parts[0].strip() or len(parts) < 3:
        raise where.invalid('not an HH transcript: expected "\\n\\nHuman: …\\n\\nAssistant: …"', field)
    turns = [Message(role=ROLE[r], content=t.strip()) for r, t in zip(parts[1::2], parts[2::2])]
    if turns[-1].role != "assistant":
        raise where.invalid("the transcript must end with an Assistant turn", field)
    return turns


def _turns(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.to_dict() for m in messages]


def from_hh(where: Where, row: dict[str, Any], opts: Options) -> Record | None:
    """One HH pair as a pairwise record, or None when it diverges and `on_divergence="skip"`."""
    chosen = parse_transcript(req_str(row, "chosen", where), where, "chosen")
    rejected = parse_transcript(req_str(row, "rejected", where), where, "rejected")
    rid = content_id({"chosen": row["chosen"], "rejected": row["rejected"]})
    conversation, rejected_prefix = chosen[:-1], rejected[:-1]
    metadata: dict[str, Any] = {}
    if conversation != rejected_prefix:
        k = next(
            (i for i, (a, b) in enumerate(zip(conversation, rejected_prefix)) if a != b),
            min(len(conversation), len(rejected_prefix)),
        )
        if opts.on_divergence == "error":
            raise where.invalid(
                f"the chosen and rejected transcripts differ at turn {k}, before the last assistant turn; "
                'use on_divergence="keep" or "skip" to import such pairs'
            )
        if opts.on_divergence == "skip":
            opts.stats.add("hh_divergent_skipped")
            return None
        opts.stats.add("hh_divergent_kept")
        metadata["hh_divergence"] = {
            "turn": k,
            "chosen_turns": _turns(conversation[k:]),
            "rejected_turns": _turns(rejected_prefix[k:]),
        }
    pair = [
        Completion(text=chosen[-1].content, model=MODEL),
        Completion(text=rejected[-1].content, model=MODEL),
    ]
    order = stable_order(rid, 2)
    metadata["hh_chosen"] = order.index(0)
    return Record(
        external_id=rid,
        messages=list(conversation),
        completions=[pair[i] for i in order],
        metadata=metadata,
        source=where.source,
    )
