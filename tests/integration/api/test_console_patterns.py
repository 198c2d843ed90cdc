"""The console's Patterns page in a real headless Chromium against a real api on noida-db: its three lists
(new, spiking, rare) are the API's answers for the same window, and a screenshot is saved."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import READ_KEY, T0, FakeClock, api_settings, new_logs_index, serve
from support.browser import chromium, screenshot
from support.groups import add
from support.patterns import key_of, line

from grokpipe.api.app import create_app
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack

READ = {"X-API-Key": READ_KEY}
NOW = T0 + timedelta(minutes=2)
DISK, ALICE, BOB = "disk <num> failed on <hex>", "user alice logged in", "user bob logged in"
CACHE, TIMEOUT = "cache <*> evicted after <num> ms", "request <*> timed out upstream <ip>"


def events() -> list[dict[str, Any]]:
    old = T0 - timedelta(days=3)  # ingested long before: every count is settled
    out = [line(DISK, T0 - timedelta(hours=h), old, level="error", host="db-1") for h in range(0, 40, 2)]
    out += [line(ALICE, T0 - timedelta(hours=h), old) for h in (1, 2, 3)]
    out += [line(BOB, T0 - timedelta(minutes=m), old) for m in (10, 20)]
    out += [line(CACHE, T0 - timedelta(hours=5), old, level="warning")]
    out += [line(TIMEOUT, T0 - timedelta(hours=30), old, level="error")]
    out += [line(TIMEOUT, T0 - timedelta(minutes=5 * i), old, level="error") for i in range(8)]
    return out


@pytest.fixture(scope="module")
def console(stack: EmbeddedStack, es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    index = new_logs_index(es, [])
    add(es, index, events())
    settings = api_settings(stack, patterns={"index": index, "settle": 60})
    app = create_app(settings, clock=FakeClock(NOW), scheduler=False)
    shots = Path(os.environ.get("GROKPIPE_SCREENSHOTS") or tmp_path_factory.mktemp("console-screenshots"))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as api:
        services: Services = app.state.services
        services.pattern_sync.run_once()
        with chromium() as driver:
            driver.get(url + "/ui/patterns")
            assert urlsplit(driver.current_url).path == "/ui/login"
            driver.find_element("id", "key").send_keys(READ_KEY)
            driver.find_element("css selector", "form button[type=submit].primary").click()
            yield url, api, driver, shots


def shown(driver: Any, section: str) -> list[tuple[str, int]]:
    rows = driver.find_elements("css selector", f"section[data-section={section}] tr[data-pattern-id]")
    return [(r.get_attribute("data-pattern-id"), int(r.get_attribute("data-count"))) for r in rows]


def answered(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    window: dict[str, Any] = {"since": (NOW - timedelta(hours=24)).isoformat(), "until": NOW.isoformat(), "limit": 10}
    items: list[dict[str, Any]] = api.get("/patterns", headers=READ, params=window | params).json()["items"]
    return items


def test_patterns_page_lists_what_the_api_answers(console: Any) -> None:
    url, api, driver, shots = console
    driver.get(url + "/ui/patterns")
    assert urlsplit(driver.current_url).path == "/ui/patterns"

    new = [(p["id"], p["count"]) for p in answered(api, sort="first_seen", new="true")]
    assert shown(driver, "new") == new
    assert {k for k, _ in new} == {key_of(ALICE), key_of(CACHE)}  # disk and the timeouts began before the window
    assert dict(new)[key_of(ALICE)] == 5  # bob's key merged into alice's pattern

    spiking = [(p["id"], p["count"]) for p in answered(api, sort="change") if p["change"] > 0]
    assert shown(driver, "spiking") == spiking
    assert spiking[0] == (key_of(TIMEOUT), 8)

    rare = [(p["id"], p["count"]) for p in answered(api, sort="rare")]
    assert shown(driver, "rare") == rare
    assert rare[0] == (key_of(CACHE), 1)
    assert "user <*> logged in" in driver.find_element("css selector", "section[data-section=new]").text
    print(f"screenshot: {screenshot(driver, shots / 'patterns-light.png')}")

    # the filters are the API's filters
    driver.get(url + "/ui/patterns?level=error")
    assert shown(driver, "rare") == [(p["id"], p["count"]) for p in answered(api, sort="rare", level="error")]
    assert {k for k, _ in shown(driver, "rare")} == {key_of(DISK), key_of(TIMEOUT)}
