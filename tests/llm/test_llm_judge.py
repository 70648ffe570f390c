"""LLM judge: prompts, robust parsing, position swap and malformed output, against the fake server."""

from __future__ import annotations

import pytest

from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.llm.judge import Judge
from assay.llm.judge_parse import JudgeOutputError, extract_json, parse_judge_output, parse_score

PAIR = Question("better", "pairwise", help="Which answer helps more?")
RATING = Question(
    "quality",
    "rating",
    options={
        "dimensions": [{"name": "helpfulness", "min": 1, "max": 5}, {"name": "Accuracy", "min": 0, "max": 3}]
    },
)
SAFETY = Question("safety", "labels", options={"choices": ["safe", "unsafe", "borderline"]})
PER = Question(
    "tone", "labels", options={"choices": ["polite", "rude", "terse"], "multi": True, "per_completion": True}
)


def record(short: str = "Paris.", long: str = "The capital of France is Paris, on the Seine.") -> Record:
    return Record(
        "r1",
        [Message("user", "What is the capital of France?")],
        [Completion(short, "m1"), Completion(long, "m2")],
    )


@pytest.mark.parametrize(
    "reply",
    [
        '{"choice": "b", "strength": 3, "rationale": "B is fuller"}',
        (
            'Sure! Here is my verdict:\n```json\n{"rationale": "B is fuller", "choice": "B", '
            '"strength": "much better"}\n```'
        ),
        (
            '<think>{"choice": "a"} hmm no</think> Verdict: '
            '{"rationale": "B is fuller", "choice": "Response B", "strength": 3.0} Thanks.'
        ),
    ],
)
def test_pairwise_parsing_forgives_common_spellings(reply):
    answer, why = parse_judge_output(PAIR, reply, ["x", "y"])
    assert answer == {"choice": "b", "strength": 3} and why == "B is fuller"


def test_rating_and_labels_parsing_normalise_case_and_keys():
    answer, _ = parse_judge_output(
        RATING,
        '{"scores": {"response_0": {"Helpfulness": 4, "accuracy": 2.0}, '
        '"1": {"helpfulness": "5", "Accuracy": 3}}}',
        ["x", "y"],
    )
    assert answer == {
        "scores": {"0": {"helpfulness": 4, "Accuracy": 2}, "1": {"helpfulness": 5, "Accuracy": 3}}
    }
    assert parse_judge_output(SAFETY, '{"labels": "Unsafe"}', ["x"])[0] == {"labels": ["unsafe"]}
    assert parse_judge_output(SAFETY, '{"label": "safe"}', ["x"])[0] == {"labels": ["safe"]}


@pytest.mark.parametrize(
    "reply, match",
    [
        ("I prefer A.", "did not reply with a JSON object"),
        ('{"choice": "c", "strength": 1}', "breaks the question's rules"),
        ('{"choice": "a", "strength": 9}', "strength must be"),
        ("", "did not reply with a JSON object"),
    ],
)
def test_unreadable_pairwise_replies_raise_judge_output_error(reply, match):
    with pytest.raises(JudgeOutputError, match=match) as info:
        parse_judge_output(PAIR, reply, ["x", "y"])
    assert isinstance(info.value, Invalid)


def test_rating_out_of_range_and_unknown_label_are_errors():
    with pytest.raises(JudgeOutputError, match="between 1 and 5"):
        parse_judge_output(RATING, '{"scores": {"0": {"helpfulness": 7, "accuracy": 1}}}', ["x"])
    with pytest.raises(JudgeOutputError, match="not one of"):
        parse_judge_output(SAFETY, '{"labels": ["spicy"]}', ["x"])
    assert extract_json('noise {"a": {"b": 1}} more') == {"a": {"b": 1}}
    with pytest.raises(JudgeOutputError, match="outside 1..10"):
        parse_score('{"score": 42}', 1, 10)


def test_pairwise_judging_over_http(fake, make_client):
    judge = Judge(make_client(), guidelines="Prefer complete answers.")
    result = judge.judge(record(), PAIR)
    assert result.ok and result.answer == {"choice": "b", "strength": 2}
    assert result.rationale.startswith("Fake judge") and result.consistent is None
    body = fake.chat_requests()[0]
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert "JSON" in system and "Prefer complete answers." in system and "Which answer helps more?" in system
    assert "<response_a>\nParis.\n</response_a>" in user and body["temperature"] == 0.0


def test_position_swap_reports_consistency(fake, make_client):
    judge = Judge(make_client())
    result = judge.judge(record(), PAIR, swap=True)
    assert result.consistent is True and result.answer == {"choice": "b", "strength": 2}
    users = [b["messages"][1]["content"] for b in fake.chat_requests()]
    assert "<response_a>\nParis.\n" in users[0] and "<response_b>\nParis.\n" in users[1]
    fake.judge_bias = "first"  # a judge that always prefers whatever is shown first
    biased = judge.judge(record(), PAIR, swap=True)
    assert biased.consistent is False and biased.answer == {"choice": "tie", "strength": None}
    assert [o["choice"] for o in biased.orders] == ["a", "b"] and len(biased.raw) == 2


def test_rating_and_labels_judging_over_http(fake, make_client):
    judge = Judge(make_client())
    rated = judge.judge(record(), RATING)
    assert rated.ok and set(rated.answer["scores"]) == {"0", "1"}
    assert rated.answer["scores"]["0"] == {"helpfulness": 3, "Accuracy": 1}
    labelled = judge.judge(record(), SAFETY)
    assert labelled.answer == {"labels": ["safe"]}
    per = judge.judge(record(), PER)
    assert per.answer == {"per_completion": {"0": ["polite"], "1": ["polite"]}}


def test_malformed_judge_output_is_an_error_object(fake, make_client):
    fake.queue_reply("Response B is clearly better, trust me.")
    result = Judge(make_client()).judge(record(), PAIR)
    assert not result.ok and result.answer is None
    assert "did not reply with a JSON object" in result.error and "trust me" in result.error
    fake.queue_reply('{"choice": "a", "strength": 2}', "garbage")
    swapped = Judge(make_client()).judge(record(), PAIR, swap=True)
    assert swapped.error.startswith("swapped order:") and swapped.answer is None


def test_judge_many_never_raises_per_item(fake, make_client):
    fake.fail_next(1, 400)
    judge = Judge(make_client())
    ranking = Question("order", "ranking")
    one_completion = Record("r2", [Message("user", "hi")], [Completion("hello")])
    results = judge.judge_many(
        [(record(), SAFETY), (record(), ranking), (one_completion, PAIR), (record(), PAIR)], concurrency=1
    )
    assert "rejected the request" in results[0].error
    assert "supports pairwise, rating and labels" in results[1].error
    assert "has 1 completion(s)" in results[2].error
    assert results[3].ok


def test_pointwise_score(fake, make_client):
    judge = Judge(make_client())
    value = judge.score("Water boils at 100 C at sea level.", "Factual and precise.")
    assert 1 <= value <= 10 and value == judge.score(
        "Water boils at 100 C at sea level.", "Factual and precise."
    )
    assert "scale from 1 to 10" in fake.chat_requests()[0]["messages"][0]["content"]
    assert 0 <= judge.score("x", "y", low=0, high=3) <= 3
    fake.queue_reply('{"score": "high"}')
    with pytest.raises(JudgeOutputError, match="not a number"):
        judge.score("x", "z")
