"""Owners are recomputed when what they came from changes: the ``blame`` config (an api restarted with
``blame.repos``), a new HEAD, or on demand (``POST /errors/owners/refresh``), also for groups with no
new events."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, new_logs_index, serve
from support.git import commit, php_lines
from support.groups import add, event

from grokpipe.api.app import create_app

T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
PREFIX = "/home/wwwroot/api.example.com/"
FILE = "app/Controller.php"


def test_owners_follow_a_config_change_a_new_head_and_a_refresh_on_demand(
    es: Elasticsearch, make_services: Any, clock: FakeClock, tmp_path: Path
) -> None:
    repo = tmp_path / "api"
    commit(repo, {FILE: php_lines(60)}, "Alice", "alice@example.com")
    index = new_logs_index(es, [])
    origin = {"log__origin__file__name": PREFIX + FILE, "log__origin__file__line": 57}
    add(es, index, [event("k", T0 - timedelta(minutes=5), T0 - timedelta(minutes=5), **origin)])
    errors = {"index": index, "settle": 60}

    before = make_services(errors=errors)  # no blame.repos yet: the owner is unknown
    before.group_sync.run_once()
    assert before.groups.get("k").group.owner is None

    blame = {"repos": [{"path_prefix": PREFIX, "checkout": str(repo)}], "revision_ttl": 0}
    after = make_services(errors=errors, blame=blame, indices=before.settings.indices.model_dump())
    clock.advance(timedelta(minutes=1))
    after.group_sync.run_once()  # no new event of k: the config change alone looks its owner up
    owner = after.groups.get("k").group.owner
    assert owner is not None
    assert owner.email == "alice@example.com"

    commit(repo, {FILE: php_lines(60, {57: "$z = broken();"})}, "Bob", "bob@example.com")  # a new HEAD
    clock.advance(timedelta(minutes=1))
    after.group_sync.run_once()
    owner = after.groups.get("k").group.owner
    assert owner is not None
    assert owner.email == "bob@example.com"

    app = create_app(after.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/errors/owners/refresh", headers={"X-API-Key": READ_KEY}).status_code == 403
        done = client.post("/errors/owners/refresh", headers={"X-API-Key": ADMIN_KEY})
        assert done.status_code == 200
        assert done.json() == {"checked": 1, "updated": 0, "complete": True}  # asked again, same answer
        group = client.get("/errors/k", headers={"X-API-Key": READ_KEY}).json()
        assert group["owner"]["email"] == "bob@example.com"
