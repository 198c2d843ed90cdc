"""The console's Logs page in a real headless Chromium against a real api on noida-db: the list is the
API's answer, a bad query shows where it is wrong, a filter click changes the query, the numbers are
``/search/stats``'s, a search becomes a saved search and a rule, and a read key can search but not save."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, api_settings, serve
from support.browser import chromium, replaced, screenshot
from support.search import PATHS, access_index

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


@dataclass
class Logs:
    url: str
    index: str
    api: httpx.Client
    driver: Any
    shots: Path

    def open(self, **params: str) -> None:
        self.driver.get(f"{self.url}/ui/logs?{urlencode({'index': self.index} | params)}")

    def click(self, element: Any) -> None:
        """Click a link or button and wait until the next page replaced this one."""
        from selenium.webdriver.support.wait import WebDriverWait

        page = self.driver.find_element("tag name", "html")
        element.click()
        WebDriverWait(self.driver, 10).until(lambda _: replaced(page))

    def find(self, selector: str) -> Any:
        return self.driver.find_element("css selector", selector)

    def all(self, selector: str) -> list[Any]:
        return list(self.driver.find_elements("css selector", selector))

    def listed(self) -> list[str]:
        return [li.get_attribute("data-event-id") for li in self.all("li[data-event-id]")]

    def search(self, **params: Any) -> Any:
        query = {k: v for k, v in ({"index": self.index, "since": "15m"} | params).items() if v is not None}
        resp = self.api.get("/search", params=query, headers=READ)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def shoot(self, name: str) -> None:
        print(f"screenshot: {screenshot(self.driver, self.shots / f'{name}.png')}")


@pytest.fixture(scope="module")
def logs(stack: EmbeddedStack, es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logs]:
    index = access_index(es)
    app = create_app(api_settings(stack), clock=FakeClock(T0), scheduler=False)
    shots = Path(os.environ.get("GROKPIPE_SCREENSHOTS") or tmp_path_factory.mktemp("logs-screenshots"))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as api, chromium() as driver:
        yield Logs(url, index, api, driver, shots)


def login(c: Logs, key: str) -> None:
    c.open()
    assert urlsplit(c.driver.current_url).path == "/ui/login"
    c.driver.find_element("id", "key").send_keys(key)
    c.click(c.find("form button[type=submit].primary"))
    assert urlsplit(c.driver.current_url).path == "/ui/logs"


def test_the_list_is_the_apis_answer_newest_first(logs: Logs) -> None:
    c = logs
    login(c, ADMIN_KEY)
    c.open(q="http.response.status_code:500")
    expected = c.search(q="http.response.status_code:500", histogram="true")
    assert c.listed() == [e["id"] for e in expected["events"]]
    assert c.find("#total").get_attribute("data-total") == str(expected["total"]) == "12"
    assert len(c.all("svg.histogram rect")) == len(expected["histogram"]["bars"])
    c.shoot("logs-500s")
    first = c.find("li[data-event-id] summary")
    first.click()
    row = c.find("li[data-event-id] tr[data-field='http.response.status_code']")
    assert row.is_displayed()
    assert row.find_element("css selector", "td").text == "500"


def test_all_pages_by_older_links(logs: Logs) -> None:
    c = logs
    c.open(q="")
    seen = c.listed()
    while c.all("#older"):
        c.click(c.find("#older"))
        seen += c.listed()
    assert seen == [f"e{i:04d}" for i in range(120)]


def test_an_event_shows_its_original_line_pattern_and_error_group(logs: Logs) -> None:
    c = logs
    c.open(q='"Function name must be a string"')
    assert c.listed() == ["e0007"]
    c.find("li[data-event-id] summary").click()
    assert "Function name must be a string" in c.find("li[data-event-id] pre.message").text
    assert "PHP Fatal error: <*>" in c.find("li[data-event-id] .event-detail").text
    group = c.find("li[data-event-id] a.error-group")
    assert group.get_attribute("href").endswith("/ui/errors/k-php-7")
    assert group.text == "Fatal error: Function name must be a string"


def test_a_bad_query_shows_where_it_is_wrong(logs: Logs) -> None:
    c = logs
    c.open(q="http.response.status_code:(500")
    error = c.find("#query-error")
    assert "syntax" in error.text
    caret = error.find_element("css selector", "pre.caret").text.splitlines()
    assert caret[0] == "http.response.status_code:(500"
    assert caret[1].strip() == "^"
    c.open(q="no.such.field:1")
    assert "no.such.field" in c.find("#query-error").text


def test_a_filter_click_changes_the_query(logs: Logs) -> None:
    c = logs
    c.open()
    c.click(c.find(".field-list a[data-field='url.path']"))
    top = c.find("#top-values")
    api_top = c.api.get(
        "/search/top", params={"index": c.index, "field": "url.path", "since": "15m"}, headers=READ
    ).json()
    shown = [
        (r.get_attribute("data-value"), int(r.get_attribute("data-count"))) for r in c.all("#top-values tr[data-value]")
    ]
    assert shown == [(v["value"], v["count"]) for v in api_top["values"]]
    assert top.get_attribute("data-field") == "url.path"
    c.click(c.find("#top-values tr[data-value='/cart.php'] a.filter-in"))
    assert c.find("#q").get_attribute("value") == 'url.path:"/cart.php"'
    assert c.listed() == [e["id"] for e in c.search(q='url.path:"/cart.php"')["events"]]
    assert c.find("#total").get_attribute("data-total") == "40"
    c.find("li[data-event-id] summary").click()
    c.click(c.find("li[data-event-id] tr[data-field='host.name'] a.filter-out"))
    query = c.find("#q").get_attribute("value")
    assert query.startswith('url.path:"/cart.php" AND NOT host.name:"web-')
    assert c.listed() == [e["id"] for e in c.search(q=query)["events"]]
    assert c.find("#total").get_attribute("data-total") == "20"


def test_numbers_are_the_apis(logs: Logs) -> None:
    c = logs
    c.open()
    from selenium.webdriver.support.select import Select

    Select(c.find("#stat")).select_by_value("http.request.duration")
    Select(c.find("#by")).select_by_value("url.path")
    c.click(c.find("#run-stats"))
    stats = c.api.get(
        "/search/stats",
        params={"index": c.index, "field": "http.request.duration", "by": "url.path", "since": "15m"},
        headers=READ,
    ).json()
    rows = {
        r.get_attribute("data-key"): [td.text for td in r.find_elements("css selector", "td")]
        for r in c.all("#stats-table tr[data-key]")
    }
    assert set(rows) == {"(all)", *PATHS}
    p95 = list(stats["overall"]["percentiles"]).index("p95")
    assert rows["(all)"][1] == str(stats["overall"]["count"])
    assert rows["(all)"][5 + p95] == f"{stats['overall']['percentiles']['p95']:.4g}"
    assert "within" in c.find("#stats").text
    c.shoot("logs-stats")


def test_save_this_search_and_make_a_rule_of_it(logs: Logs) -> None:
    c = logs
    c.open(q="http.response.status_code:500", since="1h")
    c.find("#save-name").send_keys("All 500s")
    c.click(c.find("#save"))
    assert "Saved" in c.find(".flash.ok").text
    saved = c.api.get("/search/saved", headers=READ).json()
    assert [(s["name"], s["query"], s["since"]) for s in saved] == [("All 500s", "http.response.status_code:500", "1h")]
    assert c.find("a[data-saved='All 500s']")

    c.click(c.find("#make-rule"))
    assert c.find("#rule-query").get_attribute("value") == "http.response.status_code:500"
    c.find("#rule-group-by").send_keys("url.path")
    c.click(c.find("#rule-preview"))
    assert int(c.find("#would-fire").text) == len(PATHS)
    c.shoot("logs-rule-preview")
    c.click(c.find("#rule-create"))
    path = urlsplit(c.driver.current_url).path
    assert path.startswith("/ui/rules/")
    rule = c.api.get(f"/rules/{path.rsplit('/', 1)[1]}", headers=READ).json()
    assert (rule["query"], rule["group_by"], rule["index"]) == ("http.response.status_code:500", ["url.path"], c.index)


def test_a_percentile_rule_previews_the_groups_over_it(logs: Logs) -> None:
    c = logs
    form = {"q": "event.dataset:nginx.access", "index": c.index, "condition": "percentile", "percentile": "95"}
    form |= {"field": "http.request.duration", "value": "2.55", "group_by": "url.path", "window": "15m"}
    c.driver.get(f"{c.url}/ui/logs/rule?{urlencode(form)}")
    assert c.find("#would-fire").text == "1"
    assert [r.get_attribute("data-finding") for r in c.all("tr[data-finding]")] == ["/api/items"]


def test_a_read_key_can_search_but_not_save(logs: Logs) -> None:
    c = logs
    c.click(c.find("form[action$='/logout'] button"))
    login(c, READ_KEY)
    c.open(q="http.response.status_code:500")
    assert c.listed() == [e["id"] for e in c.search(q="http.response.status_code:500")["events"]]
    assert c.all("#save-form") == []
    c.click(c.find("#make-rule"))
    assert c.all("#rule-create") == []
    token = c.find("form[action$='/logout'] input[name=csrf]").get_attribute("value")
    cookie = c.driver.get_cookie("grokpipe_console")
    assert cookie is not None
    with httpx.Client(base_url=c.url, cookies={"grokpipe_console": cookie["value"]}, timeout=10) as raw:
        refused = raw.post("/ui/logs/save", data={"csrf": token, "name": "mine", "q": ""})
        assert refused.status_code == 403
        made = raw.post("/ui/logs/rule", data={"csrf": token, "q": "x", "index": c.index})
        assert made.status_code == 403
    assert [s["name"] for s in c.api.get("/search/saved", headers=READ).json()] == ["All 500s"]


def test_an_absolute_range(logs: Logs) -> None:
    c = logs
    from selenium.webdriver.support.select import Select

    c.open()
    Select(c.find("#since")).select_by_value("custom")
    assert c.find("#start").is_displayed()
    for element_id, value in (("start", "2026-01-05T11:58"), ("until", "2026-01-05T11:59")):
        field = c.find(f"#{element_id}")
        c.driver.execute_script("arguments[0].value = arguments[1]", field, value)
    c.click(c.find("#search"))
    expected = c.search(since=None, **{"from": "2026-01-05T11:58:00Z", "until": "2026-01-05T11:59:00Z"})
    assert c.listed() == [e["id"] for e in expected["events"]]
    assert c.find("#total").get_attribute("data-total") == "12"
