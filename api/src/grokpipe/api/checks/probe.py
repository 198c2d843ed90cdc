"""One HTTP request of a check, with a timeout, a size cap, and a guard on the address connected to.

The guard sits in the connection itself (an httpcore network backend): the host name is resolved
once, every address it resolves to is vetted, and the socket connects to the vetted address. So a
name that resolves to 169.254.169.254, a redirect to a metadata endpoint or DNS rebinding between
check and connect are all refused, unless ``checks.allow_link_local`` is set. Proxies from the
environment are ignored (they would hide the target address).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from grokpipe.api.checks.templating import Rendered

#: Metadata endpoints outside the link-local ranges (IMDS of AWS/GCP/Azure/OpenStack is 169.254.169.254,
#: which ``is_link_local`` covers with all of 169.254.0.0/16 and fe80::/10).
METADATA = frozenset(
    {
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("192.0.0.192"),  # Oracle Cloud
    }
)
#: IPv6 prefixes whose last 32 bits are an IPv4 address a translator connects to: NAT64's well-known
#: prefix (RFC 6052) and its local-use prefix (RFC 8215, written as a /96 as translators commonly do).
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/96"))
_COMPATIBLE = ipaddress.ip_network("::/96")  # IPv4-compatible (deprecated, RFC 4291), ::a.b.c.d


class ProbeError(Exception):
    """A request that got no response; ``reason`` is safe to show and store."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AddressRefused(ProbeError):
    pass


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the form that carries it."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if ip.ipv4_mapped is not None:
        found.append(("IPv4-mapped", ip.ipv4_mapped))
    if ip in _COMPATIBLE and int(ip) > 1:  # not :: nor ::1
        found.append(("IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if any(ip in net for net in NAT64):
        found.append(("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if ip.sixtofour is not None:
        found.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        server, client = ip.teredo
        found.extend([("Teredo client", client), ("Teredo server", server)])
    return found


class _StaleConnection(ProbeError):
    """No response: the connection was closed or reset under the request (sent again if it was reused)."""


def refusal(address: str) -> str | None:
    """Why connecting to ``address`` is refused, or None (pure: the policy's table-driven test). The address
    itself and every IPv4 address it carries (mapped, compatible, NAT64, 6to4, Teredo) are classified with
    :mod:`ipaddress`: link-local (169.254.0.0/16, fe80::/10) or a known metadata address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[tuple[str | None, ipaddress.IPv4Address | ipaddress.IPv6Address]] = [(None, ip)]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates.extend(embedded_ipv4(ip))
    for form, candidate in candidates:
        why = "a cloud metadata address" if candidate in METADATA else "link-local" if candidate.is_link_local else None
        if why is not None:
            return why if form is None else f"{why} ({form} form of {candidate})"
    return None


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, allow_link_local: bool) -> None:
        self.inner = httpcore.SyncBackend()
        self.allow = allow_link_local

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ProbeError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.allow:
            for address in addresses:
                why = refusal(address)
                if why:
                    raise AddressRefused(
                        f"refused: {host} resolves to {address}, {why} (checks.allow_link_local is false)"
                    )
        error: Exception | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or ProbeError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise ProbeError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its pool rebuilt on the guarded backend (httpx has no public hook for it)."""

    def __init__(self, allow_link_local: bool) -> None:
        super().__init__(trust_env=False, retries=0)
        self.pool = self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            max_keepalive_connections=5,
            network_backend=_GuardedBackend(allow_link_local),
        )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    elapsed_ms: float
    content: bytes
    truncated: bool
    url: str

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


#: methods a client may send again when the connection failed before any response (RFC 9110 9.2.2)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class Session:
    """The requests of one matrix row: one client, so cookies set by a login reach the next steps.

    A pooled keep-alive connection can be closed by the server just as a request goes out on it (its
    keep-alive timeout ran out during a ``wait``): that is no failure of the target. So a ``wait``
    drops the pooled connections (:meth:`forget_connections`), and an idempotent request that got no
    response on a reused connection is sent once more, on a new one.
    """

    def __init__(self, *, allow_link_local: bool, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.allow_link_local = allow_link_local
        self.client = self._client()

    def _client(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        self.transport = _GuardedTransport(self.allow_link_local)
        return httpx.Client(transport=self.transport, trust_env=False, cookies=cookies)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def forget_connections(self) -> None:
        """Connect anew for the next request (the cookies stay)."""
        old = self.client
        self.client = self._client(old.cookies)
        old.close()

    def _pooled(self, url: str) -> bool:
        """Whether an idle keep-alive connection to ``url``'s origin waits in the pool (the next request
        to it would reuse it)."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            return False
        if parsed.scheme not in ("http", "https"):
            return False
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        origin = httpcore.Origin(parsed.scheme.encode(), parsed.host.encode(), port)
        return any(c.is_idle() and c.can_handle_request(origin) for c in self.transport.pool.connections)

    def send(self, request: Rendered, *, timeout: float, follow_redirects: bool) -> Answer:
        reused = request.method.upper() in IDEMPOTENT and self._pooled(request.url)
        try:
            return self._send(request, timeout=timeout, follow_redirects=follow_redirects)
        except _StaleConnection as exc:
            if not reused:
                raise ProbeError(exc.reason) from None
        try:  # the server closed the kept-alive connection under this request: once more, on a new one
            return self._send(request, timeout=timeout, follow_redirects=follow_redirects)
        except _StaleConnection as exc:
            raise ProbeError(exc.reason) from None

    def _send(self, request: Rendered, *, timeout: float, follow_redirects: bool) -> Answer:
        began = time.perf_counter()
        try:
            with self.client.stream(
                request.method,
                request.url,
                headers=request.headers,
                params=request.params or None,
                json=request.json_body,
                content=request.body,
                timeout=timeout,
                follow_redirects=follow_redirects,
            ) as response:
                content, truncated = self._read(response)
                elapsed = (time.perf_counter() - began) * 1000
                return Answer(
                    response.status_code, dict(response.headers), elapsed, content, truncated, str(response.url)
                )
        except ProbeError:
            raise
        except httpx.TimeoutException:
            raise ProbeError(f"timed out after {timeout:g}s") from None
        except httpx.InvalidURL as exc:
            raise ProbeError(f"invalid URL: {exc}") from None
        except httpx.UnsupportedProtocol:
            raise ProbeError("only http:// and https:// URLs are supported") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _StaleConnection(f"{type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise ProbeError(f"{type(exc).__name__}: {exc}") from None

    def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False
