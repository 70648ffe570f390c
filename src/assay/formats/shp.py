"""Stanford Human Preferences (SHP): two Reddit comments on one post, the one people preferred labelled.

A row `{"post_id", "domain", "history", "c_root_id_A", "c_root_id_B", "human_ref_A", "human_ref_B", "labels",
"score_A", "score_B", "score_ratio", ...}` becomes one record: the post (`history`) as the user turn and the
two comments as completions in the source's order (a = A, b = B; model name empty: people wrote them), each
with ``metadata["score"]`` (its upvote score) and ``metadata["comment_id"]``. The record's external id is
``post_id:c_root_id_A:c_root_id_B`` (a content hash when those are missing), and its metadata keeps
``dataset: "shp"``, ``shp_label`` (1: A preferred, 0: B preferred), ``domain``, ``post_id``,
``score_ratio`` and ``upvote_ratio``.

`labels` must be 1 or 0 (or their text, as a CSV gives them); `history` and both comments must be text;
scores must be numbers when present. Anything else raises Invalid naming the line and the field.
"""

from __future__ import annotations

from typing import Any

from assay.domain.records import Completion, Message, Record
from assay.formats.checks import Options, Where, content_id, describe, opt_str, req_str, require

DATASET = "shp"
KEYS = frozenset({"history", "human_ref_A", "human_ref_B", "labels"})
LABELS = {1: 1, 0: 0, "1": 1, "0": 0}


def looks_like_shp(row: dict[str, Any]) -> bool:
    return KEYS <= set(row)


def _number(row: dict[str, Any], key: str, where: Where) -> float | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise where.invalid(f"expected a number, got {describe(value)}", key)


def from_shp(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """One SHP pair with its label (see the module doc)."""
    label = require(row, "labels", where)
    if isinstance(label, bool) or not isinstance(label, (int, float, str)) or label not in LABELS:
        raise where.invalid(f"expected 1 (A preferred) or 0 (B preferred), got {describe(label)}", "labels")
    history = req_str(row, "history", where)
    texts = (req_str(row, "human_ref_A", where), req_str(row, "human_ref_B", where))
    ids = [str(row.get(k) or "") for k in ("post_id", "c_root_id_A", "c_root_id_B")]
    rid = ":".join(ids) if all(ids) else content_id({"history": history, "A": texts[0], "B": texts[1]})
    completions = [
        Completion(text=t, metadata={"score": _number(row, f"score_{s}", where), "comment_id": ids[1 + i] or None})
        for i, (s, t) in enumerate(zip("AB", texts))
    ]
    metadata = {
        "dataset": DATASET,
        "shp_label": LABELS[label],
        "domain": opt_str(row, "domain", where),
        "post_id": ids[0] or None,
        "score_ratio": _number(row, "score_ratio", where),
        "upvote_ratio": _number(row, "upvote_ratio", where),
    }
    return Record(external_id=rid, messages=[Message(role="user", content=history)], completions=completions,
                  metadata=metadata, source=where.source)
