"""Judge prompts: what an LLM judge is asked for each question kind.

Every prompt is a system message stating the task, the project's guidelines and the exact JSON to reply
with (a ```json example, rationale first so the model explains before it decides), and a user message with
the conversation and the candidate responses in XML-like tags (<conversation>, <response_a>, <response_0>,
<text>). Supported kinds: pairwise, rating, labels, plus a pointwise rubric score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from assay.domain.questions import Question, QuestionKind
from assay.domain.records import Message
from assay.errors import Invalid

JUDGED_KINDS = (QuestionKind.pairwise, QuestionKind.rating, QuestionKind.labels)

_PREAMBLE = (
    "You are an impartial, expert evaluator of AI assistant responses. Judge correctness, "
    "helpfulness, honesty and safety. Do not let the order of the responses, their length or "
    "their style sway you."
)
_REPLY = "Reply with only a JSON object, no text before or after it, in exactly this form:"


def _fence(example: dict[str, Any]) -> str:
    return "```json\n" + json.dumps(example, ensure_ascii=False) + "\n```"


def _system(question: Question, guidelines: str, task: str, example: dict[str, Any], rules: str) -> str:
    parts = [_PREAMBLE]
    if guidelines.strip():
        parts.append("Guidelines from the project:\n" + guidelines.strip())
    ask = f"Question: {question.title}"
    if question.help:
        ask += f" ({question.help})"
    parts += [task, ask, _REPLY, _fence(example), rules]
    return "\n\n".join(parts)


def render_conversation(messages: Sequence[Message]) -> str:
    """The conversation as `[role]: content` turns inside <conversation> tags."""
    turns = "\n\n".join(f"[{m.role}]: {m.content}" for m in messages)
    return f"<conversation>\n{turns}\n</conversation>"


def pairwise_prompt(
    question: Question, messages: Sequence[Message], first: str, second: str, guidelines: str = ""
) -> list[dict[str, str]]:
    """Ask which of two responses (shown as A = `first`, B = `second`) is better."""
    example = {"rationale": "One or two sentences comparing the responses.", "choice": "a", "strength": 2}
    rules = (
        '"choice" is "a", "b" or "tie". "strength" is 1 (slightly better), 2 (clearly better) or '
        "3 (much better); use null for a tie."
    )
    system = _system(
        question,
        guidelines,
        "Compare the two responses to the conversation below and decide which is better.",
        example,
        rules,
    )
    user = (
        f"{render_conversation(messages)}\n\n<response_a>\n{first}\n</response_a>\n\n"
        f"<response_b>\n{second}\n</response_b>"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _responses(texts: Sequence[str]) -> str:
    return "\n\n".join(f"<response_{i}>\n{t}\n</response_{i}>" for i, t in enumerate(texts))


def rating_prompt(
    question: Question, messages: Sequence[Message], texts: Sequence[str], guidelines: str = ""
) -> list[dict[str, str]]:
    """Ask for a whole-number score per rubric dimension for every response."""
    dims = question.options.get("dimensions") or []
    if not dims:
        raise Invalid(f"rating question {question.name!r} has no dimensions to score")
    lines, example_scores = [], {}
    for d in dims:
        lo, hi = int(d.get("min", 1)), int(d.get("max", 5))
        line = f"- {d['name']}: a whole number from {lo} to {hi}"
        labels = d.get("labels")
        if labels:
            line += " (" + "; ".join(f"{lo + k} = {lab}" for k, lab in enumerate(labels)) + ")"
        lines.append(line)
        example_scores[d["name"]] = (lo + hi) // 2
    example = {
        "rationale": "One or two sentences per response.",
        "scores": {str(i): dict(example_scores) for i in range(len(texts))},
    }
    rules = "Score every response (keys are the response numbers) on every dimension:\n" + "\n".join(lines)
    system = _system(
        question,
        guidelines,
        f"Rate each of the {len(texts)} response(s) to the conversation below on the rubric.",
        example,
        rules,
    )
    user = f"{render_conversation(messages)}\n\n{_responses(texts)}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def labels_prompt(
    question: Question, messages: Sequence[Message], texts: Sequence[str], guidelines: str = ""
) -> list[dict[str, str]]:
    """Ask for labels from the question's choices, for the record or per response."""
    choices = list(question.options.get("choices") or [])
    if not choices:
        raise Invalid(f"labels question {question.name!r} has no choices")
    multi = bool(question.options.get("multi"))
    how_many = "one or more labels" if multi else "exactly one label"
    if question.options.get("per_completion"):
        example: dict[str, Any] = {
            "rationale": "One sentence per response.",
            "per_completion": {str(i): [choices[0]] for i in range(len(texts))},
        }
        task = f"Label each response to the conversation below with {how_many}."
    else:
        example = {"rationale": "One or two sentences.", "labels": [choices[0]]}
        task = f"Label the conversation and its response(s) below with {how_many}."
    rules = "Use only these labels, spelled exactly: " + ", ".join(json.dumps(c) for c in choices) + "."
    system = _system(question, guidelines, task, example, rules)
    user = f"{render_conversation(messages)}\n\n{_responses(texts)}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def score_prompt(text: str, rubric: str, low: int, high: int) -> list[dict[str, str]]:
    """Ask for one whole-number score of `text` against `rubric`, on a scale from low to high."""
    example = {"rationale": "One or two sentences.", "score": (low + high) // 2}
    system = "\n\n".join(
        [
            "You grade text against a rubric, strictly and consistently.",
            "Rubric:\n" + rubric.strip(),
            f"Give a whole-number score on a scale from {low} to {high}, where {high} fits the rubric best.",
            _REPLY,
            _fence(example),
        ]
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": f"<text>\n{text}\n</text>"}]
