"""A rule written the ElastAlert way gets a 422 that names the grokpipe equivalent of each key; an unknown
field gets "did you mean"; an unclosed parenthesis is named as one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, T0, FakeClock, doc, new_logs_index, serve

from grokpipe.api.app import create_app

ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.fixture
def client(es: Elasticsearch, make_services: Any, clock: FakeClock) -> Iterator[tuple[httpx.Client, str]]:
    logs = new_logs_index(es, [doc(T0, http__response__status_code=502, message="upstream failed")])
    services = make_services()
    app = create_app(services.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http, logs


def test_elastalert_keys_are_named_with_their_grokpipe_equivalent(client: tuple[httpx.Client, str]) -> None:
    http, logs = client
    elastalert = {
        "name": "Example frequency rule",
        "index": logs,
        "type": "frequency",
        "num_events": 50,
        "timeframe": {"hours": 4},
        "filter": [{"term": {"some_field": "some_value"}}],
        "query_key": "host.name",
        "alert": ["email"],
        "condition": {"type": "any"},
    }
    refused = http.post("/rules", headers=ADMIN, json=elastalert)
    assert refused.status_code == 422
    body = refused.json()["error"]
    assert "grokpipe rules import FILE converts ElastAlert rule files" in body["message"]
    hints = {e["loc"][-1]: e["hint"] for e in body["details"]["errors"]}
    assert set(hints) == {"type", "num_events", "timeframe", "filter", "query_key", "alert"}
    assert hints["num_events"] == "'num_events' is ElastAlert's; in grokpipe: condition: {type: threshold, count: N}"
    assert hints["query_key"].endswith("group_by: [field] (up to 3 fields)")


def test_unknown_field_and_unclosed_parenthesis(client: tuple[httpx.Client, str]) -> None:
    http, logs = client
    rule = {"name": "5xx", "index": logs, "condition": {"type": "any"}}
    unknown = http.post("/rules", headers=ADMIN, json=rule | {"query": "http.status:>=500"})
    assert unknown.status_code == 422
    error = unknown.json()["error"]
    assert error["message"] == "unknown fields: http.status (did you mean http.response.status_code?)"
    assert error["details"]["suggestions"] == {"http.status": "http.response.status_code"}
    unclosed = http.post("/rules", headers=ADMIN, json=rule | {"query": "http.response.status_code:>=500 AND (x"})
    assert unclosed.status_code == 422
    details = unclosed.json()["error"]["details"]
    assert details == {"reason": "unclosed parenthesis: the '(' at position 36 is never closed", "position": 36}
