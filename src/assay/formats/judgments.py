"""Pairwise records that arrive with human judgments: PandaLM, Tulu 1 human eval, LLMBar.

Each item becomes a record with two completions (source order: a = index 0, b = index 1) and
``metadata["judgments"]``: a list of ``{"annotator", "answer": {"choice": "a"|"b"|"tie", "strength": 1..3 |
None}, "submitted_at"?}`` in the pairwise answer shape of `assay.domain.questions`.

- PandaLM: `annotator1..3` give 1 (response1 better → "a"), 2 ("b") or 0 ("tie"); no strength (None).
  Responses stored as JSON booleans or numbers become their text ("True").
- Tulu 1: one line per vote. Votes on the same prompt and the same two completions are one record, even
  when the pair was shown in the other order (the first order seen is kept; a vote on the swapped
  presentation is mirrored and marked ``"presented_swapped": true``). The 5-way scale maps to
  a-is-better → a/2 (clearly), a-is-slightly-better → a/1, tie → tie/None, b-is-slightly-better → b/1,
  b-is-better → b/2. A repeat vote by the same annotator on the same record keeps the last by timestamp
  (then file order); dropped repeats are counted in ``metadata["repeat_votes_dropped"]`` and the
  `tulu_repeat_votes_dropped` stat. A null completion is read as "" (counted). Acceptability votes are
  kept in ``metadata["acceptability"]``.
- LLMBar: `{input, output_1, output_2, label}`; the gold label 1/2 is ``metadata["gold"]`` as a pairwise
  answer with strength None; ``judgments`` is empty; ``llmbar_subset`` names the folder (e.g.
  "Adversarial/Neighbor").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay.domain.answers import PairwiseAnswer
from assay.domain.records import Completion, Message, Record
from assay.formats.checks import Options, Where, content_id, describe, opt_str, req_str, require, source_id
from assay.formats.rows import Row

PANDALM_CHOICE = {1: "a", 2: "b", 0: "tie"}
TULU_SCALE: dict[str, PairwiseAnswer] = {
    "a-is-better": PairwiseAnswer("a", 2),
    "a-is-slightly-better": PairwiseAnswer("a", 1),
    "tie": PairwiseAnswer("tie", None),
    "b-is-slightly-better": PairwiseAnswer("b", 1),
    "b-is-better": PairwiseAnswer("b", 2),
}
YES_NO = {"yes": True, "no": False}


def _pair_record(
    rid: str,
    prompt: str,
    texts: tuple[str, str],
    models: tuple[str, str],
    where: Where,
    metadata: dict[str, Any],
) -> Record:
    return Record(
        external_id=rid,
        messages=[Message(role="user", content=prompt)],
        completions=[Completion(text=t, model=m) for t, m in zip(texts, models)],
        metadata=metadata,
        source=where.source,
    )


def from_pandalm(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """One PandaLM item; the prompt is the instruction, then a blank line and the input when there is one."""
    instruction = req_str(row, "instruction", where)
    extra = opt_str(row, "input", where)
    prompt = f"{instruction}\n\n{extra}" if extra.strip() else instruction
    judgments = []
    for name in sorted(k for k in row if k.startswith("annotator")):
        value = row[name]
        if isinstance(value, bool) or value not in PANDALM_CHOICE:
            raise where.invalid(f"expected 0 (tie), 1 or 2, got {describe(value)}", name)
        judgments.append({"annotator": name, "answer": {"choice": PANDALM_CHOICE[value], "strength": None}})
    if not judgments:
        raise where.invalid("missing (PandaLM items carry annotator1..3)", "annotator1")
    models = opt_str(row, "cmp_key", where).split("_")
    pair = (models[0], models[1]) if len(models) == 2 else ("", "")
    metadata = {
        "judgments": judgments,
        "dataset": "pandalm",
        "motivation_app": row.get("motivation_app"),
        "cmp_key": row.get("cmp_key"),
    }
    texts = (_response_text(row, "response1", where, opts), _response_text(row, "response2", where, opts))
    return _pair_record(source_id(row, "idx", where), prompt, texts, pair, where, metadata)


def _response_text(row: dict[str, Any], key: str, where: Where, opts: Options) -> str:
    """PandaLM stores some one-word outputs as JSON booleans/numbers (6 in the test set: `true` for the
    output "True"); those become their Python text ("True") and are counted as `pandalm_scalar_responses`."""
    value = require(row, key, where)
    if isinstance(value, (bool, int, float)):
        opts.stats.add("pandalm_scalar_responses")
        return str(value)
    return req_str(row, key, where)


def _llmbar_subset(path: str) -> str:
    parts = Path(path).parts[:-1]
    if "llmbar" in (p.lower() for p in parts):
        i = max(i for i, p in enumerate(parts) if p.lower() == "llmbar")
        return "/".join(parts[i + 1 :])
    return parts[-1] if parts else ""


def from_llmbar(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """One LLMBar item with its gold label."""
    label = require(row, "label", where)
    if isinstance(label, bool) or label not in (1, 2):
        raise where.invalid(f"expected 1 or 2, got {describe(label)}", "label")
    texts = (req_str(row, "output_1", where), req_str(row, "output_2", where))
    metadata = {
        "gold": {"choice": "a" if label == 1 else "b", "strength": None},
        "judgments": [],
        "dataset": "llmbar",
        "llmbar_subset": _llmbar_subset(where.path),
    }
    return _pair_record(
        source_id(row, "id", where), req_str(row, "input", where), texts, ("", ""), where, metadata
    )


def _tulu_vote(where: Where, row: dict[str, Any]) -> tuple[PairwiseAnswer, bool | None, bool | None]:
    pref = require(row, "preference", where)
    if pref not in TULU_SCALE:
        raise where.invalid(
            f"unknown preference {describe(pref)}; expected one of {', '.join(TULU_SCALE)}", "preference"
        )
    accept = []
    for key in ("completion_a_is_acceptable", "completion_b_is_acceptable"):
        value = row.get(key)
        if value is not None and value not in YES_NO:
            raise where.invalid(f"expected 'yes' or 'no', got {describe(value)}", key)
        accept.append(YES_NO.get(value) if value is not None else None)
    return TULU_SCALE[pref], accept[0], accept[1]


def _tulu_text(row: dict[str, Any], key: str, where: Where, opts: Options) -> str:
    """A completion; null (one line of the Tulu file: an empty model output) becomes "" and is counted
    as `tulu_null_completions`."""
    if key in row and row[key] is None:
        opts.stats.add("tulu_null_completions")
        return ""
    return req_str(row, key, where)


def from_tulu(rows: Iterator[Row], opts: Options) -> Iterator[Record]:
    """Group Tulu 1 vote lines into one record per (prompt, pair of completions); see the module doc."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for where, row in rows:
        opts.stats.rows += 1
        prompt = req_str(row, "prompt", where)
        sides = [
            (opt_str(row, f"model_{s}", where), _tulu_text(row, f"completion_{s}", where, opts)) for s in "ab"
        ]
        key = (row.get("instance_id"), prompt, frozenset(sides))
        answer, acc_a, acc_b = _tulu_vote(where, row)
        group = groups.setdefault(key, {"where": where, "sides": sides, "votes": {}, "ids": []})
        swapped = sides != group["sides"]
        if swapped:
            answer = answer.mirrored()
            acc_a, acc_b = acc_b, acc_a
        annotator = str(require(row, "evaluator", where))
        vote = {"annotator": annotator, "answer": answer.to_json(), "presented_swapped": swapped}
        stamp = opt_str(row, "timestamp", where)
        if stamp:
            vote["submitted_at"] = stamp
        group["ids"].append(row.get("id"))
        group["votes"].setdefault(annotator, []).append((stamp, len(group["ids"]), vote, acc_a, acc_b))
    for key, group in groups.items():
        where = group["where"]
        judgments, acceptability, dropped = [], [], 0
        for annotator, votes in group["votes"].items():
            votes.sort(key=lambda v: (v[0], v[1]))
            dropped += len(votes) - 1
            _, _, vote, acc_a, acc_b = votes[-1]
            judgments.append(vote)
            acceptability.append({"annotator": annotator, "a": acc_a, "b": acc_b})
        opts.stats.add("tulu_repeat_votes_dropped", dropped)
        (model_a, text_a), (model_b, text_b) = group["sides"]
        instance = key[0]
        rid = (
            f"{instance}:{model_a}:{model_b}"
            if instance is not None and model_a and model_b
            else content_id([key[1], text_a, text_b])
        )
        metadata = {
            "judgments": judgments,
            "acceptability": acceptability,
            "repeat_votes_dropped": dropped,
            "dataset": "tulu1_human_eval",
            "instance_id": instance,
            "tulu_ids": group["ids"],
        }
        yield _pair_record(rid, key[1], (text_a, text_b), (model_a, model_b), where, metadata)
