"""Two ``grokpipe api`` processes sharing one rule: each tick is evaluated exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, doc, free_port, fresh_indices, new_logs_index, wait_healthy

from grokpipe.embedded import EmbeddedStack

TICKS = 8


def test_two_processes_one_evaluation_per_tick(stack: EmbeddedStack, es: Elasticsearch, tmp_path: Path) -> None:
    logs = new_logs_index(es, [doc(datetime.now(UTC) - timedelta(hours=1), message="x", error__grouping_key="g")])
    indices = fresh_indices(uuid.uuid4().hex[:8])
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    for replica in ("a", "b"):
        port = free_port()
        config = tmp_path / f"api-{replica}.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "elasticsearch": {"hosts": [stack.elasticsearch_url]},
                    "http": {"listen": f"127.0.0.1:{port}"},
                    "auth": {"admin_keys": [ADMIN_KEY]},
                    "indices": indices,
                    "scheduler": {"tick": 0.1, "rules_refresh": 0.3, "replica_id": replica},
                    "log_level": "WARNING",
                }
            )
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "grokpipe.cli", "api", "-c", str(config)],
                env=os.environ.copy(),
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_healthy(url)
        created = httpx.post(
            f"{urls[0]}/rules",
            headers={"X-API-Key": ADMIN_KEY},
            json={
                "name": "every second",
                "index": logs,
                "window": "1d",
                "schedule": {"interval": "1s"},
                "group_by": ["error.grouping_key"],
                "condition": {"type": "any"},
                "realert": "0s",
            },
        )
        assert created.status_code == 201, created.text
        rule_id = created.json()["id"]
        _wait_ticks(es, indices["alerts"], rule_id, TICKS)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    ticks = _ticks(es, indices["alerts"], rule_id)
    assert len(ticks) >= TICKS
    assert max(ticks.values()) == 1, [t for t, n in ticks.items() if n > 1]  # no tick evaluated twice


def _ticks(es: Elasticsearch, index: str, rule_id: str) -> Counter[str]:
    """How many times each tick of ``rule_id`` fired (with ``condition: any`` every evaluation fires)."""
    es.indices.refresh(index=index)
    query = {"bool": {"filter": [{"term": {"kind": "fired"}}, {"term": {"rule.id": rule_id}}]}}
    hits = es.search(index=index, size=1000, query=query)["hits"]["hits"]
    return Counter(h["_source"]["tick"] for h in hits)


def _wait_ticks(es: Elasticsearch, index: str, rule_id: str, count: int) -> Counter[str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ticks = _ticks(es, index, rule_id)
        if len(ticks) >= count:
            return ticks
        time.sleep(0.5)
    raise AssertionError(f"fewer than {count} ticks evaluated")
