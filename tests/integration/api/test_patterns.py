"""``/patterns`` against a real noida-db: patterns of a window by count, one pattern's histogram and samples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import READ_KEY, FakeClock, doc, new_logs_index, serve
from support.groups import add

from grokpipe.api.app import create_app
from grokpipe.api.services import Services

T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
READ = {"X-API-Key": READ_KEY}
PATTERN_MAPPING = {"properties": {"key": {"type": "keyword"}, "template": {"type": "keyword"}}}


def event(key: str, template: str, at: datetime, level: str = "info", host: str = "node-1") -> dict[str, Any]:
    return doc(
        at,
        event__dataset="custom.ras",
        log__level=level,
        log__pattern__key=key,
        log__pattern__template=template,
        host__name=host,
        message=template,
    )


@pytest.fixture
def client(es: Elasticsearch, make_services: Any, clock: FakeClock) -> Iterator[httpx.Client]:
    index = new_logs_index(es, [])
    es.indices.put_mapping(index=index, properties={"log": {"properties": {"pattern": PATTERN_MAPPING}}})
    docs = [event("aaa", "data TLB error interrupt", T0 - timedelta(hours=1), "critical", f"R{i}") for i in range(3)]
    docs += [event("bbb", "generating core.<*>", T0 - timedelta(hours=2))]
    docs += [event("old", "long ago", T0 - timedelta(days=3))]
    for d in docs:
        d["_id"] = f"{d['log']['pattern']['key']}-{d['host']['name']}-{d['@timestamp']}"
    add(es, index, docs)
    clock.now = T0
    services: Services = make_services(errors={"index": index})
    app = create_app(services.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def test_patterns_of_the_window_most_frequent_first(client: httpx.Client) -> None:
    page = client.get("/patterns", headers=READ, params={"since": (T0 - timedelta(days=1)).isoformat()}).json()
    assert [(p["id"], p["count"], p["template"], p["level"]) for p in page["items"]] == [
        ("aaa", 3, "data TLB error interrupt", "critical"),
        ("bbb", 1, "generating core.<*>", "info"),
    ]
    params = {"level": "info", "since": (T0 - timedelta(days=1)).isoformat()}
    by_level = client.get("/patterns", headers=READ, params=params)
    assert [p["id"] for p in by_level.json()["items"]] == ["bbb"]


def test_one_pattern_with_samples_and_unknown_ones_404(client: httpx.Client) -> None:
    since = (T0 - timedelta(days=1)).isoformat()
    got = client.get("/patterns/aaa", headers=READ, params={"since": since}).json()
    assert got["count"] == 3
    assert len(got["samples"]) == 3
    assert sum(b["count"] for b in got["histogram"]) == 3
    assert client.get("/patterns/nope", headers=READ, params={"since": since}).status_code == 404
    assert client.get("/patterns").status_code == 401
