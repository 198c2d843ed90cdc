"""The operations endpoint of the shipper and indexer: ``/healthz`` (JSON) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from grokpipe.settings import HttpSettings

log = logging.getLogger(__name__)

HealthCheck = Callable[[], dict[str, Any]]


class OpsServer:
    """Serves health and metrics on a background thread; ``health()`` returns ``{"status": ...}``.

    The port is bound by :meth:`start`, not on construction: a service built only to run a one-off task
    (``grokpipe indexer --setup-only``) takes no port another process may hold."""

    def __init__(self, settings: HttpSettings, registry: CollectorRegistry, health: HealthCheck) -> None:
        self._settings = settings
        registry_, health_ = registry, health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(registry_))
                elif self.path.startswith("/healthz"):
                    doc = health_()
                    # degraded: working, but something needs a person (the body says what): not a restart
                    status = 200 if doc.get("status") in ("ok", "degraded") else 503
                    self._send(status, "application/json", orjson.dumps(doc))
                else:
                    self._send(404, "text/plain", b"not found\n")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._handler = Handler
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`; the configured one before)."""
        return int(self._server.server_address[1]) if self._server is not None else self._settings.port

    def start(self) -> None:
        self._server = ThreadingHTTPServer((self._settings.host, self._settings.port), self._handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="ops-http", daemon=True).start()
        log.info("ops endpoint listening", extra={"listen": f"{self._settings.host}:{self.port}"})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
