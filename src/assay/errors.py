"""The one error hierarchy of Assay.

Every layer raises these; the web layer maps them to HTTP statuses in one place
(`assay.web.errors`). Each message says what was wrong and what to do about it.
"""

from __future__ import annotations

from typing import Any


class AssayError(Exception):
    """Base class. `code` is a stable machine-readable identifier for API clients."""

    code = "assay_error"
    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(AssayError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "not_found"
    status = 404


class Conflict(AssayError):
    """The request clashes with the current state (duplicate name, already submitted, lease lost)."""

    code = "conflict"
    status = 409


class Invalid(AssayError):
    """The input is malformed. `details` names the line, the field and the reason where known."""

    code = "invalid"
    status = 422


class TooSlow(Invalid):
    """A query the caller wrote (e.g. the explorer's raw `where`) ran past its time limit and was stopped."""

    code = "query_timeout"


class Forbidden(AssayError):
    """The caller is known but may not do this."""

    code = "forbidden"
    status = 403


class Unauthenticated(AssayError):
    """The caller is not signed in, or the token is unknown, revoked or expired."""

    code = "unauthenticated"
    status = 401


class Unavailable(AssayError):
    """A needed component is missing or down (bubblewrap, a model server, a database)."""

    code = "unavailable"
    status = 503
