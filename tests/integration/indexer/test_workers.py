"""``workers: 2``: the indexer parses in two processes and still indexes every event exactly once,
through kill -9 of the indexer (its workers die with it) and of one worker (replaced, its records
parsed again)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer
from elasticsearch import Elasticsearch
from support import indexer as support
from support.kafka import new_topic
from support.process import children, still_running
from support.shipper import wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.service import Indexer

SPAWNED = b"spawn_main"  # in a parse worker's command line (multiprocessing's spawn entry point)


def produce(stack: EmbeddedStack, topic: str, count: int) -> None:
    """``count`` nginx access events (ids ``evt-0000000``...), spread over the topic's partitions."""
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "linger.ms": 20, "partitioner": "murmur2_random"})
    for i in range(count):
        event = {
            "@timestamp": "2026-11-22T10:00:00.000Z",
            "message": f'203.0.113.{i % 250} - - [22/Nov/2026:10:00:00 +0000] "GET /item/{i} HTTP/1.1" 200 {i} "-" "t"',
            "event": {"id": f"evt-{i:07d}", "dataset": "nginx.access"},
            "host": {"name": "test"},
        }
        while True:
            try:
                producer.produce(topic, value=orjson.dumps(event), key=f"k{i % 8}".encode())
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


def test_two_workers_parse_what_one_process_parses(stack: EmbeddedStack, topic: str) -> None:
    es = Elasticsearch(stack.elasticsearch_url)
    ns = support.namespace()
    indexer = Indexer(support.settings(stack, topic, ns, workers=2, batch={"max_events": 500, "max_wait": 0.3}))
    indexer.start()
    try:
        produce(stack, topic, 3_000)
        assert support.wait_count(es, ns, 3_000) == 3_000
        assert wait_for(lambda: support.committed(stack, f"g-{ns}", topic) == 3_000, timeout=30)
    finally:
        indexer.stop()
    hits = es.search(index=f"logs-*-{ns}", query={"term": {"event.id": "evt-0000042"}})["hits"]["hits"]
    doc = hits[0]["_source"]
    assert doc["http"]["response"]["status_code"] == 200
    assert doc["url"]["original"] == "/item/42"
    assert doc["source"]["ip"] == "203.0.113.42"
    assert doc["@timestamp"] == "2026-11-22T10:00:00.000Z"
    assert doc["event"]["ingested"] >= "2026"
    assert doc["data_stream"] == {"type": "logs", "dataset": "nginx.access", "namespace": ns}
    assert indexer.metrics.events_in._value.get() == 3_000
    assert support.distinct_ids(es, ns) == 3_000
    es.close()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_of_the_indexer_and_of_a_worker_indexes_each_event_once(
    own_stack: EmbeddedStack, tmp_path: Path
) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
    total = 30_000
    produce(stack, topic, total)  # nginx access lines: the workers grok every one
    ns = support.namespace()
    config = support.write_config(
        tmp_path / "indexer.yml",
        stack,
        topic,
        ns,
        instance_id="workers-crash-test",
        workers=2,
        batch={"max_events": 2_000, "max_wait": 0.5},
    )
    indexer = support.IndexerProcess(config, tmp_path / "indexer.log")
    rng = random.Random(5)
    indexer.start()
    try:
        for share in (0.2, 0.5):  # kill -9 of the indexer: its workers must not outlive it
            assert support.wait_count(es, ns, int(total * share), timeout=300) >= total * share
            time.sleep(rng.uniform(0.0, 1.0))
            assert indexer.proc is not None
            workers = children(indexer.proc.pid, SPAWNED)
            assert len(workers) == 2
            indexer.kill()
            assert wait_for(lambda w=workers: not still_running(w, SPAWNED), timeout=10), (
                "parse workers outlived the indexer"
            )
            indexer.start()
        # kill -9 of one worker: the indexer replaces the pool and parses that batch again (once the
        # restarted indexer is indexing, so its workers are past starting)
        restarted_at = support.count(es, ns)
        assert support.wait_count(es, ns, min(total, restarted_at + 2_000), timeout=300) > restarted_at
        assert indexer.proc is not None
        assert wait_for(lambda: len(children(indexer.proc.pid, SPAWNED)) == 2, timeout=60)
        os.kill(min(children(indexer.proc.pid, SPAWNED)), signal.SIGKILL)
        assert support.wait_count(es, ns, total, timeout=600) == total
        assert indexer.proc.poll() is None  # the indexer itself lived on
        assert indexer.stop() == 0
    finally:
        indexer.kill()
    assert support.count(es, ns) == total
    assert support.distinct_ids(es, ns) == total
    assert support.committed(stack, f"g-{ns}", topic) == total
    es.close()
