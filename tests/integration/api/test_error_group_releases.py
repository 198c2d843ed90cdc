"""Error groups with releases and environments (Sentry's ``release``/``environment`` as ECS
``service.version``/``service.environment``) against a real noida-db: first and last release, the
environment filter of ``GET /errors``, and "resolved in the next release"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, new_logs_index, serve
from support.groups import add, event

from grokpipe.api.app import create_app
from grokpipe.api.services import Services

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


def sentry_event(key: str, minutes: int, release: str | None, environment: str) -> dict[str, Any]:
    at = T0 + timedelta(minutes=minutes)
    service = {"environment": environment} | ({"version": release} if release else {})
    return event(key, at, at, dataset="sentry", service=service)


def test_releases_environments_and_resolve_in_the_next_release(
    es: Elasticsearch, make_services: Any, clock: FakeClock
) -> None:
    index = new_logs_index(es, [])
    built: Services = make_services(errors={"index": index, "settle": 1})
    add(
        es,
        index,
        [sentry_event("pay", -50, "shop@1.0", "production"), sentry_event("pay", -40, "shop@1.1", "production")],
    )
    add(es, index, [sentry_event("cart", -30, "shop@1.1", "staging")])
    app = create_app(built.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as api:
        services: Services = app.state.services
        services.group_sync.run_once()
        groups = {g["id"]: g for g in api.get("/errors", headers=READ).json()["items"]}
        assert (groups["pay"]["first_release"], groups["pay"]["last_release"]) == ("shop@1.0", "shop@1.1")
        assert groups["cart"]["environments"] == ["staging"]
        staging = api.get("/errors", headers=READ, params={"environment": "staging"}).json()["items"]
        assert [g["id"] for g in staging] == ["cart"]
        released = api.get("/errors", headers=READ, params={"release": "shop@1.0"}).json()["items"]
        assert [g["id"] for g in released] == ["pay"]

        console = _console(api)
        listed = console.get("/ui/errors", params={"environment": "staging", "window": "all"}).text
        assert 'data-group-id="cart"' in listed
        assert 'data-group-id="pay"' not in listed
        assert '<option value="staging" selected>' in listed
        page = console.get("/ui/errors/pay").text
        assert "shop@1.0" in page
        assert "shop@1.1" in page
        console.close()

        resolved = api.post("/errors/pay/resolve", headers=ADMIN, params={"in_next_release": "true"})
        assert resolved.status_code == 200, resolved.text
        assert (resolved.json()["status"], resolved.json()["resolved_in_next_release"]) == ("resolved", True)
        clock.advance(timedelta(minutes=5))
        add(es, index, [sentry_event("pay", 2, "shop@1.1", "production")])  # the release still running
        clock.advance(timedelta(minutes=5))
        services.group_sync.run_once()
        assert api.get("/errors/pay", headers=READ).json()["status"] == "resolved"

        add(es, index, [sentry_event("pay", 12, "shop@1.2", "production")])  # the next release
        clock.advance(timedelta(minutes=5))
        services.group_sync.run_once()
        regressed = api.get("/errors/pay", headers=READ).json()
        assert (regressed["status"], regressed["last_release"]) == ("unresolved", "shop@1.2")
        assert regressed["regressed_at"].startswith("2026-01-05T12:12")


def test_an_older_group_index_gets_the_new_fields(es: Elasticsearch, make_services: Any) -> None:
    services: Services = make_services()
    index = services.settings.indices.error_groups
    es.indices.delete(index=index)
    es.indices.create(index=index, mappings={"dynamic": False, "properties": {"status": {"type": "keyword"}}})
    services.groups.ensure()
    fields = es.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert fields["environments"] == {"type": "keyword"}
    assert fields["status"] == {"type": "keyword"}


def _console(api: httpx.Client) -> httpx.Client:
    """A console session (read key) on the same server."""
    console = httpx.Client(base_url=api.base_url, timeout=30)
    form = console.get("/ui/login").text
    match = re.search(r'name="csrf" value="([^"]+)"', form)
    assert match is not None
    assert console.post("/ui/login", data={"csrf": match.group(1), "key": READ_KEY}).status_code == 303
    return console
