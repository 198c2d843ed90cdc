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
    """Serves health and metrics on a background thread; ``health()`` returns ``{"status": ...}``."""

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

        self._server = ThreadingHTTPServer((settings.host, settings.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ops-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("ops endpoint listening", extra={"listen": f"{self._settings.host}:{self.port}"})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
