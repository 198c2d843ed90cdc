"""``GET /monitors`` on check-in documents in a real Elasticsearch: status as of the api's clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch, helpers
from support.api import READ_KEY, T0, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack

READ = {"X-API-Key": READ_KEY}
NIGHTLY = {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "checkin_margin": 5, "max_runtime": 30}
MAPPING = {
    "properties": {
        "@timestamp": {"type": "date"},
        "event": {"properties": {"dataset": {"type": "keyword"}}},
        "service": {"properties": {"environment": {"type": "keyword"}}},
        "sentry": {
            "properties": {
                "checkin": {
                    "properties": {
                        "id": {"type": "keyword"}, "monitor_slug": {"type": "keyword"},
                        "status": {"type": "keyword"}, "duration": {"type": "float"},
                    }
                },
                "extra": {"type": "flattened"},
            }
        },
    }
}  # fmt: skip


def checkin(slug: str, run: str, status: str, at: datetime, config: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": at.isoformat(),
        "event": {"dataset": "sentry.checkin"},
        "service": {"environment": "prod"},
        "sentry": {"checkin": {"id": run, "monitor_slug": slug, "status": status}},
    }
    if config:
        doc["sentry"]["extra"] = {"monitor_config": config}
    return doc


@pytest.fixture
def index(stack: EmbeddedStack) -> Iterator[str]:
    es = Elasticsearch(stack.elasticsearch_url)
    name = f"logs-sentry.checkin-m{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=MAPPING)
    last_night = T0.replace(hour=2)  # T0 is 12:00: this morning's 02:00 run
    docs = [
        checkin("nightly", "r1", "in_progress", last_night, NIGHTLY),
        checkin("nightly", "r1", "ok", last_night + timedelta(minutes=3), NIGHTLY),
        checkin("qa-inspection", "q1", "error", T0 - timedelta(hours=1)),
    ]
    helpers.bulk(es, [{"_index": name, "_source": d} for d in docs], refresh=True)
    yield name
    es.indices.delete(index=name)
    es.close()


def test_monitors_as_of_the_clock(stack: EmbeddedStack, index: str) -> None:
    clock = FakeClock()
    settings = api_settings(stack, errors={"index": index})
    with serve(create_app(settings, clock=clock)) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        listed = {m["slug"]: m for m in api.get("/monitors").json()}
        assert listed["nightly"]["status"] == "ok"
        assert listed["nightly"]["next_expected"].startswith("2026-01-06T02:00:00")
        assert listed["qa-inspection"]["status"] == "error"  # no monitor_config: its last check-in
        assert listed["qa-inspection"]["next_expected"] is None
        one = api.get("/monitors/nightly").json()
        assert [c["status"] for c in one["checkins"]] == ["in_progress", "ok"]
        assert one["config"]["schedule"]["value"] == "0 2 * * *"
        clock.advance(timedelta(hours=14, minutes=6))  # 02:06 the next night: no check-in, past the margin
        missed = api.get("/monitors/nightly").json()
        assert missed["status"] == "missed"
        assert missed["incident"] is True
        assert api.get("/monitors/nope").status_code == 404
