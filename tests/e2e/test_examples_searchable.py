"""The whole pipeline as ``make run`` starts it: ``grokpipe shipper`` and ``grokpipe indexer`` processes
with the example configs (only servers, topic and ports overridden), then search ``logs-*``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support import indexer as support

from grokpipe.embedded import EmbeddedStack, free_port

ROOT = Path(__file__).parents[2]


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def start(service: str, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "grokpipe.cli", service, "-c", str(ROOT / "examples" / f"{service}.yml")],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
        )


def test_example_logs_are_searchable_in_logs_star(
    stack: EmbeddedStack, topic: str, tmp_path: Path, es: Elasticsearch
) -> None:
    shutil.copytree(ROOT / "examples" / "logs", tmp_path / "examples" / "logs")
    ns = support.namespace()
    env = os.environ | {
        "GROKPIPE_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "GROKPIPE_KAFKA__TOPIC": topic,
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
    }
    shipper_env = env | {"GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}"}
    indexer_env = env | {
        "GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{free_port()}",
        "GROKPIPE_KAFKA__GROUP_ID": f"e2e-{ns}",
        "GROKPIPE_NAMESPACE": ns,
    }
    procs = [
        start("shipper", tmp_path, shipper_env, tmp_path / "shipper.log"),
        start("indexer", tmp_path, indexer_env, tmp_path / "indexer.log"),
    ]
    try:
        # 8 access lines, 5 nginx error events, 6 php-fpm events, 4 python events (one a traceback)
        assert support.wait_count(es, ns, 23, timeout=120) == 23
        time.sleep(1)  # nothing more arrives (no duplicates from the two processes' restarts of work)
        assert support.count(es, ns) == 23
    finally:
        for proc in procs:
            proc.terminate()
        codes = [proc.wait(60) for proc in procs]
    assert codes == [0, 0]

    def search(query: dict[str, Any]) -> list[dict[str, Any]]:
        hits = es.search(index="logs-*", query={"bool": {"filter": [query, {"term": {"data_stream.namespace": ns}}]}})
        return [hit["_source"] for hit in hits["hits"]["hits"]]

    datasets = es.search(
        index=f"logs-*-{ns}", size=0, aggs={"d": {"terms": {"field": "event.dataset"}}}
    )["aggregations"]["d"]["buckets"]  # fmt: skip
    assert {b["key"]: b["doc_count"] for b in datasets} == {
        "nginx.access": 8,
        "nginx.error": 5,
        "php.error": 6,
        "python.traceback": 4,
    }
    fatal = search({"term": {"log.origin.file.name": "/var/www/shop/src/Cart.php"}})
    assert {e["event"]["dataset"] for e in fatal} == {"nginx.error", "php.error"}
    assert len({e["error"]["grouping_key"] for e in fatal}) == 1
    assert search({"term": {"labels.service": "billing"}})
    assert search({"term": {"tags": "_grokparsefailure"}}) == []
