"""Which hosts the server may call out to, checked on every address before a connection is made.

`OutboundPolicy(allowed)` holds the admin's list (`Settings.outbound_allowed_hosts`). An entry is
- a host name (`api.openai.com`, matched case-insensitively), a wildcard (`*.example.com`, any subdomain),
  or `*` (any host name);
- an IP address (`127.0.0.1`, `::1`) or a CIDR network (`10.0.0.0/8`).

A URL may be called when its host matches a name entry or is an IP literal inside a listed network, and
every address the host resolves to is either global (public) or inside a listed network. So loopback,
private, link-local and other non-global addresses are reachable only when listed as IPs/networks: a
name that is allowed but resolves to 127.0.0.1 is refused unless 127.0.0.1 is listed too.

`guarded_http_client(policy)` is an httpx client (httpx2, the fork the openai package uses) whose connections go through `GuardedBackend`: it resolves
the host itself, checks every address, and connects to a checked address (no second lookup a DNS answer
could change in between). TLS still verifies the certificate against the URL's host name. Proxy settings
from the environment are ignored (a proxy would hide the real destination).

`OutboundPolicy.check_url(url)` is the same check done before a call, so a refused host fails with a clear
`Forbidden` before any connection is attempted.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore2 as httpcore
import httpx2 as httpx

from assay.errors import Forbidden, Invalid

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SETTING = "outbound_allowed_hosts"


def _network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None


def _address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class OutboundPolicy:
    """An allow-list of outbound hosts (see the module doc). An empty list allows nothing."""

    allowed: tuple[str, ...] = ()

    @property
    def networks(self) -> list[IPNetwork]:
        return [n for n in (_network(e) for e in self.allowed) if n is not None]

    @property
    def names(self) -> list[str]:
        return [e.lower().rstrip(".") for e in self.allowed if _network(e) is None]

    def _name_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for entry in self.names:
            if entry == "*" or entry == host:
                return True
            if entry.startswith("*.") and host.endswith(entry[1:]):
                return True
        return False

    def _in_networks(self, addr: IPAddress) -> bool:
        return any(addr.version == n.version and addr in n for n in self.networks)

    def check_host(self, host: str) -> None:
        """Refuse (Forbidden) a host that no entry names. Does not resolve it."""
        literal = _address(host)
        ok = self._in_networks(literal) if literal is not None else self._name_allowed(host)
        if not ok:
            raise Forbidden(f"outbound calls to {host!r} are not allowed on this server; an admin adds the host "
                            f"to the {SETTING} setting (ASSAY_OUTBOUND_ALLOWED_HOSTS)")

    def check_address(self, host: str, addr: str) -> None:
        """Refuse (Forbidden) an address `host` resolved to that is neither public nor in a listed network."""
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self._in_networks(ip):
            return
        if not ip.is_global or ip.is_multicast:
            raise Forbidden(f"outbound call to {host!r} refused: it resolves to {ip}, a loopback, private or "
                            f"reserved address; only an admin can allow it, by listing that address or its "
                            f"network in {SETTING}")

    def resolve(self, host: str, port: int) -> list[str]:
        """Check `host`, resolve it and check every address; returns the addresses. Raises Forbidden for a
        host or address the policy refuses, and for a name that does not resolve."""
        self.check_host(host)
        literal = _address(host)
        if literal is not None:
            self.check_address(host, str(literal))
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise Forbidden(f"outbound call refused: the host {host!r} does not resolve ({e.strerror})") from None
        addrs = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for addr in addrs:
            self.check_address(host, addr)
        return addrs

    def check_url(self, url: str) -> None:
        """The whole check for `url` (host name, then every resolved address) before anything connects."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"{url!r} is not an http(s) URL with a host")
        self.resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses the policy allows (checked at connect time)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addrs = self.policy.resolve(host, port)
        last: Exception | None = None
        for addr in addrs:
            try:
                return super().connect_tcp(addr, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as e:
                last = e
        raise last if last is not None else httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise Forbidden("outbound calls over unix sockets are not allowed")


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings every outbound client shares (certificate verification on, the bundled CA list,
    no SSL_CERT_FILE from the environment): loading the CA list takes 30-60 ms, so once per process."""
    return httpx.create_ssl_context(trust_env=False)


def guarded_http_client(policy: OutboundPolicy, *, timeout: float = 60.0) -> httpx.Client:
    """An httpx client that only ever connects to addresses `policy` allows (no environment proxies)."""
    transport = httpx.HTTPTransport(verify=_tls(), trust_env=False)
    old = transport._pool
    transport._pool = httpcore.ConnectionPool(
        ssl_context=old._ssl_context, max_connections=old._max_connections,
        max_keepalive_connections=old._max_keepalive_connections, keepalive_expiry=old._keepalive_expiry,
        http1=old._http1, http2=old._http2, network_backend=GuardedBackend(policy))
    return httpx.Client(transport=transport, trust_env=False, timeout=timeout, follow_redirects=False)
