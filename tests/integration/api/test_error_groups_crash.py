"""kill -9 of the api while it updates error groups: after restarts every stored count is exact."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, api_settings, free_port, new_logs_index, wait_healthy
from support.groups import add, event
from support.process import ServiceProcess

from grokpipe.api.groups.store import GroupStore
from grokpipe.embedded import EmbeddedStack

KEYS = [f"crash-{i:03d}" for i in range(150)]


@pytest.mark.slow
def test_kill_9_during_group_updates_keeps_counts_exact(
    stack: EmbeddedStack, es: Elasticsearch, tmp_path: Path
) -> None:
    index = new_logs_index(es, [])
    port = free_port()
    settings = api_settings(stack, errors={"index": index, "settle": 1, "sync_interval": 0.2})
    config = settings.model_dump(mode="json")
    config["auth"] = {"admin_keys": [ADMIN_KEY]}
    config["http"] = {"listen": f"127.0.0.1:{port}"}
    config["scheduler"] = {"enabled": True, "lease_seconds": 2}
    config.pop("notifiers", None)
    path = tmp_path / "api.yml"
    path.write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{port}"
    api = ServiceProcess("api", path, tmp_path / "api.log")
    rng = random.Random(7)
    written = 0
    api.start()
    try:
        wait_healthy(url, api.proc)
        for _ in range(4):
            now = datetime.now(UTC)
            # not php.error/critical: the example-config test's seeded rule searches logs-* for recent PHP fatals
            batch = [
                event(k, now, now, dataset="crash.test", level="error") for k in KEYS for _ in range(rng.randint(1, 3))
            ]
            add(es, index, batch)
            written += len(batch)
            time.sleep(rng.uniform(1.2, 2.5))  # a pass over 150 groups is under way
            api.kill()
            api.start()
            wait_healthy(url, api.proc)
        time.sleep(2.5)  # past the settle time and the dead replica's lease
        deadline = time.monotonic() + 60
        while True:
            result = httpx.post(f"{url}/errors/sync", headers={"X-API-Key": ADMIN_KEY}, timeout=60).json()
            es.indices.refresh(index=settings.indices.error_groups)
            store = GroupStore(es, settings.indices.error_groups, settings.indices.state)
            groups = {k: v.group for k, v in store.many(KEYS).items()}
            if len(groups) == len(KEYS) and all(
                g.settled_through.timestamp() >= time.time() - 30 for g in groups.values()
            ):
                break
            assert time.monotonic() < deadline, result
            time.sleep(1)
        es.indices.refresh(index=index)
        for key in KEYS:
            expected = es.count(index=index, query={"term": {"error.grouping_key": key}})["count"]
            assert groups[key].count == expected, key
        assert sum(g.count for g in groups.values()) == written
        listed = httpx.get(f"{url}/errors", headers={"X-API-Key": ADMIN_KEY}, params={"limit": 500}).json()
        assert sum(item["total"] for item in listed["items"]) == written
    finally:
        api.stop()
