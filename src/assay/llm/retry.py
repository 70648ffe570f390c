"""When to retry a model call, how long to wait, and how failures become Assay errors.

Retried: HTTP 429 and 5xx, timeouts and connection errors. Not retried: any other 4xx (the request or the
configuration is wrong, so the same call would fail again). Waits grow exponentially with jitter; a
`Retry-After` header (seconds or an HTTP date) is honoured as a lower bound, capped at `max_delay`.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import openai

from assay.errors import AssayError, Invalid, Unavailable


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff settings. The wait before retry k (0-based) is base_delay * 2**k, capped at max_delay,
    then scaled by a random factor in [1 - jitter, 1]; a Retry-After header raises it to at least that."""

    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def delay(
        self, retry_index: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number `retry_index` (0 for the first retry)."""
        r = rng or random
        d = min(self.max_delay, self.base_delay * (2**retry_index))
        d *= 1 - self.jitter * r.random()
        if retry_after is not None:
            d = max(d, min(retry_after, self.max_delay))
        return float(d)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date. Returns None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_retryable(exc: BaseException) -> bool:
    """True for 429, 5xx, timeouts and connection errors raised by the openai client."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def retry_after_of(exc: BaseException) -> float | None:
    """The Retry-After delay a failed response asked for, if any."""
    if isinstance(exc, openai.APIStatusError):
        return retry_after_seconds(exc.response.headers.get("retry-after"))
    return None


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def to_assay_error(
    exc: BaseException,
    *,
    endpoint: str,
    base_url: str,
    model: str,
    attempts: int,
    secret: str = "",
    timeout: float | None = None,
) -> AssayError:
    """Map an openai exception to Unavailable or Invalid with a message saying what to check.

    The API key (`secret`) is scrubbed from everything a server echoed back. `details` carries endpoint,
    base_url, model, attempts and, for HTTP errors, status.
    """
    where = f"model server {endpoint!r} at {base_url} (model {model!r})"
    details: dict[str, object] = {
        "endpoint": endpoint,
        "base_url": base_url,
        "model": model,
        "attempts": attempts,
    }
    tries = f" after {attempts} attempt(s)" if attempts > 1 else ""
    if isinstance(exc, openai.APITimeoutError):
        return Unavailable(
            f"{where} did not answer within {timeout}s{tries}; check that the server is up and not "
            "overloaded, or raise the endpoint's timeout",
            details=details,
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return Unavailable(
            f"cannot connect to {where}{tries}: {_scrub(str(cause), secret) or type(cause).__name__}; check "
            "that the server is running and that base_url is right (it usually ends in /v1)",
            details=details,
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        details["status"] = status
        said = _scrub(_server_message(exc), secret)
        if status in (401, 403):
            return Unavailable(
                f"{where} refused the API key (HTTP {status}: {said}); check the endpoint's api_key",
                details=details,
            )
        if status == 404:
            return Invalid(
                f"{where} answered 404 ({said}); check the model name (GET {base_url}/models "
                "lists what it serves) and that base_url ends in /v1",
                details=details,
            )
        if status == 429:
            return Unavailable(
                f"{where} is rate-limiting requests{tries} (HTTP 429: {said}); lower the "
                "concurrency or wait and retry",
                details=details,
            )
        if status >= 500:
            return Unavailable(
                f"{where} failed{tries} (HTTP {status}: {said}); check the server's logs", details=details
            )
        return Invalid(
            f"{where} rejected the request (HTTP {status}: {said}); check the sampling settings "
            "and the messages",
            details=details,
        )
    return Unavailable(
        f"{where} call failed: {type(exc).__name__}: {_scrub(str(exc), secret)}", details=details
    )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:500]
        if isinstance(inner, str):
            return inner[:500]
    return (exc.message or "no message")[:500]
