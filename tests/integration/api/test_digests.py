"""Digests on a real noida-db, sent to a real DingTalk-like receiver (signature checked) and a real
SMTP server: two simulated days, each group once per digest with its flag, owners @-mentioned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, Receiver, http_receiver, new_logs_index, serve, smtp_server
from support.git import commit, php_lines
from support.groups import add, event

from grokpipe.api.app import create_app
from grokpipe.api.digests.schemas import Digest, DigestCreate
from grokpipe.api.services import Services

DAY1 = datetime.fromisoformat("2026-01-05T00:00:00+00:00")
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)
PREFIX = "/home/wwwroot/api.example.com/"
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


def php(key: str, at: datetime, line: int) -> dict[str, Any]:
    e = event(key, at, at, culprit=f"{PREFIX}app/Controller.php:{line}")
    e["log"]["origin"] = {"file": {"name": f"{PREFIX}app/Controller.php", "line": line}}
    return e


@pytest.fixture
def stack_up(
    es: Elasticsearch, make_services: Any, clock: FakeClock, tmp_path: Path
) -> Iterator[tuple[httpx.Client, Services, str, Receiver, Any]]:
    repo = tmp_path / "api"
    commit(repo, {"app/Controller.php": php_lines(80)}, "Alice", "alice@example.com")
    commit(repo, {"app/Controller.php": php_lines(80, {10: "$y = broken();"})}, "Bob", "bob@example.com")
    index = new_logs_index(es, [])
    with http_receiver(secret="SECdigest") as receiver, smtp_server() as smtp:
        services: Services = make_services(
            errors={"index": index, "settle": 60},
            notifiers={
                "ding": {"type": "dingtalk", "url": f"{receiver.url}/dingtalk", "secret": "SECdigest"},
                "mail": {"type": "email", "host": smtp.host, "port": smtp.port, "sender": "g@x", "to": ["php@x"]},
            },
            blame={"repos": [{"path_prefix": PREFIX, "checkout": str(repo)}]},
            owners={"alice@example.com": {"dingtalk_mobile": "13800000001"}},
        )
        app = create_app(services.settings, clock=clock, scheduler=False)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client, app.state.services, index, receiver, smtp


def test_two_days_of_digests(es: Elasticsearch, stack_up: Any, clock: FakeClock) -> None:
    client, services, index, receiver, smtp = stack_up
    body = {"name": "Daily PHP errors", "schedule": {"cron": "0 0 * * *"}, "top": 5, "notify": ["ding", "mail"]}
    assert client.post("/digests", headers=ADMIN, json=body | {"notify": ["nope"]}).status_code == 422
    created = client.post("/digests", headers=ADMIN, json=body)
    assert created.status_code == 201
    digest = Digest.model_validate(created.json())

    # day 1: a (line 57, Alice's) x3, b (line 10, Bob's) x1
    add(es, index, [php("a", DAY1 + timedelta(hours=h), 57) for h in (1, 2, 3)])
    add(es, index, [php("b", DAY1 + timedelta(hours=5), 10)])
    clock.now = DAY1 + timedelta(hours=6)
    services.group_sync.run_once()
    a = services.groups.get("a").group
    assert a.owner is not None
    assert a.owner.email == "alice@example.com"
    assert services.groups.get("b").group.owner.email == "bob@example.com"  # type: ignore[union-attr,unused-ignore]
    client.post("/errors/b/resolve", headers=ADMIN)

    clock.now = DAY2
    first = services.digest_runner.run(digest, DAY2)
    assert first is not None
    assert services.digest_runner.run(digest, DAY2) is None  # a tick is sent once
    assert [(r.id, r.flag, r.count) for r in first.rows] == [("a", "new", 3), ("b", "new", 1)]

    # day 2: a x2 (ongoing), b again (regressed), c new
    add(es, index, [php("a", DAY2 + timedelta(hours=h), 57) for h in (1, 2)])
    add(es, index, [php("b", DAY2 + timedelta(hours=3), 10), php("c", DAY2 + timedelta(hours=4), 30)])
    clock.now = DAY2 + timedelta(hours=5)
    services.group_sync.run_once()
    preview = client.post("/digests/preview", headers=READ, json={"digest": body}).json()
    assert [(r["id"], r["flag"]) for r in preview["rows"]] == [("c", "new"), ("b", "regressed"), ("a", "ongoing")]

    clock.now = DAY3
    second = services.digest_runner.run(digest, DAY3)
    assert second is not None
    rows = [(r.id, r.flag, r.count, r.total) for r in second.rows]
    assert rows == [("c", "new", 1, 1), ("b", "regressed", 1, 2), ("a", "ongoing", 2, 5)]
    assert (second.new, second.regressed, second.groups, second.events) == (1, 1, 3, 4)
    assert second.notifications["ding"]["outcome"] == "sent"  # the receiver checked the signature
    assert second.notifications["mail"]["outcome"] == "sent"

    dings = [r.body for r in receiver.requests if r.path == "/dingtalk"]
    assert len(dings) == 2  # one per day
    assert dings[1]["at"]["atMobiles"] == ["13800000001"]  # Alice owns a's line
    text = dings[1]["markdown"]["text"]
    assert "@13800000001" in text
    assert text.count("/app/Controller.php:57") == 1  # each group once
    html = smtp.mailbox.messages[-1].get_body(("html",)).get_content()
    assert 'class="new" style="background:#fde2e2"' in html
    assert 'class="regressed" style="background:#fff3cd"' in html

    # run now from the API, and CRUD
    sent = client.post(f"/digests/{digest.id}/run", headers=ADMIN).json()
    assert sent["notifications"]["ding"]["outcome"] == "sent"
    assert client.post(f"/digests/{digest.id}/run", headers=READ).status_code == 403
    patched = client.patch(f"/digests/{digest.id}", headers=ADMIN, json={"top": 1}).json()
    assert patched["top"] == 1
    assert client.get("/digests", headers=READ).json()["total"] == 1
    assert client.delete(f"/digests/{digest.id}", headers=ADMIN).status_code == 204
    assert client.get(f"/digests/{digest.id}", headers=READ).status_code == 404
    history = client.get("/alerts", headers=READ, params={"kind": "digest"}).json()
    assert history["total"] == 3


def test_seeded_digest(make_services: Any) -> None:
    seed = {"id": "daily", "name": "Daily", "schedule": {"cron": "0 9 * * *", "timezone": "Asia/Shanghai"}}
    services: Services = make_services(digests_seed=[seed])
    from grokpipe.api.app import seed_digests

    seed_digests(services)
    seed_digests(services)  # idempotent
    assert services.digests.get("daily").name == "Daily"
    assert DigestCreate.model_validate({"name": "x"}).schedule.cron == "0 9 * * *"
