"""A client's mistake is a 4xx with a reason, never a 5xx: paging past Elasticsearch's result window,
a report naming an empty check id, a number where a date is expected, a console form count that is not
a number, a preview window that ends before it starts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.api import ADMIN_KEY, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack

ADMIN = {"X-API-Key": ADMIN_KEY}
LISTS = ["/alerts", "/rules", "/errors", "/checks", "/digests", "/reports"]


@pytest.fixture(scope="module")
def client(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    settings = api_settings(stack, notifiers={"local-sink": {"type": "webhook", "url": "http://127.0.0.1:9/"}})
    with serve(create_app(settings, clock=FakeClock())) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def _reason(response: httpx.Response) -> str:
    error: dict[str, Any] = response.json()["error"]
    return " ".join([error["message"], *(e["msg"] for e in error["details"].get("errors", []))])


@pytest.mark.parametrize("path", LISTS)
def test_paging_past_the_result_window_is_422(client: httpx.Client, path: str) -> None:
    assert client.get(path, headers=ADMIN, params={"offset": 9950, "limit": 50}).status_code == 200
    for params in ({"offset": 10_000}, {"offset": 9990, "limit": 50}, {"offset": 10**12}):
        response = client.get(path, headers=ADMIN, params=params)
        assert response.status_code == 422, (params, response.text)
        assert "10,000" in _reason(response) or "less than or equal to 9999" in _reason(response)


@pytest.mark.parametrize("checks", [[""], [" "], []])
def test_a_report_must_name_checks(client: httpx.Client, checks: list[str]) -> None:
    body = {"name": "daily", "checks": checks}
    for path in ("/reports", "/reports/preview"):
        response = client.post(path, headers=ADMIN, json=body if path == "/reports" else {"report": body})
        assert response.status_code == 422, response.text


@pytest.mark.parametrize("path", ["/alerts", "/errors"])
@pytest.mark.parametrize("until", ["0.5", "1700000000", "-1", "1e9"])
def test_a_number_is_not_a_date(client: httpx.Client, path: str, until: str) -> None:
    response = client.get(path, headers=ADMIN, params={"until": until})
    assert response.status_code == 422
    assert "not a number" in _reason(response)


@pytest.mark.parametrize("path", ["/alerts", "/errors"])
def test_dates_with_any_offset_are_read(client: httpx.Client, path: str) -> None:
    for until in ("2026-01-05T12:00:00+19:15", "0189-01-19T01:18:15.2+19:15", "2026-01-05"):
        assert client.get(path, headers=ADMIN, params={"until": until}).status_code == 200, until


def test_a_preview_window_must_not_be_empty(client: httpx.Client) -> None:
    rule = {"name": "r", "condition": {"type": "any"}}
    for start, end in (
        ("2026-01-05T12:00:00Z", "2026-01-05T12:00:00Z"),
        ("2026-01-05T13:00:00Z", "2026-01-05T12:00:00Z"),
    ):
        response = client.post("/rules/preview", headers=ADMIN, json={"rule": rule, "start": start, "end": end})
        assert response.status_code == 422
        assert "start must be before end" in _reason(response)


@pytest.mark.parametrize("count", ["²", "٣", "0", "-1", "1.5", "x", "9999999999"])
def test_the_console_ignore_form_refuses_a_count_that_is_not_a_number(client: httpx.Client, count: str) -> None:
    page = client.get("/ui/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    assert client.post("/ui/login", data={"csrf": token.group(1), "key": ADMIN_KEY}).status_code == 303
    errors = client.get("/ui/errors")
    csrf = re.search(r'name="csrf" value="([^"]+)"', errors.text)
    assert csrf is not None, errors.text[:500]
    response = client.post("/ui/errors/some-group/ignore", data={"csrf": csrf.group(1), "count": count})
    assert response.status_code == 400
    assert "count" in response.text


def test_search_stats_of_nothing_and_of_no_field(client: httpx.Client) -> None:
    assert client.get("/search/stats", headers=ADMIN, params={"field": ""}).status_code == 422
    empty = client.get("/search/stats", headers=ADMIN, params={"field": "x", "index": "logs-none-such-*"})
    assert empty.status_code == 200, empty.text  # no index matches: no aggregations at all in the answer
    assert empty.json()["overall"]["count"] == 0
    assert client.get("/search", headers=ADMIN, params={"until": "0.5"}).status_code == 422
