"""``/monitors`` on check-in documents in a real Elasticsearch: status as of the api's clock, saved monitors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from elasticsearch import Elasticsearch, helpers
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, api_settings, serve
from support.monitors import MAPPING, checkin

from grokpipe.api.app import create_app
from grokpipe.api.monitors.service import MonitorJob
from grokpipe.embedded import EmbeddedStack

READ = {"X-API-Key": READ_KEY}
NIGHTLY = {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "checkin_margin": 5, "max_runtime": 30}


@pytest.fixture
def index(stack: EmbeddedStack) -> Iterator[str]:
    es = Elasticsearch(stack.elasticsearch_url)
    name = f"logs-sentry.checkin-m{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=MAPPING)
    last_night = T0.replace(hour=2)  # T0 is 12:00: this morning's 02:00 run
    docs = [
        checkin("nightly", "r1", "in_progress", last_night, NIGHTLY),
        checkin("nightly", "r1", "ok", last_night + timedelta(minutes=3), NIGHTLY),
        checkin("qa-inspection", "q1", "error", T0 - timedelta(hours=1)),
    ]
    helpers.bulk(es, [{"_index": name, "_source": d} for d in docs], refresh=True)
    yield name
    es.indices.delete(index=name)
    es.close()


def test_monitors_as_of_the_clock(stack: EmbeddedStack, index: str) -> None:
    clock = FakeClock()
    settings = api_settings(stack, errors={"index": index})
    with serve(create_app(settings, clock=clock)) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        listed = {m["slug"]: m for m in api.get("/monitors").json()}
        assert listed["nightly"]["status"] == "ok"
        assert listed["nightly"]["next_expected"].startswith("2026-01-06T02:00:00")
        assert listed["qa-inspection"]["status"] == "error"  # no monitor_config: its last check-in
        assert listed["qa-inspection"]["next_expected"] is None
        one = api.get("/monitors/nightly").json()
        assert [c["status"] for c in one["checkins"]] == ["in_progress", "ok"]
        assert one["config"]["schedule"]["value"] == "0 2 * * *"
        clock.advance(timedelta(hours=14, minutes=6))  # 02:06 the next night: no check-in, past the margin
        missed = api.get("/monitors/nightly").json()
        assert missed["status"] == "missed"
        assert missed["incident"] is True
        assert api.get("/monitors/nope").status_code == 404


def test_saved_monitors_crud(stack: EmbeddedStack, index: str, es: Elasticsearch) -> None:
    clock = FakeClock(datetime.now(UTC))  # a saved monitor's ``created`` is the real time
    settings = api_settings(
        stack, errors={"index": index}, notifiers={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}}
    )
    admin = {"X-API-Key": ADMIN_KEY}
    body = {
        "slug": "backup",
        "config": {"schedule": {"type": "interval", "value": 1, "unit": "hour"}},
        "notify": ["hook"],
    }
    app = create_app(settings, clock=clock)
    with serve(app) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        assert api.post("/monitors", json=body).status_code == 403  # a read key
        assert api.post("/monitors", json=body | {"notify": ["nope"]}, headers=admin).status_code == 422
        created = api.post("/monitors", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["origin"] == "api"
        assert created.json()["name"] == "backup"
        assert api.post("/monitors", json=body, headers=admin).status_code == 409
        one = api.get("/monitors/backup").json()
        assert (one["saved"], one["status"], one["checkins"]) == (True, "pending", [])
        clock.advance(timedelta(hours=1, minutes=2))  # never checked in: its first run is missed
        assert api.get("/monitors/backup").json()["status"] == "missed"
        assert {m["slug"] for m in api.get("/monitors").json()} == {"backup", "nightly", "qa-inspection"}
        patched = api.patch("/monitors/backup", json={"config": NIGHTLY}, headers=admin)
        assert patched.status_code == 200, patched.text
        assert patched.json()["config"]["schedule"]["value"] == "0 2 * * *"
        assert patched.json()["notify"] == ["hook"]
        stale = api.put("/monitors/backup", json=body, headers=admin | {"If-Match": created.json()["version"]})
        assert stale.status_code == 409
        assert api.put("/monitors/backup", json=body | {"slug": "other"}, headers=admin).status_code == 422
        assert api.put("/monitors/backup", json=body | {"enabled": False}, headers=admin).json()["enabled"] is False
        monitors = app.state.services.monitors
        saved = monitors.store.get("backup")
        evaluated = monitors.service.run(MonitorJob("backup", monitors.jobs.schedule, saved), clock())
        assert evaluated is not None
        assert evaluated.alert is not None  # missed: its incident state is stored
        state = (settings.indices.state, "monitor-backup")
        assert es.exists(index=state[0], id=state[1])
        assert api.delete("/monitors/backup", headers=admin).status_code == 204
        assert api.get("/monitors/backup").status_code == 404
        assert not es.exists(index=state[0], id=state[1])  # created again, it starts without an incident


def test_monitors_are_rows_of_reports(stack: EmbeddedStack, index: str) -> None:
    clock = FakeClock(T0 + timedelta(hours=14, minutes=6))  # 02:06 the next night: nightly missed its run
    settings = api_settings(stack, errors={"index": index})
    with serve(create_app(settings, clock=clock)) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        body = {"name": "QA crontab", "monitors": ["nightly", "qa-inspection", "never-ran"]}
        found = api.post("/reports/preview", json=body)
        assert found.status_code == 200, found.text
        table = found.json()
        assert [(r["monitor"], r["status"]) for r in table["rows"]] == [
            ("nightly", "down"),
            ("qa-inspection", "down"),
            ("never-ran", "no result"),
        ]
        assert table["rows"][0]["cells"] == [
            "nightly",
            "cron monitor",
            "FAILED",
            "missed (last check-in 2026-01-05T02:03+00:00)",
        ]
        assert (table["executed"], table["passed"], table["failed"]) == (3, 0, 3)
        assert api.post("/reports/preview", json={"name": "empty"}).status_code == 422


def test_digests_list_the_failing_monitors(stack: EmbeddedStack, index: str) -> None:
    clock = FakeClock(T0 + timedelta(hours=14, minutes=6))  # 02:06 the next night: nightly missed its run
    settings = api_settings(
        stack, errors={"index": index}, notifiers={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}}
    )
    admin = {"X-API-Key": ADMIN_KEY}
    with serve(create_app(settings, clock=clock)) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        assert api.post("/monitors", json={"slug": "nightly", "config": NIGHTLY}, headers=admin).status_code == 201
        digest = {"name": "Morning", "monitors": True, "notify": ["hook"]}
        report = api.post("/digests/preview", json={"digest": digest}).json()
        assert [(m["slug"], m["status"]) for m in report["monitors"]] == [("nightly", "missed")]
        without = api.post("/digests/preview", json={"digest": digest | {"monitors": False}}).json()
        assert without["monitors"] == []
        created = api.post("/digests", json=digest, headers=admin)
        assert created.status_code == 201, created.text
        rendered = api.post(f"/digests/{created.json()['id']}/preview").json()["messages"]["hook"]
        assert "Cron monitors failing" in rendered["text"]
        assert "**MISSED** nightly" in rendered["text"]


def test_check_ins_create_and_update_their_monitor_until_the_api_edits_it(
    stack: EmbeddedStack, index: str, es: Elasticsearch
) -> None:
    clock = FakeClock(datetime.now(UTC))
    settings = api_settings(stack, errors={"index": index})
    admin = {"X-API-Key": ADMIN_KEY}
    app = create_app(settings, clock=clock)
    with serve(app) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
        jobs = app.state.services.monitors.jobs
        assert jobs.discover() == 1  # nightly carries a monitor_config; qa-inspection does not
        assert [j.id for j in jobs.enabled()] == ["nightly"]
        saved = api.get("/monitors/nightly").json()
        assert (saved["saved"], saved["origin"], saved["config"]["checkin_margin"]) == (True, "checkin", 5)
        assert jobs.discover() == 0  # nothing changed
        later = NIGHTLY | {"checkin_margin": 15}
        helpers.bulk(es, [{"_index": index, "_source": checkin("nightly", "r9", "ok", T0, later)}], refresh=True)
        assert jobs.discover() == 1  # the SDK's newer monitor_config, as Sentry upserts it
        assert api.get("/monitors/nightly").json()["config"]["checkin_margin"] == 15
        edited = api.patch("/monitors/nightly", json={"config": NIGHTLY | {"checkin_margin": 30}}, headers=admin)
        assert edited.json()["origin"] == "api"
        newest = NIGHTLY | {"checkin_margin": 45}
        at = T0 + timedelta(minutes=1)
        helpers.bulk(es, [{"_index": index, "_source": checkin("nightly", "r10", "ok", at, newest)}], refresh=True)
        assert jobs.discover() == 0  # edited through the API: its own configuration stays
        assert api.get("/monitors/nightly").json()["config"]["checkin_margin"] == 30
