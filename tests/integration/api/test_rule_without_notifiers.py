"""A rule without notifiers is a rule to watch in the console: its alerts are recorded, as not notified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, T0, FakeClock, doc, new_logs_index, serve

from grokpipe.api.app import create_app


def test_a_rule_without_notifiers_records_its_alerts_as_not_notified(
    es: Elasticsearch, make_services: Any, clock: FakeClock
) -> None:
    logs = new_logs_index(es, [doc(T0 - timedelta(minutes=2), message="boom", log__level="error")])
    app = create_app(make_services().settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        rule = {"name": "errors, watched", "index": logs, "query": "log.level:error", "condition": {"type": "any"}}
        created = http.post("/rules", json=rule)
        assert created.status_code == 201
        assert created.json()["notify"] == []
        run = http.post(f"/rules/{created.json()['id']}/run").json()
        assert [(a["kind"], a["notified"], a["notifications"]) for a in run["alerts"]] == [("fired", False, {})]
