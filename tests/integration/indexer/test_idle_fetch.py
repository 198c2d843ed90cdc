"""An indexer at the end of the log rests its partitions (grokpipe.indexer.idle) and still picks
up every record written afterwards, exactly once: trickles into every partition with pauses
between them, then a restart that begins at the committed end of the log."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
from confluent_kafka import Producer
from elasticsearch import Elasticsearch
from support import indexer as support
from support.kafka import new_topic

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.service import Indexer


def produce(stack: EmbeddedStack, topic: str, first: int, count: int, partitions: int = 4) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "linger.ms": 0})
    for i in range(first, first + count):
        event = {"message": f"line {i}", "event": {"id": f"idle-{i:06d}", "dataset": "idle.fetch"}}
        producer.produce(topic, value=orjson.dumps(event), partition=i % partitions)
    assert producer.flush(30) == 0


def test_resting_partitions_pick_up_every_later_record_once(own_stack: EmbeddedStack, tmp_path: Path) -> None:
    stack, topic, ns = own_stack, new_topic(own_stack.kafka_bootstrap), support.namespace()
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    settings = support.settings(stack, topic, ns, instance_id="idle-test", batch={"max_events": 50, "max_wait": 0.1})
    total = 0
    indexer = Indexer(settings)
    indexer.start()
    try:
        for round_ in range(12):
            # one partition, then all of them, while the others rest
            count = 3 if round_ % 2 else 10
            produce(stack, topic, total, count, partitions=1 if round_ % 2 else 4)
            total += count
            time.sleep(0.3)  # longer than a rest: the partitions are paused when the next ones come
        assert support.wait_count(es, ns, total, timeout=60) == total
    finally:
        indexer.stop()
    # A restart at the committed end of the log: nothing read since the assignment, the committed
    # offsets are the positions; records written after it are read, those before it not again.
    indexer = Indexer(settings)
    indexer.start()
    try:
        time.sleep(1.0)
        produce(stack, topic, total, 20)
        total += 20
        assert support.wait_count(es, ns, total, timeout=60) == total
    finally:
        indexer.stop()
    assert support.distinct_ids(es, ns) == total
    assert indexer.metrics.registry.get_sample_value("grokpipe_indexer_duplicates_total") == 0
    es.close()
