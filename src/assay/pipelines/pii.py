"""PII and secret detection over plain text (pure regular expressions plus checksums; no models).

Kinds found: `email`, `phone` (9–15 digits, optional +country code, separators), `ipv4`, `ipv6`
(validated by `ipaddress`), `credit_card` (13–19 digits passing the Luhn check), `iban` (country code,
check digits, passing the ISO 13616 mod-97 check), `aws_access_key` (AKIA/ASIA…), `aws_secret_key`
(40 chars after `aws_secret_access_key=`), `github_token` (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_),
`openai_key` (sk-…, sk-proj-…), `slack_token` (xox?-…), `private_key` (PEM private key blocks) and
`secret` (a value of 16+ characters after `api_key=`, `secret:`, `token=`, `password=`… whose Shannon
entropy is at least 3.5 bits per character).

When matches overlap, the earlier kind in `KINDS` wins (a card number is not also a phone number).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """True when `iban` (spaces allowed) passes the mod-97 check."""
    s = iban.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


def entropy(s: str) -> float:
    """Shannon entropy of `s` in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _valid_ip(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_SECRET_NAMES = r"(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|token|password|passwd|pwd)"

# kind -> (pattern, group to redact, validator)
PATTERNS: dict[str, tuple[re.Pattern[str], int, Callable[[str], bool] | None]] = {
    "private_key": (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"), 0, None),
    "aws_access_key": (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 0, None),
    "aws_secret_key": (re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*[\"']?([A-Za-z0-9/+=]{40})"), 1, None),
    "github_token": (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"), 0, None),
    "openai_key": (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}"), 0, None),
    "slack_token": (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0, None),
    "secret": (re.compile(rf"(?i)\b{_SECRET_NAMES}\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9_\-/+=.]{{16,}})"), 1,
               lambda v: entropy(v) >= 3.5),
    "email": (re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"), 0, None),
    "iban": (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), 0, iban_ok),
    "credit_card": (re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"), 0,
                    lambda s: luhn_ok(re.sub(r"\D", "", s))),
    "ipv6": (re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"), 0, _valid_ip),
    "ipv4": (re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.]|\.\d)"), 0, None),
    "phone": (re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){2,5}(?!\w)"), 0,
              lambda s: 9 <= len(re.sub(r"\D", "", s)) <= 15),
}
KINDS = tuple(PATTERNS)


@dataclass(frozen=True)
class PiiMatch:
    """One finding: kind, character span [start, end) in the text, and the matched text."""

    kind: str
    start: int
    end: int
    text: str


def find_pii(text: str, kinds: tuple[str, ...] = KINDS) -> list[PiiMatch]:
    """All non-overlapping findings in `text`, ordered by position (earlier kind wins an overlap)."""
    taken: list[PiiMatch] = []
    for kind in kinds:
        pattern, group, check = PATTERNS[kind]
        for m in pattern.finditer(text):
            s, e = m.span(group)
            value = m.group(group)
            if check is not None and not check(value):
                continue
            if any(s < t.end and t.start < e for t in taken):
                continue
            taken.append(PiiMatch(kind, s, e, value))
    return sorted(taken, key=lambda p: p.start)


def redact(text: str, matches: list[PiiMatch], template: str = "[{kind}]") -> str:
    """`text` with each match replaced by `template` (formatted with `kind` upper-cased)."""
    out, pos = [], 0
    for m in matches:
        out.append(text[pos:m.start])
        out.append(template.format(kind=m.kind.upper()))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
