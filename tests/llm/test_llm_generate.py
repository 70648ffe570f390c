"""Resumable generation: interrupted runs resume and request only what is missing."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.llm.client import Generation
from assay.llm.generate import generate_resumable


def items(count: int):
    for i in range(count):
        yield f"k{i}", [{"role": "user", "content": f"prompt {i}"}]


def requested(fake) -> list[str]:
    return [b["messages"][0]["content"] for b in fake.chat_requests()]


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_with_only_missing_keys(fake, make_client):
    client = make_client()
    stored: dict[str, list[Generation]] = {}

    def store_then_crash(key: str, gens: list[Generation]) -> None:
        if len(stored) == 4:
            raise Interrupt("simulated crash")
        stored[key] = gens

    with pytest.raises(Interrupt):
        generate_resumable(
            client, items(12), store=store_then_crash, is_done=stored.__contains__, n=2, concurrency=2
        )
    assert len(stored) == 4
    first_run = set(requested(fake))
    assert len(first_run) < 12  # it stopped before asking for everything
    fake.reset()

    def store(key: str, gens: list[Generation]) -> None:
        stored[key] = gens

    report = generate_resumable(
        client, items(12), store=store, is_done=stored.__contains__, n=2, concurrency=2
    )
    assert report.skipped == 4 and report.generated == 8 and not report.failed
    assert sorted(stored) == sorted(f"k{i}" for i in range(12))
    done_first = {f"prompt {k[1:]}" for k in list(stored)[:4]}
    again = requested(fake)
    assert not done_first & set(again)
    assert sorted(again) == sorted(
        p for i in range(12) if (p := f"prompt {i}") not in done_first for _ in (0, 1)
    )
    assert all(len(g) == 2 for g in stored.values())
    assert all('"prompt 5"' in g.text for g in stored["k5"])


def test_failed_keys_are_reported_not_stored(fake, make_client):
    fake.fail_next(1, 400)
    stored: dict[str, list[Generation]] = {}
    progress: list[int] = []
    report = generate_resumable(
        make_client(),
        items(4),
        store=stored.__setitem__,
        is_done=stored.__contains__,
        concurrency=1,
        on_progress=lambda r: progress.append(r.generated),
    )
    assert list(report.failed) == ["k0"] and "rejected the request" in report.failed["k0"]
    assert sorted(stored) == ["k1", "k2", "k3"] and progress == [1, 2, 3]
    fake.fail_next(1, 400)
    with pytest.raises(Invalid):
        generate_resumable(
            make_client(), items(1), store=stored.__setitem__, is_done=stored.__contains__, stop_on_error=True
        )


def test_duplicates_and_concurrency(fake, make_client):
    fake.delay = 0.1
    stored: dict[str, list[Generation]] = {}
    dup = list(items(6)) + list(items(2))
    report = generate_resumable(
        make_client(),
        dup,
        store=stored.__setitem__,
        is_done=stored.__contains__,
        concurrency=3,
        temperature=0.0,
    )
    assert report.generated == 6 and report.duplicates == 2
    assert fake.max_concurrent == 3
    assert all(b["temperature"] == 0.0 for b in fake.chat_requests())
