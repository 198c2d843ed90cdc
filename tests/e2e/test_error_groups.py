"""The PHP team's story end to end, as ``make run`` runs it: an nginx FastCGI ``PHP Fatal error`` line
appended to a watched log goes shipper -> Kafka -> indexer -> Elasticsearch; the seeded rule fires
for it, the api lists its error group with an exact count and notifies the dev sink once."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch
from support import indexer as support
from support.api import fresh_indices, wait_healthy
from support.process import start_service

from grokpipe.embedded import EmbeddedStack, free_port

ROOT = Path(__file__).parents[2]
LINE = (
    '{now} [error] 1234#0: *5 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Call to undefined function '
    'foo_{n}() in /home/wwwroot/api.example.com/app/Http/Controller.php on line 57" while reading response header '
    'from upstream, client: 10.0.0.7, server: api.example.com, request: "GET /v1/orders HTTP/1.1"'
)


@pytest.fixture
def stack(own_stack: EmbeddedStack) -> EmbeddedStack:
    """A server of this test's own: its PHP fatals are recent, and other tests' rules search logs-* for the last
    minutes (tests/integration/api/test_example_config.py)."""
    return own_stack


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def wait(predicate, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


def test_php_fatal_in_nginx_log_becomes_one_group_and_one_message(
    stack: EmbeddedStack, topic: str, tmp_path: Path, es: Elasticsearch
) -> None:
    shutil.copytree(ROOT / "examples" / "logs", tmp_path / "examples" / "logs")
    ns = support.namespace()
    suffix = uuid.uuid4().hex[:8]
    api_port = free_port()
    api_config = yaml.safe_load((ROOT / "examples" / "api.yml").read_text())
    api_config["notifiers"]["local-sink"]["url"] = f"http://127.0.0.1:{api_port}/sink/webhook"
    api_config["indices"] = fresh_indices(suffix)
    api_config["errors"] |= {"index": f"logs-*-{ns}", "sync_interval": 1, "settle": 2}
    api_config["rules_seed"][0]["index"] = f"logs-*-{ns}"
    (tmp_path / "examples" / "api.yml").write_text(yaml.safe_dump(api_config))
    env = os.environ | {
        "GROKPIPE_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "GROKPIPE_KAFKA__TOPIC": topic,
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
    }
    procs = [
        start_service(
            "shipper",
            ROOT / "examples" / "shipper.yml",
            tmp_path,
            env | {"GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}"},
            tmp_path / "s.log",
        ),
        start_service(
            "indexer",
            ROOT / "examples" / "indexer.yml",
            tmp_path,
            env
            | {
                "GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}",
                "GROKPIPE_KAFKA__GROUP_ID": f"e2e-{ns}",
                "GROKPIPE_NAMESPACE": ns,
            },
            tmp_path / "i.log",
        ),
    ]
    api_env = env | {"GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{api_port}"}
    procs.append(start_service("api", tmp_path / "examples" / "api.yml", tmp_path, api_env, tmp_path / "a.log"))
    url = f"http://127.0.0.1:{api_port}"
    admin = {"X-API-Key": "dev-admin-key"}
    try:
        assert support.wait_count(es, ns, 23, timeout=120) == 23  # the example logs
        # a minute ago: inside the seeded rule's window, past its 30 s query delay
        now = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y/%m/%d %H:%M:%S")
        with (tmp_path / "examples" / "logs" / "nginx" / "error.log").open("a") as log:
            for _ in range(3):
                log.write(LINE.format(now=now, n=1) + "\n")
            log.write(LINE.format(now=now, n=2).replace("line 57", "line 99") + "\n")
        assert support.wait_count(es, ns, 27, timeout=120) == 27
        fatal = es.search(
            index=f"logs-*-{ns}",
            query={"term": {"log.origin.file.name": "/home/wwwroot/api.example.com/app/Http/Controller.php"}},
        )["hits"]["hits"]
        assert {h["_source"]["log"]["level"] for h in fatal} == {"critical"}
        keys = {h["_source"]["error"]["grouping_key"] for h in fatal}
        assert len(keys) == 2
        line57 = next(
            h["_source"]["error"]["grouping_key"] for h in fatal if h["_source"]["log"]["origin"]["file"]["line"] == 57
        )

        wait_healthy(url, timeout=90)
        run = httpx.post(f"{url}/rules/php-error-bursts/run", headers=admin, timeout=60)
        assert run.json()["alerts"] == []  # three events are no burst: the error groups send the one message

        def listed() -> dict[str, dict[str, object]]:
            page = httpx.get(f"{url}/errors", headers=admin, params={"dataset": "nginx.error"}).json()
            return {g["id"]: g for g in page["items"] if g["id"] in keys}

        groups = wait(lambda: (found := listed()) and len(found) == 2 and found)
        assert groups[line57]["total"] == 3
        assert groups[line57]["culprit"] == "/home/wwwroot/api.example.com/app/Http/Controller.php:57"
        assert groups[line57]["level"] == "critical"

        def about_keys() -> list[dict[str, Any]]:
            messages = httpx.get(f"{url}/sink/webhook", headers=admin).json()
            groups = [(m, m.get("group") or {}) for m in messages]
            return [m for m, g in groups if {g.get("id"), g.get("error.grouping_key")} & keys]

        sink = wait(lambda: (found := about_keys()) and len(found) >= 2 and found)
        time.sleep(2)
        sink = about_keys()
        assert sorted(m["kind"] for m in sink) == ["new", "new"]  # one message per distinct error, nothing else
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)
