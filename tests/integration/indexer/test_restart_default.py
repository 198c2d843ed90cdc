"""The default config (no ``instance_id``) on the embedded server: a kill -9'd indexer gets its
partitions back when restarted, and of two indexers on one host a stopped one hands its partitions
over at once. noida-db never expires a member that died or left without a LeaveGroup, so both
would hang forever with dynamic membership, or with static membership and no explicit leave."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import yaml
from confluent_kafka import Producer
from elasticsearch import Elasticsearch
from support import indexer as support
from support.kafka import new_topic
from support.shipper import wait_for

from grokpipe.embedded import EmbeddedStack


def produce(stack: EmbeddedStack, topic: str, first: int, count: int) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap, "linger.ms": 5})
    for i in range(first, first + count):
        event = {"message": f"line {i}", "event": {"id": f"rd-{i:06d}", "dataset": "restart.default"}}
        producer.produce(topic, value=orjson.dumps(event), partition=i % 4)  # every partition gets some
    assert producer.flush(30) == 0


def log_lines(path: Path, message: str) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_bytes().splitlines():
        if raw.startswith(b"{"):
            line = orjson.loads(raw)
            if line.get("message") == message:
                lines.append(line)
    return lines


def assigned(path: Path) -> list[str]:
    """The partitions of the latest assignment this process logged."""
    lines = log_lines(path, "partitions assigned")
    return list(lines[-1]["partitions"]) if lines else []


def test_kill_9_with_the_default_config_gets_the_partitions_back(own_stack: EmbeddedStack, tmp_path: Path) -> None:
    stack, topic, ns = own_stack, new_topic(own_stack.kafka_bootstrap), support.namespace()
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    config = support.write_config(
        tmp_path / "indexer.yml", stack, topic, ns, batch={"max_events": 200, "max_wait": 0.2}
    )
    assert "instance_id" not in config.read_text()
    log = tmp_path / "indexer.log"
    indexer = support.IndexerProcess(config, log)
    produce(stack, topic, 0, 2_000)
    indexer.start()
    try:
        assert support.wait_count(es, ns, 200, timeout=30) >= 200
        indexer.kill()  # mid-stream: some batches indexed, some committed, some neither
        produce(stack, topic, 2_000, 2_000)
        indexer.start()
        assert support.wait_count(es, ns, 4_000, timeout=30) == 4_000
        assert indexer.stop() == 0
    finally:
        indexer.kill()
    assert support.distinct_ids(es, ns) == 4_000
    joins = log_lines(log, "joining the consumer group")
    assert len(joins) == 2
    assert joins[0]["instance"] == joins[1]["instance"]  # the same static id both times
    port = yaml.safe_load(config.read_text())["http"]["listen"].rpartition(":")[2]
    assert f"-{port}-" in joins[0]["instance"]  # <host>-<port>-<hash>


def test_two_indexers_on_one_host_share_the_topic_and_a_stopped_one_hands_over(
    own_stack: EmbeddedStack, tmp_path: Path
) -> None:
    stack, topic, ns = own_stack, new_topic(own_stack.kafka_bootstrap), support.namespace()
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    batch = {"max_events": 200, "max_wait": 0.2}
    # The same config but for http.listen (two indexers on one host cannot share it): distinct ids.
    first = support.IndexerProcess(
        support.write_config(tmp_path / "a.yml", stack, topic, ns, batch=batch), tmp_path / "a.log"
    )
    second = support.IndexerProcess(
        support.write_config(tmp_path / "b.yml", stack, topic, ns, batch=batch), tmp_path / "b.log"
    )
    first.start()
    second.start()
    try:
        # neither fences the other: the four partitions end up split between them
        assert wait_for(lambda: assigned(tmp_path / "a.log") and assigned(tmp_path / "b.log"), timeout=30)
        assert len(assigned(tmp_path / "a.log")) + len(assigned(tmp_path / "b.log")) == 4
        produce(stack, topic, 0, 1_000)
        assert support.wait_count(es, ns, 1_000, timeout=30) == 1_000
        started = time.monotonic()
        assert first.stop() == 0  # SIGTERM: settles, commits and leaves the group
        produce(stack, topic, 1_000, 1_000)
        assert support.wait_count(es, ns, 2_000, timeout=20) == 2_000  # the second took over at once
        assert time.monotonic() - started < 20
        assert len(assigned(tmp_path / "b.log")) == 4
        assert second.proc is not None
        assert second.proc.poll() is None
        assert second.stop() == 0
    finally:
        first.kill()
        second.kill()
    assert support.distinct_ids(es, ns) == 2_000
