"""The operations endpoint binds its port when started, not when built: a service built for a one-off task
(``grokpipe indexer --setup-only``) takes no port, so it runs beside a stack that holds the example's."""

from __future__ import annotations

import socket
import urllib.request

import orjson
import pytest
from prometheus_client import CollectorRegistry

from grokpipe.httpserver import OpsServer
from grokpipe.settings import HttpSettings


def test_built_it_holds_no_port_started_it_serves_health() -> None:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        taken = holder.getsockname()[1]
        idle = OpsServer(HttpSettings(listen=f"127.0.0.1:{taken}"), CollectorRegistry(), lambda: {"status": "ok"})
        idle.stop()  # never started: nothing to close
        with pytest.raises(OSError, match="in use"):
            idle.start()
    ops = OpsServer(HttpSettings(listen="127.0.0.1:0"), CollectorRegistry(), lambda: {"status": "degraded"})
    ops.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ops.port}/healthz", timeout=5) as answer:
            assert (answer.status, orjson.loads(answer.read())) == (200, {"status": "degraded"})
    finally:
        ops.stop()
