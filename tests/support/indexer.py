"""Running the real indexer against the embedded stack, and reading back what Elasticsearch holds."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from elasticsearch import Elasticsearch

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.indexer.config import IndexerSettings
from support.process import ServiceProcess


def namespace() -> str:
    return "t" + uuid.uuid4().hex[:10]


def settings(stack: EmbeddedStack, topic: str, ns: str, **extra: Any) -> IndexerSettings:
    return IndexerSettings.load(
        None,
        namespace=ns,
        kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic, "group_id": f"g-{ns}"},
        elasticsearch={"hosts": [stack.elasticsearch_url]},
        http={"listen": f"127.0.0.1:{free_port()}"},
        **extra,
    )


def write_config(path: Path, stack: EmbeddedStack, topic: str, ns: str, **extra: Any) -> Path:
    doc = {
        "namespace": ns,
        "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic, "group_id": f"g-{ns}"},
        "elasticsearch": {"hosts": [stack.elasticsearch_url]},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        **extra,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def count(es: Elasticsearch, ns: str, query: dict[str, Any] | None = None, *, refresh: bool = True) -> int:
    if refresh:
        es.indices.refresh(index=f"logs-*-{ns}", ignore_unavailable=True, allow_no_indices=True)
    result = es.count(index=f"logs-*-{ns}", ignore_unavailable=True, allow_no_indices=True, query=query)
    return int(result["count"])


def distinct_ids(es: Elasticsearch, ns: str) -> int:
    es.indices.refresh(index=f"logs-*-{ns}", ignore_unavailable=True, allow_no_indices=True)
    result = es.search(
        index=f"logs-*-{ns}", size=0, aggs={"ids": {"cardinality": {"field": "event.id", "precision_threshold": 40000}}}
    )
    return int(result["aggregations"]["ids"]["value"])


def wait_count(es: Elasticsearch, ns: str, expected: int, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        # no forced refresh while polling: the periodic one (1 s) suffices, and on noida-db a forced
        # refresh of a large store costs as much as a bulk request
        seen = count(es, ns, refresh=False)
        if seen >= expected:
            return count(es, ns)
        time.sleep(2)
    return count(es, ns)


class IndexerProcess(ServiceProcess):
    """``grokpipe indexer -c CONFIG`` as a child process that a test can kill -9 and restart."""

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__("indexer", config, log)


def committed(stack: EmbeddedStack, group: str, topic: str) -> int:
    """Sum of the group's committed offsets over the topic's partitions (0 where none)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in parts)
    finally:
        consumer.close(autocommit=False)
