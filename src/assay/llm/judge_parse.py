"""Turning a judge model's reply into an answer of the question's shape.

Models wrap JSON in prose, code fences or <think> blocks, write "A" for "a", "Response B", "much better"
for 3, floats for integers and dimension names in another case. `extract_json` finds the object;
`normalise_answer` forgives those spellings and then `validate_answer` enforces the question's rules.
Anything that cannot be read raises `JudgeOutputError` (an `Invalid`) quoting the start of the reply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assay.domain.questions import Question, QuestionKind, validate_answer
from assay.errors import Invalid

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_STRENGTH_WORDS = {"slight": 1, "slightly": 1, "clear": 2, "clearly": 2, "much": 3, "significantly": 3}


class JudgeOutputError(Invalid):
    """The judge's reply could not be read as an answer. `details["raw"]` holds the start of the reply."""

    code = "judge_output"


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in `text` (after dropping <think> blocks); raises JudgeOutputError."""
    cleaned = _THINK.sub("", text).strip()
    candidates = [cleaned] + [m.group(1).strip() for m in _FENCE.finditer(cleaned)]
    for c in candidates:
        try:
            value = json.loads(c)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for i, ch in enumerate(cleaned):
        if ch != "{":
            continue
        try:
            value, _ = decoder.raw_decode(cleaned, i)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise JudgeOutputError(
        f"the judge did not reply with a JSON object: {_snippet(text)!r}", details={"raw": text[:2000]}
    )


def _choice(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    s = raw.strip().lower().replace("response", "").replace("_", " ").strip(" .\"'")
    if s in ("a", "b"):
        return s
    if s in ("tie", "equal", "both", "neither", "same", "draw"):
        return "tie"
    return raw


def _int(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        s = raw.strip().lower()
        for word, val in _STRENGTH_WORDS.items():
            if s.startswith(word):
                return val
        try:
            f = float(s)
            return int(f) if f.is_integer() else f
        except ValueError:
            return raw
    return raw


def _index_key(raw: Any) -> str:
    digits = re.findall(r"\d+", str(raw))
    return digits[0] if digits else str(raw)


def _pairwise(obj: dict[str, Any]) -> dict[str, Any]:
    choice = _choice(obj.get("choice", obj.get("winner", obj.get("preference"))))
    if choice == "tie":
        return {"choice": "tie", "strength": None}
    strength = _int(obj.get("strength"))
    return {"choice": choice, "strength": 2 if strength is None else strength}


def _rating(question: Question, obj: dict[str, Any]) -> dict[str, Any]:
    names = {d["name"].lower(): d["name"] for d in question.options.get("dimensions", [])}
    scores = obj.get("scores")
    if not isinstance(scores, dict):
        return {"scores": scores}
    out: dict[str, Any] = {}
    for key, per in scores.items():
        if isinstance(per, dict):
            per = {names.get(str(k).lower(), k): _int(v) for k, v in per.items()}
        out[_index_key(key)] = per
    return {"scores": out}


def _label_list(choices: list[str], raw: Any) -> Any:
    by_lower = {c.lower(): c for c in choices}
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, str) and raw else raw
    if not isinstance(items, list):
        return items
    return [by_lower.get(str(x).strip().lower(), x) for x in items]


def _labels(question: Question, obj: dict[str, Any]) -> dict[str, Any]:
    choices = list(question.options.get("choices", []))
    if question.options.get("per_completion"):
        per = obj.get("per_completion")
        if isinstance(per, dict):
            return {"per_completion": {_index_key(k): _label_list(choices, v) for k, v in per.items()}}
        return {"per_completion": per}
    return {"labels": _label_list(choices, obj.get("labels", obj.get("label")))}


def normalise_answer(question: Question, obj: dict[str, Any], completion_texts: list[str]) -> dict[str, Any]:
    """Map a parsed judge object to a validated answer for `question`; raises JudgeOutputError."""
    if question.kind is QuestionKind.pairwise:
        answer = _pairwise(obj)
    elif question.kind is QuestionKind.rating:
        answer = _rating(question, obj)
    elif question.kind is QuestionKind.labels:
        answer = _labels(question, obj)
    else:
        raise Invalid(
            f"LLM judging supports pairwise, rating and labels questions; "
            f"{question.name!r} is a {question.kind.value} question"
        )
    try:
        result = validate_answer(question, answer, completion_texts)
    except Invalid as e:
        raise JudgeOutputError(
            f"the judge's answer breaks the question's rules: {e.message}",
            details={"raw": json.dumps(obj)[:2000]},
        ) from None
    if result is None:
        raise JudgeOutputError(
            f"the judge gave no answer to {question.name!r}", details={"raw": json.dumps(obj)[:2000]}
        )
    return result


def parse_judge_output(
    question: Question, text: str, completion_texts: list[str]
) -> tuple[dict[str, Any], str]:
    """(answer, rationale) from a judge reply; raises JudgeOutputError when it cannot be read."""
    obj = extract_json(text)
    rationale = obj.get("rationale", obj.get("reason", obj.get("explanation", "")))
    return normalise_answer(question, obj, completion_texts), str(rationale or "")


def parse_score(text: str, low: int, high: int) -> tuple[float, str]:
    """(score, rationale) from a pointwise reply; the score must be a number in low..high."""
    obj = extract_json(text)
    raw = obj.get("score")
    try:
        score = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise JudgeOutputError(f"the judge's score {raw!r} is not a number", details={"raw": text[:2000]})
    if not low <= score <= high:
        raise JudgeOutputError(
            f"the judge's score {score:g} lies outside {low}..{high}", details={"raw": text[:2000]}
        )
    return score, str(obj.get("rationale", "") or "")
