"""The HTTP server of the Sentry input: standard library only (``http.server``), one thread per
connection, HTTP/1.1 keep-alive (the SDKs' transports keep their connections open).

It reads a request (``Content-Length`` or a chunked body, at most ``max_body`` bytes: past that the
answer is 413 and the connection is closed, since the rest of the body is not read), hands a
:class:`Request` to the handler and writes its :class:`Response`. What a request means is the
handler's business (``endpoint.py``).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

log = logging.getLogger(__name__)

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Content-Type, Content-Encoding, X-Sentry-Auth, Authorization, sentry-trace, baggage"
    ),
    "Access-Control-Expose-Headers": "X-Sentry-Rate-Limits, Retry-After, X-Sentry-Error",
}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lowercase
    body: bytes
    peer: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class BodyTooLarge(Exception):
    pass


class BadChunking(Exception):
    pass


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: Handler, *, max_body: int, idle_timeout: float, max_connections: int
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = handler
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.closing = False
        self.slots = threading.BoundedSemaphore(max_connections)
        self.refused = 0
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, up to ``max_connections``; past that the connection is closed at once."""
        if not self.slots.acquire(blocking=False):
            self.refused += 1
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An answer is written whole at the end of the request (a buffered wfile), and with Nagle off: a
    # head and a body in two segments met the client's delayed ACK and cost 40 ms per request.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    server: _Server
    server_version = "grokpipe-sentry"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        """Access lines are not logged (the counters in /metrics say the same without a line per event)."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._send(Response(200))

    def _serve(self) -> None:
        if self.server.closing:
            self.close_connection = True
            self._send(Response(503, {"detail": "shutting down"}, {"Retry-After": "5"}))
            return
        try:
            body = self._read_body()
        except BodyTooLarge:
            self.close_connection = True
            self._send(Response(413, {"detail": f"request body over {self.server.max_body} bytes"}))
            return
        except BadChunking as exc:
            self.close_connection = True
            self._send(Response(400, {"detail": f"invalid chunked body: {exc}"}))
            return
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, parts.path, parse_qs(parts.query), headers, body, self.client_address[0])
        try:
            response = self.server.app(request)
        except Exception:
            log.exception("sentry request failed", extra={"url.path": parts.path})
            response = Response(500, {"detail": "internal error"})
        self._send(response)

    def _read_body(self) -> bytes:
        limit = self.server.max_body
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise BadChunking("invalid Content-Length") from None
        if length > limit:
            raise BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadChunking(f"chunk size {line[:20]!r}") from None
            if chunk == 0:
                while self.rfile.readline(8192).strip():  # trailer fields, up to the blank line
                    pass
                return b"".join(parts)
            size += chunk
            if size > limit:
                raise BodyTooLarge
            data = self.rfile.read(chunk)
            if len(data) != chunk:
                raise BadChunking("body ends inside a chunk")
            parts.append(data)
            self.rfile.readline(8)  # the CRLF after the chunk

    def _send(self, response: Response) -> None:
        payload = orjson.dumps(response.body)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in {**_CORS, **response.headers}.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True


class HttpServer:
    """``start`` binds ``address`` and serves on a thread; ``stop`` stops accepting and answers 503
    on the connections still open."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        *,
        max_body: int,
        idle_timeout: float,
        max_connections: int = 512,
    ) -> None:
        self._address = address
        self._handler = handler
        self._max_body = max_body
        self._idle_timeout = idle_timeout
        self._max_connections = max_connections
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def bound(self) -> str:
        if self._server is None:
            return ""
        host, port = self._server.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"

    @property
    def refused(self) -> int:
        """Connections closed at ``max_connections``."""
        return 0 if self._server is None else self._server.refused

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._server = _Server(
            self._address,
            self._handler,
            max_body=self._max_body,
            idle_timeout=self._idle_timeout,
            max_connections=self._max_connections,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="sentry-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.closing = True
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
