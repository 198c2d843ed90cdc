"""Two ``grokpipe api`` processes on the same indices: a monitor whose job stops checking in goes
``missed`` and alerts once, and recovers once when the job checks in again (a local webhook counts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch, helpers
from support.api import ADMIN_KEY, READ_KEY, Receiver, free_port, fresh_indices, http_receiver, wait_healthy
from support.monitors import MAPPING, checkin

from grokpipe.embedded import EmbeddedStack

SLUG = "qa-inspection"
EVERY_MINUTE = {"schedule": {"type": "interval", "value": 1, "unit": "minute"}, "checkin_margin": 1}
TICKS = 5  # evaluations after an alert during which no second one may come


@pytest.fixture
def checkins(es: Elasticsearch) -> Iterator[str]:
    name = f"logs-sentry.checkin-a{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=MAPPING)
    yield name
    es.indices.delete(index=name)


def _write(es: Elasticsearch, index: str, docs: list[dict[str, Any]]) -> None:
    helpers.bulk(es, [{"_index": index, "_source": d} for d in docs], refresh=True)


def _until(what: str, done: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _last_tick(es: Elasticsearch, index: str) -> datetime | None:
    found = es.options(ignore_status=404).get(index=index, id=f"monitor-{SLUG}")
    tick = found.get("_source", {}).get("last_tick") if found.get("found") else None
    return datetime.fromisoformat(tick) if tick else None


def _ticks_pass(es: Elasticsearch, index: str, count: int) -> None:
    """Until ``count`` more evaluations of the monitor (by either replica) have been released."""
    start = _last_tick(es, index) or datetime.now(UTC)
    _until(f"{count} evaluations", lambda: (_last_tick(es, index) or start) >= start + timedelta(seconds=count))


def test_two_replicas_alert_once(stack: EmbeddedStack, es: Elasticsearch, checkins: str, tmp_path: Path) -> None:
    indices = fresh_indices(uuid.uuid4().hex[:8])
    stopped = datetime.now(UTC) - timedelta(minutes=10)  # the job's last run, then it stopped checking in
    _write(
        es, checkins, [checkin(SLUG, "r1", "in_progress", stopped, EVERY_MINUTE), checkin(SLUG, "r1", "ok", stopped)]
    )
    procs: list[subprocess.Popen[bytes]] = []
    with http_receiver() as receiver:
        try:
            urls = [_start(stack, receiver, indices, checkins, replica, tmp_path, procs) for replica in ("a", "b")]
            for url, proc in zip(urls, procs, strict=True):
                wait_healthy(url, proc)
            _until("the missed alert", lambda: len(receiver.requests) >= 1)
            _ticks_pass(es, indices["state"], TICKS)
            assert [r.body["kind"] for r in receiver.requests] == ["missed"]
            assert receiver.requests[0].body["monitor"]["slug"] == SLUG
            saved = httpx.get(f"{urls[1]}/monitors/{SLUG}", headers={"X-API-Key": READ_KEY}).json()
            assert (saved["saved"], saved["origin"], saved["status"]) == (True, "checkin", "missed")

            _write(es, checkins, [checkin(SLUG, "r2", "ok", datetime.now(UTC))])  # the job runs again
            _until("the recovery", lambda: len(receiver.requests) >= 2)
            _ticks_pass(es, indices["state"], TICKS)
            assert [r.body["kind"] for r in receiver.requests] == ["missed", "recovered"]
            history = httpx.get(
                f"{urls[0]}/alerts", params={"rule_id": f"monitor-{SLUG}"}, headers={"X-API-Key": READ_KEY}
            ).json()
            assert sorted(a["kind"] for a in history["items"]) == ["missed", "recovered"]
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)


def _start(
    stack: EmbeddedStack,
    receiver: Receiver,
    indices: dict[str, str],
    checkins: str,
    replica: str,
    tmp_path: Path,
    procs: list[subprocess.Popen[bytes]],
) -> str:
    port = free_port()
    config = tmp_path / f"api-{replica}.yml"
    settings = {
        "elasticsearch": {"hosts": [stack.elasticsearch_url]},
        "http": {"listen": f"127.0.0.1:{port}"},
        "auth": {"admin_keys": [ADMIN_KEY], "read_keys": [READ_KEY]},
        "indices": indices,
        "errors": {"index": checkins, "enabled": False},
        "checks": {"enabled": False},
        "notifiers": {"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}},
        "delivery": {"timeout": 5, "retries": 0},
        "monitors": {"every": 1, "notify": ["hook"]},
        "scheduler": {"tick": 0.1, "rules_refresh": 0.3, "replica_id": replica},
        "log_level": "WARNING",
    }
    config.write_text(yaml.safe_dump(settings))
    command = [sys.executable, "-m", "grokpipe.cli", "api", "-c", str(config)]
    procs.append(subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.DEVNULL))
    return f"http://127.0.0.1:{port}"
