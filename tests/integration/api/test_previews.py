"""Previews by id (``POST /rules|digests|reports/{id}/preview``) return what each notifier would receive,
rendered in its channel's format (the e-mail's HTML too), and send nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, Receiver, http_receiver, new_logs_index, serve
from support.groups import add, event

from grokpipe.api.app import create_app

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
BASE = "https://grokpipe.example.com"


@pytest.fixture
def client(es: Elasticsearch, make_services: Any, clock: FakeClock) -> Iterator[tuple[httpx.Client, str, Receiver]]:
    at = T0 - timedelta(minutes=3)
    title = "Uncaught Error: Call to undefined function foo()"
    logs = new_logs_index(es, [])
    add(es, logs, [event("k1", at, at, title=title) for _ in range(3)])
    with http_receiver() as receiver:
        services = make_services(
            notifiers={
                "ding": {"type": "dingtalk", "url": f"{receiver.url}/dingtalk", "secret": receiver.secret},
                "slack": {"type": "slack", "url": f"{receiver.url}/slack-secret-token"},
                "mail": {"type": "email", "host": "127.0.0.1", "port": 1, "sender": "a@x", "to": ["php@x"]},
            },
            console={"base_url": BASE, "timezone": "Asia/Shanghai"},
            errors={"index": logs, "settle": 60},
        )
        app = create_app(services.settings, clock=clock, scheduler=False)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            yield http, logs, receiver


def test_rule_preview_by_id_renders_each_channel(client: tuple[httpx.Client, str, Receiver]) -> None:
    http, logs, receiver = client
    rule = {
        "name": "PHP fatals",
        "index": logs,
        "query": "event.dataset:php.error",
        "window": "10m",
        "group_by": ["error.grouping_key"],
        "condition": {"type": "threshold", "count": 1},
        "notify": ["ding", "slack", "mail"],
    }
    created = http.post("/rules", headers=ADMIN, json=rule).json()
    preview = http.post(f"/rules/{created['id']}/preview", headers=READ)
    assert preview.status_code == 200
    [group] = preview.json()["groups"]
    assert group["key"] == "k1"
    ding, slack, mail = (group["messages"][n] for n in ("ding", "slack", "mail"))
    title = "[FIRED] PHP fatals · Uncaught Error: Call to undefined function foo()"
    assert (ding["channel"], ding["title"]) == ("dingtalk", title)
    assert ding["text"].startswith(f"### {title}\n- **count**: 3\n- **window**: ")
    assert f"[open in grokpipe]({BASE}/ui/errors/k1)" in ding["text"]
    assert slack["channel"] == "slack"
    assert "#" not in slack["text"]
    assert f"<{BASE}/ui/errors/k1|open in grokpipe>" in slack["text"]
    assert "slack-secret-token" not in preview.text
    assert mail["html"].startswith("<html>")
    assert "CST" in mail["text"]
    assert http.post("/rules/nope/preview", headers=READ).status_code == 404
    assert receiver.requests == []  # nothing sent


def test_digest_and_report_previews_by_id(client: tuple[httpx.Client, str, Receiver]) -> None:
    http, _logs, receiver = client
    digest = {"name": "Daily PHP errors", "schedule": {"cron": "0 0 * * *"}, "notify": ["ding", "mail"]}
    created = http.post("/digests", headers=ADMIN, json=digest).json()
    assert http.post("/errors/sync", headers=ADMIN).status_code == 200
    preview = http.post(f"/digests/{created['id']}/preview", headers=READ).json()
    assert [r["id"] for r in preview["report"]["rows"]] == ["k1"]
    ding = preview["messages"]["ding"]
    assert "**[NEW]** [Uncaught Error: Call to undefined function foo()]" in ding["text"]
    assert f"({BASE}/ui/errors/k1)" in ding["text"]
    assert f'<a href="{BASE}/ui/errors/k1">' in preview["messages"]["mail"]["html"]

    check = {"name": "health", "steps": [{"request": {"url": f"{http.base_url}health"}}]}
    check_id = http.post("/checks", headers=ADMIN, json=check).json()["id"]
    report = {"name": "Daily health", "checks": [check_id], "notify": ["ding", "mail"]}
    report_id = http.post("/reports", headers=ADMIN, json=report).json()["id"]
    preview = http.post(f"/reports/{report_id}/preview", headers=READ).json()
    assert preview["result"]["name"] == "Daily health"
    assert preview["messages"]["ding"]["channel"] == "dingtalk"
    assert f"({BASE}/ui/checks/{check_id})" in preview["messages"]["ding"]["text"]
    assert "<table" in preview["messages"]["mail"]["html"]
    assert receiver.requests == []
