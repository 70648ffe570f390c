"""Where a model lives and how to sample from it.

`EndpointConfig` describes one OpenAI-compatible server (vLLM, llama.cpp server, OpenAI, the fake server
used in tests). Its `api_key` never appears in `repr`, `to_dict()` (unless asked for) or log lines; use
`masked()` wherever a key must be shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from assay.errors import Invalid

#: Sampling parameters sent as top-level request fields; anything else goes in `extra`.
SAMPLING_KEYS = ("temperature", "top_p", "max_tokens")


def normalise_base_url(url: str) -> str:
    """Return `url` without a trailing slash, adding `/v1` when it has no path at all.

    `http://host:8000` becomes `http://host:8000/v1` (what vLLM and llama.cpp serve); a URL with a path
    (`https://api.openai.com/v1`, `http://proxy/openai/v1`) is kept as given. Raises Invalid for anything
    that is not an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(
            f"model endpoint base_url {url!r} is not an http(s) URL; "
            "give something like http://127.0.0.1:8000/v1",
            details={"field": "base_url"},
        )
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@dataclass(frozen=True)
class EndpointConfig:
    """One OpenAI-compatible model endpoint and its default sampling settings.

    `name` labels the endpoint in messages and logs. `extra` holds server-specific request fields
    (`top_k`, `repetition_penalty`, `stop`, `seed`, ...) sent in the request body as they are. `timeout`
    is seconds per HTTP attempt; `max_retries` counts retries after the first attempt on 429, 5xx,
    timeouts and connection errors; `concurrency` is the default number of requests in flight for
    `ChatClient.complete_many`. A value of None for a sampling field means "the server's default".
    """

    base_url: str
    model: str
    name: str = ""
    api_key: str = field(default="", repr=False)
    temperature: float | None = 0.7
    top_p: float | None = None
    max_tokens: int | None = 512
    extra: dict[str, Any] = field(default_factory=dict)
    timeout: float = 60.0
    max_retries: int = 4
    concurrency: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalise_base_url(self.base_url))
        if not self.model:
            raise Invalid(
                "model endpoint needs a model name (GET <base_url>/models lists them)",
                details={"field": "model"},
            )
        if not self.name:
            object.__setattr__(self, "name", self.model)
        if self.timeout <= 0:
            raise Invalid(f"endpoint {self.name!r}: timeout must be positive seconds, got {self.timeout}")
        if self.max_retries < 0:
            raise Invalid(f"endpoint {self.name!r}: max_retries must be 0 or more")
        if self.concurrency < 1:
            raise Invalid(f"endpoint {self.name!r}: concurrency must be at least 1")
        if self.temperature is not None and not 0 <= self.temperature <= 2:
            raise Invalid(f"endpoint {self.name!r}: temperature must lie in 0..2, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise Invalid(f"endpoint {self.name!r}: top_p must lie in (0, 1], got {self.top_p}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise Invalid(f"endpoint {self.name!r}: max_tokens must be at least 1")
        clash = sorted(set(self.extra) & {"model", "messages", "stream", *SAMPLING_KEYS})
        if clash:
            raise Invalid(f"endpoint {self.name!r}: set {', '.join(clash)} as fields, not in extra")

    def __repr__(self) -> str:
        return (
            f"EndpointConfig(name={self.name!r}, base_url={self.base_url!r}, model={self.model!r}, "
            f"api_key={self.masked()!r}, temperature={self.temperature!r}, top_p={self.top_p!r}, "
            f"max_tokens={self.max_tokens!r}, extra={self.extra!r}, timeout={self.timeout!r})"
        )

    __str__ = __repr__

    def masked(self) -> str:
        """The key as it may be shown: '' when unset, otherwise '***'."""
        return "***" if self.api_key else ""

    def sampling(self, **overrides: Any) -> dict[str, Any]:
        """The request fields used for sampling: defaults, then `extra`, then `overrides`.

        An override of None drops that field (the server's default applies).

        Returns a new dict with only the fields that will be sent.
        """
        merged: dict[str, Any] = {k: getattr(self, k) for k in SAMPLING_KEYS}
        merged.update(self.extra)
        merged.update(overrides)
        return {k: v for k, v in merged.items() if v is not None}

    def replace(self, **changes: Any) -> EndpointConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self, *, include_key: bool = False) -> dict[str, Any]:
        """A JSON-able dict; the key is left out unless `include_key` (for storing it server-side only)."""
        d = dataclasses.asdict(self)
        if not include_key:
            d.pop("api_key")
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndpointConfig:
        """Build from a dict as written by `to_dict`; unknown keys raise Invalid naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise Invalid(
                f"unknown model endpoint setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**data)
