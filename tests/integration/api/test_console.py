"""The web console in a real headless Chromium against a real api (uvicorn) on noida-db.

One browser session for the module; the tests run in order (log in as admin, look, act, then log in
with a read key). Screenshots of every page, light and dark and on a phone, are saved under the
pytest temp dir (or ``$GROKPIPE_SCREENSHOTS``) and their paths printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, api_settings, new_logs_index, serve
from support.browser import chromium, color_scheme, phone, replaced, requested_urls, screenshot
from support.console_data import KINDS
from support.console_data import events as example_events
from support.groups import add

from grokpipe.api.app import create_app
from grokpipe.api.groups.schemas import Owner
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
DINGTALK_TOKEN = "dingtalk-access-token-5f2e9c"
DINGTALK_SECRET = "SEC-dingtalk-signing-secret-77"
CHECK_SECRET = "check-secret-token-31415"
PDO, MEMORY, KEYERROR, NPE, UPSTREAM, SKU, VALUEERROR = (k.key for k in KINDS)
NOW = T0 + timedelta(minutes=2)  # the api's clock: the events are in the hours and days before T0


@dataclass
class Console:
    url: str
    api: httpx.Client
    services: Services
    driver: Any
    shots: Path
    rule_id: str
    check_id: str

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def submit(self, element: Any, *, confirm: bool = False) -> None:
        """Click a submit button (or a menu option) and wait until the next page replaced this one."""
        from selenium.webdriver.support.wait import WebDriverWait

        page = self.driver.find_element("tag name", "html")
        element.click()
        if confirm:
            self.driver.switch_to.alert.accept()
        WebDriverWait(self.driver, 10).until(lambda _: replaced(page))

    def press(self, element_id: str) -> None:
        self.submit(self.driver.find_element("id", element_id))

    def rows(self, selector: str = "tr[data-group-id]") -> list[Any]:
        return list(self.driver.find_elements("css selector", selector))

    def shoot(self, name: str) -> Path:
        path = screenshot(self.driver, self.shots / f"{name}.png")
        print(f"screenshot: {path}")
        return path

    def cookie(self) -> dict[str, str]:
        found = self.driver.get_cookie("grokpipe_console")
        assert found is not None
        return {"grokpipe_console": found["value"]}


@pytest.fixture(scope="module")
def console(stack: EmbeddedStack, es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    index = new_logs_index(es, [])
    add(es, index, example_events(T0))
    settings = api_settings(
        stack,
        errors={"index": index, "settle": 60},
        notifiers={
            "dingtalk-ops": {
                "type": "dingtalk",
                "url": f"http://127.0.0.1:9/robot/send?access_token={DINGTALK_TOKEN}",
                "secret": DINGTALK_SECRET,
            }
        },
    )
    app = create_app(settings, clock=FakeClock(NOW), scheduler=False)
    shots = Path(os.environ.get("GROKPIPE_SCREENSHOTS") or tmp_path_factory.mktemp("console-screenshots"))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as api:
        services: Services = app.state.services
        services.group_sync.run_once()
        owners = {
            PDO: Owner(name="Li Wei", email="li.wei@example.com", commit="9f1c2ab7d3e4"),
            MEMORY: Owner(name="Anna Schmidt", email="anna@example.com", commit="51be0c4aa210"),
            KEYERROR: Owner(name="Sam Okafor", email="sam@example.com", commit="c0ffee123456"),
        }
        for key, owner in owners.items():
            services.groups.update(key, lambda g, o=owner: g.model_copy(update={"owner": o}))  # type: ignore[misc]
        assert api.post(f"/errors/{VALUEERROR}/resolve", headers=ADMIN).status_code == 200
        assert api.post(f"/errors/{SKU}/ignore", headers=ADMIN, json={"count": 100}).status_code == 200
        rule = {
            "name": "Critical errors",
            "description": "Each critical error group, at most once a day.",
            "index": index,
            "query": "log.level:critical",
            "schedule": {"interval": "1m"},
            "window": "1h",
            "group_by": ["error.grouping_key"],
            "condition": {"type": "threshold", "count": 1},
            "realert": "1d",
            "notify": ["dingtalk-ops"],
            "tags": ["php"],
        }
        created = api.post("/rules", headers=ADMIN, json=rule)
        assert created.status_code == 201, created.text
        quiet = rule | {"name": "nginx upstream timeouts", "query": "event.dataset:nginx.error", "notify": []}
        quiet["condition"] = {"type": "threshold", "count": 50}
        assert api.post("/rules", headers=ADMIN, json=quiet).status_code == 201
        rule_id = created.json()["id"]
        assert api.post(f"/rules/{rule_id}/run", headers=ADMIN).status_code == 200
        es.indices.refresh(index=settings.indices.alerts)
        check = {
            "name": "api health",
            "description": "The api answers; the second row asks for a page that does not exist.",
            "matrix": {"path": ["healthz", "missing"]},
            "secrets": {"token": CHECK_SECRET, "key": READ_KEY},
            "steps": [
                {
                    "name": "page",
                    "request": {"url": url + "/{{ matrix.path }}?token={{ secrets.token }}"},
                    "assert": ["[STATUS] == 200", "[RESPONSE_TIME] < 5000"],
                },
                {
                    "name": "metrics",
                    "request": {"url": f"{url}/metrics", "headers": {"X-API-Key": "{{ secrets.key }}"}},
                    "assert": ["[STATUS] == 200"],
                    "store": {"code": "[STATUS]", "session": "[BODY]"},
                    "show": ["code"],  # stored values are secret in the console unless shown
                },
            ],
            "tags": ["smoke"],
        }
        made = api.post("/checks", headers=ADMIN, json=check)
        assert made.status_code == 201, made.text
        check_id = made.json()["id"]
        assert api.post(f"/checks/{check_id}/run", headers=ADMIN).status_code == 200
        with chromium() as driver:
            yield Console(url, api, services, driver, shots, rule_id, check_id)


def login(c: Console, key: str, then: str = "/ui/errors") -> None:
    c.open(then)
    assert urlsplit(c.driver.current_url).path == "/ui/login"
    c.driver.find_element("id", "key").send_keys(key)
    c.submit(c.driver.find_element("css selector", "form button[type=submit].primary"))
    assert urlsplit(c.driver.current_url).path == then


def listed(c: Console) -> list[tuple[str, int]]:
    return [(r.get_attribute("data-group-id"), int(r.get_attribute("data-count"))) for r in c.rows()]


def api_listed(c: Console, **params: Any) -> list[tuple[str, int]]:
    page = c.api.get("/errors", headers=READ, params=params).json()
    return [(g["id"], g["count"]) for g in page["items"]]


def test_errors_list_shows_exactly_the_groups_the_api_returns(console: Console) -> None:
    c = console
    login(c, ADMIN_KEY)
    since = (NOW - timedelta(days=14)).isoformat()
    expected = api_listed(c, status="unresolved", since=since, sort="count")
    assert listed(c) == expected
    assert {k for k, _ in expected} == {PDO, MEMORY, KEYERROR, NPE, UPSTREAM}  # resolved and ignored ones hidden
    assert expected[0] == (PDO, 38)
    first = c.rows()[0]
    assert "Li Wei" in first.text
    assert "/var/www/shop/src/Db/Connection.php:88" in first.text
    bars = first.find_elements("css selector", "svg.spark rect")
    assert len(bars) == 24
    assert (
        sum(int(b.find_element("css selector", "title").get_attribute("textContent").split(": ")[1]) for b in bars)
        == 32
    )
    c.driver.execute_script("document.body.style.caretColor = 'transparent'")
    c.shoot("errors-light")
    color_scheme(c.driver, "dark")
    c.shoot("errors-dark")
    color_scheme(c.driver, "light")
    phone(c.driver, on=True)
    c.open("/ui/errors")
    c.shoot("errors-phone")
    phone(c.driver, on=False)

    # Changing a menu submits the filter form (console.js); sorts and filters match the API's.
    c.open("/ui/errors")
    c.submit(c.driver.find_element("css selector", "select[name=sort] option[value=last_seen]"))
    assert "sort=last_seen" in c.driver.current_url
    assert listed(c) == api_listed(c, status="unresolved", since=since, sort="last_seen")
    c.open("/ui/errors?status=all&window=all&sort=first_seen&hist=14d")
    assert listed(c) == api_listed(c, sort="first_seen")
    assert len(c.rows()[0].find_elements("css selector", "svg.spark rect")) == 14
    c.open("/ui/errors?status=unresolved&level=error&dataset=python&window=all")
    assert listed(c) == api_listed(c, status="unresolved", level="error", dataset="python") == [(KEYERROR, 16)]


def test_group_page_and_resolve_changes_what_the_api_reports(console: Console) -> None:
    c = console
    c.open(f"/ui/errors/{PDO}")
    assert len(c.rows("svg.histogram rect")) == 24
    message = c.driver.find_element("css selector", "details.sample[open] pre.message").text
    assert message.startswith("PHP Fatal error:  Uncaught PDOException")
    fields = c.driver.find_element("css selector", "details.sample[open] table.fields").text
    assert f"error.grouping_key {PDO}" in fields
    assert "host.name web-1" in fields
    c.shoot("group-light")
    color_scheme(c.driver, "dark")
    c.shoot("group-dark")
    color_scheme(c.driver, "light")

    assert c.api.get(f"/errors/{PDO}", headers=READ).json()["status"] == "unresolved"
    c.press("resolve")
    assert "resolved" in c.driver.find_element("css selector", ".flash.ok").text.lower()
    assert c.api.get(f"/errors/{PDO}", headers=READ).json()["status"] == "resolved"
    c.press("unresolve")
    assert c.api.get(f"/errors/{PDO}", headers=READ).json()["status"] == "unresolved"

    c.driver.find_element("css selector", "input[name=count]").send_keys("5")
    c.press("ignore")
    ignored = c.api.get(f"/errors/{PDO}", headers=READ).json()
    assert (ignored["status"], ignored["ignore_until_count"]) == ("ignored", 38 + 5)
    c.press("unresolve")

    # Merge (the browser's confirm() is accepted): the API then answers for the target.
    c.open(f"/ui/errors/{NPE}")
    c.driver.find_element("css selector", "input[name=into]").send_keys(KEYERROR)
    c.submit(c.driver.find_element("id", "merge"), confirm=True)
    assert urlsplit(c.driver.current_url).path == f"/ui/errors/{KEYERROR}"
    assert NPE in c.api.get(f"/errors/{KEYERROR}", headers=READ).json()["aliases"]
    assert NPE not in [k for k, _ in api_listed(c, status="unresolved")]


def test_posts_without_a_valid_csrf_token_are_refused(console: Console) -> None:
    c = console
    cookie = c.driver.get_cookie("grokpipe_console")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain http here; https sets Secure (test_console_session)
    assert ADMIN_KEY not in cookie["value"]
    session = c.cookie()
    with httpx.Client(base_url=c.url, cookies=session, timeout=10) as raw:
        for data in ({}, {"csrf": ""}, {"csrf": "forged-token"}):
            refused = raw.post(f"/ui/errors/{MEMORY}/resolve", data=data)
            assert refused.status_code == 403
            assert "CSRF" in refused.text
        assert c.api.get(f"/errors/{MEMORY}", headers=READ).json()["status"] == "unresolved"
        # The same request with the page's token works: the token is what was missing.
        c.open(f"/ui/errors/{MEMORY}")
        token = c.driver.find_element("css selector", "form[action$='/resolve'] input[name=csrf]").get_attribute(
            "value"
        )
        done = raw.post(f"/ui/errors/{MEMORY}/resolve", data={"csrf": token})
        assert done.status_code == 303
    assert c.api.get(f"/errors/{MEMORY}", headers=READ).json()["status"] == "resolved"
    assert c.api.post(f"/errors/{MEMORY}/unresolve", headers=ADMIN).status_code == 200


def test_rules_page_preview_and_history(console: Console) -> None:
    c = console
    c.open("/ui/rules")
    rows = {r.get_attribute("data-rule-id"): r for r in c.rows("tr[data-rule-id]")}
    assert rows[c.rule_id].get_attribute("data-firing") == "1"
    assert "firing · 1" in rows[c.rule_id].text
    assert "on time" in rows[c.rule_id].text
    quiet = next(r for rid, r in rows.items() if rid != c.rule_id)
    assert "ok" in quiet.text
    assert "never" in quiet.text
    c.shoot("rules-light")

    c.open(f"/ui/rules/{c.rule_id}")
    assert [e.get_attribute("data-firing-key") for e in c.rows("tr[data-firing-key]")] == [PDO]
    assert "dingtalk-ops" in c.driver.find_element("css selector", "pre.definition").text
    start, end = "2026-01-05T08:00", "2026-01-05T12:00"
    for name, value in (("start", start), ("end", end)):
        field = c.driver.find_element("css selector", f"input[name={name}]")
        c.driver.execute_script("arguments[0].value = arguments[1]", field, value)
    c.press("run-preview")
    rule = c.api.get(f"/rules/{c.rule_id}", headers=READ).json()
    body = {k: v for k, v in rule.items() if k not in {"id", "version", "created", "updated"}}
    preview = c.api.post(
        "/rules/preview", headers=READ, json={"rule": body, "start": f"{start}:00Z", "end": f"{end}:00Z"}
    ).json()
    shown = sorted(e.get_attribute("data-finding") for e in c.rows("tr[data-finding]"))
    assert shown == sorted(f["key"] for f in preview["findings"]) == sorted([PDO, MEMORY])
    assert f"{preview['total']} matching events" in c.driver.find_element("css selector", ".preview-summary").text
    (message,) = c.driver.find_elements("css selector", "details.message-preview")  # the rule's one notifier
    assert (message.get_attribute("data-notifier"), message.get_attribute("data-channel")) == (
        "dingtalk-ops",
        "dingtalk",
    )
    text = message.find_element("css selector", "pre.message-text").get_attribute("textContent")
    assert text.startswith("### [FIRED] ")
    assert DINGTALK_TOKEN not in c.driver.page_source
    history = [e.get_attribute("data-kind") for e in c.rows("tr[data-alert-id]")]
    assert history == ["fired"]
    c.shoot("rule-light")
    color_scheme(c.driver, "dark")
    c.shoot("rule-dark")
    color_scheme(c.driver, "light")


def test_alerts_page_lists_the_history_with_filters(console: Console) -> None:
    c = console
    c.open("/ui/alerts?window=all")
    api = c.api.get("/alerts", headers=READ).json()
    assert [r.get_attribute("data-alert-id") for r in c.rows("tr[data-alert-id]")] == [a["id"] for a in api["items"]]
    assert "dingtalk-ops: failed" in c.driver.page_source  # the outcome, never the URL or token
    c.shoot("alerts-light")
    c.open("/ui/alerts?window=all&kind=recovered")
    assert c.rows("tr[data-alert-id]") == []


def test_checks_page_shows_latest_status_per_row_and_steps(console: Console) -> None:
    c = console
    c.open("/ui/checks")
    (row,) = c.rows("tr[data-check-id]")
    assert (row.get_attribute("data-check-id"), row.get_attribute("data-status")) == (c.check_id, "down")
    tags = {t.get_attribute("data-row"): t.text for t in row.find_elements("css selector", "[data-row]")}
    assert tags == {"path=healthz": "path=healthz: up", "path=missing": "path=missing: down"}
    c.shoot("checks-light")
    c.open(f"/ui/checks/{c.check_id}")
    runs = c.api.get(f"/checks/{c.check_id}/runs", headers=READ).json()["items"]
    shown = [
        (r.get_attribute("data-row"), r.get_attribute("data-status"))
        for r in c.driver.find_elements("css selector", "details.row-result")
    ]
    assert shown == sorted((r["row_key"], r["status"]) for r in runs)
    missing = c.driver.find_element("css selector", "details.row-result[data-row='path=missing']")
    steps = [
        (s.get_attribute("data-step"), s.get_attribute("data-status"))
        for s in missing.find_elements("css selector", "tr[data-step]")
    ]
    assert steps == [(s["name"], s["status"]) for s in next(r for r in runs if r["row_key"] == "path=missing")["steps"]]
    assert steps[0] == ("page", "failed")
    assert "[STATUS] == 200" in missing.text
    assert CHECK_SECRET not in c.driver.page_source
    assert "token" in c.driver.find_element("css selector", "details.card summary").text  # the name only
    healthz = c.driver.find_element("css selector", "details.row-result[data-row='path=healthz']")
    metrics = healthz.find_element("css selector", "tr[data-step='metrics']").get_attribute("textContent")
    assert "stored code = 200" in metrics
    assert "stored session (hidden: not in the step's show)" in metrics
    assert "grokpipe_" not in metrics  # the stored /metrics body is not on the page
    c.shoot("check-light")
    color_scheme(c.driver, "dark")
    c.shoot("check-dark")
    color_scheme(c.driver, "light")


def test_no_request_leaves_localhost_and_no_secret_is_rendered(console: Console) -> None:
    c = console
    requested_urls(c.driver)  # drain
    pages = [
        "/ui/errors",
        f"/ui/errors/{PDO}?hist=14d",
        "/ui/rules",
        f"/ui/rules/{c.rule_id}",
        "/ui/alerts",
        "/ui/checks",
    ]
    secrets = [ADMIN_KEY, READ_KEY, DINGTALK_TOKEN, DINGTALK_SECRET]
    origin = urlsplit(c.url)
    for path in pages:
        c.open(path)
        for element, attr in (("link", "href"), ("script", "src"), ("img", "src"), ("form", "action")):
            for e in c.driver.find_elements("css selector", f"{element}[{attr}]"):
                raw = c.driver.execute_script(f"return arguments[0].getAttribute('{attr}')", e)
                assert raw.startswith(("/", "?", "#", "data:")), (path, raw)
                assert not raw.startswith("//"), (path, raw)
        source = c.driver.page_source
        assert not [s for s in secrets if s in source], path
    urls = requested_urls(c.driver)
    assert len(urls) >= len(pages) * 3  # each page, its stylesheet and its script at least
    outside = [u for u in urls if not u.startswith("data:") and urlsplit(u).netloc != origin.netloc]
    assert outside == []


def test_a_read_key_sees_but_cannot_act(console: Console) -> None:
    c = console
    c.open("/ui/errors")
    c.submit(c.driver.find_element("css selector", "form[action$='/logout'] button"))
    assert urlsplit(c.driver.current_url).path == "/ui/login"
    c.open("/ui/errors")  # logged out: back to the login page
    assert urlsplit(c.driver.current_url).path == "/ui/login"
    login(c, READ_KEY, then=f"/ui/errors/{MEMORY}")
    assert "read" in c.driver.find_element("css selector", ".role").text
    assert c.driver.find_elements("id", "resolve") == []
    assert c.driver.find_elements("css selector", "section.actions") == []
    c.shoot("group-read-key")
    token = c.driver.find_element("css selector", "form[action$='/logout'] input[name=csrf]").get_attribute("value")
    with httpx.Client(base_url=c.url, cookies=c.cookie(), timeout=10) as raw:
        for action in ("resolve", "ignore", "unresolve"):
            forged = raw.post(f"/ui/errors/{MEMORY}/{action}", data={"csrf": token})
            assert forged.status_code == 403
            assert "read-only" in forged.text
        assert raw.post(f"/ui/errors/{MEMORY}/merge", data={"csrf": token, "into": PDO}).status_code == 403
    got = c.api.get(f"/errors/{MEMORY}", headers=READ).json()
    assert (got["status"], got["aliases"]) == ("unresolved", [])
