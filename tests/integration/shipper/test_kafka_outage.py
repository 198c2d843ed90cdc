"""Kafka away at start and mid-run: the shipper waits, retries, and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.kafka import consume, new_topic
from support.shipper import settings, wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.shipper.service import Shipper


def append(path: Path, prefix: str, start: int, count: int) -> list[str]:
    lines = [f"{prefix} {i} outage test line" for i in range(start, start + count)]
    with path.open("a") as out:
        out.write("\n".join(lines) + "\n")
    return lines


@pytest.mark.slow
def test_kafka_outage_mid_run_and_at_start(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    log = tmp_path / "app.log"
    inputs = [{"type": "file", "id": "outage", "paths": [str(log)], "scan_frequency": 0.2}]
    cfg = settings(stack, topic, data_dir, inputs, publisher={"delivery_timeout_ms": 3000})
    expected = append(log, "before", 0, 5_000)

    shipper = Shipper(cfg)
    shipper.start()
    try:
        assert wait_for(lambda: shipper.metrics.published._value.get() >= 5_000)
        stack.stop_service("kafka")
        expected += append(log, "during", 0, 20_000)
        # Reading goes on into the bounded queue; Kafka errors are counted, nothing is acknowledged.
        assert wait_for(lambda: shipper.metrics.kafka_errors._value.get() > 0, timeout=30)
        assert shipper.metrics.published._value.get() < len(expected)
        stack.start_service("kafka")
        assert wait_for(lambda: shipper.metrics.published._value.get() >= len(expected), timeout=120)
    finally:
        if not stack.kafka_up():
            stack.start_service("kafka")
        shipper.stop()

    # A shipper started while Kafka is away waits for it.
    stack.stop_service("kafka")
    expected += append(log, "restart", 0, 5_000)
    shipper = Shipper(cfg)
    shipper.start()
    try:
        assert wait_for(lambda: shipper.metrics.kafka_errors._value.get() > 0, timeout=30)
        stack.start_service("kafka")
        assert wait_for(lambda: shipper.metrics.published._value.get() >= 5_000, timeout=120)
    finally:
        if not stack.kafka_up():
            stack.start_service("kafka")
        shipper.stop()

    events = consume(stack.kafka_bootstrap, topic, expect=len(expected))
    by_id: dict[str, str] = {}
    for event in events:
        assert by_id.setdefault(event["event"]["id"], event["message"]) == event["message"]
    assert set(by_id.values()) == set(expected)
    assert len(by_id) == len(expected)
