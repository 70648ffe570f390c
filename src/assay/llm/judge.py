"""LLM-as-judge: answer a project's question about a record, or score a text against a rubric.

`Judge.judge(record, question)` builds a prompt (`judge_prompts`), asks the model for JSON and parses it
(`judge_parse`) into an answer in the question's own shape (see `assay.domain.questions`), validated like a
human's. A reply that cannot be read gives a `JudgeResult` with `error` set, never an exception. With
`swap=True` a pairwise question is asked twice with A and B swapped: if both orders agree the answer stands
(with the lower of the two strengths), otherwise it becomes a tie and `consistent` is False.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from assay.domain.answers import PairwiseAnswer, answer_as
from assay.domain.questions import Question, QuestionKind
from assay.domain.records import Record
from assay.errors import AssayError, Invalid
from assay.llm.client import ChatClient
from assay.llm.judge_parse import JudgeOutputError, parse_judge_output, parse_score
from assay.llm.judge_prompts import JUDGED_KINDS, labels_prompt, pairwise_prompt, rating_prompt, score_prompt


@dataclass
class JudgeResult:
    """One judged question. `answer` is None exactly when `error` says why (unreadable reply, server
    failure). `raw` holds the judge's replies (two with swap); `consistent` is set only for swapped
    pairwise judging; `orders` has the answer from each order (second one mapped back to the original A/B)."""

    question: str
    kind: str
    answer: dict[str, Any] | None
    rationale: str = ""
    error: str | None = None
    raw: list[str] = field(default_factory=list)
    consistent: bool | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _flip(answer: dict[str, Any]) -> dict[str, Any]:
    typed = answer_as(PairwiseAnswer, answer)
    return {**answer, "choice": typed.mirrored().choice} if typed is not None else answer


class Judge:
    """Asks one endpoint to judge. `guidelines` (markdown) go into every prompt; `sampling` overrides
    the endpoint's sampling for judge calls (default temperature 0)."""

    def __init__(self, client: ChatClient, *, guidelines: str = "", **sampling: Any) -> None:
        self.client = client
        self.guidelines = guidelines
        self.sampling = {"temperature": 0.0, **sampling}

    def judge(self, record: Record, question: Question, *, swap: bool = False) -> JudgeResult:
        """Answer `question` about `record`.

        Raises Invalid when the question cannot be judged (unsupported kind, too few completions) and
        Unavailable/Invalid from the client when the server fails; an unreadable reply is returned as a
        JudgeResult with `error`.
        """
        if question.kind not in JUDGED_KINDS:
            raise Invalid(
                f"LLM judging supports pairwise, rating and labels questions; "
                f"{question.name!r} is a {question.kind.value} question"
            )
        texts = [c.text for c in record.completions]
        if question.kind is QuestionKind.pairwise:
            return self._pairwise(record, question, texts, swap)
        if not texts and (question.kind is QuestionKind.rating or question.options.get("per_completion")):
            raise Invalid(f"record {record.external_id!r} has no completions to judge for {question.name!r}")
        if question.kind is QuestionKind.rating:
            messages = rating_prompt(question, record.messages, texts, self.guidelines)
        else:
            messages = labels_prompt(question, record.messages, texts, self.guidelines)
        gen = self.client.complete(messages, **self.sampling)
        result = JudgeResult(question.name, question.kind.value, None, raw=[gen.text], model=gen.model)
        try:
            result.answer, result.rationale = parse_judge_output(question, gen.text, texts)
        except JudgeOutputError as e:
            result.error = e.message
        return result

    def _pairwise(self, record: Record, question: Question, texts: list[str], swap: bool) -> JudgeResult:
        ia, ib = int(question.options.get("a", 0)), int(question.options.get("b", 1))
        if max(ia, ib) >= len(texts) or ia == ib:
            raise Invalid(
                f"pairwise question {question.name!r} compares completions {ia} and {ib}, but record "
                f"{record.external_id!r} has {len(texts)} completion(s)"
            )
        orders = [(texts[ia], texts[ib])] + ([(texts[ib], texts[ia])] if swap else [])
        result = JudgeResult(question.name, question.kind.value, None)
        rationales = []
        for k, (first, second) in enumerate(orders):
            gen = self.client.complete(
                pairwise_prompt(question, record.messages, first, second, self.guidelines), **self.sampling
            )
            result.raw.append(gen.text)
            result.model = gen.model
            try:
                answer, why = parse_judge_output(question, gen.text, texts)
            except JudgeOutputError as e:
                result.error = (
                    e.message if not swap else f"{'first' if k == 0 else 'swapped'} order: {e.message}"
                )
                return result
            result.orders.append(_flip(answer) if k == 1 else answer)
            rationales.append(why)
        result.rationale = rationales[0]
        if not swap:
            result.answer = result.orders[0]
            return result
        one, two = (answer_as(PairwiseAnswer, o) for o in result.orders)
        result.consistent = one is not None and two is not None and one.choice == two.choice
        if not result.consistent or one is None or two is None:
            result.answer = PairwiseAnswer("tie", None).to_json()
        elif one.is_tie:
            result.answer = result.orders[0]
        else:
            result.answer = PairwiseAnswer(one.choice, min(one.strength or 0, two.strength or 0)).to_json()
        return result

    def judge_many(
        self, items: Sequence[tuple[Record, Question]], *, swap: bool = False, concurrency: int | None = None
    ) -> list[JudgeResult]:
        """Judge many (record, question) pairs with bounded concurrency; results in input order.

        Never raises for one item: server failures and unjudgeable questions become results with `error`.
        """
        limit = concurrency or self.client.config.concurrency

        def one(item: tuple[Record, Question]) -> JudgeResult:
            record, question = item
            try:
                return self.judge(record, question, swap=swap)
            except AssayError as e:
                return JudgeResult(question.name, question.kind.value, None, error=e.message)

        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix="assay-judge") as pool:
            return list(pool.map(one, items))

    def score(self, text: str, rubric: str, *, low: int = 1, high: int = 10) -> float:
        """A pointwise score of `text` against `rubric`, a number in low..high.

        Raises JudgeOutputError (an Invalid) when the reply has no readable score in range, and the
        client's errors when the server fails. See `score_detail` for the rationale too.
        """
        return self.score_detail(text, rubric, low=low, high=high)[0]

    def score_detail(self, text: str, rubric: str, *, low: int = 1, high: int = 10) -> tuple[float, str]:
        """(score, rationale); raises like `score`."""
        if low >= high:
            raise Invalid(f"score scale {low}..{high} is empty; low must be below high")
        gen = self.client.complete(score_prompt(text, rubric, low, high), **self.sampling)
        return parse_score(gen.text, low, high)
