"""The SDK's HTTP seam: one httpx client, bearer auth, and server errors turned into `assay.errors`.

The server answers every error as `{"error": {"code", "message", "details"}}`; `raise_for_error` maps the
code to the matching `assay.errors` class (unknown codes become a plain `AssayError` carrying the code), so
SDK users catch the same exceptions as server code. A server that cannot be reached raises `Unavailable`.
"""

from __future__ import annotations

from typing import Any

import httpx

from assay.errors import AssayError, Conflict, Forbidden, Invalid, NotFound, Unauthenticated, Unavailable

ERRORS: dict[str, type[AssayError]] = {
    "not_found": NotFound, "conflict": Conflict, "invalid": Invalid, "forbidden": Forbidden,
    "unauthenticated": Unauthenticated, "unavailable": Unavailable,
}


class ApiError(AssayError):
    """An error the server returned with a code the SDK has no class for (e.g. `method_not_allowed`)."""

    def __init__(self, message: str, *, code: str, status: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.code = code
        self.status = status


def raise_for_error(response: httpx.Response) -> None:
    """Raise the `assay.errors` class named by an error response's code; do nothing for 2xx/3xx."""
    if response.status_code < 400:
        return
    code, message = "", ""
    details: dict[str, Any] = {}
    try:
        body = response.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code, message = str(err.get("code", "")), str(err.get("message", ""))
            details = err.get("details") or {}
    except ValueError:
        pass
    if not message:
        message = f"HTTP {response.status_code} from {response.request.method} {response.request.url}: " \
                  f"{response.text[:200]}"
    details = {**details, "status": response.status_code}
    cls = ERRORS.get(code)
    if cls is not None:
        raise cls(message, details=details)
    if response.status_code >= 500 and not code:
        raise Unavailable(f"the Assay server failed: {message}", details=details)
    raise ApiError(message, code=code or "http_error", status=response.status_code, details=details)


def make_http(url: str, token: str | None, *, transport: httpx.BaseTransport | None = None,
              http: httpx.Client | None = None, timeout: float = 60.0) -> httpx.Client:
    """The httpx client the SDK uses: `http` when given (e.g. FastAPI's TestClient), else a new one over
    `transport` (None: real network). The token goes into `Authorization: Bearer`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if http is not None:
        http.headers.update(headers)
        return http
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, transport=transport, timeout=timeout)


def send(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; raises `assay.errors` for error responses and Unavailable when the server is unreachable."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TransportError as e:
        raise Unavailable(f"cannot reach the Assay server at {http.base_url}: {e}; check the URL and that "
                          "`assay serve` is running", details={"url": str(http.base_url)}) from e
    raise_for_error(response)
    return response
