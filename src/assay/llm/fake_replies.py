"""What the fake model server says: deterministic replies and a toy judge.

A reply is a function of the messages and the sampling fields (temperature, top_p, seed, choice index), so
the same request always gets the same text and two temperatures get two different texts. When a system
message contains the word "JSON" the server acts as a judge: it starts from the first ```json example in
the prompt and fills it in (pairwise: the longer response wins, or always "a" with bias "first"; a "score"
field: a number from the prompt's "scale from X to Y"), adding a rationale. Used only by `fake_server`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

WORDS = [
    "the",
    "answer",
    "depends",
    "on",
    "context",
    "and",
    "careful",
    "reasoning",
    "about",
    "each",
    "step",
    "helps",
    "clarify",
    "what",
    "matters",
    "most",
    "here",
    "we",
    "consider",
    "the",
    "evidence",
    "weigh",
    "alternatives",
    "and",
    "explain",
    "a",
    "practical",
    "approach",
    "with",
    "a",
    "short",
    "example",
    "that",
    "readers",
    "can",
    "follow",
    "test",
    "and",
    "adapt",
    "to",
    "their",
    "own",
    "situation",
    "while",
    "noting",
    "common",
    "pitfalls",
]

_FENCE = re.compile(r"```json\s*(\{.*?\})\s*```", re.DOTALL)
_SCALE = re.compile(r"scale from (-?\d+) to (-?\d+)")


def request_digest(messages: list[dict[str, Any]], body: dict[str, Any], index: int = 0) -> str:
    """A hex digest of everything that should change the reply."""
    keyed = {
        "messages": messages,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "seed": body.get("seed"),
        "index": index,
    }
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()


def _last_user(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return str(m.get("content") or "")
    return ""


def plain_reply(messages: list[dict[str, Any]], body: dict[str, Any], index: int = 0) -> str:
    """A deterministic prose reply that quotes the start of the last user message."""
    digest = request_digest(messages, body, index)
    rng = random.Random(int(digest[:16], 16))
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
    topic = " ".join(_last_user(messages).split()[:6])
    return f'[{digest[:6]}] About "{topic}": ' + " ".join(words) + "."


def is_judge_request(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("role") == "system" and "JSON" in str(m.get("content") or "") for m in messages)


def _between(text: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return m.group(1).strip() if m else None


def judge_reply(messages: list[dict[str, Any]], body: dict[str, Any], bias: str = "longer") -> str:
    """A JSON verdict shaped like the prompt's ```json example (see module docstring)."""
    prompt = "\n".join(str(m.get("content") or "") for m in messages)
    digest = request_digest(messages, body)
    template: dict[str, Any] = {}
    fence = _FENCE.search(prompt)
    if fence:
        try:
            loaded = json.loads(fence.group(1))
            template = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            template = {}
    out = dict(template)
    if "choice" in out:
        a, b = _between(prompt, "response_a") or "", _between(prompt, "response_b") or ""
        if bias == "first":
            out["choice"], out["strength"] = "a", 2
        elif len(a) == len(b):
            out["choice"], out["strength"] = "tie", None
        else:
            out["choice"], out["strength"] = ("a" if len(a) > len(b) else "b"), 2
    if "score" in out or not out:
        scale = _SCALE.search(prompt)
        lo, hi = (int(scale.group(1)), int(scale.group(2))) if scale else (1, 10)
        out["score"] = lo + int(digest[:8], 16) % (hi - lo + 1)
    out["rationale"] = f"Fake judge {digest[:6]}: decided by a fixed rule, not by reading."
    return json.dumps(out)
