"""The console's Monitors page in a real headless Chromium against a real api on noida-db: the same
monitors and statuses ``GET /monitors`` returns, each with its latest check-ins as a timeline."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from elasticsearch import Elasticsearch, helpers
from selenium.webdriver.support.wait import WebDriverWait
from support.api import READ_KEY, T0, FakeClock, api_settings, serve
from support.browser import chromium, replaced, screenshot
from support.monitors import MAPPING, checkin

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack

HOURLY = {"schedule": {"type": "crontab", "value": "0 * * * *"}, "checkin_margin": 5, "max_runtime": 30}


@pytest.fixture
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"logs-sentry.checkin-c{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=MAPPING)
    docs = []
    for hour in range(6, 0, -1):  # hourly runs; two hours ago one failed; the last one never finished
        at = T0 - timedelta(hours=hour)
        docs.append(checkin("hourly-import", f"h{hour}", "in_progress", at, HOURLY))
        docs.append(checkin("hourly-import", f"h{hour}", "error" if hour == 2 else "ok", at + timedelta(minutes=2)))
    docs.append(checkin("qa-inspection", "q1", "ok", T0 - timedelta(minutes=30)))
    del docs[-2]  # the last run's closing check-in
    helpers.bulk(es, [{"_index": name, "_source": d} for d in docs], refresh=True)
    yield name
    es.indices.delete(index=name)


def test_monitors_page_lists_what_the_api_returns_with_a_timeline(
    stack: EmbeddedStack, index: str, tmp_path: Path
) -> None:
    app = create_app(api_settings(stack, errors={"index": index}), clock=FakeClock(T0), scheduler=False)
    shots = Path(os.environ.get("GROKPIPE_SCREENSHOTS") or tmp_path)
    with serve(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": READ_KEY}) as api, chromium() as driver:
        expected = {m["slug"]: m["status"] for m in api.get("/monitors").json()}
        assert expected == {"hourly-import": "timeout", "qa-inspection": "ok"}
        driver.get(url + "/ui/monitors")
        assert urlsplit(driver.current_url).path == "/ui/login"
        driver.find_element("id", "key").send_keys(READ_KEY)
        html = driver.find_element("tag name", "html")
        driver.find_element("css selector", "form button[type=submit].primary").click()
        WebDriverWait(driver, 10).until(lambda _: replaced(html))
        assert urlsplit(driver.current_url).path == "/ui/monitors"
        rows = driver.find_elements("css selector", "tr[data-monitor]")
        assert {r.get_attribute("data-monitor"): r.get_attribute("data-status") for r in rows} == expected
        hourly = next(r for r in rows if r.get_attribute("data-monitor") == "hourly-import")
        ticks = [t.get_attribute("data-checkin") for t in hourly.find_elements("css selector", ".timeline .tick")]
        assert ticks == ["in_progress", "ok"] * 4 + ["in_progress", "error"] + ["in_progress"]
        assert "0 * * * *" in hourly.text
        assert "not saved" in rows[1].text  # qa-inspection checked in without a monitor_config
        print(f"screenshot: {screenshot(driver, shots / 'monitors.png')}")
