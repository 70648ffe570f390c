"""PII detection and redaction on hand-made cases in several languages."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.pipelines.pii import find_pii, iban_ok, luhn_ok
from assay.pipelines.registry import build_step
from tests.pipelines.helpers import batch

CASES = [
    ("en", "Email me at jane.doe@example.co.uk or call +1 415 555 0132.", {"email", "phone"}),
    ("de", "Bitte überweisen Sie an IBAN DE89 3704 0044 0532 0130 00, Fragen an max@beispiel.de", {"iban", "email"}),
    ("fr", "Mon numéro est le 06 12 34 56 78 et ma carte 5555 5555 5555 4444.", {"phone", "credit_card"}),
    ("es", "Mi tarjeta es 4111-1111-1111-1111 y el servidor está en 192.168.10.4", {"credit_card", "ipv4"}),
    ("zh", "请联系 wang.li@example.cn，服务器地址是 2001:db8::8a2e:370:7334。", {"email", "ipv6"}),
    ("ru", "Позвоните мне: +7 912 345-67-89, ключ AKIAIOSFODNN7EXAMPLE", {"phone", "aws_access_key"}),
    ("ar", "بريدي الإلكتروني ahmed@example.com ورقم الآيبان GB82 WEST 1234 5698 7654 32", {"email", "iban"}),
]


@pytest.mark.parametrize("lang,text,kinds", CASES, ids=[c[0] for c in CASES])
def test_finds_pii_in_many_languages(lang: str, text: str, kinds: set[str]) -> None:
    assert {m.kind for m in find_pii(text)} == kinds


def test_card_like_number_failing_luhn_is_not_a_card() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    found = find_pii("Order ref 4111 1111 1111 1112 shipped; valid card 4111 1111 1111 1111")
    assert [(m.kind, m.text) for m in found] == [("credit_card", "4111 1111 1111 1111")]


def test_iban_checksum() -> None:
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE89 3704 0044 0532 0130 01")
    assert find_pii("IBAN DE89 3704 0044 0532 0130 01") == []


def test_secrets_and_keys() -> None:
    text = ("ghp_abcdefghijklmnopqrstuvwxyz0123456789 sk-proj-AbCdEfGhIjKlMnOpQrStUv12 "
            "api_key=\"x8Fk2Lq9Zr7Tb3Wm5Nc1\" password=aaaaaaaaaaaaaaaaaaaa\n"
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----")
    kinds = [m.kind for m in find_pii(text)]
    assert kinds == ["github_token", "openai_key", "secret", "private_key"]  # low-entropy password skipped


def test_no_false_positives_on_ordinary_numbers() -> None:
    assert find_pii("On 2023-01-15 we sold 12345 units at 10:30:00, version 1.2.3, page 42.") == []


def test_step_redacts_messages_and_completions_and_counts() -> None:
    b = batch(("my mail is a@b.com", "noted: a@b.com, call 030 1234 5678"), ("nothing here", "fine"))
    out = build_step("pii").process(b)
    rows = out.table.to_pylist()
    assert rows[0]["messages"][0]["content"] == "my mail is [EMAIL]"
    assert rows[0]["completions"][0]["text"] == "noted: [EMAIL], call [PHONE]"
    assert rows[0]["pii__count"] == 3 and rows[0]["pii__kinds"] == ["email", "phone"]
    assert rows[1]["pii__count"] == 0
    assert out.stats.counters["email"] == 2 and out.stats.counters["redacted_records"] == 1


def test_drop_action_and_bad_kind() -> None:
    b = batch(("x@y.org", "a"), ("clean", "b"))
    out = build_step("pii", {"action": "drop"}).process(b)
    assert out.table.column("id").to_pylist() == ["r0001"] and out.stats.dropped["pii"] == 1
    with pytest.raises(Invalid, match="unknown kind"):
        build_step("pii", {"kinds": ["ssn"]})
