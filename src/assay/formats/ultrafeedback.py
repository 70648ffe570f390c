"""UltraFeedback (openbmb/UltraFeedback) and its binarized form: completions with ratings.

- **Raw rows** `{"instruction", "completions": [{"model", "response", "overall_score", "fine-grained_score",
  "annotations": {"helpfulness": {"Rating": "4", ...}, "honesty": ..., "instruction_following": ...,
  "truthfulness": ...}}, ...], "source"?, ...}`: one record per row, the instruction as the user turn and
  every completion in the row's order with its model name. Each completion keeps
  ``metadata["ratings"]`` (aspect → 1..5; a rating of "N/A" or none is left out), ``metadata["score"]`` (the
  mean of those ratings, which is UltraFeedback's `fine-grained_score`; the row's `fine-grained_score` when it
  has no `annotations`; None when it has neither: an *unrated* completion) and ``metadata["overall_score"]``
  (the critique's 1..10, kept, not used for the preference).
- **Binarized rows** `{"prompt", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id"?}`
  (HuggingFaceH4/ultrafeedback_binarized; `chosen`/`rejected` are either the reply text or the chat as a list
  of `{role, content}` ending with the assistant's reply): one record with the two replies in an order
  shuffled deterministically by record id (as HH), each with its score as ``metadata["score"]``.

The record's ``metadata["dataset"]`` is "ultrafeedback"; higher score is better and equal scores tie (see
`assay.services.annotation.source_judgments`). A rating that is neither a whole number 1..10 nor "N/A", or a
score that is not a number, raises Invalid naming the line and the field (e.g.
``completions[2].annotations.honesty.Rating``).
"""

from __future__ import annotations

from typing import Any

from assay.domain.records import Completion, Message, Record
from assay.formats.checks import (
    Options,
    Where,
    as_dict,
    as_list,
    content_id,
    describe,
    opt_str,
    parse_message,
    req_str,
    require,
    source_id,
    stable_order,
)

DATASET = "ultrafeedback"
NOT_RATED = {"n/a", "na", ""}


def looks_like_raw(row: dict[str, Any]) -> bool:
    """A raw UltraFeedback row: an instruction and completions that carry `response` (not Assay's `text`)."""
    comps = row.get("completions")
    return (
        "instruction" in row
        and isinstance(comps, list)
        and bool(comps)
        and isinstance(comps[0], dict)
        and "response" in comps[0]
    )


def looks_like_binarized(row: dict[str, Any]) -> bool:
    return {"prompt", "chosen", "rejected", "score_chosen", "score_rejected"} <= set(row)


def _rating(value: Any, where: Where, path: str) -> int | None:
    """A 1..10 rating given as a number or its text; None for "N/A" / missing."""
    if value is None or (isinstance(value, str) and value.strip().lower() in NOT_RATED):
        return None
    if isinstance(value, bool):
        raise where.invalid(f'expected a rating 1..10 or "N/A", got {describe(value)}', path)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise where.invalid(f'expected a rating 1..10 or "N/A", got {describe(value)}', path) from None
    if not number.is_integer() or not 1 <= number <= 10:
        raise where.invalid(f'expected a rating 1..10 or "N/A", got {describe(value)}', path)
    return int(number)


def _score(value: Any, where: Where, path: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in NOT_RATED):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.invalid(f"expected a number, got {describe(value)}", path)
    return float(value)


def _raw_completion(value: Any, where: Where, i: int) -> Completion:
    path = f"completions[{i}]"
    comp = as_dict(value, where, path)
    text = req_str(comp, "response", where, f"{path}.response")
    ratings: dict[str, int] = {}
    annotations = comp.get("annotations")
    if annotations is not None:
        for aspect, ann in as_dict(annotations, where, f"{path}.annotations").items():
            ann_path = f"{path}.annotations.{aspect}"
            # A few aspects come as a one-element list of the object in some dumps.
            if isinstance(ann, list) and len(ann) == 1:
                ann = ann[0]
            got = _rating(as_dict(ann, where, ann_path).get("Rating"), where, f"{ann_path}.Rating")
            if got is not None:
                ratings[str(aspect)] = got
        score = round(sum(ratings.values()) / len(ratings), 4) if ratings else None
    else:
        score = _score(comp.get("fine-grained_score"), where, f"{path}.fine-grained_score")
    meta: dict[str, Any] = {"ratings": ratings, "score": score,
                            "overall_score": _score(comp.get("overall_score"), where, f"{path}.overall_score")}
    return Completion(text=text, model=opt_str(comp, "model", where, f"{path}.model"), metadata=meta)


def _raw(where: Where, row: dict[str, Any]) -> Record:
    instruction = req_str(row, "instruction", where)
    comps = as_list(require(row, "completions", where), where, "completions")
    if not comps:
        raise where.invalid("no completions", "completions")
    completions = [_raw_completion(c, where, i) for i, c in enumerate(comps)]
    rid = content_id({"instruction": instruction, "responses": [c.text for c in completions]})
    metadata = {"dataset": DATASET, "ultrafeedback_source": row.get("source")}
    return Record(external_id=rid, messages=[Message(role="user", content=instruction)], completions=completions,
                  metadata=metadata, source=where.source)


def _reply(row: dict[str, Any], key: str, where: Where) -> tuple[list[Message], str]:
    """The turns before the reply (empty for a plain text) and the reply of a binarized side."""
    value = require(row, key, where)
    if isinstance(value, str):
        return [], value
    turns = [parse_message(m, where, f"{key}[{i}]") for i, m in enumerate(as_list(value, where, key))]
    if not turns or turns[-1].role != "assistant":
        raise where.invalid("expected the chat to end with the assistant's reply", key)
    return turns[:-1], turns[-1].content


def _binarized(where: Where, row: dict[str, Any]) -> Record:
    prompt = req_str(row, "prompt", where)
    before, chosen = _reply(row, "chosen", where)
    _, rejected = _reply(row, "rejected", where)
    scores = (_score(row.get("score_chosen"), where, "score_chosen"),
              _score(row.get("score_rejected"), where, "score_rejected"))
    rid = (source_id(row, "prompt_id", where) if row.get("prompt_id") not in (None, "")
           else content_id({"prompt": prompt, "chosen": chosen, "rejected": rejected}))  # not the scores
    pair = [Completion(text=chosen, metadata={"score": scores[0]}),
            Completion(text=rejected, metadata={"score": scores[1]})]
    order = stable_order(rid, 2)
    return Record(external_id=rid, messages=before or [Message(role="user", content=prompt)],
                  completions=[pair[i] for i in order], metadata={"dataset": DATASET, "binarized": True},
                  source=where.source)


def from_ultrafeedback(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """One UltraFeedback row (raw or binarized) as a record whose completions carry their scores."""
    if looks_like_raw(row) or ("completions" in row and not looks_like_binarized(row)):
        return _raw(where, row)
    if looks_like_binarized(row):
        return _binarized(where, row)
    missing = "completions" if "instruction" in row else "score_chosen"
    raise where.invalid("missing (an UltraFeedback row has instruction and completions, or prompt, chosen, "
                        "rejected, score_chosen and score_rejected)", missing)
