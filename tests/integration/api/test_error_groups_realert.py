"""``errors.realert`` against a real noida-db: a regression inside it is notified (a new fact, not a
repeat); a group flapping inside it is held back, and what is held back is in ``/alerts`` as suppressed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, http_receiver, new_logs_index, serve
from support.groups import add, event

from grokpipe.api.app import create_app

T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


@pytest.fixture
def setup(es: Elasticsearch, make_services: Any, clock: FakeClock) -> Iterator[tuple[Any, ...]]:
    index = new_logs_index(es, [])
    with http_receiver() as receiver:
        services = make_services(
            errors={"index": index, "settle": 60, "notify": ["hook"], "realert": "1h"},
            notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}},
        )
        app = create_app(services.settings, clock=clock, scheduler=False)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client, app.state.services, index, receiver


def test_regression_inside_realert_is_notified_and_flapping_is_recorded_as_suppressed(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    client, services, index, receiver = setup
    add(es, index, [event("a", T0 - timedelta(minutes=5), T0 - timedelta(minutes=5))])
    services.group_sync.run_once()
    assert [r.body["kind"] for r in receiver.requests] == ["new"]

    def resolve_then_recur(after: timedelta) -> None:
        assert client.post("/errors/a/resolve", headers=ADMIN).status_code == 200
        clock.advance(after)
        add(es, index, [event("a", clock(), clock())])
        clock.advance(timedelta(seconds=5))
        services.group_sync.run_once()

    resolve_then_recur(timedelta(minutes=10))  # 10 minutes after the "new" message, inside realert (1h)
    assert [r.body["kind"] for r in receiver.requests] == ["new", "regressed"]

    resolve_then_recur(timedelta(minutes=10))  # again 10 minutes later: a flapping group
    assert [r.body["kind"] for r in receiver.requests] == ["new", "regressed"]
    assert client.get("/errors/a", headers=READ).json()["status"] == "unresolved"
    held = client.get("/alerts", headers=READ, params={"kind": "suppressed"}).json()["items"]
    assert [(a["group_key"], a["notified"]) for a in held] == [("a", False)]
    assert held[0]["reason"].startswith("regressed again within errors.realert (1h) of its last regression at ")

    resolve_then_recur(timedelta(hours=2))  # past realert: notified again
    assert [r.body["kind"] for r in receiver.requests] == ["new", "regressed", "regressed"]
    assert client.get("/alerts", headers=READ, params={"kind": "suppressed"}).json()["total"] == 1
