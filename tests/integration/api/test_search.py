"""``/search``, ``/search/top``, ``/search/stats`` and saved searches on the real embedded server, which
has no ``percentiles`` aggregation: the numbers come from its ``histogram`` within the stated bound."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, api_settings, serve
from support.search import PATHS, N, access_index
from support.search import duration as _duration
from support.search import status as _status

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    return access_index(es)


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def api_url(stack: EmbeddedStack, module_clock: FakeClock) -> Iterator[str]:
    with serve(create_app(api_settings(stack), clock=module_clock)) as url:
        yield url


@pytest.fixture(scope="module")
def client(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=60) as c:
        yield c


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    resp = client.get(path, params=params, headers=READ)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_numeric_term_finds_every_500_newest_first_paged_by_search_after(client: httpx.Client, logs: str) -> None:
    expected = [f"e{i:04d}" for i in range(N) if _status(i) == 500]  # i ascending = newest first
    first = _get(client, "/search", q="http.response.status_code:500", index=logs, since="1h", size=5, histogram=True)
    assert first["total"] == len(expected)
    assert sum(bar["count"] for bar in first["histogram"]["bars"]) == len(expected)
    seen = [e["id"] for e in first["events"]]
    after = first["next"]
    while after:
        page = _get(client, "/search", q="http.response.status_code:500", index=logs, since="1h", size=5, after=after)
        seen += [e["id"] for e in page["events"]]
        after = page["next"]
    assert seen == expected
    event = first["events"][0]
    assert event["fields"]["http.response.status_code"] == 500
    assert event["fields"]["url.path"] == PATHS[0]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ('"Function name must be a string"', 1),
        ("http.response.status_code:>=500 AND url.path:\\/", len([i for i in range(N) if i % 30 == 0])),
        ("http.request.duration:>2", len([i for i in range(N) if _duration(i) > 2])),
        ("host.name:web-1 AND NOT http.response.status_code:200", 0),
        ("", N),
    ],
)
def test_lucene_is_translated_like_rules(client: httpx.Client, logs: str, query: str, count: int) -> None:
    assert _get(client, "/search", q=query, index=logs, since="1h", size=0)["total"] == count


def test_a_range_holds_only_its_events(client: httpx.Client, logs: str) -> None:
    start, until = (T0 - timedelta(seconds=51)).isoformat(), (T0 - timedelta(seconds=1)).isoformat()
    page = _get(client, "/search", index=logs, **{"from": start}, until=until, size=100)
    assert [e["id"] for e in page["events"]] == [f"e{i:04d}" for i in range(1, 11)]  # [from, until)
    assert _get(client, "/search", index=logs, since="1m", size=0)["total"] == 12


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ("http.response.status_code:(500", 422, "position"),
        ("no.such.field:1", 422, "fields"),
        ("http.response.status_code:abc", 422, "position"),
    ],
)
def test_bad_queries_name_the_position_or_fields(
    client: httpx.Client, logs: str, query: str, status: int, detail: str
) -> None:
    resp = client.get("/search", params={"q": query, "index": logs}, headers=READ)
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == "invalid_query"
    assert detail in resp.json()["error"]["details"]


def test_top_values_of_a_field(client: httpx.Client, logs: str) -> None:
    top = _get(client, "/search/top", field="url.path", index=logs, since="1h", size=2)
    assert top["total"] == N
    assert [v["count"] for v in top["values"]] == [N // 3, N // 3]
    assert top["other"] == N // 3
    assert top["missing"] == 0


def _exact(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def test_stats_percentiles_from_the_histogram_within_the_bound(client: httpx.Client, logs: str) -> None:
    stats = _get(client, "/search/stats", field="http.request.duration", by="url.path", index=logs, since="1h", top=3)
    assert stats["method"] == "histogram"  # the embedded server rejects percentiles
    values = [_duration(i) for i in range(N)]
    overall = stats["overall"]
    assert overall["count"] == N
    assert overall["min"] == pytest.approx(min(values))
    assert overall["max"] == pytest.approx(max(values))
    assert overall["avg"] == pytest.approx(sum(values) / N, rel=1e-4)
    assert overall["error_bound"] == pytest.approx((max(values) - min(values)) / 1000)
    for label, percent in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)):
        assert abs(overall["percentiles"][label] - _exact(values, percent)) <= overall["error_bound"] + 1e-6
    assert {g["key"] for g in stats["groups"]} == set(PATHS)
    for group in stats["groups"]:
        mine = [_duration(i) for i in range(N) if PATHS[i % 3] == group["key"]]
        assert group["count"] == len(mine)
        assert abs(group["percentiles"]["p95"] - _exact(mine, 95)) <= group["error_bound"] + 1e-6


def test_stats_refuse_a_field_that_is_not_a_number(client: httpx.Client, logs: str) -> None:
    resp = client.get("/search/stats", params={"field": "url.path", "index": logs}, headers=READ)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["fields"] == ["url.path"]


def test_a_read_key_searches_but_only_an_admin_key_saves(client: httpx.Client) -> None:
    body = {"name": "500s", "query": "http.response.status_code:500", "since": "15m"}
    assert client.post("/search/saved", json=body, headers=READ).status_code == 403
    saved = client.post("/search/saved", json=body, headers=ADMIN)
    assert saved.status_code == 201
    listed = _get(client, "/search/saved")
    assert [s["name"] for s in listed] == ["500s"]
    assert client.delete(f"/search/saved/{saved.json()['id']}", headers=ADMIN).status_code == 204
    assert _get(client, "/search/saved") == []


def test_a_percentile_rule_fires_for_the_groups_whose_percentile_is_over(client: httpx.Client, logs: str) -> None:
    rule = {
        "name": "slow URLs",
        "index": logs,
        "query": "event.dataset:nginx.access",
        "window": "15m",
        "group_by": ["url.path"],
        "condition": {"type": "percentile", "field": "http.request.duration", "percentile": 95, "value": 2.55},
    }
    body = {"rule": rule, "start": (T0 - timedelta(minutes=15)).isoformat(), "end": T0.isoformat()}
    resp = client.post("/rules/preview", json=body, headers=READ)
    assert resp.status_code == 200, resp.text
    exact = {p: _exact([_duration(i) for i in range(N) if PATHS[i % 3] == p], 95) for p in PATHS}
    fired = {f["key"]: f["value"] for f in resp.json()["findings"]}
    assert set(fired) == {p for p, v in exact.items() if v > 2.55}
    assert fired  # the data has a group over and one under
    assert len(fired) < len(PATHS)
    for path, value in fired.items():
        assert abs(value - exact[path]) <= 2.55 * 0.02 + 1e-6
