"""Who is calling, CSRF checks and security headers.

Browsers authenticate with the session cookie; programs with `Authorization: Bearer <token>`. A
state-changing request made with the cookie must carry the session's CSRF token (form field `csrf_token`
or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.errors import Forbidden, Unauthenticated
from assay.services.accounts import auth
from assay.services.accounts.auth import Principal
from assay.web.context import ctx

SESSION_COOKIE = "assay_session"
LOGIN_CSRF_COOKIE = "assay_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """The trusted proxies of the `trusted_proxies` setting (addresses or CIDR networks, comma-separated)."""
    return tuple(ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str, forwarded_for: str, trusted_proxies: str) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy — then the rightmost
    X-Forwarded-For entry that is not itself a trusted proxy (entries further left were written by the
    client and can be forged). A header from an untrusted peer is ignored."""
    networks = _networks(trusted_proxies)
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


def client_ip(request: Request) -> str:
    """The caller's address for throttling and the audit log (see `client_address`)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.get("x-forwarded-for", ""), ctx(request).settings.trusted_proxies)


def optional_principal(request: Request) -> Principal | None:
    """The caller, or None when anonymous. Raises Unauthenticated for a bad bearer token."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    c = ctx(request)
    header = request.headers.get("authorization", "")
    principal: Principal | None = None
    if header.lower().startswith("bearer "):
        principal = auth.resolve_api_token(c.db, header[7:].strip())
    elif token := request.cookies.get(SESSION_COOKIE):
        try:
            principal = auth.resolve_session(c.db, token)
        except Unauthenticated:
            principal = None
    request.state.principal = principal
    return principal


def principal(request: Request) -> Principal:
    """The signed-in caller; raises Unauthenticated (pages redirect to the sign-in page)."""
    p = optional_principal(request)
    if p is None:
        raise Unauthenticated("sign in first")
    return p


async def check_csrf(request: Request, p: Principal) -> None:
    """Reject a cookie-authenticated state change without the session's CSRF token."""
    if request.method in SAFE_METHODS or p.via != "session":
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
    _require_csrf_token(p, sent)


def _require_csrf_token(p: Principal, sent: str) -> None:
    if not sent or not hmac.compare_digest(sent, p.csrf_token):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")


def _require_write_scope(p: Principal) -> None:
    if p.via == "token" and p.scope != "write":
        raise Forbidden("this API token is read-only; create a token with scope 'write'")


async def writer(request: Request) -> Principal:
    """Dependency for state-changing routes: signed in, CSRF-checked, and a write-scoped token."""
    p = principal(request)
    await check_csrf(request, p)
    _require_write_scope(p)
    return p


async def has_credentials(request: Request) -> None:
    """Dependency for routes that resolve the caller in their body (`api_writer`): refuses a request with
    no token and no session cookie before its body is validated (no database work), so an anonymous
    caller gets 401, as from `writer`, not a validation error."""
    if not request.headers.get("authorization", "").lower().startswith("bearer ") and \
            not request.cookies.get(SESSION_COOKIE):
        raise Unauthenticated("sign in first")


def api_writer(request: Request) -> Principal:
    """`writer` for a sync JSON route to call first thing in its body, so the caller is resolved in the
    same worker thread as the route's service call: one thread hop per request, and the token lookup
    never holds the event loop while it waits for the database. JSON routes take the CSRF token from the
    `X-CSRF-Token` header only (their body is JSON, never a form)."""
    p = principal(request)
    if p.via == "session":
        _require_csrf_token(p, request.headers.get("x-csrf-token", ""))
    _require_write_scope(p)
    return p


def reader(request: Request) -> Principal:
    """Dependency for read routes: signed in (session or any token)."""
    return principal(request)


_STATIC_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                   (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
                   (b"cross-origin-opener-policy", b"same-origin")]
_DYNAMIC_HEADERS = [*_STATIC_HEADERS, (b"cache-control", b"no-store")]


def _with_headers(raw: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    """`raw` response headers plus the security headers for `path` that are not already set."""
    have = {name.lower() for name, _ in raw}
    return raw + [h for h in (_STATIC_HEADERS if path.startswith("/static/") else _DYNAMIC_HEADERS)
                  if h[0] not in have]


def add_security_headers(response: Response, path: str) -> Response:
    """`response` with the headers `SecurityHeaders` adds, for an answer sent outside that middleware: the
    catch-all handler for unhandled errors (500) runs in Starlette's ServerErrorMiddleware, which wraps
    every middleware the app adds."""
    response.raw_headers[:] = _with_headers(list(response.raw_headers), path)
    return response


class SecurityHeaders:
    """Adds the security headers to every response. (Ids and counts too big for the database are refused
    by the typed parameters of `assay.web.deps` and the bounded fields of `assay.schemas`, with 422.)

    A plain ASGI middleware (no BaseHTTPMiddleware task and stream per request): headers the app already
    set are kept; the rest are added to the response start message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(list(message.get("headers", [])), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
