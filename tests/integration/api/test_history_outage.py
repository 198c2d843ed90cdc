"""Elasticsearch failing while a rule writes its alert history: the notification has gone out, so the
throttle state must still be kept (no second notification) and the history written once it is back.

Two real outages: the history's client pointed at a closed port while the rest of the api works, and
noida-db's Elasticsearch stopped by the webhook receiver at the moment it gets the notification (so
the history write and the state write both fail) and started again before the next tick; and a
refusal: an alerts index whose mapping rejects every history document.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from elasticsearch import Elasticsearch
from support.api import T0, FakeClock, api_settings, doc, free_port, new_logs_index

from grokpipe.api.rules.schemas import Rule, RuleCreate
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack

STEP = timedelta(minutes=10)


@contextmanager
def webhook(on_first: Callable[[], None] = lambda: None) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP receiver recording each POSTed body; ``on_first`` runs before the first is answered."""
    bodies: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with lock:
                bodies.append(body)
                if len(bodies) == 1:
                    on_first()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def firing_rule(services: Services, logs: str) -> Rule:
    return services.store.create(
        RuleCreate.model_validate(
            {
                "name": "outage",
                "index": logs,
                "query": "error.grouping_key:G",
                "group_by": ["error.grouping_key"],
                "schedule": {"interval": "10m"},
                "window": "10m",
                "condition": {"type": "threshold", "count": 1},
                "realert": "1d",
                "notify": ["hook"],
            }
        )
    )


def history(es: Elasticsearch, index: str) -> list[tuple[str, str, bool]]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=10, sort=[{"@timestamp": "asc"}])["hits"]["hits"]
    return [(h["_source"]["kind"], h["_source"]["group_key"], h["_source"]["notified"]) for h in hits]


def matching_events(ticks: int) -> list[dict[str, Any]]:
    """One event of group G in each of the first ``ticks`` 10-minute windows before T0 + n * STEP."""
    return [doc(T0 + i * STEP - timedelta(minutes=5), message="Fatal", error__grouping_key="G") for i in range(ticks)]


def test_history_unreachable_keeps_the_throttle_state(
    es: Elasticsearch, make_services: Callable[..., Services], clock: FakeClock
) -> None:
    logs = new_logs_index(es, matching_events(2))
    with webhook() as (url, bodies):
        services = make_services(notifiers={"hook": {"type": "webhook", "url": url}})
        rule = firing_rule(services, logs)
        history_es = services.runner.history.es
        closed = Elasticsearch(f"http://127.0.0.1:{free_port()}", request_timeout=2, max_retries=0)
        services.runner.history.es = closed  # the history's writes go to a port nobody listens on
        try:
            clock.now = T0
            result = services.runner.run(rule, T0)
            assert result is not None
            assert [a["kind"] for a in result.actions] == ["fired"]
            assert services.runner.history.pending == 1

            clock.now = T0 + STEP  # still firing, within realert: the kept state says "notified"
            assert services.runner.run(rule, T0 + STEP) is not None
            assert [b["kind"] for b in bodies] == ["fired"]
            assert set(services.leases.state(rule.id).groups) == {"G"}
        finally:
            services.runner.history.es = history_es
            closed.close()

        clock.now = T0 + 2 * STEP  # quiet: one recovery, written after the kept "fired"
        assert services.runner.run(rule, T0 + 2 * STEP) is not None
        assert [b["kind"] for b in bodies] == ["fired", "recovered"]
    assert services.runner.history.pending == 0
    assert history(es, services.settings.indices.alerts) == [
        ("fired", "G", True),
        ("suppressed", "G", False),  # the tick realert held back
        ("recovered", "G", True),
    ]


def test_history_refused_is_dropped_and_the_throttle_state_kept(
    es: Elasticsearch, make_services: Callable[..., Services], clock: FakeClock
) -> None:
    logs = new_logs_index(es, matching_events(2))
    suffix = uuid.uuid4().hex[:8]
    indices = {name: f"grokpipe-{name}-{suffix}" for name in ("rules", "alerts", "state", "digests")}
    # An alerts index whose "kind" is a number: Elasticsearch refuses every history document (400).
    es.indices.create(index=indices["alerts"], mappings={"properties": {"kind": {"type": "long"}}})
    with webhook() as (url, bodies):
        services = make_services(notifiers={"hook": {"type": "webhook", "url": url}}, indices=indices)
        rule = firing_rule(services, logs)
        for step in range(2):
            clock.now = T0 + step * STEP
            assert services.runner.run(rule, clock.now) is not None
        assert [b["kind"] for b in bodies] == ["fired"]  # the second tick did not notify again
        assert services.runner.history.pending == 0  # refused, so dropped rather than kept
        assert set(services.leases.state(rule.id).groups) == {"G"}
    es.indices.refresh(index=indices["alerts"])
    assert es.count(index=indices["alerts"])["count"] == 0


def test_elasticsearch_stopped_while_notifying_keeps_the_throttle_state(
    own_stack: EmbeddedStack, clock: FakeClock
) -> None:
    es = Elasticsearch(own_stack.elasticsearch_url, request_timeout=30)
    logs = new_logs_index(es, matching_events(2))
    with webhook(on_first=lambda: own_stack.stop_service("elasticsearch")) as (url, bodies):
        settings = api_settings(own_stack, notifiers={"hook": {"type": "webhook", "url": url}})
        services = Services.build(settings, clock)
        try:
            rule = firing_rule(services, logs)
            clock.now = T0
            result = services.runner.run(rule, T0)  # notifies; then history and state writes find no server
            assert result is not None
            assert [a["kind"] for a in result.actions] == ["fired"]
            assert not own_stack.elasticsearch_up()
            assert services.runner.history.pending == 1

            own_stack.start_service("elasticsearch")
            clock.now = T0 + STEP  # still firing: no second notification
            assert services.runner.run(rule, T0 + STEP) is not None
            assert [b["kind"] for b in bodies] == ["fired"]
            assert set(services.leases.state(rule.id).groups) == {"G"}
            assert services.runner.history.pending == 0  # the run that reached Elasticsearch wrote it
            assert history(es, settings.indices.alerts) == [("fired", "G", True), ("suppressed", "G", False)]

            clock.now = T0 + 2 * STEP
            assert services.runner.run(rule, T0 + 2 * STEP) is not None
            assert [b["kind"] for b in bodies] == ["fired", "recovered"]
            assert services.runner.history.pending == 0
            assert history(es, settings.indices.alerts) == [
                ("fired", "G", True),
                ("suppressed", "G", False),
                ("recovered", "G", True),
            ]
        finally:
            services.close()
            es.close()
