"""Cron monitors end to end: ``sentry_sdk.crons.monitor`` and a plain HTTP check-in -> shipper (Sentry
input) -> Kafka -> indexer -> Elasticsearch -> the api, which saves the monitor from its check-in's
``monitor_config``; when the job stops checking in the monitor goes ``missed`` and alerts once (a local
webhook counts the messages). The api runs in-process on a clock the test moves past the schedule."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sentry_sdk
from elasticsearch import Elasticsearch
from sentry_sdk.crons import monitor
from support import indexer as support
from support.api import READ_KEY, FakeClock, api_settings, http_receiver, serve
from support.shipper import ShipperProcess, wait_for, write_config

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack, free_port

READ = {"X-API-Key": READ_KEY}
EVERY_MINUTE = {"schedule": {"type": "interval", "value": 1, "unit": "minute"}, "checkin_margin": 1, "max_runtime": 1}


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def nightly_job() -> None:
    with monitor(monitor_slug="nightly-report", monitor_config=EVERY_MINUTE):  # type: ignore[arg-type]
        pass


def _evaluated(es: Elasticsearch, index: str, since: datetime) -> bool:
    """An evaluation of the monitor for a tick at or after ``since`` was released (by its lease document)."""
    found: Any = es.options(ignore_status=404).get(index=index, id="monitor-nightly-report")
    tick = found.get("_source", {}).get("last_tick") if found.get("found") else None
    return tick is not None and datetime.fromisoformat(tick) >= since


@pytest.mark.slow
def test_sdk_checkins_make_a_monitor_that_alerts_missed_once(
    stack: EmbeddedStack, topic: str, tmp_path: Path, es: Elasticsearch
) -> None:
    ns, key, port = support.namespace(), uuid.uuid4().hex, free_port()
    spec = {"type": "sentry", "listen": f"127.0.0.1:{port}", "projects": [{"id": 1, "name": "shop", "keys": [key]}]}
    shipper = ShipperProcess(
        write_config(tmp_path / "shipper.yml", stack, topic, tmp_path / "data", [spec]), tmp_path / "s.log"
    )
    indexer = support.IndexerProcess(
        support.write_config(tmp_path / "indexer.yml", stack, topic, ns), tmp_path / "i.log"
    )
    clock = FakeClock(datetime.now(UTC))
    shipper.start()
    indexer.start()
    try:
        with http_receiver() as receiver:
            settings = api_settings(
                stack,
                errors={"index": f"logs-*-{ns}", "enabled": False},
                checks={"enabled": False},
                notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}},
                monitors={"every": 1, "notify": ["hook"]},
                scheduler={"enabled": True, "tick": 0.1, "rules_refresh": 0.3},
            )
            app = create_app(settings, clock=clock)
            with serve(app) as url, httpx.Client(base_url=url, headers=READ, timeout=30) as api:
                assert wait_for(lambda: _listening(port), timeout=60)
                sentry_sdk.init(dsn=f"http://{key}@127.0.0.1:{port}/1", default_integrations=False)
                try:
                    nightly_job()
                finally:
                    sentry_sdk.get_client().close(timeout=10)
                    sentry_sdk.get_global_scope().set_client(None)
                cron = f"http://127.0.0.1:{port}/api/1/cron/qa-inspection/{key}/"
                assert httpx.get(cron, params={"status": "ok"}).status_code == 202  # plain curl, no schedule

                def saved() -> bool:
                    found = api.get("/monitors/nightly-report")
                    return found.status_code == 200 and found.json()["saved"] and len(found.json()["checkins"]) == 2

                assert wait_for(saved, timeout=180)
                listed = {m["slug"]: m for m in api.get("/monitors").json()}
                assert (listed["nightly-report"]["status"], listed["nightly-report"]["origin"]) == ("ok", "checkin")
                assert wait_for(lambda: "qa-inspection" in {m["slug"] for m in api.get("/monitors").json()}, 60)
                assert receiver.requests == []

                clock.advance(timedelta(minutes=10))  # the job stopped checking in
                assert wait_for(lambda: len(receiver.requests) >= 1, timeout=60)
                for _ in range(5):  # five more evaluations: still one alert
                    clock.advance(timedelta(seconds=1))
                    assert wait_for(lambda: _evaluated(es, settings.indices.state, clock() - timedelta(seconds=1)), 30)
                assert [r.body["kind"] for r in receiver.requests] == ["missed"]
                assert api.get("/monitors/nightly-report").json()["status"] == "missed"
    finally:
        indexer.stop()
        shipper.stop()
