"""kill -9 the indexer while it indexes 200k events, and take Elasticsearch away mid-run:
Elasticsearch ends up with every event exactly once, and offsets never run ahead of it."""

from __future__ import annotations

import random
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer
from elasticsearch import Elasticsearch
from support import indexer as support
from support.kafka import new_topic
from support.shipper import wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.service import Indexer


def produce(stack: EmbeddedStack, topic: str, count: int, dataset: str = "nginx.access", first: int = 0) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "linger.ms": 20, "partitioner": "murmur2_random"})
    for i in range(first, first + count):
        event = {
            "@timestamp": "2026-11-22T10:00:00.000Z",
            "message": f"203.0.113.{i % 250} - - [22/Nov/2026:10:00:00 +0000] "
            f'"GET /item/{i} HTTP/1.1" 200 {i % 999} "-" "bench"',
            "event": {"id": f"evt-{i:07d}", "dataset": dataset},
            "host": {"name": "test"},
        }
        while True:
            try:
                producer.produce(topic, value=orjson.dumps(event), key=f"k{i % 8}".encode())
                break
            except BufferError:
                producer.poll(0.05)
        if i % 5000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0


@pytest.mark.slow
@pytest.mark.timeout(900)  # noida-db rewrites its whole store per bulk: 200k documents take minutes there
def test_kill_9_during_200k_events_indexes_each_exactly_once(own_stack: EmbeddedStack, tmp_path: Path) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
    total = 200_000
    # A dataset without a pipeline: small documents, since noida-db's cost per bulk grows with the
    # bytes it stores; grok parsing is covered elsewhere, this is about offsets and ids.
    produce(stack, topic, total, dataset="exactly.once")
    ns = support.namespace()
    # A stable instance id: the restarted indexer takes its partitions back at once (noida-db, unlike
    # Kafka, never expires the session of a member that was killed without leaving the group).
    config = support.write_config(
        tmp_path / "indexer.yml",
        stack,
        topic,
        ns,
        instance_id="crash-test",
        batch={"max_events": 10_000, "max_wait": 1.0},
    )
    indexer = support.IndexerProcess(config, tmp_path / "indexer.log")
    rng = random.Random(11)
    indexer.start()
    kills = 0
    try:
        # Killed at a random moment after 20%, 45% and 70% of the events are in: mid-bulk, mid-commit
        # or mid-poll, wherever it happens to be.
        for share in (0.2, 0.45, 0.7):
            assert support.wait_count(es, ns, int(total * share), timeout=300) >= total * share
            time.sleep(rng.uniform(0.0, 2.0))
            indexer.kill()
            kills += 1
            indexer.start()
        assert support.wait_count(es, ns, total, timeout=600) == total
        assert indexer.stop() == 0
    finally:
        indexer.kill()
    assert kills == 3
    assert support.count(es, ns) == total
    assert support.distinct_ids(es, ns) == total


@pytest.mark.slow
def test_elasticsearch_away_loses_nothing_and_commits_nothing(own_stack: EmbeddedStack) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
    total = 20_000
    ns = support.namespace()
    settings = support.settings(
        stack, topic, ns, batch={"max_events": 1000, "max_wait": 0.2}, retry={"initial": 0.2, "max": 1.0}
    )
    indexer = Indexer(settings)
    indexer.start()
    group = f"g-{ns}"
    try:
        # Warm-up in its own data stream: noida-db (unlike Elasticsearch) drops the documents it held
        # when it is stopped, so only what is written around the outage is counted below.
        produce(stack, topic, 2_000, dataset="warmup")
        assert wait_for(lambda: support.committed(stack, group, topic) == 2_000, timeout=60)
        stack.stop_service("elasticsearch")
        produce(stack, topic, total, first=2_000)
        assert wait_for(lambda: indexer.metrics.retries._value.get() > 0, timeout=30)
        time.sleep(2)
        assert support.committed(stack, group, topic) == 2_000  # nothing committed while Elasticsearch is away
        stack.start_service("elasticsearch")
        assert wait_for(lambda: support.committed(stack, group, topic) == 2_000 + total, timeout=180)
    finally:
        if not stack.elasticsearch_up():
            stack.start_service("elasticsearch")
        indexer.stop()
    index = f"logs-nginx.access-{ns}"
    es.indices.refresh(index=index)
    assert es.count(index=index)["count"] == total
    ids = es.search(
        index=index, size=0, aggs={"ids": {"cardinality": {"field": "event.id", "precision_threshold": 40000}}}
    )
    assert ids["aggregations"]["ids"]["value"] == total
